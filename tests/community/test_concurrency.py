"""No comment is lost while ingestion writes to the same SQLite database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
