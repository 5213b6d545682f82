"""Feed health in plain words for the source page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tidings.news.models import Feed
from tidings.news.pagehealth import RECENT, PageHealth

# Stable error codes (tidings.core.errors) → what a reader can understand.
_PLAIN: dict[str, str] = {
    "timeout": "The site took too long to answer.",
    "connect": "The site could not be reached.",
    "dns": "The site's address could not be found.",
    "blocked_url": "The feed points to an address Tidings will not contact.",
    "invalid_url": "The feed address is not valid.",
    "too_many_redirects": "The feed redirects in circles.",
    "body_too_large": "The feed is larger than Tidings accepts.",
    "robots_disallowed": "The publisher asks robots not to read these pages.",
    "feed_parse": "The feed could not be read; it may be malformed.",
    "not_a_feed": "The address no longer returns a news feed.",
    "extraction": "Articles could not be extracted from the publisher's pages.",
    "extraction_timeout": "Articles took too long to extract.",
    "http_401": "The feed now requires a login.",
    "http_403": "The publisher refuses access to the feed.",
    "http_404": "The feed no longer exists at this address.",
    "http_410": "The publisher has removed the feed.",
    "http_429": "The publisher asks Tidings to slow down.",
}


@dataclass(frozen=True)
class FeedHealth:
    """A feed's verdict for readers, and the stable ``code`` and message of the failure
    behind it for the operator (empty when nothing failed)."""

    feed: Feed
    ok: bool
    summary: str
    detail: str
    code: str = ""


def plain_error(code: str) -> str:
    if code in _PLAIN:
        return _PLAIN[code]
    if code.startswith("http_5"):
        return "The publisher's server is having trouble."
    if code.startswith("http_"):
        return f"The publisher's server answered with an error ({code.removeprefix('http_')})."
    return "The last check failed."


def _pages_sentence(pages: PageHealth) -> str:
    return (
        f"{pages.failed} of the {pages.recent} articles it listed in the last "
        f"{RECENT.days} days could not be read."
    )


def feed_health(feed: Feed, now: datetime, pages: PageHealth | None = None) -> FeedHealth:
    """A one-line verdict plus the operator's detail for one feed; ``pages``: how its
    recent pages fared (:func:`tidings.news.pagehealth.page_health`)."""
    if not feed.is_active:
        return FeedHealth(feed, False, "Paused: this feed is not being checked.", "")
    pages = pages or PageHealth()
    if feed.last_error_code:
        summary = plain_error(feed.last_error_code)
        if feed.error_count > 1:
            summary += f" {feed.error_count} checks in a row have failed."
        if pages.failed:
            summary += " " + _pages_sentence(pages)
        return FeedHealth(feed, False, summary, feed.last_error_message, code=feed.last_error_code)
    if feed.last_success_at is None:
        return FeedHealth(feed, True, "Not checked yet.", "")
    if pages.failed:
        # The feed is read, its articles are not (all of them, or some).
        detail = pages.error_message + (f" ({pages.error_url})" if pages.error_url else "")
        summary = f"Working, but {_pages_sentence(pages)}"
        return FeedHealth(feed, not pages.all_failed, summary, detail, code=pages.error_code)
    return FeedHealth(feed, True, "Working.", "")
