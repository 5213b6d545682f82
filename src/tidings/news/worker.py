"""The worker loop: schedule due feeds, recover orphaned work, run queued jobs."""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections, transaction
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker as DBWorker
from django_tasks_db.models import DBTaskResult

from tidings.news import assign, pipeline, tasks
from tidings.news.models import Article, Feed
from tidings.news.signals import worker_idle
from tidings.news.worker_id import current_worker_id, heartbeat, reap_dead, unregister

log = logging.getLogger("tidings.worker")


def schedule(*, force: bool = False) -> int:
    """Enqueue a poll for every due feed, and a drain job when work is orphaned."""
    release_orphaned_feed_leases()
    # Lease and job are committed together, so a feed is never seen leased without its job.
    with transaction.atomic():
        leased = pipeline.lease_due_feeds(force=force)
        for feed_id in leased:
            tasks.poll_feed.enqueue(feed_id)
    if pipeline.has_claimable_entries() and not _queued("process_entries"):
        tasks.process_entries.enqueue()
    if Article.objects.filter(story_state=Article.StoryState.PENDING).exists() and not _queued(
        "assign_stories"
    ):
        tasks.assign_stories.enqueue()
    elif Article.objects.filter(related_stale=True).exists() and not _queued("refresh_related"):
        tasks.refresh_related.enqueue()
    return len(leased)


def release_orphaned_feed_leases() -> int:
    """Free the feeds whose poll job died with its worker (SIGKILL, power cut).

    A feed stays leased while its poll job is queued or running in a live
    worker; a job left "running" by a dead worker would otherwise hold the
    feed until the lease expires, and ``poll --once`` would finish without it.
    """
    leased = dict(
        Feed.objects.filter(polling_since__isnull=False).values_list("id", "polling_since")
    )
    if not leased:
        return 0
    live = set(pipeline.live_worker_ids())
    held: set[int] = set()
    jobs = DBTaskResult.objects.filter(
        task_path__endswith=".poll_feed",
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    ).values_list("status", "worker_ids", "args_kwargs")
    for status, worker_ids, args_kwargs in jobs:
        if status == TaskResultStatus.READY or (worker_ids and worker_ids[-1] in live):
            held.update(a for a in args_kwargs.get("args", []) if isinstance(a, int))
    released = 0
    for feed_id, since in leased.items():
        if feed_id not in held:
            # Compare-and-set: a lease renewed meanwhile is left alone.
            released += Feed.objects.filter(pk=feed_id, polling_since=since).update(
                polling_since=None
            )
    if released:
        log.info("released %d feed leases held by dead workers", released)
    return released


def _queued(task_name: str) -> bool:
    return DBTaskResult.objects.ready().filter(task_path__endswith=f".{task_name}").exists()


def run_queued(max_tasks: int | None = None) -> None:
    """Run ready jobs from the database queue until none is left."""
    DBWorker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=current_worker_id()[:64],
        excluded_queue_names=[],
    ).run()


def idle() -> bool:
    return (
        not DBTaskResult.objects.ready().exists()
        and not pipeline.has_claimable_entries()
        and not Article.objects.filter(story_state=Article.StoryState.PENDING).exists()
        and not Article.objects.filter(related_stale=True).exists()
    )


def poll_once() -> None:
    """Poll every feed now and process all resulting work, then return."""
    current_worker_id()
    reap_dead()
    schedule(force=True)
    rounds = 0
    while True:
        run_queued()
        schedule()
        if idle():
            break
        rounds += 1
        if rounds > 10000:  # pragma: no cover - defensive
            break
        # Entries held by another live worker: wait for them rather than spin.
        time.sleep(0.2)


RESCORE_EVERY = 600.0  # seconds between re-rankings of recent stories
IDLE_BUDGET = 1.5  # seconds of idle-time work (page pre-rendering) per tick


def run_forever(stop: threading.Event, *, tick: float = 2.0) -> None:
    current_worker_id()
    log.info("worker %s started", current_worker_id())
    last_rescore = 0.0
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                heartbeat()
                reap_dead()
                schedule()
                run_queued(max_tasks=100)
                if time.monotonic() - last_rescore > RESCORE_EVERY:
                    assign.rescore_recent()
                    last_rescore = time.monotonic()
                if idle():
                    # Spare time: the site pre-renders the pages of changed articles.
                    worker_idle.send(sender=run_forever, budget=IDLE_BUDGET)
            except Exception:
                log.exception("worker tick failed")
            stop.wait(tick)
    finally:
        try:
            unregister()
        finally:
            close_old_connections()
