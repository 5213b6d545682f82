from __future__ import annotations

import json
from pathlib import Path

import pytest

from tidings.bench.ai import main, rouge_l, rouge_n

from .conftest import DATA


def test_rouge_on_a_known_pair() -> None:
    cand = ["the", "cat", "sat", "on", "the", "mat"]
    ref = ["the", "cat", "lay", "on", "the", "mat"]
    assert rouge_n(cand, ref, 1)[2] == pytest.approx(5 / 6)
    assert rouge_n(cand, ref, 2)[2] == pytest.approx(3 / 5)
    assert rouge_l(cand, ref)[2] == pytest.approx(5 / 6)


def test_bench_reports_ask_figures_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--events", str(tmp_path / "absent.jsonl"), "--qa", str(DATA), "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert "summary" not in report
    assert report["ask"]["answerable"] == 36 and report["ask"]["unanswerable"] == 10
    assert 0.85 <= report["ask"]["exact_span_hit_rate"] <= 1.0


def test_bench_without_inputs_fails(tmp_path: Path) -> None:
    assert main(["--events", str(tmp_path / "x"), "--qa", str(tmp_path)]) == 2
