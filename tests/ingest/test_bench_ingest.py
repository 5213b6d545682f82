"""``tidings bench ingest`` end to end on a few fictional pages (sample content only)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tidings.bench import ingest

pytestmark = pytest.mark.slow

_PAGE = """<!doctype html><html lang="en"><head><title>{title}</title></head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header>
<article><h1>{title}</h1>
<p>Sample content for a benchmark test. {body} The fictional council of Arden Vale met on
Tuesday evening to hear what residents thought of the plan, and most of them said so at length.</p>
<p>Councillor Mara Quell said the vote would come next month, after a second round of hearings
in the villages along the river, where the ferry still runs twice a day in summer.</p>
<p>Residents who spoke asked for more buses, a safer crossing by the school and for the old
market hall to stay open; the council said each request would be costed before the vote.</p>
</article><footer>Sample footer, not part of the article.</footer></body></html>"""


def _pages(folder: Path) -> None:
    html = folder / "html"
    html.mkdir(parents=True)
    for i, (title, body) in enumerate(
        [
            ("Arden Vale weighs a new bridge (sample)", "A bridge to the east bank was proposed."),
            ("Ferry timetable extended (sample)", "The ferry will run later on weekdays."),
            ("Market hall to reopen (sample)", "The hall closed for repairs in the spring."),
        ]
    ):
        page = _PAGE.format(title=title, body=body)
        (html / f"page{i}.html.gz").write_bytes(gzip.compress(page.encode()))


def test_bench_ingest_reports_storage_and_story_stage_times(capsys, tmp_path: Path) -> None:
    _pages(tmp_path)
    args = ["--pages", str(tmp_path), "--count", "6", "--feeds", "2", "--workers", "1"]
    code = ingest.main([*args, "--extract-seconds", "0.5", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["pages"] == 3 and report["extraction_only_pages_per_s"] > 0
    before, after = report["extraction_only_each"]
    assert report["extraction_only_pages_per_s"] == pytest.approx((before + after) / 2, abs=0.01)
    (run,) = report["runs"]
    # Each page is served twice under distinct URLs: the second copy is folded.
    assert run["processed"] == 6 and run["stored"] == 6 and run["duplicates"] == 3
    assert run["failed"] == 0 and run["pending"] == 0
    assert 0 < run["stored_seconds"] <= run["seconds"]
    assert run["articles_per_s"] == pytest.approx(6 / run["stored_seconds"], rel=0.01)
    assert run["articles_per_s_through_stories"] <= run["articles_per_s"]
    assert report["one_process_vs_extraction"] > 0


def test_missing_pages_are_a_clear_skip(capsys, tmp_path: Path) -> None:
    assert ingest.main(["--pages", str(tmp_path / "none")]) == 0
    assert "no benchmark pages" in capsys.readouterr().err
