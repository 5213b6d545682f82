"""Limits that keep one bad server from hurting the process: size, time, retries, politeness."""

from __future__ import annotations

import contextlib
import email.utils
import itertools
import socket
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from tidings.core.errors import (
    BodyTooLargeError,
    HTTPStatusError,
    RobotsDisallowedError,
    TimeoutError_,
)
from tidings.core.fetch import Fetcher

from .conftest import DATA, LocalServer, reply

LOCAL = ["127.0.0.1"]
MiB = 1024 * 1024


# --- body size -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def gzip_bomb() -> bytes:
    """One gzip member inflating to 1 GiB of zeros, built in about a second (~1 MB)."""
    zeros = bytes(MiB)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    # After a full flush the compressor forgets its history, so the block for
    # each further MiB of zeros is the same bytes: repeat it.
    deflate.compress(zeros)
    deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.flush()
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + block * 1024 + end + struct.pack("<II", crc, (1024 * MiB) & 0xFFFFFFFF)


def _serve(body: bytes, headers: dict[str, str]) -> Callable[[BaseHTTPRequestHandler], None]:
    return lambda h: reply(h, 200, body, headers)


def _serve_unsized(
    body: bytes, headers: dict[str, str]
) -> Callable[[BaseHTTPRequestHandler], None]:
    """No Content-Length: the body ends when the connection closes (HTTP/1.0)."""

    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        for key, value in headers.items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.write(body)

    return handler


@pytest.mark.slow
def test_gzip_bomb_is_cut_at_the_cap_without_inflating(
    server: LocalServer, make_fetcher: Callable[..., Fetcher], gzip_bomb: bytes
) -> None:
    server.routes["/bomb"] = _serve_unsized(gzip_bomb, {"Content-Encoding": "gzip"})
    fetcher = make_fetcher(allow_hosts=LOCAL, max_body_bytes=MiB)
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLargeError, match="after decompression"):
            fetcher.fetch(server.url("/bomb"), kind="feed")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The server thread holds the ~1 MB compressed body; we may hold about one cap.
    assert peak < 6 * MiB, f"peak {peak / MiB:.1f} MiB"


def test_gzip_bomb_refused_with_default_cap(
    server: LocalServer, make_fetcher: Callable[..., Fetcher], gzip_bomb: bytes
) -> None:
    server.routes["/bomb"] = _serve_unsized(gzip_bomb, {"Content-Encoding": "gzip"})
    with pytest.raises(BodyTooLargeError) as info:
        make_fetcher(allow_hosts=LOCAL).fetch(server.url("/bomb"), kind="feed")
    assert info.value.code == "body_too_large"
    assert "10,485,760-byte limit" in info.value.message


@pytest.mark.parametrize("encoding", [None, "gzip"])
def test_body_at_the_cap_passes_and_one_byte_more_fails(
    server: LocalServer, make_fetcher: Callable[..., Fetcher], encoding: str | None
) -> None:
    cap = 64 * 1024 + 7
    for size in (cap, cap + 1):
        body = b"a" * size
        headers: dict[str, str] = {}
        if encoding:
            co = zlib.compressobj(6, zlib.DEFLATED, 31)
            body = co.compress(body) + co.flush()
            headers["Content-Encoding"] = encoding
        server.routes[f"/{size}"] = _serve(body, headers)
    fetcher = make_fetcher(allow_hosts=LOCAL, max_body_bytes=cap)
    assert len(fetcher.fetch(server.url(f"/{cap}"), kind="feed").content) == cap
    with pytest.raises(BodyTooLargeError):
        fetcher.fetch(server.url(f"/{cap + 1}"), kind="feed")


