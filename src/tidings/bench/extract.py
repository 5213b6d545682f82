"""``tidings bench extract DIR [--json]``: article extraction quality and speed.

DIR holds ``html/<id>.html.gz`` pages and, optionally, ``ground-truth.json``
(``{id: {"articleBody": ..., "url": ...}}``), the layout of the public
article-extraction benchmark.

With ``--json`` only ``{id: {"articleBody": text}}`` is printed. Otherwise a
table compares Tidings with trafilatura alone: shingle F1 / precision / recall
(the benchmark's metric: 4-word shingles of ``\\w+`` tokens, per-page
normalised TP/FP/FN, F1 of the mean precision and mean recall), the same on
two halves of the pages, title and date accuracy, and pages per second
(CPU time in this process, both extractors interleaved page by page after a
warm-up).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import lxml.html

from tidings.core import config
from tidings.core.errors import ExtractionError
from tidings.core.extract import extract, extract_with_timeout

_TOKEN = re.compile(r"\w+")


# --- the benchmark's metric ---------------------------------------------------


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(
        tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n]
    )


def shingle_tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    """Shingle TP/FP/FN of one page, normalised to sum to 1 (so long pages weigh the same)."""
    t, p = _shingles(true), _shingles(pred)
    tp = float(sum((t & p).values()))
    fp = float(sum((p - t).values()))
    fn = float(sum((t - p).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Scores:
    f1: float
    precision: float
    recall: float


def score(pages: Sequence[tuple[float, float, float]]) -> Scores:
    """F1 of the mean precision and mean recall over pages."""
    precisions = [1.0 if fp == fn == 0 else tp / (tp + fp) for tp, fp, fn in pages if tp + fp > 0]
    recalls = [1.0 if fp == fn == 0 else tp / (tp + fn) for tp, fp, fn in pages if tp + fn > 0]
    p = statistics.mean(precisions) if precisions else 0.0
    r = statistics.mean(recalls) if recalls else 0.0
    return Scores(2 * p * r / (p + r) if p + r else 0.0, p, r)


# --- metadata truth -------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_URL_DATE = re.compile(r"/(20\d\d|19\d\d)[/-](\d{1,2})[/-](\d{1,2})(?:/|-|$)")
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•]\s+")


def _norm_title(text: str | None) -> str:
    return _SPACE.sub(" ", " ".join(_TOKEN.findall((text or "").lower()))).strip()


def title_matches(pred: str | None, truth: str) -> bool:
    """Equal after normalisation, tolerating a site-name suffix or prefix on either side."""
    if not pred:
        return False
    a, b = _norm_title(pred), _norm_title(truth)
    if a == b:
        return True
    pieces = {_norm_title(x) for x in _TITLE_SEPARATORS.split(pred)} | {a}
    truth_pieces = {_norm_title(x) for x in _TITLE_SEPARATORS.split(truth)} | {b}
    return bool(pieces & truth_pieces - {""})


def title_truth(html: str) -> str | None:
    """The visible headline: the first <h1> with some words in it."""
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None
    for h1 in tree.iter("h1"):
        text = _SPACE.sub(" ", h1.text_content()).strip()
        if len(text.split()) >= 3:
            return text
    return None


def url_date(url: str | None) -> date | None:
    """The publication day many news URLs carry (/2019/11/19/)."""
    match = _URL_DATE.search(url or "")
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def date_matches(pred: date | None, truth: date) -> bool:
    return pred is not None and abs(pred - truth) <= timedelta(days=1)


# --- running ----------------------------------------------------------------------


def load_pages(folder: Path) -> dict[str, str]:
    pages: dict[str, str] = {}
    for path in sorted((folder / "html").glob("*.html.gz")):
        with gzip.open(path, "rb") as fh:
            pages[path.name.split(".")[0]] = fh.read().decode("utf-8", errors="replace")
    return pages


def _tidings_text(html: str, url: str | None) -> str:
    try:
        return extract(html, url).text
    except ExtractionError:
        return ""


def _trafilatura_text(html: str, url: str | None) -> str:
    import trafilatura

    return trafilatura.extract(html, include_comments=False) or ""


def throughput(
    pages: dict[str, str], urls: dict[str, str | None], runners: dict[str, Callable[..., Any]]
) -> dict[str, float]:
    """Pages per CPU second for each runner, interleaved page by page after a warm-up."""
    items = list(pages.items())
    for run in runners.values():
        for key, html in items[:3]:
            run(html, urls.get(key))
    spent = dict.fromkeys(runners, 0.0)
    for key, html in items:
        for name, run in runners.items():
            start = time.process_time()
            run(html, urls.get(key))
            spent[name] += time.process_time() - start
    return {name: len(items) / max(s, 1e-9) for name, s in spent.items()}


def _json_output(pages: dict[str, str], urls: dict[str, str | None]) -> dict[str, Any]:
    timeout = float(config.read("EXTRACT_TIMEOUT"))
    out: dict[str, Any] = {}
    for key, html in pages.items():
        try:
            text = extract_with_timeout(html, urls.get(key), timeout=timeout).text
        except ExtractionError:
            text = ""
        out[key] = {"articleBody": text}
    return out


def _rate(hits: Iterable[bool]) -> str:
    values = list(hits)
    return f"{sum(values) / len(values):.3f}" if values else "n/a"


def _table(folder: Path, pages: dict[str, str], truth: dict[str, Any]) -> None:
    import trafilatura
    from rich.console import Console
    from rich.table import Table

    urls: dict[str, str | None] = {k: (truth.get(k) or {}).get("url") for k in pages}
    keys = sorted(pages)
    halves = {"A": keys[0::2], "B": keys[1::2]}
    texts: dict[str, dict[str, str]] = {"Tidings": {}, "trafilatura": {}}
    titles: dict[str, dict[str, str | None]] = {"Tidings": {}, "trafilatura": {}}
    days: dict[str, dict[str, date | None]] = {"Tidings": {}, "trafilatura": {}}
    for key in keys:
        html, url = pages[key], urls[key]
        try:
            art = extract(html, url)
            texts["Tidings"][key] = art.text
            titles["Tidings"][key] = art.title
            days["Tidings"][key] = art.published.date() if art.published else None
        except ExtractionError:
            texts["Tidings"][key], titles["Tidings"][key], days["Tidings"][key] = "", None, None
        texts["trafilatura"][key] = _trafilatura_text(html, url)
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
        titles["trafilatura"][key] = getattr(doc, "title", None)
        raw_date = getattr(doc, "date", None)
        try:
            days["trafilatura"][key] = date.fromisoformat(raw_date[:10]) if raw_date else None
        except ValueError:
            days["trafilatura"][key] = None

    speed = throughput(pages, urls, {"Tidings": _tidings_text, "trafilatura": _trafilatura_text})
    title_truths = {k: t for k in keys if (t := title_truth(pages[k]))}
    date_truths = {k: d for k in keys if (d := url_date(urls[k]))}

    table = Table(title=f"Article extraction on {folder} ({len(keys)} pages)")
    table.add_column("")
    for name in texts:
        table.add_column(name, justify="right")
    has_truth = bool(truth)
    rows: list[tuple[str, list[str]]] = []
    if has_truth:
        all_scores = {
            name: score(
                [shingle_tp_fp_fn(truth[k].get("articleBody", ""), texts[name][k]) for k in keys]
            )
            for name in texts
        }
        rows.append(("F1", [f"{all_scores[n].f1:.4f}" for n in texts]))
        rows.append(("precision", [f"{all_scores[n].precision:.4f}" for n in texts]))
        rows.append(("recall", [f"{all_scores[n].recall:.4f}" for n in texts]))
        for half, hkeys in halves.items():
            half_scores = {
                name: score(
                    [
                        shingle_tp_fp_fn(truth[k].get("articleBody", ""), texts[name][k])
                        for k in hkeys
                    ]
                )
                for name in texts
            }
            rows.append(
                (
                    f"F1 / P / R half {half} ({len(hkeys)})",
                    [
                        f"{s.f1:.4f} / {s.precision:.4f} / {s.recall:.4f}"
                        for s in (half_scores[n] for n in texts)
                    ],
                )
            )
    rows.append(
        (
            f"title accuracy vs <h1> ({len(title_truths)} pages)",
            [_rate(title_matches(titles[n][k], t) for k, t in title_truths.items()) for n in texts],
        )
    )
    rows.append(
        (
            f"date accuracy vs URL date ±1 day ({len(date_truths)} pages)",
            [_rate(date_matches(days[n][k], d) for k, d in date_truths.items()) for n in texts],
        )
    )
    rows.append(("pages/s (CPU, same process)", [f"{speed[n]:.1f}" for n in texts]))
    rows.append(
        ("speed ratio to trafilatura", [f"{speed[n] / speed['trafilatura']:.2f}" for n in texts])
    )
    for label, values in rows:
        table.add_row(label, *values)
    Console().print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tidings bench extract", description=__doc__.split("\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "dir", type=Path, help="folder with html/<id>.html.gz [and ground-truth.json]"
    )
    parser.add_argument("--json", action="store_true", help="print {id: {articleBody}} only")
    args = parser.parse_args(argv)
    folder: Path = args.dir
    if not (folder / "html").is_dir():
        print(f"error: {folder}/html is not a directory", file=sys.stderr)
        return 1
    pages = load_pages(folder)
    truth_path = folder / "ground-truth.json"
    truth: dict[str, Any] = (
        json.loads(truth_path.read_text(encoding="utf-8")) if truth_path.exists() else {}
    )
    if args.json:
        urls = {k: (truth.get(k) or {}).get("url") for k in pages}
        json.dump(_json_output(pages, urls), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    _table(folder, pages, truth)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
