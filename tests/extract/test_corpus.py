"""Quality on the real benchmark pages in the shared corpus, read at run time (never copied)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tidings.bench.extract import score, shingle_tp_fp_fn
from tidings.core.extract import ExtractionError, extract

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "extraction"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpora/extraction")


def _truth() -> dict:
    if not (CORPUS / "ground-truth.json").exists():
        pytest.skip("extraction corpus not available")
    return json.loads((CORPUS / "ground-truth.json").read_text(encoding="utf-8"))


def _page(key: str) -> str:
    with gzip.open(CORPUS / "html" / f"{key}.html.gz", "rb") as fh:
        return fh.read().decode("utf-8", errors="replace")


def _text(key: str, url: str | None) -> str:
    try:
        return extract(_page(key), url).text
    except ExtractionError:
        return ""


# Pages whose furniture (teaser lists, newsletter boxes, share bars, photo credits, bylines,
# "more from" rails) trafilatura alone keeps. Ids are the benchmark's page hashes.
JUNK_PAGES = {
    "360c732d1fdbfc6895d7096c0c0b8c0d581bb1af80160f4c6a0f1fd9ff85e469": (0.97, 0.97),
    "51374560f4": (0.92, 0.97),
    "35b158918c": (0.94, 0.97),
    "7dfc3e359d": (0.97, 0.90),
    "4a44ab3e4c": (0.92, 0.80),
    "232a43fb15": (0.88, 0.95),
    "f8ff621a0b": (0.90, 0.97),
}


@pytest.mark.parametrize(("prefix", "floors"), sorted(JUNK_PAGES.items()))
def test_junk_removed_on_real_page(prefix: str, floors: tuple[float, float]) -> None:
    truth = _truth()
    key = next((k for k in truth if k.startswith(prefix)), None)
    if key is None:
        pytest.skip(f"page {prefix} not in corpus")
    tp, fp, fn = shingle_tp_fp_fn(truth[key]["articleBody"], _text(key, truth[key].get("url")))
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= floors[0]
    assert recall >= floors[1]


@pytest.mark.slow
def test_overall_f1_floor() -> None:
    truth = _truth()
    pages = [
        shingle_tp_fp_fn(item["articleBody"], _text(key, item.get("url")))
        for key, item in truth.items()
    ]
    result = score(pages)
    assert result.f1 >= 0.965
    assert result.precision >= 0.955


def test_metric_replicates_benchmark_definition() -> None:
    text = "one two three four five six"
    assert shingle_tp_fp_fn(text, text) == (1.0, 0.0, 0.0)
    tp, fp, fn = shingle_tp_fp_fn(text, text + " seven eight")
    assert fn == 0 and tp == pytest.approx(3 / 5) and fp == pytest.approx(2 / 5)
    # Case-sensitive tokens, punctuation ignored.
    assert shingle_tp_fp_fn("A b c d", "a b c d")[0] == 0.0
    assert shingle_tp_fp_fn("a, b. c! d", "a b c d") == (1.0, 0.0, 0.0)
    # Empty predictions do not count towards mean precision.
    assert score([(0.0, 0.0, 1.0), (1.0, 0.0, 0.0)]).precision == 1.0
