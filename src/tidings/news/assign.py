"""The serialized stage after extraction: near-duplicate folding and story assignment.

Articles are stored by many workers in parallel; this stage visits them one
at a time in arrival order under a lease, so "the first copy" of a wire story
and the story a new article joins are decided exactly once, whatever the
number of workers. Its in-memory indexes are a cache of the database,
re-synchronised from ``story_seq`` when another process held the lease.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from tidings.core.dedupe import NearDuplicateIndex
from tidings.news.models import Article, Lease

log = logging.getLogger("tidings.stories")

LEASE_NAME = "assign"
LEASE_TTL = timedelta(minutes=2)
NEAR_DUPLICATE_THRESHOLD = 0.8


def acquire(name: str, holder: str, ttl: timedelta = LEASE_TTL) -> bool:
    """Take or renew the named lease; False when another live holder has it."""
    from tidings.news.pipeline import live_worker_ids

    now = timezone.now()
    Lease.objects.get_or_create(name=name)
    live = live_worker_ids()
    won = (
        Lease.objects.filter(name=name)
        .filter(Q(holder="") | Q(holder=holder) | Q(until__lt=now) | ~Q(holder__in=live))
        .update(holder=holder, until=now + ttl)
    )
    return bool(won)


def release(name: str, holder: str) -> None:
    Lease.objects.filter(name=name, holder=holder).update(holder="", until=None)


class _State:
    """Per-process cache of the assignment indexes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.synced_seq = -1
        self.dupes = NearDuplicateIndex()

    def sync(self) -> None:
        last = Article.objects.aggregate(m=Max("story_seq"))["m"]
        last = -1 if last is None else int(last)
        if last == self.synced_seq:
            return
        if last < self.synced_seq:  # database was reset (recluster, tests)
            self.__init__()  # type: ignore[misc]
        rows = (
            Article.objects.filter(story_seq__gt=self.synced_seq, duplicate_of__isnull=True)
            .order_by("story_seq")
            .values_list("id", "signature")
        )
        for aid, sig in rows.iterator(chunk_size=2000):
            if sig:
                self.dupes.add(aid, bytes(sig))
        self.synced_seq = last


_state = _State()


def reset_cache() -> None:
    global _state
    _state = _State()


def assign_pending(holder: str, limit: int | None = None) -> int:
    """Fold near-duplicates and assign stories for stored articles, in order. Returns how many."""
    if not acquire(LEASE_NAME, holder):
        return 0
    done = 0
    try:
        with _state.lock:
            _state.sync()
            while limit is None or done < limit:
                batch = list(
                    Article.objects.filter(story_state=Article.StoryState.PENDING).order_by(
                        "fetched_at", "id"
                    )[:50]
                )
                if not batch:
                    break
                for article in batch:
                    _assign_one(article)
                    done += 1
                acquire(LEASE_NAME, holder)
    finally:
        release(LEASE_NAME, holder)
    return done


def _assign_one(article: Article) -> None:
    seq = _state.synced_seq + 1
    sig = bytes(article.signature) if article.signature else b""
    if article.duplicate_of_id is None and sig:
        matches = _state.dupes.query(sig, threshold=NEAR_DUPLICATE_THRESHOLD)
        matches = [(k, s) for k, s in matches if k != article.pk]
        if matches:
            original, score = max(matches, key=lambda m: m[1])
            article.duplicate_of_id = original
            article.duplicate_score = score
    with transaction.atomic():
        article.story_seq = seq
        article.story_state = Article.StoryState.ASSIGNED
        article.save(update_fields=["duplicate_of", "duplicate_score", "story_seq", "story_state"])
    if article.duplicate_of_id is None and sig:
        _state.dupes.add(article.pk, sig)
    _state.synced_seq = seq
