"""Background jobs, through Django's Tasks framework (django-tasks backport).

The queue only carries hints: each job re-reads the database state it works
on (feed lease, pending entries, pending assignments), so a lost or repeated
job costs time, never an article. Any Tasks backend can carry them: the
database backend on the embedded default, a shared queue at scale.
"""

from __future__ import annotations

import logging
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

from django_tasks import task

from tidings.core.extract import PAGES_AT_ONCE
from tidings.news import assign, pipeline
from tidings.news.models import Entry
from tidings.news.worker_id import current_worker_id

log = logging.getLogger("tidings.ingest")


@task()
def poll_feed(feed_id: int) -> int:
    new = pipeline.poll_feed(feed_id)
    if new:
        process_entries.enqueue()
    return new


#: Threads fetching and extracting pages ahead of the one being stored (no database
#: access): one per page the extraction process holds at once, so it always has the next.
#: Also with several workers on a machine's cores: bench ingest, 2 workers on 2 cores,
#: 4 interleaved pairs, 1 thread each 88-93 articles/s, 2 threads each 92-97.
DOWNLOAD_THREADS = PAGES_AT_ONCE
#: Stored articles between two turns of the story stage, run while pages are in flight.
ASSIGN_EVERY = 32
#: Downloaded pages stored in one write transaction: a claim's worth, so the database
#: lock is held for a few pages and two workers' writes still interleave. Pages come in
#: one at a time, about as fast as the extraction process goes: the storing thread waits
#: for a batch (with this many more claimed ahead), or nearly every batch would be one page.
STORE_BATCH = 8


@task()
def process_entries() -> int:
    """Drain pending entries (several workers can drain in parallel).

    Pages are fetched and extracted in helper threads, which touch no database, while this
    thread claims entries and stores the results in claim order: storing, fetching and
    extraction (in its own process) overlap instead of taking turns.
    """
    worker = current_worker_id()
    done = 0
    threads = DOWNLOAD_THREADS
    ahead: deque[tuple[Entry, Future[pipeline.Download]]] = deque()
    with ThreadPoolExecutor(threads, thread_name_prefix="tidings-download") as pool:
        try:
            while True:
                if len(ahead) < 2 * threads + STORE_BATCH:
                    claimed = pipeline.claim_entries(worker)
                    fresh = pipeline.skip_stored(claimed)
                    done += len(claimed) - len(fresh)
                    for entry in fresh:
                        ahead.append((entry, pool.submit(pipeline.download, entry)))
                if not ahead:
                    break
                # The next pages in claim order stored in one write transaction: up to
                # STORE_BATCH, waited for only while 2 per thread stay queued behind them
                # (the download threads never run dry), and those ready already.
                wanted = max(1, min(STORE_BATCH, len(ahead) - 2 * threads))
                ready: list[tuple[Entry, pipeline.Download]] = []
                while (
                    ahead
                    and len(ready) < STORE_BATCH
                    and (len(ready) < wanted or ahead[0][1].done())
                ):
                    entry, future = ahead.popleft()
                    ready.append((entry, future.result()))
                pipeline.finish_downloads(ready)
                before, done = done, done + len(ready)
                # Stories are assigned while pages are in flight, except during a backfill
                # (entries still waiting to be claimed): the story stage then visits the
                # whole batch in publication order at the end, which clusters far better
                # than outlet-by-outlet arrival (sample corpus: B-cubed 0.80 -> 0.87).
                if done // ASSIGN_EVERY > before // ASSIGN_EVERY and not (
                    pipeline.has_claimable_entries()
                ):
                    _assign_some(worker)
        finally:
            for _, future in ahead:
                future.cancel()
    if done:
        assign_stories.enqueue()
    return done


def _assign_some(worker: str) -> None:
    """Run the serialized story stage on what is stored so far, while downloads go on.

    Skipped at once when another worker holds the stage; a failure is left to the
    assign_stories job enqueued at the end.
    """
    try:
        assign.assign_pending(worker, limit=ASSIGN_EVERY)
    except Exception:
        log.exception("story assignment during ingestion failed; retried later")


@task(queue_name="stories")
def assign_stories() -> int:
    return assign.assign_pending(current_worker_id())


@task(queue_name="stories")
def refresh_related() -> int:
    """Recompute related cards of articles whose story gained coverage since."""
    return assign.refresh_stale_related(current_worker_id())
