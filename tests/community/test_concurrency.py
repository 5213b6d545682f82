"""No comment is lost while ingestion writes to the same SQLite database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_comments_survive_concurrent_ingestion(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tidings.web.settings",
            "TIDINGS_DATA_DIR": str(tmp_path),  # file-based SQLite with the product's pragmas
            "TIDINGS_DEMO": "false",
            "TIDINGS_STARTER_FEEDS": "false",
            "TIDINGS_EMAIL_URL": "locmem:",
            "TIDINGS_ALLOWED_HOSTS": "testserver",
            "TIDINGS_COMMENT_HOLD_FIRST": "0",
            "TIDINGS_NEW_ACCOUNT_DAILY_COMMENTS": "1000",
            "TIDINGS_COMMENT_RATE_LIMIT": "1000/60",
            "TIDINGS_COMMENT_IP_RATE_LIMIT": "1000/60",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        }
    )
    proc = subprocess.run(
        [sys.executable, "-m", "tests.community._concurrent_posting", "8", "15"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    assert figures["stored"] == figures["expected"] == 120
    assert figures["statuses"] == [302]
    assert figures["articles_written"] > 0
    assert (tmp_path / "tidings.sqlite3").exists()


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the SQLite test database is in memory, one connection (the product's own takes "
    "one writer at a time: BEGIN IMMEDIATE)",
)
@pytest.mark.django_db(transaction=True)
def test_a_comment_sent_twice_at_the_same_moment_is_stored_once(monkeypatch, article):
    """Two requests of one form, together: the second sees the first (the reader's posts
    are taken one at a time), however long the first takes between its check and its
    insert."""
    import threading
    import time

    from tidings.community import services
    from tidings.community.models import Comment

    from .conftest import make_user

    reader = make_user("Twice")
    looked = services._just_posted

    def slow_look(*args, **kwargs):
        found = looked(*args, **kwargs)
        time.sleep(0.3)  # the window a double click falls into
        return found

    monkeypatch.setattr(services, "_just_posted", slow_look)
    start = threading.Barrier(2)
    stored: list[int] = []

    def send() -> None:
        try:
            start.wait()
            comment = services.post(
                author=reader, target=article, body="Sent twice at once.", ip="10.0.0.1"
            )
            stored.append(comment.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(stored) == 2 and stored[0] == stored[1]
    assert Comment.objects.count() == 1
