"""A feed's recent page failures, gathered for the operator (tidings sources, a source's page)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.site.factories import make_feed, make_source
from tidings.news.models import Entry, Feed
from tidings.news.pagehealth import RECENT, PageHealth, page_health

pytestmark = pytest.mark.django_db


def _entry(feed: Feed, slug: str, state: str, when: datetime, code: str = "") -> Entry:
    return Entry.objects.create(
        feed=feed,
        key=f"{feed.pk}-{slug}",
        url=f"https://lantern.example/news/{slug}",
        state=state,
        error_code=code,
        error_message=f"sample failure of {slug}" if code else "",
        updated_at=when,
    )


def test_recent_pages_counted_and_latest_failure_named() -> None:
    now = timezone.now()
    source = make_source("Sample Lantern")
    lantern, quiet, unread = (make_feed(source) for _ in range(3))
    _entry(lantern, "stored", Entry.State.DONE, now - timedelta(hours=5))
    _entry(lantern, "copy", Entry.State.DUPLICATE, now - timedelta(hours=4))
    _entry(lantern, "gone", Entry.State.FAILED, now - timedelta(hours=3), "http_404")
    _entry(lantern, "empty", Entry.State.FAILED, now - timedelta(hours=1), "extraction")
    # Still to be tried again (a 503): not a failure yet, nor a finished page.
    _entry(lantern, "retrying", Entry.State.PENDING, now, "http_503")
    # Failed before the window: no longer recent.
    _entry(lantern, "old", Entry.State.FAILED, now - RECENT - timedelta(hours=1), "timeout")
    _entry(quiet, "fine", Entry.State.DONE, now - timedelta(days=1))

    health = page_health([lantern.pk, quiet.pk, unread.pk], now=now)

    assert health[lantern.pk] == PageHealth(
        recent=4,
        failed=2,
        error_code="extraction",
        error_message="sample failure of empty",
        error_url="https://lantern.example/news/empty",
        error_at=now - timedelta(hours=1),
    )
    assert not health[lantern.pk].all_failed
    assert health[quiet.pk] == PageHealth(recent=1, failed=0)
    assert unread.pk not in health
    assert page_health([]) == {}


def test_every_recent_page_failed() -> None:
    now = timezone.now()
    feed = make_feed(make_source("Sample Lantern"))
    _entry(feed, "gone", Entry.State.FAILED, now - timedelta(minutes=5), "http_404")
    health = page_health([feed.pk], now=now)[feed.pk]
    assert health.all_failed and (health.recent, health.failed) == (1, 1)
