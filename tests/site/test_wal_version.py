"""The WAL-index header as the page-key memo's change signal (``site._walversion``)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tidings.site import _walversion


class _Wrapper:
    """What ``header`` reads of a Django SQLite connection."""

    def __init__(self, path: Path) -> None:
        self.settings_dict = {"NAME": path}
        self.connection = self.connect()

    def connect(self) -> sqlite3.Connection:
        raw = sqlite3.connect(self.settings_dict["NAME"], isolation_level=None)
        self.connection = raw
        return raw


def _wal_db(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")


def test_a_commit_by_another_process_moves_the_header(tmp_path: Path) -> None:
    path = tmp_path / "site.sqlite3"
    _wal_db(path)
    reader = _Wrapper(path)
    before = _walversion.header(reader)
    assert before is not None and len(before) == 48
    assert _walversion.header(reader) == before  # nothing committed: the same
    writer = f"import sqlite3; sqlite3.connect({str(path)!r}, isolation_level=None)" + (
        ".execute(\"INSERT INTO note (body) VALUES ('sample')\")"
    )
    subprocess.run([sys.executable, "-c", writer], check=True)
    after = _walversion.header(reader)
    assert after is not None and after != before
    # and stays put again until the next commit
    assert _walversion.header(reader) == after


def test_a_commit_by_another_connection_of_this_process_moves_the_header(
    tmp_path: Path,
) -> None:
    path = tmp_path / "site.sqlite3"
    _wal_db(path)
    reader = _Wrapper(path)
    seen = [_walversion.header(reader)]
    other = sqlite3.connect(path, isolation_level=None)
    for n in range(3):
        other.execute("INSERT INTO note (body) VALUES (?)", (f"sample {n}",))
        seen.append(_walversion.header(reader))
    assert None not in seen and len(set(seen)) == 4
    other.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the WAL starts again
    other.execute("INSERT INTO note (body) VALUES ('after the checkpoint')")
    assert _walversion.header(reader) not in seen


def test_another_journal_mode_has_no_header(tmp_path: Path) -> None:
    path = tmp_path / "site.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE note (id INTEGER PRIMARY KEY)")
    reader = _Wrapper(path)
    assert _walversion.header(reader) is None
    assert _walversion.header(reader) is None  # known: not asked again
    memory = _Wrapper(Path(":memory:"))
    assert _walversion.header(memory) is None


def test_a_new_connection_is_mapped_again(tmp_path: Path) -> None:
    path = tmp_path / "site.sqlite3"
    _wal_db(path)
    reader = _Wrapper(path)
    assert _walversion.header(reader) is not None
    first_map = _walversion._MAPS[reader][1]
    reader.connection.close()
    reader.connect()
    assert _walversion.header(reader) is not None
    assert _walversion._MAPS[reader][1] is not first_map
    assert first_map is not None and first_map.closed


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(bytes(48) + bytes(48), id="not-initialised"),
        pytest.param(b"\x01" * 48 + b"\x02" * 48, id="copies-differ"),
    ],
)
def test_a_header_that_cannot_be_trusted_is_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, header: bytes
) -> None:
    """Two copies that differ (a commit writing them as we read) or a header not yet
    written: the caller asks SQLite instead."""
    path = tmp_path / "site.sqlite3"
    _wal_db(path)

    class _Fixed(bytes):
        def close(self) -> None:
            pass

    def fixed(_path: str) -> Any:
        return _Fixed(header)

    monkeypatch.setattr(_walversion, "_map", fixed)
    assert _walversion.header(_Wrapper(path)) is None
