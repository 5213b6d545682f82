"""A rate limiter whose state lives in the database, so every web process shares it.

The embedded default runs a per-process local-memory cache, and Django's
database cache increments with a read then a write (two requests can both
read 4 and both write 5), so neither can hold a limit across processes. Here
each key is one row holding the GCRA "theoretical arrival time": a request is
let through when that time, advanced by one emission interval, stays within
one period of now. The row is locked for the check-and-set (``SELECT ... FOR
UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers), so
the count is exact under concurrency. ``N/S`` allows a burst of N and then N
per S seconds; keys are hashed, so addresses and e-mails are not stored.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from dataclasses import dataclass

from django.db import transaction

from tidings.community.models import RateBucket
from tidings.core import config
from tidings.core.errors import ConfigError, RateLimitedError


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"5/60"`` → 5 per 60 seconds."""
        try:
            return cls(*config.split_rate(text))
        except ValueError as exc:
            raise ConfigError(f"rate: {exc}") from None


def bucket_key(scope: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]
    return f"{scope}:{digest}"


def hit(key: str, rate: Rate, *, now: float | None = None) -> None:
    """Count one request against ``key``.

    Raises :class:`~tidings.core.errors.RateLimitedError` (with
    ``retry_after`` in seconds) when the request must be refused; a refused
    request is not counted.
    """
    now = time.time() if now is None else now
    interval = rate.seconds / rate.count
    with transaction.atomic():
        RateBucket.objects.get_or_create(key=key, defaults={"tat": now})
        bucket = RateBucket.objects.select_for_update().get(key=key)
        new_tat = max(bucket.tat, now) + interval
        allow_at = new_tat - rate.seconds
        if allow_at > now:
            raise RateLimitedError(
                "Too many requests; please wait a little.", retry_after=allow_at - now
            )
        bucket.tat = new_tat
        bucket.save(update_fields=["tat"])
    if random.random() < 0.01:
        RateBucket.objects.filter(tat__lt=now - 1).delete()


def reset(key: str) -> None:
    RateBucket.objects.filter(key=key).delete()


def retry_after_header(exc: RateLimitedError) -> str:
    return str(max(1, math.ceil(exc.retry_after)))
