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

import hashlib
import pickle
import re
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from django.core.cache.backends.base import DEFAULT_TIMEOUT
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
        # About 20-25 KB a page, kept uncompressed: at most ~500 MB on disk.
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
    """Django's file cache, made for pages read far more often than written.

    - A page (bytes) is kept as it is rather than pickled and compressed: reading it
      back is then a plain file read; decompressing took longer than the rest of
      serving it. Other values are stored as the stock backend stores them.
    - The stock backend lists its whole directory on every ``set`` to decide
      whether to cull; with tens of thousands of pages that listing costs more
      than writing the page. Here it runs once per ``CHECK_EVERY`` writes, so the
      directory may overshoot ``MAX_ENTRIES`` by at most that many files.
    """

    CHECK_EVERY = 256
    _RAW, _PICKLED = b"R", b"Z"  # after the expiry, the first byte says which

    def __init__(self, dir: str, params: dict[str, Any]) -> None:
        super().__init__(dir, params)
        self._writes = 0

    def _cull(self) -> None:
        self._writes += 1
        if self._writes % self.CHECK_EVERY == 1:
            super()._cull()  # type: ignore[misc]  # not in the stubs

    def _write_content(self, file: BinaryIO, timeout: float | None, value: Any) -> None:
        file.write(pickle.dumps(self.get_backend_timeout(timeout), self.pickle_protocol))
        if isinstance(value, bytes):
            file.write(self._RAW + value)
        else:
            file.write(self._PICKLED + zlib.compress(pickle.dumps(value, self.pickle_protocol)))

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        try:
            with open(self._key_to_file(key, version), "rb") as f:  # type: ignore[attr-defined]
                if self._is_expired(f):  # type: ignore[attr-defined]  # not in the stubs
                    return default
                data = f.read()
        except FileNotFoundError:
            return default
        if data[:1] == self._RAW:
            return data[1:]
        if data[:1] == self._PICKLED:
            return pickle.loads(zlib.decompress(data[1:]))
        return default  # written by another version: as good as missing

    def touch(
        self, key: str, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        missing = object()
        value = self.get(key, missing, version)
        if value is missing:
            return False
        self.set(key, value, timeout, version)
        return True


def serve_stored(
    body: bytes, key: str, *, csrf_token: str, origin: str, now: datetime | None = None
) -> tuple[bytes, str]:
    """The stored page ``key`` filled for one request, and its ETag.

    The ETag is what the reader would see change -- the page (its key), the origin
    and the ages -- without hashing the whole body; the CSRF token is left out (a
    new mask on every request, valid for the same cookie).
    """
    body = body.replace(ORIGIN_SLOT.encode(), origin.encode())
    ages: list[bytes] = []
    body = refresh_ages(body, now, ages)
    tag = hashlib.md5(b"|".join([key.encode(), origin.encode(), *ages]), usedforsecurity=False)
    return body.replace(CSRF_SLOT, csrf_token.encode()), f'W/"{tag.hexdigest()}"'


def refresh_ages(
    body: bytes, now: datetime | None = None, shown: list[bytes] | None = None
) -> bytes:
    """Every ``<time ... data-rel>`` text recomputed for ``now`` (the server's time zone);
    the texts put in are appended to ``shown`` when given."""
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
        text = relative(when, when_now, tz).encode()
        if shown is not None:
            shown.append(text)
        return match[1] + text + match[4]

    return _AGE.sub(age, body)
