"""All outbound HTTP of Tidings: feeds, article pages, OPML files, icons, robots.txt.

One :class:`Fetcher` per process. Every request it makes is checked by the
private-address guard before it is sent, again on every redirect hop, and once
more when the TCP connection is opened (the connection goes to the very
address that was checked). Bodies are capped after decompression, every fetch
has an overall deadline, transient failures are retried with backoff, each
host gets a concurrency limit and a minimum delay, and robots.txt is obeyed
for article pages.

    fetcher = Fetcher.from_config()
    result = fetcher.fetch(url, kind="feed", etag=feed.etag)
    if result.not_modified: ...
"""

from __future__ import annotations

import email.utils
import random
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import httpx
from protego import Protego

import tidings
from tidings.core import _netguard, _transport, config
from tidings.core.errors import (
    BodyTooLargeError,
    ConnectError,
    FetchError,
    HTTPStatusError,
    RobotsDisallowedError,
    TidingsError,
    TimeoutError_,
    TooManyRedirectsError,
)

__all__ = ["FetchResult", "Fetcher", "Kind", "check_url"]

Kind = Literal["feed", "page", "opml", "icon", "robots"]

ACCEPT: dict[str, str] = {
    "feed": (
        "application/rss+xml, application/atom+xml, application/feed+json, "
        "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, "
        "application/json;q=0.8, */*;q=0.5"
    ),
    "page": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
    "opml": "text/x-opml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
    "icon": "image/avif, image/webp, image/png, image/svg+xml, image/*;q=0.8, */*;q=0.5",
    "robots": "text/plain, */*;q=0.5",
}
# No brotli: it is only worth announcing with a decoder whose output can be
# bounded while streaming, and none is installed.
ACCEPT_ENCODING = "gzip, deflate"

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504}) | frozenset(range(505, 600))
_BACKOFF_BASE = 0.5
_ROBOTS_MAX_BYTES = 512 * 1024
_ROBOTS_FAILURE_TTL = 600.0


@dataclass(frozen=True)
class FetchResult:
    """A successful (2xx) or not-modified (304) response, body read and decoded."""

    url: str
    """Final URL after redirects."""
    status: int
    content: bytes
    """Decompressed body; ``b""`` on 304."""
    content_type: str
    """Media type without parameters, lower case, e.g. ``text/html``; "" if absent."""
    encoding: str | None
    """The charset parameter of Content-Type, if any."""
    etag: str | None
    last_modified: str | None
    redirects: tuple[str, ...] = ()
    """Every URL that answered with a redirect, in order (the requested URL first)."""
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        """True when the server answered 304: the caller's copy is current."""
        return self.status == 304


def check_url(url: str, *, allow_hosts: Iterable[str] = (), resolve: bool = True) -> None:
    """Check that ``url`` may be fetched, without opening any connection.

    Refuses non-http(s) URLs and hosts that are, or resolve to, non-public
    addresses (loopback, private, link-local, CGNAT, multicast, unspecified,
    reserved, IPv4-mapped forms, odd IPv4 spellings) unless listed in
    ``allow_hosts`` (names, addresses or CIDR networks).

    Raises InvalidURLError, BlockedURLError, or DNSError (only when ``resolve``).
    """
    allow = _netguard.AllowList.parse(allow_hosts)
    _netguard.check_url(url, allow, resolver=_netguard.system_resolver if resolve else None)


# --- helpers -----------------------------------------------------------------


def _parse_content_type(value: str | None) -> tuple[str, str | None]:
    if not value:
        return "", None
    media, *params = value.split(";")
    charset: str | None = None
    for param in params:
        key, _, raw = param.partition("=")
        if key.strip().lower() == "charset":
            charset = raw.strip().strip("\"'").strip() or None
    return media.strip().lower(), charset


