"""Change notices from PostgreSQL, for the page-key memo of ``views._remembered``.

On SQLite a request asks ``PRAGMA data_version`` whether anything was committed since
it last read a page key. PostgreSQL has no such counter, so every logged-out view of
an article paid a round trip for its key. Instead, the tables a page key is made of
send a notice on every statement that changes them (a statement-level trigger calling
``pg_notify``; notices of one transaction are delivered once, at commit), and each web
process listens on one connection of its own, in a thread: every notice moves
:attr:`Changes.version`. While the version stays put and the listener is connected,
the keys a process read are still true.

A notice arrives a moment after the commit that sent it (on a quiet loopback, well
under a millisecond): a page key may be that much older than the database, never
older than the last notice. A lost connection moves the version and stops the memo
until the listener is back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterable

from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

CHANNEL = "tidings_page_keys"
FUNCTION = "tidings_page_keys_changed"
TRIGGER = "tidings_page_keys_changed"
RETRY_SECONDS = 2.0

log = logging.getLogger("tidings.site")


def install(conn: BaseDatabaseWrapper, tables: Iterable[str]) -> None:
    """The notice function and one statement-level trigger per table (idempotent: a
    trigger already in place is left alone)."""
    quote = conn.ops.quote_name
    with conn.cursor() as cur:
        cur.execute(
            f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN PERFORM pg_notify('{CHANNEL}', ''); RETURN NULL; END $$"
        )
        cur.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname = %s",
            [TRIGGER],
        )
        present = {row[0] for row in cur.fetchall()}
        for table in tables:
            if table in present:
                continue
            cur.execute(
                f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {quote(table)} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            )


class Changes:
    """This process's listener for one database alias."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.version = 0
        self.live = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._listen, name=f"tidings-changes-{alias}", daemon=True
        )
        self._thread.start()

    def stop(self, wait: float = 0.0) -> None:
        """Stop listening; ``wait``: seconds to wait for the connection to close."""
        self._stop.set()
        if wait:
            self._thread.join(wait)

    def _listen(self) -> None:
        import psycopg  # only a PostgreSQL site listens

        while not self._stop.is_set():
            # A connection of its own, made from the alias's settings in this thread.
            wrapper = connections[self.alias].copy()
            try:
                wrapper.ensure_connection()
                wrapper.set_autocommit(True)
                raw = wrapper.connection
                raw.execute(f"LISTEN {CHANNEL}")
                self.version += 1  # what was read before listening may be stale
                self.live = True
                while not self._stop.is_set():
                    for _ in raw.notifies(timeout=1.0):
                        self.version += 1
            except (DatabaseError, psycopg.Error) as exc:  # no memo until back
                log.warning("page-key change notices stopped: %s", exc)
            finally:
                self.live = False
                self.version += 1
                with contextlib.suppress(DatabaseError, psycopg.Error):
                    wrapper.close()
            self._stop.wait(RETRY_SECONDS)


_listeners: dict[str, Changes] = {}
_lock = threading.Lock()


def changes(alias: str) -> Changes:
    """The listener of ``alias`` in this process, started on first use."""
    found = _listeners.get(alias)
    if found is None:
        with _lock:
            found = _listeners.get(alias)
            if found is None:
                found = _listeners[alias] = Changes(alias)
    return found


def stop_all(wait: float = 0.0) -> None:
    """Stop every listener of this process (before its database is dropped, say)."""
    with _lock:
        listeners = list(_listeners.values())
        _listeners.clear()
    for listener in listeners:
        listener.stop(wait)


def _forked() -> None:
    # A child has none of its parent's threads: it starts listeners of its own.
    _listeners.clear()


os.register_at_fork(after_in_child=_forked)
