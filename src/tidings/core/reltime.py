"""Relative times ("2 hours ago", "yesterday") — pure functions, no Django.

The same rules are implemented in the site's ``static/site/site.js`` so that a
cached page refreshes its ages in the reader's own time zone without drifting;
a stored page has them recomputed when served (``tidings.site._pagestore``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, tzinfo
from html import escape

__all__ = ["exact", "relative", "time_element", "wait"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'} ago"


def relative(when: datetime, now: datetime, tz: tzinfo) -> str:
    """How long ago ``when`` was, as a reader in time zone ``tz`` would say it.

    Both datetimes must be aware. Under a minute is "just now"; under an hour
    "N minutes ago"; under 12 hours, or earlier the same calendar day, "N hours
    ago"; the previous calendar day "yesterday"; under a week "N days ago";
    then a date ("4 Mar", or "4 Mar 2023" in another year). A time slightly in
    the future (clock skew up to 5 minutes) is "just now"; further ahead, the date.
    """
    delta = now - when
    seconds = delta.total_seconds()
    if seconds < -300:
        return _date(when, now, tz)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return _plural(int(seconds // 60), "minute")
    local_when = when.astimezone(tz)
    local_now = now.astimezone(tz)
    days = (local_now.date() - local_when.date()).days
    if seconds < 12 * 3600 or (days == 0 and seconds < 86400):
        return _plural(int(seconds // 3600), "hour")
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    return _date(when, now, tz)


def wait(seconds: float) -> str:
    """How long a reader has to wait, in words: "a few seconds", "40 seconds",
    "5 minutes", "about 3 hours" (always rounded up, so never too short)."""
    s = max(1, math.ceil(seconds))
    if s <= 5:
        return "a few seconds"
    if s < 60:
        return f"{s} seconds"
    if s < 3600:
        m = math.ceil(s / 60)
        return f"{m} minute{'' if m == 1 else 's'}"
    h = math.ceil(s / 3600)
    return f"about {h} hour{'' if h == 1 else 's'}"


def _date(when: datetime, now: datetime, tz: tzinfo) -> str:
    local = when.astimezone(tz)
    text = f"{local.day} {_MONTHS[local.month - 1]}"
    if local.year != now.astimezone(tz).year:
        text += f" {local.year}"
    return text


def exact(when: datetime, tz: tzinfo) -> str:
    """The full local time, e.g. "Mon 30 Jun 2025, 09:14 UTC"."""
    local = when.astimezone(tz)
    weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[local.weekday()]
    name = local.tzname() or ""
    month = _MONTHS[local.month - 1]
    return f"{weekday} {local.day} {month} {local.year}, {local:%H:%M} {name}".strip()


def time_element(when: datetime, now: datetime, tz: tzinfo, css: str = "") -> str:
    """``<time datetime=... title=... data-rel>`` with the relative age as text.

    ``datetime`` is UTC ISO 8601; ``data-rel`` marks the text as an age to recompute.
    """
    stamp = when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    klass = f' class="{escape(css)}"' if css else ""
    return (
        f'<time datetime="{stamp}" title="{escape(exact(when, tz))}" data-rel{klass}>'
        f"{escape(relative(when, now, tz))}</time>"
    )
