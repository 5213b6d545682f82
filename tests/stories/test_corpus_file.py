"""A corpus file that is not one article record per line gets a clear error naming the
line, never a traceback or a silently merged record."""

from __future__ import annotations

from pathlib import Path

import pytest

from tidings.cli import main
from tidings.core.errors import CorpusError
from tidings.core.stories.train import load_jsonl

GOOD = '{"id": "a1", "event": "e", "title": "Sample: ferry timetable", "text": "Sample content."}'


@pytest.mark.parametrize(
    ("lines", "code", "where"),
    [
        ([GOOD, "not json"], "corpus_bad_line", "line 2 is not JSON"),
        ([GOOD, "", "[1, 2]"], "corpus_bad_record", "line 3 is not a record with an id"),
        ([GOOD, '{"title": "no id"}'], "corpus_bad_record", "line 2"),
        ([GOOD, '{"id": "", "text": "x"}'], "corpus_bad_record", "line 2"),
        (
            [GOOD, GOOD.replace("ferry", "harbour")],
            "corpus_duplicate_id",
            "line 2 repeats the id 'a1' of line 1",
        ),
    ],
)
def test_bad_lines_are_named(tmp_path: Path, lines: list[str], code: str, where: str) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        load_jsonl(path)
    assert caught.value.code == code
    assert where in caught.value.message


def test_blank_lines_and_number_ids_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text(f"\n{GOOD}\n\n" + GOOD.replace('"a1"', "7") + "\n", encoding="utf-8")
    assert [str(row["id"]) for row in load_jsonl(path)] == ["a1", "7"]


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(CorpusError) as caught:
        load_jsonl(tmp_path / "missing.jsonl")
    assert caught.value.code == "corpus_unreadable"
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe{}\n")
    with pytest.raises(CorpusError) as caught:
        load_jsonl(binary)
    assert caught.value.code == "corpus_unreadable"


def test_the_bench_command_says_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text(f"{GOOD}\n{GOOD}\n", encoding="utf-8")
    assert main(["bench", "stories", str(path), "--json"]) != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "line 2 repeats the id 'a1' of line 1 [corpus_duplicate_id]" in captured.err
    assert "Traceback" not in captured.err


def test_the_training_command_says_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tidings.core.stories.train import main as train_main

    path = tmp_path / "corpus.jsonl"
    path.write_text(f"{GOOD}\nnot json\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:
        train_main([str(path), "--cv"])
    assert stopped.value.code == 2
    assert "line 2 is not JSON (Expecting value) [corpus_bad_line]" in capsys.readouterr().err