def _retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def _certificate_error(exc: BaseException) -> bool:
    """True when a TLS certificate check is behind ``exc`` (not worth retrying)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class _Decoder:
    """Content-Encoding decoder whose output per call is bounded (gzip-bomb safe)."""

    def __init__(self, header: str | None, url: str) -> None:
        codings = [c.strip().lower() for c in (header or "").split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        self._url = url
        self._wbits: int | None = None
        self._raw_fallback = False
        if not codings:
            pass
        elif codings == ["gzip"] or codings == ["x-gzip"]:
            self._wbits = 16 + zlib.MAX_WBITS
        elif codings == ["deflate"]:
            self._wbits = zlib.MAX_WBITS
            self._raw_fallback = True
        else:
            raise FetchError(
                f"unsupported Content-Encoding {header!r}", url=url, code="content_decoding"
            )
        self._obj = zlib.decompressobj(self._wbits) if self._wbits is not None else None
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        """Decode ``data``; returns at most ``room + 1`` bytes (more than room = too large)."""
        if self._obj is None:
            return data
        pieces: list[bytes] = []
        produced = 0
        while data:
            try:
                piece = self._obj.decompress(data, room - produced + 1)
            except zlib.error as exc:
                if self._raw_fallback and not self._started:
                    # "deflate" sent as a raw stream without the zlib header.
                    self._raw_fallback = False
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise FetchError(
                    f"cannot decode the compressed body: {exc}",
                    url=self._url,
                    code="content_decoding",
                ) from exc
            self._started = True
            pieces.append(piece)
            produced += len(piece)
            if produced > room:
                break
            # A non-empty unconsumed tail means the output limit was hit: handled above.
            data = b""
            unused = self._obj.unused_data
            if self._obj.eof and unused[:2] == b"\x1f\x8b" and self._wbits == 16 + zlib.MAX_WBITS:
                self._obj = zlib.decompressobj(self._wbits)  # next gzip member
                data = unused
        return b"".join(pieces)

    def finish(self, room: int) -> bytes:
        if self._obj is None:
            return b""
        return self._obj.flush(room + 1)


@dataclass
class _HostState:
    semaphore: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0


class _HostGate:
    """Per-host concurrency limit plus a minimum delay between request starts."""

    def __init__(
        self,
        concurrency: int,
        delay: float,
        sleep: Callable[[float], None],
        overrides: Mapping[str, float] | None = None,
    ) -> None:
        self._concurrency = max(1, concurrency)
        self._delay = max(0.0, delay)
        self._overrides = {h.lower(): max(0.0, d) for h, d in (overrides or {}).items()}
        self._sleep = sleep
        self._lock = threading.Lock()
        self._hosts: dict[str, _HostState] = {}

    @contextmanager
    def slot(self, host: str, deadline: float, url: str) -> Iterator[None]:
        with self._lock:
            state = self._hosts.get(host)
            if state is None:
                state = _HostState(threading.BoundedSemaphore(self._concurrency))
                self._hosts[host] = state
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not state.semaphore.acquire(timeout=remaining):
            raise TimeoutError_(f"deadline reached while waiting for a slot on {host}", url=url)
        try:
            with state.lock:
                now = time.monotonic()
                start = max(now, state.next_start)
                if start > deadline:
                    raise TimeoutError_(
                        f"deadline reached while waiting for the delay between requests to {host}",
                        url=url,
                    )
                state.next_start = start + self._overrides.get(host.lower(), self._delay)
            if start > now:
                self._sleep(start - now)
            yield
        finally:
            state.semaphore.release()


@dataclass(frozen=True)
class _Response:
    url: str
    status: int
    headers: httpx.Headers
    content: bytes


class _Retryable(Exception):
    def __init__(self, error: FetchError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


@dataclass
class _RobotsEntry:
    parser: Protego | None
    expires: float


class Fetcher:
    """Fetches URLs safely and politely. Thread-safe; one per process is enough."""

    def __init__(
        self,
        *,
        allow_hosts: Iterable[str] = (),
        max_body_bytes: int = 10 * 1024 * 1024,
        connect_timeout: float = 10.0,
        deadline: float = 30.0,
        max_redirects: int = 5,
        retries: int = 2,
        per_host_concurrency: int = 2,
        per_host_delay: float = 0.5,
        respect_robots: bool = True,
        user_agent: str = tidings.USER_AGENT,
        transport: httpx.BaseTransport | None = None,
        resolver: Callable[[str, int], list[str]] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        robots_ttl: float = 3600.0,
        host_delays: Mapping[str, float] | None = None,
    ) -> None:
        """Build a fetcher. ``transport`` and ``resolver`` exist for tests.

        ``resolver`` maps (host, port) to IP strings (default: the system
        resolver); ``sleep`` is used for backoff and per-host delays.
        """
        self._allow = _netguard.AllowList.parse(allow_hosts)
        self._max_body = max_body_bytes
        self._connect_timeout = connect_timeout
        self._deadline = deadline
        self._max_redirects = max_redirects
        self._retries = max(0, retries)
        self._respect_robots = respect_robots
        self._user_agent = user_agent
        self._robots_agent = user_agent.split("/", 1)[0].strip() or user_agent
        self._resolver = _transport.DeadlineResolver(resolver or _netguard.system_resolver)
        self._sleep = sleep
        self._robots_ttl = robots_ttl
        self._gate = _HostGate(per_host_concurrency, per_host_delay, sleep, host_delays)
        self._robots: dict[str, _RobotsEntry] = {}
        self._robots_lock = threading.Lock()
        self._client = httpx.Client(
            transport=transport or _transport.GuardedTransport(self._allow, self._resolver),
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment may bypass the guard
            headers={"User-Agent": user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )

    @classmethod
    def from_config(
        cls, *, extra_allow: Iterable[str] = (), host_delays: Mapping[str, float] | None = None
    ) -> Fetcher:
        """A fetcher configured from the ``TIDINGS_*`` settings. Raises ConfigError.

        ``extra_allow`` adds allow-list entries to ``TIDINGS_ALLOW_HOSTS``, e.g.
        ``"127.0.0.1:8765"`` to reach exactly one local publisher; ``host_delays``
        overrides the per-host delay for named hosts (the bundled demo publisher).
        """
        return cls(
            allow_hosts=[*config.read("ALLOW_HOSTS"), *extra_allow],
            max_body_bytes=config.read("MAX_BODY_BYTES"),
            connect_timeout=config.read("CONNECT_TIMEOUT"),
            deadline=config.read("FETCH_DEADLINE"),
            max_redirects=config.read("MAX_REDIRECTS"),
            retries=config.read("FETCH_RETRIES"),
            per_host_concurrency=config.read("PER_HOST_CONCURRENCY"),
            per_host_delay=config.read("PER_HOST_DELAY"),
            respect_robots=config.read("RESPECT_ROBOTS"),
            host_delays=host_delays,
        )

    def close(self) -> None:
        """Close pooled connections. Raises nothing."""
        self._client.close()
        self._resolver.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- public -------------------------------------------------------------

    def fetch(
        self,
        url: str,
        *,
        kind: Kind = "page",
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult:
        """GET ``url`` (following redirects) and return its decoded body.

        Sends If-None-Match / If-Modified-Since when ``etag`` / ``last_modified``
        are given; a 304 answer gives a result whose ``not_modified`` is true.
        robots.txt is consulted for ``kind="page"`` only.

        Raises (all FetchError subclasses): InvalidURLError, BlockedURLError,
        DNSError, ConnectError, TimeoutError_, TooManyRedirectsError,
        BodyTooLargeError, HTTPStatusError, RobotsDisallowedError; a plain
        FetchError (code ``content_decoding``) for an undecodable body.
        """
        started = time.monotonic()
        deadline = started + self._deadline
        token = _transport.deadline_var.set(deadline)
        try:
            return self._fetch(
                url,
                kind=kind,
                etag=etag,
                last_modified=last_modified,
                deadline=deadline,
                started=started,
                max_body=self._max_body,
                retries=self._retries,
            )
        finally:
            _transport.deadline_var.reset(token)

    # --- internals ------------------------------------------------------------

    def _fetch(
        self,
        url: str,
        *,
        kind: Kind,
        etag: str | None,
        last_modified: str | None,
        deadline: float,
        started: float,
        max_body: int,
        retries: int,
    ) -> FetchResult:
        headers = {"Accept": ACCEPT.get(kind, "*/*")}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        redirects: list[str] = []
        current = url
        while True:
            parsed = _netguard.check_url(current, self._allow, resolver=self._resolver)
            if kind == "page" and self._respect_robots:
                self._check_robots(parsed, current, deadline)
            response = self._with_retries(parsed, headers, deadline, max_body, retries)
            if response.status in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise HTTPStatusError(
                        f"server answered {response.status} without a Location header",
                        status=response.status,
                        url=current,
                    )
                redirects.append(current)
                if len(redirects) > self._max_redirects:
                    raise TooManyRedirectsError(
                        f"more than {self._max_redirects} redirects", url=url
                    )
                try:
                    current = str(parsed.join(location.strip()).copy_with(fragment=None))
                except (httpx.InvalidURL, ValueError) as exc:
                    raise HTTPStatusError(
                        f"server redirected to an invalid Location {location!r}",
                        status=response.status,
                        url=current,
                    ) from exc
                continue
            content_type, charset = _parse_content_type(response.headers.get("content-type"))
            return FetchResult(
                url=response.url,
                status=response.status,
                content=response.content,
                content_type=content_type,
                encoding=charset,
                etag=response.headers.get("etag") or (etag if response.status == 304 else None),
                last_modified=response.headers.get("last-modified")
                or (last_modified if response.status == 304 else None),
                redirects=tuple(redirects),
                elapsed=time.monotonic() - started,
            )

    def _with_retries(
        self,
        url: httpx.URL,
        headers: dict[str, str],
        deadline: float,
        max_body: int,
        retries: int,
    ) -> _Response:
        attempt = 0
        while True:
            try:
                return self._once(url, headers, deadline, max_body)
            except _Retryable as retry:
                if attempt >= retries:
                    raise retry.error from retry.error.__cause__
                delay = _BACKOFF_BASE * (2**attempt)
                delay += random.uniform(0, delay / 2)
                if retry.retry_after is not None:
                    delay = max(delay, retry.retry_after)
                if time.monotonic() + delay >= deadline:
                    raise retry.error from retry.error.__cause__
                attempt += 1
                self._sleep(delay)

    def _once(
        self, url: httpx.URL, headers: dict[str, str], deadline: float, max_body: int
    ) -> _Response:
        shown = str(url)
        with self._gate.slot(url.host, deadline, shown):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError_(f"gave up after the {self._deadline:g}s deadline", url=shown)
            timeout = httpx.Timeout(
                connect=min(self._connect_timeout, remaining),
                read=remaining,
                write=remaining,
                pool=remaining,
            )
            try:
                request = self._client.build_request("GET", url, headers=headers, timeout=timeout)
                response = self._client.send(request, stream=True)
            except TidingsError as exc:
                if exc.url is None:  # raised by the guarded connection: say which URL
                    exc.url = shown
                raise
            except httpx.ConnectTimeout as exc:
                error: FetchError = TimeoutError_(
                    f"connection timed out after {self._connect_timeout:g}s", url=shown
                )
                error.__cause__ = exc
                if time.monotonic() >= deadline:
                    raise error from exc
                raise _Retryable(error) from exc
            except httpx.TimeoutException as exc:
                raise TimeoutError_(
                    f"gave up after the {self._deadline:g}s deadline", url=shown
                ) from exc
            except httpx.TransportError as exc:
                if _certificate_error(exc):
                    raise ConnectError(
                        f"TLS certificate verification failed for {url.host}: {exc}", url=shown
                    ) from exc
                error = ConnectError(f"connection failed: {exc or type(exc).__name__}", url=shown)
                error.__cause__ = exc
                raise _Retryable(error) from exc
            try:
                return self._read(response, shown, deadline, max_body)
            finally:
                response.close()

    def _read(
        self, response: httpx.Response, url: str, deadline: float, max_body: int
    ) -> _Response:
        status = response.status_code
        if status in _REDIRECTS or status == 304:
            return _Response(url, status, response.headers, b"")
        if status in _RETRY_STATUSES or status >= 400:
            status_error = HTTPStatusError(
                f"server answered {status} {response.reason_phrase}".rstrip(),
                status=status,
                url=url,
            )
            if status in _RETRY_STATUSES:
                raise _Retryable(status_error, _retry_after(response.headers.get("retry-after")))
            raise status_error
        if not 200 <= status < 300:
            raise HTTPStatusError(f"unexpected status {status}", status=status, url=url)
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > max_body:
            raise BodyTooLargeError(
                f"body of {int(declared):,} bytes (Content-Length) exceeds the "
                f"{max_body:,}-byte limit",
                url=url,
            )
        decoder = _Decoder(response.headers.get("content-encoding"), url)
        chunks: list[bytes] = []
        total = 0

        def too_large() -> BodyTooLargeError:
            return BodyTooLargeError(
                f"body exceeds the {max_body:,}-byte limit after decompression", url=url
            )

        try:
            for raw in response.iter_raw():
                if time.monotonic() >= deadline:
                    raise TimeoutError_(
                        f"gave up after the {self._deadline:g}s deadline while reading the body",
                        url=url,
                    )
                piece = decoder.feed(raw, max_body - total)
                total += len(piece)
                if total > max_body:
                    raise too_large()
                chunks.append(piece)
            tail = decoder.finish(max_body - total)
        except httpx.TimeoutException as exc:
            raise TimeoutError_(
                f"gave up after the {self._deadline:g}s deadline while reading the body", url=url
            ) from exc
        except httpx.TransportError as exc:
            error = ConnectError(f"connection lost while reading the body: {exc}", url=url)
            error.__cause__ = exc
            raise _Retryable(error) from exc
        total += len(tail)
        if total > max_body:
            raise too_large()
        chunks.append(tail)
        return _Response(url, status, response.headers, b"".join(chunks))

    # --- robots.txt -----------------------------------------------------------

    def _check_robots(self, url: httpx.URL, shown: str, deadline: float) -> None:
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        now = time.monotonic()
        with self._robots_lock:
            entry = self._robots.get(origin)
        if entry is None or entry.expires <= now:
            entry = self._load_robots(origin, deadline)
            with self._robots_lock:
                self._robots[origin] = entry
        if entry.parser is not None and not entry.parser.can_fetch(shown, self._robots_agent):
            raise RobotsDisallowedError(
                f"robots.txt of {origin} disallows this page for {self._robots_agent}", url=shown
            )

    def _load_robots(self, origin: str, deadline: float) -> _RobotsEntry:
        now = time.monotonic()
        try:
            result = self._fetch(
                f"{origin}/robots.txt",
                kind="robots",
                etag=None,
                last_modified=None,
                deadline=deadline,
                started=now,
                max_body=_ROBOTS_MAX_BYTES,
                retries=0,
            )
        except HTTPStatusError as exc:
            if 400 <= exc.status < 500:  # no robots.txt: everything is allowed
                return _RobotsEntry(None, now + self._robots_ttl)
            return _RobotsEntry(None, now + min(self._robots_ttl, _ROBOTS_FAILURE_TTL))
        except FetchError:
            # Unreachable or refused robots.txt: allow, and ask again soon.
            return _RobotsEntry(None, now + min(self._robots_ttl, _ROBOTS_FAILURE_TTL))
        text = result.content.decode("utf-8", errors="replace")  # RFC 9309: UTF-8
        return _RobotsEntry(Protego.parse(text), now + self._robots_ttl)
