from __future__ import annotations

from collections.abc import Iterator

import pytest

from tidings.core.simulator import SimCorpus, Simulator


@pytest.fixture(scope="session")
def demo_sim() -> Iterator[Simulator]:
    with Simulator(SimCorpus.from_demo()) as sim:
        yield sim


@pytest.fixture
def sim(demo_sim: Simulator) -> Iterator[Simulator]:
    """The shared demo simulator, with faults and the request log reset around each test."""
    demo_sim.clear_faults()
    demo_sim.clear_log()
    yield demo_sim
    demo_sim.clear_faults()
