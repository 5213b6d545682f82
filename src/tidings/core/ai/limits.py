"""Pure usage limits: a daily LLM token budget and a per-client rate limiter.

Both take an injectable clock; neither does I/O. The budget keeps its counts in a
:class:`BudgetStore` the caller provides (the web layer persists it in the
database or cache so that every process shares one budget).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from tidings.core import config
from tidings.core.errors import AIBudgetExceededError, ConfigError, RateLimitedError

Clock = Callable[[], float]


class BudgetStore(Protocol):
    """Token counts per UTC day (``"YYYY-MM-DD"``). Implementations must make
    :meth:`add` atomic across processes (e.g. an UPDATE ... SET n = n + k)."""

    def used(self, day: str) -> int:
        """Tokens spent on ``day`` so far (0 when unknown)."""
        ...

    def add(self, day: str, tokens: int) -> int:
        """Add ``tokens`` to ``day`` and return the new total."""
        ...


class MemoryBudgetStore:
    """A :class:`BudgetStore` in memory (one process; tests and the CLI)."""

    def __init__(self) -> None:
        self._days: dict[str, int] = {}
        self._lock = threading.Lock()

    def used(self, day: str) -> int:
        return self._days.get(day, 0)

    def add(self, day: str, tokens: int) -> int:
        with self._lock:
            self._days[day] = self._days.get(day, 0) + tokens
            return self._days[day]


class TokenBudget:
    """A daily cap on LLM tokens (prompt + completion). ``limit <= 0`` means no cap."""

    def __init__(
        self, limit: int, store: BudgetStore | None = None, clock: Clock = time.time
    ) -> None:
        self.limit = limit
        self.store: BudgetStore = store if store is not None else MemoryBudgetStore()
        self.clock = clock

    def day(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m-%d")

    def remaining(self) -> int | None:
        if self.limit <= 0:
            return None
        return max(0, self.limit - self.store.used(self.day()))

    def check(self, needed: int = 0) -> None:
        """Raise :class:`AIBudgetExceededError` if today's budget cannot cover ``needed``."""
        left = self.remaining()
        if left is not None and (left <= 0 or needed > left):
            raise AIBudgetExceededError(
                f"the daily AI token budget ({self.limit}) is spent; "
                "AI features resume tomorrow (UTC)"
            )

    def record(self, tokens: int) -> int:
        """Count ``tokens`` as spent today; returns today's total."""
        return self.store.add(self.day(), max(0, int(tokens)))


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float


def parse_rate(value: str) -> Rate:
    """Parse ``"COUNT/SECONDS"`` (e.g. ``"20/600"``) as in the AI_RATE_LIMIT setting."""
    try:
        return Rate(*config.split_rate(value))
    except ValueError as exc:
        raise ConfigError(f"rate: {exc}") from None


class RateLimiter:
    """A token bucket per client key: ``rate.count`` requests, refilled evenly over
    ``rate.seconds``. In-process and thread-safe; idle full buckets are forgotten."""

    def __init__(
        self, rate: Rate | str, clock: Clock = time.monotonic, max_clients: int = 10_000
    ) -> None:
        self.rate = parse_rate(rate) if isinstance(rate, str) else rate
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last time)
        self._lock = threading.Lock()

    def _refill(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (float(self.rate.count), now))
        per_second = self.rate.count / self.rate.seconds
        return min(float(self.rate.count), tokens + (now - last) * per_second)

    def hit(self, key: str, cost: float = 1.0) -> None:
        """Take ``cost`` tokens for ``key`` or raise :class:`RateLimitedError` with
        ``retry_after`` set to the seconds until enough tokens are back."""
        with self._lock:
            now = self.clock()
            tokens = self._refill(key, now)
            if tokens < cost:
                per_second = self.rate.count / self.rate.seconds
                wait = (cost - tokens) / per_second
                self._buckets[key] = (tokens, now)
                raise RateLimitedError(
                    f"too many AI requests; try again in {wait:.0f} s", retry_after=wait
                )
            self._buckets[key] = (tokens - cost, now)
            if len(self._buckets) > self.max_clients:
                self._prune(now)

    def _prune(self, now: float) -> None:
        full = [k for k in self._buckets if self._refill(k, now) >= self.rate.count]
        for k in full:
            del self._buckets[k]