def test_body_without_length_is_cut(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    def endless(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.end_headers()  # no Content-Length: the body ends when the connection closes
        for _ in range(64):
            h.wfile.write(b"x" * 65536)

    server.routes["/endless"] = endless
    with pytest.raises(BodyTooLargeError):
        make_fetcher(allow_hosts=LOCAL, max_body_bytes=MiB).fetch(server.url("/endless"))


def test_declared_length_over_cap_refused_before_reading(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    def huge_then_silent(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(50 * MiB))
        h.end_headers()
        h.wfile.flush()
        time.sleep(3)

    server.routes["/huge"] = huge_then_silent
    fetcher = make_fetcher(allow_hosts=LOCAL, max_body_bytes=MiB, deadline=2.5)
    # Without the early check this would wait for a body that never comes (timeout).
    with pytest.raises(BodyTooLargeError, match=r"52,428,800 bytes \(Content-Length\)"):
        fetcher.fetch(server.url("/huge"), kind="feed", etag='"x"')


# --- time ------------------------------------------------------------------------------


def _trickle(status_line_first: bool) -> Callable[[BaseHTTPRequestHandler], None]:
    def handler(h: BaseHTTPRequestHandler) -> None:
        if status_line_first:
            h.send_response(200)
            h.send_header("Content-Length", "40")
            h.end_headers()
            h.wfile.flush()
            payload = b"y" * 40
        else:
            payload = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nX-Padding: " + b"p" * 30
        for byte in payload:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(0.2)

    return handler


@pytest.mark.slow
@pytest.mark.parametrize("where", ["body", "headers"])
def test_trickling_server_abandoned_at_deadline(
    server: LocalServer, make_fetcher: Callable[..., Fetcher], where: str
) -> None:
    # 40 bytes at 5 bytes/s would take 8 s; every single read is quick, so only
    # an overall deadline stops it.
    server.routes["/slow"] = _trickle(status_line_first=where == "body")
    fetcher = make_fetcher(allow_hosts=LOCAL, deadline=1.5)
    started = time.monotonic()
    with pytest.raises(TimeoutError_) as info:
        fetcher.fetch(server.url("/slow"), kind="feed")
    took = time.monotonic() - started
    assert info.value.code == "timeout"
    assert took < 4.0, f"abandoned after {took:.1f}s, deadline 1.5s"


def test_silent_server_times_out(server: LocalServer, make_fetcher: Callable[..., Fetcher]) -> None:
    server.routes["/silent"] = lambda h: time.sleep(2.5)
    with pytest.raises(TimeoutError_):
        make_fetcher(allow_hosts=LOCAL, deadline=1.0).fetch(server.url("/silent"), kind="feed")


# --- retries ---------------------------------------------------------------------------


def _flaky(
    statuses: list[int], headers: dict[str, str] | None = None
) -> Callable[[BaseHTTPRequestHandler], None]:
    answers = iter(statuses)

    def handler(h: BaseHTTPRequestHandler) -> None:
        status = next(answers, 200)
        reply(h, status, b"ok" if status == 200 else b"busy", headers if status != 200 else {})

    return handler


def test_5xx_retried_with_growing_backoff(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    server.routes["/feed"] = _flaky([503, 502])
    slept: list[float] = []
    result = make_fetcher(allow_hosts=LOCAL, retries=2, sleep=slept.append).fetch(
        server.url("/feed"), kind="feed"
    )
    assert result.content == b"ok"
    assert len(server.seen) == 3
    assert len(slept) == 2
    assert 0.5 <= slept[0] <= 0.75 and 1.0 <= slept[1] <= 1.5  # base 0.5 s, doubling, +jitter


def test_gives_up_with_status_code(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    server.routes["/feed"] = _flaky([503] * 10)
    slept: list[float] = []
    with pytest.raises(HTTPStatusError) as info:
        make_fetcher(allow_hosts=LOCAL, retries=2, sleep=slept.append).fetch(
            server.url("/feed"), kind="feed"
        )
    assert info.value.code == "http_503" and info.value.status == 503
    assert len(server.seen) == 3 and len(slept) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_4xx_not_retried(status: int) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status)

    fetcher = Fetcher(
        transport=httpx.MockTransport(handler),
        resolver=lambda host, port: ["93.184.215.14"],
        sleep=lambda s: None,
        per_host_delay=0,
    )
    with pytest.raises(HTTPStatusError) as info:
        fetcher.fetch("https://news.test/feed", kind="feed")
    assert info.value.code == f"http_{status}"
    assert len(calls) == 1


def test_429_honours_retry_after_seconds(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    server.routes["/feed"] = _flaky([429], {"Retry-After": "7"})
    slept: list[float] = []
    result = make_fetcher(allow_hosts=LOCAL, sleep=slept.append).fetch(
        server.url("/feed"), kind="feed"
    )
    assert result.content == b"ok"
    assert slept == [7.0]


def test_retry_after_http_date(server: LocalServer, make_fetcher: Callable[..., Fetcher]) -> None:
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    server.routes["/feed"] = _flaky([503], {"Retry-After": when})
    slept: list[float] = []
    make_fetcher(allow_hosts=LOCAL, sleep=slept.append).fetch(server.url("/feed"), kind="feed")
    assert len(slept) == 1 and 17.5 <= slept[0] <= 21


def test_retry_after_beyond_deadline_gives_up_now(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    server.routes["/feed"] = _flaky([429], {"Retry-After": "3600"})
    slept: list[float] = []
    with pytest.raises(HTTPStatusError) as info:
        make_fetcher(allow_hosts=LOCAL, sleep=slept.append, deadline=30).fetch(
            server.url("/feed"), kind="feed"
        )
    assert info.value.code == "http_429"
    assert slept == [] and len(server.seen) == 1


@pytest.mark.slow
def test_retries_stop_at_the_deadline(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    server.routes["/feed"] = _flaky([503] * 50, {"Retry-After": "1"})
    started = time.monotonic()
    with pytest.raises(HTTPStatusError):
        make_fetcher(allow_hosts=LOCAL, retries=50, deadline=2.5).fetch(
            server.url("/feed"), kind="feed"
        )
    assert time.monotonic() - started < 3.0
    assert 2 <= len(server.seen) <= 3


# --- politeness --------------------------------------------------------------------------


class _Busy:
    """Requests inside the slow route's pause at once, and the most seen.

    Counted around the pause only: the server's own count drops after the reply is
    written, so a client may already have sent its next request (a false extra).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def route(self, h: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(0.3)
        with self.lock:
            self.now -= 1
        reply(h, 200, b"ok")


def _in_parallel(fetcher: Fetcher, urls: list[str]) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(url: str) -> None:
        try:
            fetcher.fetch(url, kind="feed")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_per_host_concurrency_limit(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    busy = _Busy()
    server.routes["/slow"] = busy.route
    fetcher = make_fetcher(allow_hosts=LOCAL, per_host_concurrency=2)
    assert _in_parallel(fetcher, [server.url(f"/slow?{i}") for i in range(6)]) == []
    assert len(server.seen) == 6
    assert busy.peak == 2


def test_concurrency_limit_is_per_host(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    busy = _Busy()
    server.routes["/slow"] = busy.route
    names = {"a.test": LOCAL, "b.test": LOCAL}
    fetcher = make_fetcher(
        allow_hosts=LOCAL, per_host_concurrency=2, resolver=lambda host, port: names[host]
    )
    urls = [f"http://{h}:{server.port}/slow?{i}" for h in names for i in range(4)]
    assert _in_parallel(fetcher, urls) == []
    assert busy.peak == 4


def test_per_host_delay(server: LocalServer, make_fetcher: Callable[..., Fetcher]) -> None:
    server.routes["/feed"] = lambda h: reply(h, 200, b"ok")
    fetcher = make_fetcher(allow_hosts=LOCAL, per_host_delay=0.3, per_host_concurrency=4)
    assert _in_parallel(fetcher, [server.url(f"/feed?{i}") for i in range(4)]) == []
    starts = sorted(s.at for s in server.seen)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(gaps) == 3 and min(gaps) >= 0.25, gaps


# --- robots.txt ---------------------------------------------------------------------------


def _robots(server: LocalServer, name: str) -> None:
    body = (DATA / name).read_bytes()
    server.routes["/robots.txt"] = lambda h: reply(h, 200, body, {"Content-Type": "text/plain"})
    for path in ("/private/story", "/open/story", "/members/story"):
        server.routes[path] = lambda h: reply(
            h, 200, b"<p>story</p>", {"Content-Type": "text/html"}
        )


def test_robots_disallow_for_our_agent(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    _robots(server, "robots_tidings_private.txt")
    fetcher = make_fetcher(allow_hosts=LOCAL)
    with pytest.raises(RobotsDisallowedError) as info:
        fetcher.fetch(server.url("/private/story"), kind="page")
    assert info.value.code == "robots_disallowed"
    assert fetcher.fetch(server.url("/open/story"), kind="page").status == 200
    # Our group names us, so the "*" group's /members rule does not apply to us.
    assert fetcher.fetch(server.url("/members/story"), kind="page").status == 200
    assert "/private/story" not in server.paths()
    assert server.paths().count("/robots.txt") == 1  # cached per host


def test_robots_only_for_pages(server: LocalServer, make_fetcher: Callable[..., Fetcher]) -> None:
    _robots(server, "robots_everyone_out.txt")
    fetcher = make_fetcher(allow_hosts=LOCAL)
    assert fetcher.fetch(server.url("/private/story"), kind="feed").status == 200
    with pytest.raises(RobotsDisallowedError):
        fetcher.fetch(server.url("/open/story"), kind="page")
    assert server.paths() == ["/private/story", "/robots.txt"]


def test_robots_for_other_agents_does_not_apply(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    _robots(server, "robots_other_bot_out.txt")
    assert make_fetcher(allow_hosts=LOCAL).fetch(server.url("/open/story")).status == 200


@pytest.mark.parametrize("status", [404, 403, 500])
def test_missing_or_broken_robots_allows(
    server: LocalServer, make_fetcher: Callable[..., Fetcher], status: int
) -> None:
    server.routes["/robots.txt"] = lambda h: reply(h, status, b"nope")
    server.routes["/story"] = lambda h: reply(h, 200, b"<p>story</p>")
    assert make_fetcher(allow_hosts=LOCAL).fetch(server.url("/story")).content == b"<p>story</p>"
    assert server.paths() == ["/robots.txt", "/story"]


def test_robots_cache_expires(server: LocalServer, make_fetcher: Callable[..., Fetcher]) -> None:
    _robots(server, "robots_tidings_private.txt")
    fetcher = make_fetcher(allow_hosts=LOCAL, robots_ttl=0)
    fetcher.fetch(server.url("/open/story"))
    fetcher.fetch(server.url("/open/story"))
    assert server.paths().count("/robots.txt") == 2


def test_robots_can_be_ignored(server: LocalServer, make_fetcher: Callable[..., Fetcher]) -> None:
    _robots(server, "robots_everyone_out.txt")
    fetcher = make_fetcher(allow_hosts=LOCAL, respect_robots=False)
    assert fetcher.fetch(server.url("/private/story")).status == 200
    assert "/robots.txt" not in server.paths()


def test_robots_checked_after_redirect(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    _robots(server, "robots_tidings_private.txt")
    server.routes["/short"] = lambda h: reply(h, 301, headers={"Location": "/private/story"})
    with pytest.raises(RobotsDisallowedError):
        make_fetcher(allow_hosts=LOCAL).fetch(server.url("/short"))
    assert "/private/story" not in server.paths()


def test_slow_dns_abandoned_at_deadline(make_fetcher: Callable[..., Fetcher]) -> None:
    def slow_resolver(host: str, port: int) -> list[str]:
        time.sleep(2.5)
        return ["93.184.215.14"]

    fetcher = make_fetcher(resolver=slow_resolver, deadline=0.5)
    started = time.monotonic()
    with pytest.raises(TimeoutError_, match="outlasted the fetch deadline"):
        fetcher.fetch("http://slow-dns.test/feed", kind="feed")
    assert time.monotonic() - started < 2.0


def test_connect_timeout(make_fetcher: Callable[..., Fetcher]) -> None:
    # A listener whose accept queue is full: the kernel drops further SYNs, so a
    # connection attempt hangs until the client's connect timeout.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    held = []
    for _ in range(3):
        client = socket.socket()
        client.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            client.connect(("127.0.0.1", port))
        held.append(client)
    try:
        slept: list[float] = []
        fetcher = make_fetcher(
            allow_hosts=LOCAL, connect_timeout=0.4, deadline=20, retries=1, sleep=slept.append
        )
        started = time.monotonic()
        with pytest.raises(TimeoutError_, match=r"connection timed out after 0\.4s"):
            fetcher.fetch(f"http://127.0.0.1:{port}/feed", kind="feed")
        assert time.monotonic() - started < 5
        assert len(slept) == 1  # a connect timeout is retried like other connection errors
    finally:
        for client in held:
            client.close()
        listener.close()
