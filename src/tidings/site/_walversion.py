"""Whether a SQLite database in WAL mode changed, without a query.

``views._remembered`` keeps page keys for as long as nothing was committed to the
database. ``PRAGMA data_version`` says so, but it is a query: the driver lets the
interpreter lock go while SQLite runs it, and in the web server the event loop's
thread is waiting for that lock -- the hand-over and back cost far more than the query
(one 10k-article bench database, two servers side by side: repeat views 1,356 -> 1,586
requests/s with the header read instead).

In WAL mode every commit, by any connection of any process, rewrites the header of
the WAL index (the ``-shm`` file every connection maps): it holds a change counter,
the last frame written and the WAL's salt (https://www.sqlite.org/walformat.html,
"The WAL-Index Header"). The header is written twice, the second copy first; a
reader that finds the two copies equal has read a whole one. Reading it through a
mapping of our own is a memory read: the lock is kept.

SQLite locks the ``-shm`` file with POSIX ``fcntl`` locks, which belong to the process:
closing *any* descriptor of that file drops all of them (the DMS lock that says the
index is in use, the read marks of open transactions), and another process would
then rebuild the index or checkpoint past our readers
(https://www.sqlite.org/howtocorrupt.html, "Posix advisory locks canceled by a
separate thread doing close()"). So the file is opened and mapped once per process
and never closed (nor its mapping, which holds a descriptor of its own).

The file stays the same while any connection of this process has the database open:
SQLite removes it only when the last connection anywhere closes, and ours holds it
(a read first makes sure). When a thread's connection is replaced (it was closed),
the file is looked at again; a new one (the old one removed meanwhile) is mapped,
and the old mapping is kept, unused: closing it could only touch a removed file, but
is not worth the doubt. Where the header cannot be read -- no ``-shm`` file, another
journal mode, two copies that differ mid-write -- :func:`header` answers None and the
caller asks SQLite.
"""

from __future__ import annotations

import mmap
import os
import threading
import weakref
from typing import Any

# Two copies of the 48-byte WalIndexHdr.
_HEADER = 48

# By -shm path: the file's inode and its mapping, for the life of the process.
_SHM: dict[str, tuple[int, mmap.mmap]] = {}
# Descriptors and mappings of -shm files, never closed (see above).
_KEPT_OPEN: list[object] = []
_LOCK = threading.Lock()
# By Django connection: the SQLite connection last seen, and its -shm path (None: its
# database is not in WAL mode, or has no -shm file to map).
_SEEN: weakref.WeakKeyDictionary[Any, tuple[Any, str | None]] = weakref.WeakKeyDictionary()


def header(connection: Any) -> bytes | None:
    """The WAL-index header of the database that ``connection`` (a Django SQLite
    connection, connected) has open; None when it cannot be read."""
    raw = connection.connection
    seen = _SEEN.get(connection)
    if seen is None or seen[0] is not raw:
        seen = _SEEN[connection] = (raw, _look(raw, str(connection.settings_dict["NAME"])))
    if seen[1] is None:
        return None
    mapped = _SHM[seen[1]][1]
    both = mapped[: 2 * _HEADER]
    first = both[:_HEADER]
    if first != both[_HEADER:] or first[12] == 0:  # mid-write, or not initialised
        return None
    return first


def _look(raw: Any, name: str) -> str | None:
    """The -shm path of a new SQLite connection's database, mapped (None: no header)."""
    if raw.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        return None
    # A read first: the connection then holds the -shm file open and locked (and
    # SQLite keeps it) before it is looked at here.
    raw.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    path = name + "-shm"
    with _LOCK:
        try:
            inode = os.stat(path).st_ino
        except OSError:
            return None
        known = _SHM.get(path)
        if known is not None and known[0] == inode:
            return path
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        _KEPT_OPEN.append(fd)  # never closed: see the module's note
        try:
            if os.fstat(fd).st_ino != inode or os.fstat(fd).st_size < 2 * _HEADER:
                return None
            mapped = mmap.mmap(fd, 2 * _HEADER, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            return None
        _KEPT_OPEN.append(mapped)
        _SHM[path] = (inode, mapped)
        return path
