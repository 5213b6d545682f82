"""Fixtures shared by every test."""

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_heartbeats() -> None:
    """A worker registers again in every test (each test starts with an empty table)."""
    from tidings.news import worker_id

    worker_id._last_beat.clear()


@pytest.fixture(autouse=True)
def _fresh_page_store() -> Iterator[None]:
    """Rendered pages never carry over from one test to the next."""
    from django.core.cache import caches

    caches["pages"].clear()
    yield
    caches["pages"].clear()
