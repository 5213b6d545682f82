"""Identity and liveness of worker processes."""

from __future__ import annotations

import math
import os
import socket
import time
import uuid
from datetime import timedelta

from django.utils import timezone

from tidings.news.models import WorkerProcess

HEARTBEAT_STALE = timedelta(seconds=60)

_worker_id: str | None = None


def current_worker_id() -> str:
    """This process's worker id (registered on first use)."""
    global _worker_id
    if _worker_id is None or _pid_changed():
        _worker_id = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        register(_worker_id)
    return _worker_id


_registered_pid = os.getpid()


def _pid_changed() -> bool:
    global _registered_pid
    if _registered_pid != os.getpid():
        _registered_pid = os.getpid()
        return True
    return False


def register(worker_id: str) -> None:
    reap_dead()
    WorkerProcess.objects.update_or_create(
        id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "heartbeat_at": timezone.now(),
        },
    )


_last_beat: dict[str, float] = {}


def heartbeat(worker_id: str | None = None, *, unless_within: float = 0.0) -> None:
    """Tell other workers this one is alive (re-registering if it was reaped meanwhile);
    nothing when this process sent one less than ``unless_within`` seconds ago."""
    wid = worker_id or current_worker_id()
    if time.monotonic() - _last_beat.get(wid, -math.inf) < unless_within:
        return
    if not WorkerProcess.objects.filter(id=wid).update(heartbeat_at=timezone.now()):
        # Reaped while busy (a long job without a heartbeat) or the table was reset:
        # come back, or our own claims would look like a dead worker's.
        register(wid)
    _last_beat[wid] = time.monotonic()


def unregister() -> None:
    global _worker_id
    if _worker_id is not None:
        WorkerProcess.objects.filter(id=_worker_id).delete()
        _worker_id = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_dead() -> int:
    """Forget workers that stopped heart-beating, or whose process on this host is gone."""
    now = timezone.now()
    dead = list(
        WorkerProcess.objects.filter(heartbeat_at__lt=now - HEARTBEAT_STALE).values_list(
            "id", flat=True
        )
    )
    host = socket.gethostname()[:255]
    for wid, pid in WorkerProcess.objects.filter(hostname=host).values_list("id", "pid"):
        if pid != os.getpid() and not _alive(pid):
            dead.append(wid)
    if dead:
        WorkerProcess.objects.filter(id__in=dead).delete()
    return len(dead)
