"""Run the ``tidings`` command in child processes against a data directory or database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tidings.core.opml import Outline, write_opml

ROOT = Path(__file__).resolve().parents[2]


def product_env(data_dir: Path, database_url: str = "", **extra: str) -> dict[str, str]:
    """The product's settings for a child process (no inherited TIDINGS_* value)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        {
            "TIDINGS_DATA_DIR": str(data_dir),
            "TIDINGS_DATABASE_URL": database_url,
            "TIDINGS_DEMO": "false",
            "TIDINGS_STARTER_FEEDS": "false",
            "TIDINGS_ALLOW_HOSTS": "127.0.0.1",
            "TIDINGS_PER_HOST_DELAY": "0",
            "TIDINGS_PER_HOST_CONCURRENCY": "8",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        }
    )
    env.update(extra)
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tidings.cli", *args]


def run(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        command(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"tidings {' '.join(args)}: {proc.stdout}\n{proc.stderr}"
    return proc


def start(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command(*args),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def subscribe(env: dict[str, str], feed_urls: Sequence[str], tmp: Path) -> None:
    """Subscribe through an OPML import (one child process for every feed)."""
    opml = tmp / "subscriptions.opml"
    opml.write_bytes(
        write_opml([Outline(title=u, xml_url=u, html_url=None, category=None) for u in feed_urls])
    )
    run(env, "import-opml", str(opml))


def inspect(env: dict[str, str]) -> dict[str, Any]:
    """Articles, entries and feeds as stored (read by a child process)."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.ingest._inspect"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "tidings.web.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database next to ``TIDINGS_DATABASE_URL``'s; dropped afterwards."""
    import psycopg

    base = os.environ["TIDINGS_DATABASE_URL"]
    name = f"tidings_ingest_{uuid.uuid4().hex[:12]}"
    admin = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=pytest.mark.skipif(
            not os.environ.get("TIDINGS_DATABASE_URL", "").startswith("postgres"),
            reason="TIDINGS_DATABASE_URL does not name a PostgreSQL server",
        ),
    ),
]
