"""How the pages a feed lists fare: a feed can be read while none of its articles can.

A feed's own failure is kept on the feed; a page's on its entry. This gathers the
entries for the operator's overview (``tidings sources``, a source's page): per feed,
how many of its pages finished in the last :data:`RECENT` and how many of them
failed, and the latest failure's stable code and message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from tidings.news.models import Entry, Feed

__all__ = ["RECENT", "PageHealth", "page_health"]

#: The window of "recent" pages: those whose fetch finished (stored, found a duplicate,
#: or failed for good) within it.
RECENT = timedelta(days=7)


@dataclass(frozen=True)
class PageHealth:
    """A feed's recent pages: ``recent`` finished, ``failed`` of them for good, and the
    latest failure (empty code when none failed)."""

    recent: int = 0
    failed: int = 0
    error_code: str = ""
    error_message: str = ""
    error_url: str = ""
    error_at: datetime | None = None

    @property
    def all_failed(self) -> bool:
        return self.recent > 0 and self.failed == self.recent

    def as_json(self) -> dict[str, object]:
        """The fields ``tidings sources --json`` gives each feed (None for no error)."""
        return {
            "pages_recent": self.recent,
            "pages_failed": self.failed,
            "page_error_code": self.error_code or None,
            "page_error": self.error_message or None,
            "page_error_url": self.error_url or None,
        }


def page_health(feed_ids: Iterable[int], now: datetime | None = None) -> dict[int, PageHealth]:
    """The recent pages of each feed, by feed id (feeds without any are left out).
    Three queries, whatever the number of feeds."""
    ids = list(feed_ids)
    if not ids:
        return {}
    since = (now or timezone.now()) - RECENT
    recent = Entry.objects.filter(feed_id__in=ids, updated_at__gte=since).exclude(
        state=Entry.State.PENDING
    )
    counts = {
        row["feed_id"]: (row["total"], row["failed"])
        for row in recent.order_by()
        .values("feed_id")
        .annotate(total=Count("id"), failed=Count("id", filter=Q(state=Entry.State.FAILED)))
    }
    latest = (
        Entry.objects.filter(
            feed_id=OuterRef("pk"), state=Entry.State.FAILED, updated_at__gte=since
        )
        .order_by("-updated_at", "-id")
        .values("id")[:1]
    )
    latest_ids = (
        Feed.objects.filter(pk__in=[pk for pk, (_, failed) in counts.items() if failed])
        .annotate(entry_id=Subquery(latest))
        .values_list("entry_id", flat=True)
    )
    errors = {
        e.feed_id: e
        for e in Entry.objects.filter(pk__in=[pk for pk in latest_ids if pk is not None]).only(
            "feed_id", "url", "error_code", "error_message", "updated_at"
        )
    }
    return {
        feed_id: PageHealth(total, failed)
        if (e := errors.get(feed_id)) is None
        else PageHealth(total, failed, e.error_code, e.error_message, e.url, e.updated_at)
        for feed_id, (total, failed) in counts.items()
    }
