"""Where rendered public article pages are kept, and what is put back into them per request.

A public page (what every logged-out reader gets) is stored with three kinds of
slot instead of reader- or time-dependent text, so that one stored copy serves
every reader for as long as the article and its comment thread stay the same:

- the CSRF token (``\\x00csrf\\x00``), put back per request;
- the site's origin (``\\x00origin\\x00``) in absolute URLs, put back from the
  request's own scheme and host;
- relative ages ("2 hours ago") in ``<time datetime=... data-rel>``, recomputed
  at serve time from ``datetime`` (``site.js`` refreshes them again in the browser).

This module is imported by the settings: it must not import models.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.cache.backends.filebased import FileBasedCache
from django.utils import timezone

from tidings.core.errors import ConfigError
from tidings.core.reltime import relative

CSRF_SLOT = b"\x00csrf\x00"
ORIGIN_SLOT = "\x00origin\x00"
# A stored page lives this long at most (its key changes with every change the
# stamps see; this bounds what they do not, such as a renamed comment author).
PAGE_SECONDS = 24 * 3600

_AGE = re.compile(rb'(<time datetime="([^"]+)"[^>]*\bdata-rel\b[^>]*>)([^<]*)(</time>)')


def page_cache(spec: str, data_dir: Path) -> dict[str, Any]:
    """The ``CACHES["pages"]`` entry for the ``PAGE_CACHE`` setting."""
    common: dict[str, Any] = {"TIMEOUT": PAGE_SECONDS, "KEY_PREFIX": "tidings"}
    if spec == "file":
        # About 10 KB a page once compressed: at most ~200 MB on disk.
        return common | {
            "BACKEND": "tidings.site._pagestore.PageFileCache",
            "LOCATION": str(data_dir / "cache" / "pages"),
            "OPTIONS": {"MAX_ENTRIES": 20_000, "CULL_FREQUENCY": 4},
        }
    if spec == "db":
        return common | {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tidings_page_cache",
            "OPTIONS": {"MAX_ENTRIES": 50_000, "CULL_FREQUENCY": 4},
        }
    if spec == "memory":
        return common | {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tidings-pages",
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    if spec == "none":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ConfigError(f"PAGE_CACHE must be file, db, memory or none, not {spec!r}")


class PageFileCache(FileBasedCache):
    """Django's file cache, counting its files only every so many writes.

    The stock backend lists its whole directory on every ``set`` to decide
    whether to cull; with tens of thousands of pages that listing costs more
    than writing the page. Here it runs once per ``CHECK_EVERY`` writes, so the
    directory may overshoot ``MAX_ENTRIES`` by at most that many files.
    """

    CHECK_EVERY = 256

    def __init__(self, dir: str, params: dict[str, Any]) -> None:
        super().__init__(dir, params)
        self._writes = 0

    def _cull(self) -> None:
        self._writes += 1
        if self._writes % self.CHECK_EVERY == 1:
            super()._cull()  # type: ignore[misc]  # not in the stubs


def fill(body: bytes, *, csrf_token: str, origin: str, now: datetime | None = None) -> bytes:
    """A stored page made ready for one request: token, origin and ages put back."""
    body = body.replace(CSRF_SLOT, csrf_token.encode()).replace(
        ORIGIN_SLOT.encode(), origin.encode()
    )
    return refresh_ages(body, now)


def refresh_ages(body: bytes, now: datetime | None = None) -> bytes:
    """Every ``<time ... data-rel>`` text recomputed for ``now`` (the server's time zone)."""
    if b"data-rel" not in body:
        return body
    when_now = now or timezone.now()
    tz = timezone.get_current_timezone()

    def age(match: re.Match[bytes]) -> bytes:
        try:
            when = datetime.fromisoformat(match[2].decode())
        except ValueError:
            return match[0]
        if when.tzinfo is None:
            return match[0]
        return match[1] + relative(when, when_now, tz).encode() + match[4]

    return _AGE.sub(age, body)
