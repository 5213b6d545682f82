"""SIGKILL the worker at random moments: after a restart nothing is lost and nothing doubled."""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from tidings.core.simulator import Fault, SimCorpus, Simulator
from tidings.demo import load_corpus

from ._proc import inspect, product_env, run, start, subscribe


def check_complete(state: dict, sim: Simulator) -> None:
    corpus = load_corpus()
    expected = {sim.article_url(a.outlet, a.slug) for a in corpus.articles}
    urls = Counter(a["canonical_url"] for a in state["articles"])
    assert set(urls) == expected, "every article stored"
    assert max(urls.values()) == 1, "no article stored twice"
    assert len(state["entries"]) == len(corpus.articles), "one entry per feed item, none lost"
    states = Counter(e["state"] for e in state["entries"])
    assert states == {"done": len(corpus.articles)}, states
    assert all(e["article_id"] for e in state["entries"])
    assert all(a["text"] for a in state["articles"])
    folded = sum(len(g) - 1 for g in corpus.syndicated_groups().values())
    assert sum(1 for a in state["articles"] if a["duplicate_of_id"]) == folded
    assert all(not f["last_error_code"] and f["polling_since"] is None for f in state["feeds"])


@pytest.mark.slow
def test_sigkill_during_ingestion_loses_nothing(tmp_path: Path, database_url: str) -> None:
    seed = int(os.environ.get("TIDINGS_TEST_SEED", time.time_ns() % 10**6))
    rng = random.Random(seed)
    with Simulator(SimCorpus.from_demo()) as sim:
        # Pages answer slowly, so a kill lands while feeds, pages or stories are in flight.
        sim.set_fault("/*/*/*", Fault.slow(0.12))
        env = product_env(tmp_path, database_url)
        subscribe(env, sim.feed_urls(), tmp_path)
        kills = []
        for round_ in range(5):
            # Alternate the one-shot poll and the long-running worker.
            args = ("worker",) if round_ % 2 else ("poll", "--once")
            proc = start(env, *args)
            delay = rng.uniform(1.5, 9.0)
            time.sleep(delay)
            finished = proc.poll() is not None
            if not finished:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            kills.append((args[0], round(delay, 2), "finished" if finished else "killed"))
        assert any(k[2] == "killed" for k in kills), kills
        run(env, "poll", "--once", timeout=600)
        state = inspect(env)
        try:
            check_complete(state, sim)
        except AssertionError as exc:
            raise AssertionError(f"seed={seed} kills={kills}: {exc}") from exc


@pytest.mark.slow
def test_sigkill_during_a_feed_poll_frees_the_feed(tmp_path: Path, database_url: str) -> None:
    """A feed whose poll job died with the worker is polled again by the next run."""
    with Simulator(SimCorpus.from_demo()) as sim:
        env = product_env(tmp_path, database_url)
        subscribe(env, sim.feed_urls(), tmp_path)
        sim.set_fault("/*/feed.rss", Fault.slow(1.0))
        proc = start(env, "poll", "--once")
        deadline = time.monotonic() + 60
        # Kill once a feed poll is in flight (the simulator has seen its request).
        while not any(r.path.endswith("feed.rss") for r in sim.request_log):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert any(f["polling_since"] for f in inspect(env)["feeds"])
        sim.clear_faults()
        run(env, "poll", "--once", timeout=600)
        check_complete(inspect(env), sim)
