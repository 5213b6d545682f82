"""How many pages a worker fetches and extracts at once, given the cores it shares."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from tidings.news import tasks
from tidings.news.models import WorkerProcess

pytestmark = pytest.mark.django_db


def _workers(n: int, host: str | None = None, *, stale: bool = False) -> None:
    beat = timezone.now() - (timedelta(hours=1) if stale else timedelta(0))
    for i in range(n):
        WorkerProcess.objects.create(
            id=f"{host or 'here'}-{i}-{stale}",
            hostname=(host or socket.gethostname())[:255],
            pid=1000 + i,
            heartbeat_at=beat,
        )


@pytest.mark.parametrize(
    ("cores", "here", "expected"),
    [(2, 1, 2), (2, 2, 1), (1, 1, 1), (8, 2, 2), (4, 3, 1), (2, 0, 2)],
)
def test_threads_follow_the_cores_each_worker_of_this_machine_has(
    monkeypatch: pytest.MonkeyPatch, cores: int, here: int, expected: int
) -> None:
    monkeypatch.setattr(tasks.os, "cpu_count", lambda: cores)
    _workers(here)
    _workers(3, host="another-machine")  # other machines' workers use their own cores
    _workers(2, stale=True)  # dead workers use none
    assert tasks.download_threads() == expected
