"""Web writes and ingestion share one SQLite file: nobody sees "database is locked"."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tidings.core.simulator import SimCorpus, Simulator
from tidings.demo import load_corpus

from ._proc import ROOT, command, inspect, product_env, subscribe


@pytest.mark.slow
def test_web_writes_during_ingestion_never_see_a_locked_database(tmp_path: Path) -> None:
    stop = tmp_path / "stop"
    with Simulator(SimCorpus.from_demo()) as sim:
        env = product_env(tmp_path)  # file-based SQLite with the product's pragmas
        subscribe(env, sim.feed_urls(), tmp_path)
        writes = subprocess.Popen(
            [sys.executable, "-m", "tests.ingest._web_writes", str(stop), "3"],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "tidings.web.settings"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            time.sleep(1.0)
            ingest = subprocess.run(
                command("poll", "--once"),
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
        finally:
            stop.touch()
            out, err = writes.communicate(timeout=120)
        assert ingest.returncode == 0, ingest.stderr
        assert "OperationalError" not in ingest.stderr
        assert "database is locked" not in ingest.stderr
        assert writes.returncode == 0, err
        figures = json.loads(out.strip().splitlines()[-1])
        assert figures["errors"] == []
        assert figures["writes"] > 100, figures
        state = inspect(env)
        assert len(state["articles"]) == len(load_corpus().articles)
        assert Counter(e["state"] for e in state["entries"]) == {"done": len(state["entries"])}
