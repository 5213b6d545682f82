"""Where rendered public article pages are kept, and what is put back into them per request.

A public page (what every logged-out reader gets) is stored with three kinds of
slot instead of reader- or time-dependent text, so that one stored copy serves
every reader for as long as the article and its comment thread stay the same:

- the CSRF token (``\\x00csrf\\x00``), put back per request;
- the site's origin (``\\x00origin\\x00``) in absolute URLs, put back from the
  request's own scheme and host;
- relative ages ("2 hours ago") in ``<time datetime=... data-rel>``: the text is
  stored as a slot holding the ``datetime`` and recomputed at serve time (``site.js``
  refreshes it again in the browser).

This module is imported by the settings: it must not import models.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import re
import time
import zlib
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, BinaryIO

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.filebased import FileBasedCache
from django.utils import timezone

from tidings.core.errors import ConfigError
from tidings.core.reltime import relative

CSRF_SLOT = b"\x00csrf\x00"
ORIGIN_SLOT = "\x00origin\x00"
# A stored page lives this long at most (its key changes with every change the
# stamps see; this bounds what they do not, such as a renamed comment author).
PAGE_SECONDS = 24 * 3600

# Part of every page key: a page stored in an earlier form is never served.
STORED_FORM_VERSION = 2
_AGE = re.compile(rb'(<time datetime="([^"]+)"[^>]*\bdata-rel\b[^>]*>)([^<]*)(</time>)')
_CSRF_NAME, _ORIGIN_NAME = CSRF_SLOT.strip(b"\x00"), ORIGIN_SLOT.strip("\x00").encode()
_FIXED_SLOTS = frozenset({_CSRF_NAME, _ORIGIN_NAME})


def page_cache(spec: str, data_dir: Path) -> dict[str, Any]:
    """The ``CACHES["pages"]`` entry for the ``PAGE_CACHE`` setting."""
    common: dict[str, Any] = {
        "TIMEOUT": PAGE_SECONDS,
        "KEY_PREFIX": "tidings",
        "VERSION": STORED_FORM_VERSION,
    }
    if spec == "file":
        # About 20-25 KB a page, kept uncompressed: at most ~500 MB on disk.
        return common | {
            "BACKEND": "tidings.site._pagestore.PageFileCache",
            "LOCATION": str(data_dir / "cache" / "pages"),
            "OPTIONS": {"MAX_ENTRIES": 20_000, "CULL_FREQUENCY": 4},
        }
    if spec == "db":
        return common | {
            "BACKEND": "tidings.site._pagestore.PageDatabaseCache",
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


class _KeepsPagesRead(BaseCache):
    """The pages a store read again lately, also kept in this process's memory
    (``HOT_BYTES`` at most, shared by the process's threads, by :meth:`_hot_name`; a
    page is kept from its second read on, see :class:`_Hot`). A key names one
    version of a page, so a kept copy stays true; it goes with its expiry, a ``set``,
    ``delete`` or ``clear`` of this process."""

    HOT_BYTES = 32 << 20
    _hot: _Hot

    def _hot_name(self, key: str, version: int | None) -> str:
        raise NotImplementedError

    def _kept(self, name: str) -> bytes | None:
        kept = self._hot.pages.get(name)
        if kept is None:
            return None
        if kept[0] is None or kept[0] >= time.time():
            return kept[1]
        self._hot.drop(name)
        return None

    def set(
        self,
        key: str,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        self._hot.drop(self._hot_name(key, version))
        super().set(key, value, timeout, version)

    def delete(self, key: str, version: int | None = None) -> bool:
        self._hot.drop(self._hot_name(key, version))
        return super().delete(key, version)

    def clear(self) -> None:
        self._hot.forget()
        super().clear()


class PageFileCache(_KeepsPagesRead, FileBasedCache):
    """Django's file cache, made for pages read far more often than written.

    - A page (bytes) is kept as it is rather than pickled and compressed: reading it
      back is then a plain file read; decompressing took longer than the rest of
      serving it. Other values are stored as the stock backend stores them.
    - The stock backend lists its whole directory on every ``set`` to decide
      whether to cull; with tens of thousands of pages that listing costs more
      than writing the page. Here it runs once per ``CHECK_EVERY`` writes, so the
      directory may overshoot ``MAX_ENTRIES`` by at most that many files.
    - The pages read again lately are also kept in memory (:class:`_KeepsPagesRead`):
      an article many readers open is served without a file read.
    """

    CHECK_EVERY = 256
    _RAW, _PICKLED = b"R", b"Z"  # after the expiry, the first byte says which

    def __init__(self, dir: str, params: dict[str, Any]) -> None:
        super().__init__(dir, params)
        self._writes = 0
        self._hot = _HOT.setdefault(self._dir, _Hot())  # type: ignore[attr-defined]

    def file_for(self, key: str, version: int | None = None) -> str:
        """The file that holds ``key``."""
        path: str = self._key_to_file(key, version)  # type: ignore[attr-defined]  # not in the stubs
        return path

    def _hot_name(self, key: str, version: int | None) -> str:
        return self.file_for(key, version)

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
        # Plain system calls: open, size, one read, close. A Python file object
        # also asks whether it is a terminal and where it stands, and reads in
        # buffer-sized pieces; each call lets the interpreter lock go to a thread
        # that is waiting for it (the event loop's, in the server).
        path = self.file_for(key, version)
        if (kept := self._kept(path)) is not None:
            return kept
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return default
        try:
            data = _read_all(fd)
        finally:
            os.close(fd)
        header = io.BytesIO(data)
        try:
            expires = pickle.load(header)
        except Exception:  # empty, cut short or not ours: as good as missing
            return default
        if expires is not None and expires < time.time():
            self._delete(path)  # type: ignore[attr-defined]  # not in the stubs
            return default
        start = header.tell()
        kind = data[start : start + 1]
        if kind == self._RAW:
            page = data[start + 1 :]
            self._hot.keep(path, expires, page, self.HOT_BYTES)
            return page
        if kind == self._PICKLED:
            return pickle.loads(zlib.decompress(data[start + 1 :]))
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


class PageDatabaseCache(_KeepsPagesRead, DatabaseCache):
    """Django's database cache (pages shared by every machine), with the pages read again
    lately also kept in this process's memory, as :class:`PageFileCache` keeps them; a kept
    copy is read again from the database after ``HOT_SECONDS`` at most (a page deleted
    or expired meanwhile by another process is then gone here too). A popular
    article's page then costs no query at all.
    """

    HOT_SECONDS = 300.0

    def __init__(self, table: str, params: dict[str, Any]) -> None:
        super().__init__(table, params)
        self._hot = _HOT.setdefault("db:" + table, _Hot())

    def _hot_name(self, key: str, version: int | None) -> str:
        return self.make_and_validate_key(key, version=version)

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        name = self._hot_name(key, version)
        if (kept := self._kept(name)) is not None:
            return kept
        value = super().get(key, _ABSENT, version)
        if value is _ABSENT:
            return default
        if isinstance(value, bytes):
            self._hot.keep(name, time.time() + self.HOT_SECONDS, value, self.HOT_BYTES)
        return value


_ABSENT = object()


def stored_form(body: bytes) -> bytes | None:
    """A rendered public page (with its CSRF and origin slots) in the form it is stored:
    each age's text replaced by a slot holding its ``datetime``.

    Every ``\\x00`` of the stored form opens or closes a slot, so that serving it is one
    split, a fill of the odd parts and one join. None when the page holds a NUL byte
    of its own (no valid page does; it is then rendered for each request).
    """
    parts = body.split(b"\x00")
    if len(parts) % 2 == 0 or any(name not in _FIXED_SLOTS for name in parts[1::2]):
        return None

    def slot(match: re.Match[bytes]) -> bytes:
        if _aware(match[2]) is None:
            return match[0]
        return match[1] + b"\x00" + match[2] + b"\x00" + match[4]

    return _AGE.sub(slot, body)


class _Hot:
    """Pages kept in memory by name, with their expiry; emptied whole when full (cheaper
    than ordering every read, and a hot page is back on its next reads).

    A page is kept from its second read on: the names read once are remembered (by
    their hash: a collision only keeps a page one read early; :attr:`SEEN_AT_MOST` at
    most, forgotten all at once when full). A page read only once -- an article's first
    view, the usual read of a pre-rendered page -- then neither grows the process's
    memory (22 KB of fresh memory each: bench web's server took 2.4 page faults per
    first view when every page read was kept, 0.7 without) nor, in a stream of first
    views, empties the pages readers open again (32 MB: about 1,450 first views).
    """

    SEEN_AT_MOST = 16_384

    def __init__(self) -> None:
        self.pages: dict[str, tuple[float | None, bytes]] = {}
        self.size = 0
        self.seen: set[int] = set()

    def keep(self, name: str, expires: float | None, page: bytes, limit: int) -> None:
        mark = hash(name)
        if mark not in self.seen:
            if len(self.seen) >= self.SEEN_AT_MOST:
                self.seen.clear()
            self.seen.add(mark)
            return
        self.seen.discard(mark)
        self.drop(name)
        if self.size + len(page) > limit:
            self.forget()
        self.pages[name] = (expires, page)
        self.size += len(page)

    def drop(self, name: str) -> None:
        """Forget one page (its bytes no longer count against the limit)."""
        kept = self.pages.pop(name, None)
        if kept is not None:
            self.size = max(self.size - len(kept[1]), 0)

    def forget(self) -> None:
        self.pages = {}
        self.size = 0


_HOT: dict[str, _Hot] = {}


def _read_all(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    data = os.read(fd, size + 1)  # one more: a file grown since is still read whole
    while len(data) > size:
        more = os.read(fd, 1 << 16)
        if not more:
            break
        data += more
        size = len(data)
    return data


def serve_stored(
    stored: bytes, key: str, *, csrf_token: str, origin: str, now: datetime | None = None
) -> tuple[bytes, str]:
    """The stored page ``key`` filled for one request, and its ETag.

    The ETag is what the reader would see change -- the page (its key), the origin
    and the ages -- without hashing the whole body; the CSRF token is left out (a
    new mask on every request, valid for the same cookie).
    """
    parts = stored.split(b"\x00")
    fills = {_CSRF_NAME: csrf_token.encode(), _ORIGIN_NAME: origin.encode()}
    ages: list[bytes] = []
    clock = _Clock(now)
    for i in range(1, len(parts), 2):
        name = parts[i]
        if (fill := fills.get(name)) is None:
            fill = _age_text(name, clock)
            ages.append(fill)
        parts[i] = fill
    tag = hashlib.md5(b"|".join([key.encode(), origin.encode(), *ages]), usedforsecurity=False)
    return b"".join(parts), f'W/"{tag.hexdigest()}"'


class _Clock:
    """One request's now, in the forms the ages are compared with."""

    __slots__ = ("day", "now", "stamp", "tz")

    def __init__(self, now: datetime | None) -> None:
        self.now = now or timezone.now()
        self.tz = timezone.get_current_timezone()
        self.stamp = self.now.timestamp()
        self.day = self.now.astimezone(self.tz).date()


def _aware(iso: bytes) -> datetime | None:
    try:
        when = datetime.fromisoformat(iso.decode())
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


# An age's text for as long as it cannot change: ``relative`` depends on the time
# elapsed only through whole minutes (its every threshold is a whole number of
# minutes) and otherwise only on the reader's calendar day. Kept per datetime and
# time zone: the same article's age shows on many pages (its own, related cards).
_AGES: dict[tuple[bytes, tzinfo], tuple[bytes, float, float, date]] = {}
_AGES_KEPT = 8192
_MINUTE = timedelta(minutes=1)


def _age_text(iso: bytes, clock: _Clock) -> bytes:
    known = _AGES.get((iso, clock.tz))
    if known is not None and known[1] <= clock.stamp < known[2] and known[3] == clock.day:
        return known[0]
    when = _aware(iso)
    if when is None:  # only a page written by another version holds such a slot
        return b""
    start = when.timestamp()
    minutes = (clock.now - when) // _MINUTE  # exact, where the float stamps are not
    text = relative(when, clock.now, clock.tz).encode()
    if len(_AGES) >= _AGES_KEPT:
        _AGES.clear()
    _AGES[iso, clock.tz] = (text, start + minutes * 60, start + (minutes + 1) * 60, clock.day)
    return text
