"""The WAL-index header as the page-key memo's change signal (``site._walversion``)."""

from __future__ import annotations

import gc
import sqlite3
import subprocess
import sys
from pathlib import Path

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


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A database in WAL mode, with a table to write to."""
    db_path = tmp_path / "site.sqlite3"
    with sqlite3.connect(db_path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    return db_path


def test_a_commit_by_another_process_moves_the_header(path: Path) -> None:
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
    path: Path,
) -> None:
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
    asked: list[str] = []
    reader.connection.set_trace_callback(asked.append)
    assert _walversion.header(reader) is None
    assert asked == []  # known for this connection: SQLite is not asked again
    memory = _Wrapper(Path(":memory:"))
    assert _walversion.header(memory) is None


def test_a_new_connection_maps_the_file_again_only_when_it_is_a_new_file(
    path: Path,
) -> None:
    reader = _Wrapper(path)
    assert _walversion.header(reader) is not None
    shm = str(path) + "-shm"
    first_map = _walversion._SHM[shm][1]
    reader.connect()  # the same file, still open: the same mapping, never closed
    assert _walversion.header(reader) is not None
    assert _walversion._SHM[shm][1] is first_map and not first_map.closed
    # Every connection closed: SQLite removes the file; the next one makes another.
    reader.connection.close()
    gc.collect()  # the connections replaced above are closed when collected
    assert not Path(shm).exists()
    reader.connect()
    before = _walversion.header(reader)
    assert before is not None and _walversion._SHM[shm][1] is not first_map
    sqlite3.connect(path, isolation_level=None).execute("INSERT INTO note (body) VALUES ('x')")
    assert _walversion.header(reader) not in (None, before)


_DMS_PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 128)
    print("free")
except OSError:
    print("held")
"""


def test_reading_the_header_keeps_sqlites_locks(path: Path) -> None:
    """SQLite's locks on the -shm file belong to the process: closing any descriptor of
    the file would drop them, and another process would then take the index for unused
    (rebuild it, or checkpoint past our readers)."""
    reader = _Wrapper(path)
    other = _Wrapper(path)
    other.connection.execute("BEGIN")
    seen = other.connection.execute("SELECT count(*) FROM note").fetchone()
    for _ in range(3):
        assert _walversion.header(reader) is not None
        reader.connect()  # a connection replaced: the file is looked at again
    probe = [sys.executable, "-c", _DMS_PROBE, str(path) + "-shm"]
    # SQLite's "in use" lock (byte 128 of the -shm file) is still held by this process.
    assert subprocess.run(probe, capture_output=True, text=True, check=True).stdout == "held\n"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("INSERT INTO note (body) VALUES ('later')")
    busy = writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    assert busy == 1  # the open read transaction still holds its snapshot
    assert other.connection.execute("SELECT count(*) FROM note").fetchone() == seen


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(bytes(48) + bytes(48), id="not-initialised"),
        pytest.param(b"\x01" * 48 + b"\x02" * 48, id="copies-differ"),
    ],
)
def test_a_header_that_cannot_be_trusted_is_none(
    path: Path, monkeypatch: pytest.MonkeyPatch, header: bytes
) -> None:
    """Two copies that differ (a commit writing them as we read) or a header not yet
    written: the caller asks SQLite instead."""

    class _Fixed(bytes):
        def close(self) -> None:
            pass

    reader = _Wrapper(path)
    assert _walversion.header(reader) is not None
    shm = str(path) + "-shm"
    monkeypatch.setitem(_walversion._SHM, shm, (_walversion._SHM[shm][0], _Fixed(header)))
    assert _walversion.header(reader) is None
