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

The mapping stays true while any connection has the database open (SQLite removes
the ``-shm`` file only when the last one closes); this process's connection is open
whenever it asks. Where the header cannot be read -- no ``-shm`` file yet, another
journal mode, two copies that differ mid-write -- :func:`header` answers None and the
caller asks SQLite.
"""

from __future__ import annotations

import mmap
import os
import weakref
from typing import Any

# Two copies of the 48-byte WalIndexHdr.
_HEADER = 48

# By Django connection: the SQLite connection it had when it was mapped, and the
# mapping (None: that connection's database is not in WAL mode).
_MAPS: weakref.WeakKeyDictionary[Any, tuple[Any, mmap.mmap | None]] = weakref.WeakKeyDictionary()


def header(connection: Any) -> bytes | None:
    """The WAL-index header of the database that ``connection`` (a Django SQLite
    connection, connected) has open; None when it cannot be read."""
    raw = connection.connection
    known = _MAPS.get(connection)
    if known is None or known[0] is not raw:
        if known is not None and known[1] is not None:
            known[1].close()
        if raw.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            _MAPS[connection] = (raw, None)
            return None
        # A read first: the connection then holds the -shm file open (and SQLite keeps
        # it) before it is mapped here, so the mapping is of the file it shares.
        raw.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        if (mapped := _map(str(connection.settings_dict["NAME"]))) is None:
            return None  # not made yet: tried again next time
        known = _MAPS[connection] = (raw, mapped)
    if known[1] is None:
        return None
    both = known[1][: 2 * _HEADER]
    first = both[:_HEADER]
    if first != both[_HEADER:] or first[12] == 0:  # mid-write, or not initialised
        return None
    return first


def _map(path: str) -> mmap.mmap | None:
    try:
        fd = os.open(path + "-shm", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if os.fstat(fd).st_size < 2 * _HEADER:
            return None
        return mmap.mmap(fd, 2 * _HEADER, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
