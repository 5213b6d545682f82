"""Story maintenance commands."""

from __future__ import annotations

from tidings.news import assign
from tidings.news.worker_id import current_worker_id, unregister


def recluster() -> int:
    """Rebuild every story deterministically from the stored articles' arrival order."""
    try:
        return assign.recluster(current_worker_id())
    finally:
        unregister()
