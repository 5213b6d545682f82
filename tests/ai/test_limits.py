from __future__ import annotations

import pytest

from tidings.core.ai import MemoryBudgetStore, RateLimiter, TokenBudget, parse_rate
from tidings.core.errors import AIBudgetExceededError, ConfigError, RateLimitedError


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_token_bucket_per_client_and_refill() -> None:
    clock = Clock(0.0)
    limiter = RateLimiter("3/60", clock=clock)
    for _ in range(3):
        limiter.hit("alice")
    with pytest.raises(RateLimitedError) as info:
        limiter.hit("alice")
    assert info.value.retry_after == pytest.approx(20.0)
    limiter.hit("bob")  # other clients have their own bucket
    clock.now = 20.0
    limiter.hit("alice")  # one token came back after 20 s
    with pytest.raises(RateLimitedError):
        limiter.hit("alice")


def test_forgotten_buckets_start_full() -> None:
    clock = Clock(0.0)
    limiter = RateLimiter("1/10", clock=clock, max_clients=2)
    limiter.hit("a")
    limiter.hit("b")
    clock.now = 100.0
    limiter.hit("c")  # prunes a and b, which are full again
    limiter.hit("a")


@pytest.mark.parametrize("bad", ["", "ten/60", "5", "0/60", "5/0", "-1/5"])
def test_parse_rate_rejects_nonsense(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_rate(bad)


def test_daily_budget_counts_per_utc_day() -> None:
    clock = Clock(1_700_000_000.0)  # 2023-11-14 22:13 UTC
    store = MemoryBudgetStore()
    budget = TokenBudget(1000, store, clock=clock)
    budget.check(900)
    assert budget.record(700) == 700
    assert budget.remaining() == 300
    with pytest.raises(AIBudgetExceededError) as info:
        budget.check(301)
    assert info.value.code == "ai_budget_exceeded"
    budget.record(300)
    with pytest.raises(AIBudgetExceededError):
        budget.check()
    clock.now += 2 * 3600  # past midnight UTC: a new day
    assert budget.remaining() == 1000
    assert store.used("2023-11-14") == 1000


def test_zero_budget_means_no_cap() -> None:
    budget = TokenBudget(0)
    budget.record(10**9)
    budget.check(10**9)
    assert budget.remaining() is None
