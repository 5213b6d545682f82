"""Fetching from a real local server: results, headers, redirects and the guard on the wire."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

import tidings
from tidings.core.errors import (
    BlockedURLError,
    BodyTooLargeError,
    ConnectError,
    FetchError,
    HTTPStatusError,
    InvalidURLError,
    TooManyRedirectsError,
)
from tidings.core.fetch import Fetcher, FetchResult

from .conftest import DATA, LocalServer, reply

LOCAL = ["127.0.0.1"]
PAGE = (DATA / "sample_page.html").read_bytes()
FEED = (DATA / "sample_feed.xml").read_bytes()


def test_fetch_page(server: LocalServer, make_fetcher: Callable[..., Fetcher]) -> None:
    server.routes["/bridge"] = lambda h: reply(
        h, 200, PAGE, {"Content-Type": "text/html; charset=UTF-8", "ETag": '"v1"'}
    )
    result = make_fetcher(allow_hosts=LOCAL, respect_robots=False).fetch(server.url("/bridge"))
    assert isinstance(result, FetchResult)
    assert result.status == 200
    assert result.content == PAGE
    assert result.content_type == "text/html"
    assert result.encoding == "UTF-8"
    assert result.etag == '"v1"'
    assert result.last_modified is None
    assert result.redirects == ()
    assert result.url == server.url("/bridge")
    assert not result.not_modified
    assert result.elapsed > 0


@pytest.mark.parametrize(
    ("kind", "first"),
    [
        ("feed", "application/rss+xml"),
        ("page", "text/html"),
        ("opml", "text/x-opml"),
        ("icon", "image/"),
    ],
)
def test_honest_headers(
    server: LocalServer, make_fetcher: Callable[..., Fetcher], kind: str, first: str
) -> None:
    server.routes["/x"] = lambda h: reply(h, 200, b"ok")
    make_fetcher(allow_hosts=LOCAL, respect_robots=False).fetch(server.url("/x"), kind=kind)  # type: ignore[arg-type]
    headers = server.seen[-1].headers
    assert headers["User-Agent"] == tidings.USER_AGENT
    assert headers["Accept"].startswith(first)
    assert headers["Accept-Encoding"] == "gzip, deflate"  # no br: no bounded decoder for it
    assert "If-None-Match" not in headers


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
        ("gzip", lambda b: gzip.compress(b[:100]) + gzip.compress(b[100:])),  # two members
    ],
)
def test_compressed_bodies_are_decoded(
    server: LocalServer,
    make_fetcher: Callable[..., Fetcher],
    encoding: str,
    compress: Callable[[bytes], bytes],
) -> None:
    server.routes["/feed"] = lambda h: reply(
        h,
        200,
        compress(FEED),
        {"Content-Encoding": encoding, "Content-Type": "application/rss+xml"},
    )
    result = make_fetcher(allow_hosts=LOCAL).fetch(server.url("/feed"), kind="feed")
    assert result.content == FEED
    assert result.content_type == "application/rss+xml"
    assert result.encoding is None


def test_corrupt_gzip_is_a_decoding_error(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    server.routes["/feed"] = lambda h: reply(
        h, 200, b"not gzip at all", {"Content-Encoding": "gzip"}
    )
    with pytest.raises(FetchError) as info:
        make_fetcher(allow_hosts=LOCAL).fetch(server.url("/feed"), kind="feed")
    assert info.value.code == "content_decoding"


# --- conditional GET -------------------------------------------------------------


def _conditional(h: BaseHTTPRequestHandler) -> None:
    if h.headers.get("If-None-Match") == '"v2"' or h.headers.get("If-Modified-Since"):
        reply(h, 304, headers={"ETag": '"v2"'})
    else:
        reply(
            h,
            200,
            FEED,
            {"ETag": '"v2"', "Last-Modified": "Tue, 03 Mar 2026 10:00:00 GMT"},
        )


def test_conditional_get(server: LocalServer, make_fetcher: Callable[..., Fetcher]) -> None:
    server.routes["/feed"] = _conditional
    fetcher = make_fetcher(allow_hosts=LOCAL)
    first = fetcher.fetch(server.url("/feed"), kind="feed")
    assert first.status == 200 and first.etag == '"v2"'
    assert first.last_modified == "Tue, 03 Mar 2026 10:00:00 GMT"

    again = fetcher.fetch(server.url("/feed"), kind="feed", etag=first.etag)
    assert server.seen[-1].headers["If-None-Match"] == '"v2"'
    assert again.not_modified and again.status == 304 and again.content == b""
    assert again.etag == '"v2"'

    by_date = fetcher.fetch(server.url("/feed"), kind="feed", last_modified=first.last_modified)
    assert server.seen[-1].headers["If-Modified-Since"] == "Tue, 03 Mar 2026 10:00:00 GMT"
    assert by_date.not_modified
    # A 304 without validators keeps the caller's.
    assert by_date.last_modified == first.last_modified


# --- redirects ---------------------------------------------------------------------


def _redirect(to: str, status: int = 302) -> Callable[[BaseHTTPRequestHandler], None]:
    return lambda h: reply(h, status, headers={"Location": to})


def test_relative_redirects(server: LocalServer, make_fetcher: Callable[..., Fetcher]) -> None:
    server.routes["/old/feed"] = _redirect("../new/feed?x=1", 301)
    server.routes["/new/feed"] = _redirect("/final", 308)
    server.routes["/final"] = lambda h: reply(h, 200, FEED)
    result = make_fetcher(allow_hosts=LOCAL).fetch(server.url("/old/feed"), kind="feed")
    assert result.url == server.url("/final")
    assert result.redirects == (server.url("/old/feed"), server.url("/new/feed?x=1"))
    assert result.content == FEED


def _chain(server: LocalServer, hops: int) -> str:
    for i in range(hops):
        server.routes[f"/r{i}"] = _redirect(f"/r{i + 1}")
    server.routes[f"/r{hops}"] = lambda h: reply(h, 200, b"end")
    return server.url("/r0")


def test_redirect_limit(server: LocalServer, make_fetcher: Callable[..., Fetcher]) -> None:
    start = _chain(server, 6)
    fetcher = make_fetcher(allow_hosts=LOCAL, max_redirects=5)
    with pytest.raises(TooManyRedirectsError):
        fetcher.fetch(start, kind="feed")
    assert "/r6" not in server.paths()
    assert make_fetcher(allow_hosts=LOCAL, max_redirects=6).fetch(start, kind="feed").content == (
        b"end"
    )


def test_redirect_loop_stops(server: LocalServer, make_fetcher: Callable[..., Fetcher]) -> None:
    server.routes["/a"] = _redirect("/b")
    server.routes["/b"] = _redirect("/a")
    with pytest.raises(TooManyRedirectsError):
        make_fetcher(allow_hosts=LOCAL).fetch(server.url("/a"), kind="feed")
    assert len(server.seen) == 6


def test_redirect_to_other_scheme_refused(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    server.routes["/feed"] = _redirect("file:///etc/passwd")
    with pytest.raises(InvalidURLError):
        make_fetcher(allow_hosts=LOCAL).fetch(server.url("/feed"), kind="feed")


# --- the guard on the wire -------------------------------------------------------------


def test_local_server_refused_without_allow_list(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    server.routes["/feed"] = lambda h: reply(h, 200, FEED)
    fetcher = make_fetcher()
    for url in (
        server.url("/feed"),
        f"http://2130706433:{server.port}/feed",
        f"http://127.1:{server.port}/feed",
        f"http://0x7f.0.0.1:{server.port}/feed",
        f"http://[::ffff:127.0.0.1]:{server.port}/feed",
    ):
        with pytest.raises(BlockedURLError):
            fetcher.fetch(url, kind="feed")
    assert server.seen == []


def test_odd_spelling_of_an_allowed_address_reaches_it(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    server.routes["/feed"] = lambda h: reply(h, 200, FEED)
    fetcher = make_fetcher(allow_hosts=LOCAL)
    assert fetcher.fetch(f"http://127.1:{server.port}/feed", kind="feed").content == FEED
    assert fetcher.fetch(f"http://2130706433:{server.port}/feed", kind="feed").content == FEED


def _names(mapping: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        if host not in mapping:
            raise OSError("Name or service not known")
        return mapping[host]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


def test_redirect_to_private_address_refused(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    # news.test is an allowed publisher living on 127.0.0.1; it must not be able to
    # bounce us to other local addresses.
    server.routes["/feed"] = _redirect(f"http://127.0.0.1:{server.port}/secret")
    server.routes["/meta"] = _redirect("http://169.254.169.254/latest/meta-data/")
    server.routes["/secret"] = lambda h: reply(h, 200, b"internal")
    fetcher = make_fetcher(allow_hosts=["news.test"], resolver=_names({"news.test": LOCAL}))
    for path in ("/feed", "/meta"):
        with pytest.raises(BlockedURLError):
            fetcher.fetch(f"http://news.test:{server.port}{path}", kind="feed")
    assert server.paths() == ["/feed", "/meta"]


def test_redirect_to_name_resolving_private_refused(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    server.routes["/feed"] = _redirect(f"http://intranet.test:{server.port}/secret")
    server.routes["/secret"] = lambda h: reply(h, 200, b"internal")
    resolver = _names({"news.test": LOCAL, "intranet.test": LOCAL})
    fetcher = make_fetcher(allow_hosts=["news.test"], resolver=resolver)
    with pytest.raises(BlockedURLError, match=r"intranet\.test \(127\.0\.0\.1\) is a loopback"):
        fetcher.fetch(f"http://news.test:{server.port}/feed", kind="feed")
    assert server.paths() == ["/feed"]


def test_connection_goes_to_the_checked_address_with_original_host(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    # news.test only exists in our resolver: the request can only arrive if the
    # connection is made to the address the guard checked.
    server.routes["/feed"] = lambda h: reply(h, 200, FEED)
    fetcher = make_fetcher(allow_hosts=LOCAL, resolver=_names({"news.test": LOCAL}))
    result = fetcher.fetch(f"http://news.test:{server.port}/feed", kind="feed")
    assert result.content == FEED
    assert result.url == f"http://news.test:{server.port}/feed"
    assert server.seen[0].headers["Host"] == f"news.test:{server.port}"


def test_dns_rebinding_is_refused(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    # First lookup public, every later one private: the address used for the
    # connection is the one checked at connect time, so the request never leaves.
    server.routes["/feed"] = lambda h: reply(h, 200, b"internal")
    answers = iter([["93.184.215.14"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers, ["127.0.0.1"])

    fetcher = make_fetcher(resolver=rebinding, retries=0)
    with pytest.raises(BlockedURLError, match=r"rebind\.test \(127\.0\.0\.1\)"):
        fetcher.fetch(f"http://rebind.test:{server.port}/feed", kind="feed")
    assert len(calls) == 2
    assert server.seen == []


def test_mixed_public_and_private_answers_refused(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    resolver = _names({"mixed.test": ["93.184.215.14", "127.0.0.1"]})
    with pytest.raises(BlockedURLError):
        make_fetcher(resolver=resolver).fetch(f"http://mixed.test:{server.port}/", kind="feed")
    assert server.seen == []


def test_proxy_environment_is_ignored(
    server: LocalServer, make_fetcher: Callable[..., Fetcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://192.0.2.1:3128")
    monkeypatch.setenv("ALL_PROXY", "http://192.0.2.1:3128")
    server.routes["/feed"] = lambda h: reply(h, 200, FEED)
    assert make_fetcher(allow_hosts=LOCAL).fetch(server.url("/feed"), kind="feed").content == FEED


# --- statuses and transport errors -----------------------------------------------------


def test_not_found_is_not_retried(
    server: LocalServer, make_fetcher: Callable[..., Fetcher]
) -> None:
    with pytest.raises(HTTPStatusError) as info:
        make_fetcher(allow_hosts=LOCAL, retries=3).fetch(server.url("/gone"), kind="feed")
    assert info.value.status == 404
    assert info.value.code == "http_404"
    assert info.value.url == server.url("/gone")
    assert server.paths() == ["/gone"]


def test_nothing_listening_is_a_connect_error(make_fetcher: Callable[..., Fetcher]) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    slept: list[float] = []
    fetcher = make_fetcher(allow_hosts=LOCAL, retries=2, sleep=slept.append)
    with pytest.raises(ConnectError):
        fetcher.fetch(f"http://127.0.0.1:{port}/feed", kind="feed")
    assert len(slept) == 2  # two retries, with backoff


def test_mock_transport_path_is_guarded_too() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/feed":
            return httpx.Response(302, headers={"Location": "http://10.0.0.8/admin"})
        return httpx.Response(200, content=b"admin")

    fetcher = Fetcher(
        transport=httpx.MockTransport(handler),
        resolver=lambda host, port: ["93.184.215.14"],
        per_host_delay=0,
    )
    with pytest.raises(BlockedURLError, match=r"10\.0\.0\.8 is a private address"):
        fetcher.fetch("https://news.test/feed", kind="feed")
    assert [str(r.url) for r in seen] == ["https://news.test/feed"]


def test_from_config_reads_settings(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    server.routes["/feed"] = lambda h: reply(h, 200, FEED)
    monkeypatch.setenv("TIDINGS_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("TIDINGS_PER_HOST_DELAY", "0")
    monkeypatch.setenv("TIDINGS_MAX_BODY_BYTES", "100")
    with Fetcher.from_config() as fetcher, pytest.raises(BodyTooLargeError):
        fetcher.fetch(server.url("/feed"), kind="feed")
    monkeypatch.delenv("TIDINGS_ALLOW_HOSTS")
    with Fetcher.from_config() as fetcher, pytest.raises(BlockedURLError):
        fetcher.fetch(server.url("/feed"), kind="feed")


def test_from_config_extra_allow_exempts_one_port(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.routes["/feed"] = lambda h: reply(h, 200, FEED)
    monkeypatch.delenv("TIDINGS_ALLOW_HOSTS", raising=False)
    with Fetcher.from_config(extra_allow=[f"127.0.0.1:{server.port}"]) as fetcher:
        assert fetcher.fetch(server.url("/feed"), kind="feed").content == FEED
    other_port = [f"127.0.0.1:{server.port + 1}"]
    with Fetcher.from_config(extra_allow=other_port) as fetcher, pytest.raises(BlockedURLError):
        fetcher.fetch(server.url("/feed"), kind="feed")
