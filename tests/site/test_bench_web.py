"""``tidings bench web`` end to end on a tiny synthetic database (sample content only)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from tidings.bench import web

pytestmark = pytest.mark.slow

_FAST = ["--articles", "60", "--seconds", "1", "--rounds", "2", "--concurrency", "2", "--hot", "5"]
_FAST += ["--json"]


def _run(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:
    code = web.main([*_FAST, *extra])
    out = capsys.readouterr().out
    return code, (json.loads(out) if out.strip() else {})


def test_bench_reports_both_article_figures_against_the_targets(capsys, tmp_path: Path):
    code, report = _run(capsys, "--data-dir", str(tmp_path))
    assert code == 0, report
    assert report["targets"] == {"p95_ms": web.P95_TARGET_MS, "ratio": web.RATIO_TARGET}
    assert report["prerender_seconds"] > 0
    for key in ("bare", "article_first_view", "article_repeat_view", "article_not_prerendered"):
        for phase in ("throughput", "one_reader"):
            figures = report[key][phase]
            assert figures["errors"] == 0 and figures["requests"] > 0, report
    for key in ("article_first_view", "article_repeat_view", "article_not_prerendered"):
        entry = report[key]
        met = (
            entry["one_reader"]["p95_ms"] <= web.P95_TARGET_MS and entry["throughput_ratio"] >= 0.5
        )
        assert entry["targets_met"] is met, report
        rounds = entry["throughput_ratio_rounds"]
        assert rounds and all(r > 0 for r in rounds), report
        assert entry["throughput_ratio"] == round(statistics.median(rounds), 3)

    # A kept database is migrated and reused: still no failed request.
    code, report = _run(capsys, "--data-dir", str(tmp_path))
    assert code == 0 and report["article_repeat_view"]["throughput"]["errors"] == 0, report
    assert "prerender_seconds" not in report  # its pages were kept

    # Pages stored by other code are never served: they are rendered again.
    (tmp_path / "pages.txt").write_text("older-code")
    code, report = _run(capsys, "--data-dir", str(tmp_path))
    assert code == 0 and report["prerender_seconds"] > 0, report

    # One made with other options is refused rather than measured.
    with pytest.raises(SystemExit, match="other options"):
        web.main([*_FAST, "--articles", "61", "--data-dir", str(tmp_path)])

    # A kept list of articles the database no longer holds stops the run at once.
    for name in ("tidings.sqlite3", "tidings.sqlite3-wal", "tidings.sqlite3-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    code, report = _run(capsys, "--data-dir", str(tmp_path))
    assert code == 1 and report == {}


def test_code_digest_follows_code_and_templates_only(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "page.html"
    page.write_text("<p>{{ article.title }}</p>")
    (tmp_path / "views.py").write_text("VIEW = 1\n")
    (tmp_path / "notes.txt").write_text("not code")
    before = web.code_digest(tmp_path)
    assert web.code_digest(tmp_path) == before  # the same files, the same digest
    (tmp_path / "notes.txt").write_text("still not code")
    assert web.code_digest(tmp_path) == before
    page.write_text("<h1>{{ article.title }}</h1>")
    template_changed = web.code_digest(tmp_path)
    assert template_changed != before
    (tmp_path / "views.py").write_text("VIEW = 2\n")
    assert web.code_digest(tmp_path) not in (before, template_changed)
