"""Background jobs, through Django's Tasks framework (django-tasks backport).

The queue only carries hints: each job re-reads the database state it works
on (feed lease, pending entries, pending assignments), so a lost or repeated
job costs time, never an article. Any Tasks backend can carry them: the
database backend on the embedded default, a shared queue at scale.
"""

from __future__ import annotations

from django_tasks import task

from tidings.news import assign, pipeline
from tidings.news.worker_id import current_worker_id


@task()
def poll_feed(feed_id: int) -> int:
    new = pipeline.poll_feed(feed_id)
    if new:
        process_entries.enqueue()
    return new


@task()
def process_entries() -> int:
    """Drain pending entries (several workers can drain in parallel)."""
    worker = current_worker_id()
    done = 0
    while True:
        batch = pipeline.claim_entries(worker)
        if not batch:
            break
        for entry in batch:
            pipeline.process_entry(entry)
            done += 1
    if done:
        assign_stories.enqueue()
    return done


@task(queue_name="stories")
def assign_stories() -> int:
    return assign.assign_pending(current_worker_id())
