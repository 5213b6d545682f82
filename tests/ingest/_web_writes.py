"""Web-like writes (sign-ups, sessions, new sources) in short transactions until told to stop.

Run with the product's settings on the data directory a worker is ingesting into;
prints one JSON line: writes made, errors seen (each "database is locked" is one).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import django


@dataclass
class Figures:
    writes: int = 0
    errors: list[str] = field(default_factory=list)
    slowest_ms: float = 0.0


def main(stop_file: str, threads: int) -> int:
    django.setup()
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import OperationalError, connection, transaction

    from tidings.news.models import Source

    stop = Path(stop_file)
    lock = threading.Lock()
    figures = Figures()

    def writer(n: int) -> None:
        i = 0
        try:
            while not stop.exists():
                i += 1
                started = time.perf_counter()
                try:
                    with transaction.atomic():
                        user = User.objects.create_user(f"reader-{n}-{i}", f"r{n}.{i}@example.test")
                        user.last_login = None
                        user.save(update_fields=["last_login"])
                    session = SessionStore()
                    session["reader"] = user.pk
                    session.create()
                    with transaction.atomic():
                        Source.objects.create(
                            slug=f"sample-outlet-{n}-{i}", name=f"Sample outlet {n}-{i}"
                        )
                except OperationalError as exc:
                    with lock:
                        figures.errors.append(repr(exc))
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    figures.writes += 3
                    figures.slowest_ms = max(figures.slowest_ms, round(elapsed, 1))
                time.sleep(0.01)
        finally:
            connection.close()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    print(json.dumps(asdict(figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
