"""A local publisher simulator: fictional outlets served over real HTTP on 127.0.0.1.

Used by tests, benchmarks and the offline demo. Each outlet is served under
``/<outlet>/``::

    /<outlet>/                    homepage (with <link rel="alternate"> to both feeds)
    /<outlet>/feed.rss            RSS 2.0 (links carry ?utm_... tracking parameters)
    /<outlet>/feed.atom           Atom 1.0
    /<outlet>/logo.svg            generated logo (also favicon.svg)
    /<outlet>/<section>/<slug>    article page with realistic furniture
    /<outlet>/images/<slug>.svg   generated lead image
    /robots.txt, /                shared robots.txt and an index of outlets

Every response carries ETag and Last-Modified and answers conditional requests with
304. Faults (slow, trickle, 5xx, 429, 304, redirect chains, redirect to a private
address, gzip bomb, broken XML, wrong charset, duplicate GUIDs) can be switched on per
path glob or globally::

    with Simulator(SimCorpus.from_demo()) as sim:
        sim.set_fault("/harbour-herald/feed.rss", Fault.server_error(503, times=2))
        feeds = sim.feed_urls()

Run standalone: ``python -m tidings.core.simulator --port 8765 --demo``.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import ipaddress
import struct
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from tidings.core._sim_render import (
    ROBOTS_TXT,
    SAMPLE_FOOTER,
    SimArticle,
    SimOutlet,
    article_html,
    atom_feed,
    homepage_html,
    http_date,
    index_html,
    lead_image_svg,
    logo_svg,
    rss_feed,
    slugify,
)

__all__ = [
    "SAMPLE_FOOTER",
    "Fault",
    "LoggedRequest",
    "SimArticle",
    "SimCorpus",
    "SimOutlet",
    "Simulator",
]

FaultKind = Literal[
    "slow",
    "trickle",
    "status",
    "too_many_requests",
    "not_modified",
    "redirect",
    "redirect_private",
    "gzip_bomb",
    "broken_xml",
    "wrong_charset",
    "duplicate_guids",
]

_HOP_PREFIX = "/_hop/"


@dataclass(frozen=True, slots=True)
class Fault:
    """A misbehaviour to apply to matching requests. Build one with the class methods.

    ``times``: apply to the first N matching requests only, then serve normally
    (``None``: always). Useful to test retries.
    """

    kind: FaultKind
    delay: float = 0.0
    status: int = 503
    retry_after: int = 1
    hops: int = 3
    target: str = "http://169.254.169.254/latest/meta-data/"
    size: int = 1 << 30
    times: int | None = None

    @classmethod
    def slow(cls, seconds: float, *, times: int | None = None) -> Fault:
        """Wait ``seconds`` before sending anything, then respond normally."""
        return cls("slow", delay=seconds, times=times)

    @classmethod
    def trickle(cls, interval: float = 1.0, *, times: int | None = None) -> Fault:
        """Send headers at once, then the body one byte every ``interval`` seconds."""
        return cls("trickle", delay=interval, times=times)

    @classmethod
    def server_error(cls, status: int = 503, *, times: int | None = None) -> Fault:
        """Answer with an error status (5xx, or any other code such as 404 or 410)."""
        return cls("status", status=status, times=times)

    @classmethod
    def too_many_requests(cls, retry_after: int = 1, *, times: int | None = None) -> Fault:
        """Answer 429 with ``Retry-After: <retry_after>``."""
        return cls("too_many_requests", status=429, retry_after=retry_after, times=times)

    @classmethod
    def not_modified(cls, *, times: int | None = None) -> Fault:
        """Answer 304 whatever the request's validators."""
        return cls("not_modified", status=304, times=times)

    @classmethod
    def redirects(cls, hops: int = 3, *, times: int | None = None) -> Fault:
        """A chain of ``hops`` 302 redirects before the real content."""
        return cls("redirect", hops=hops, times=times)

    @classmethod
    def redirect_private(
        cls, target: str = "http://169.254.169.254/latest/meta-data/", *, times: int | None = None
    ) -> Fault:
        """Redirect (302) to a private/link-local address (a cloud metadata endpoint)."""
        return cls("redirect_private", target=target, times=times)

    @classmethod
    def gzip_bomb(cls, size: int = 1 << 30, *, times: int | None = None) -> Fault:
        """``Content-Encoding: gzip`` body inflating to ``size`` zero bytes (~size/1000 sent)."""
        return cls("gzip_bomb", size=size, times=times)

    @classmethod
    def broken_xml(cls, *, times: int | None = None) -> Fault:
        """Truncate the body and inject an undefined entity (malformed XML/HTML)."""
        return cls("broken_xml", times=times)

    @classmethod
    def wrong_charset(cls, *, times: int | None = None) -> Fault:
        """Encode the body as windows-1252 while headers and XML declaration say UTF-8."""
        return cls("wrong_charset", times=times)

    @classmethod
    def duplicate_guids(cls, *, times: int | None = None) -> Fault:
        """Feeds list every item twice and give two different items the same GUID."""
        return cls("duplicate_guids", times=times)


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One request seen by the simulator (``path`` includes the query string)."""

    method: str
    path: str
    headers: dict[str, str]
    time: float
    status: int = (
        0  # the status line sent; 0 while none is (or none ever was: a dropped connection)
    )


@dataclass(frozen=True, slots=True)
class SimCorpus:
    """Outlets and articles to serve."""

    outlets: tuple[SimOutlet, ...]
    articles: tuple[SimArticle, ...]

    @classmethod
    def from_demo(cls, now: datetime | None = None) -> SimCorpus:
        """The shipped demo corpus, with publication times relative to ``now``."""
        from tidings.demo import load_corpus

        moment = (now or datetime.now(UTC)).replace(microsecond=0)
        demo = load_corpus()
        outlets = tuple(
            SimOutlet(
                slug=o.slug,
                name=o.name,
                language=o.language,
                country=o.country,
                color=o.color,
                tagline=o.tagline,
            )
            for o in demo.outlets
        )
        articles = tuple(
            SimArticle(
                outlet=a.outlet,
                slug=a.slug,
                title=a.title,
                published=moment - timedelta(minutes=a.age_minutes),
                paragraphs=a.paragraphs,
                byline=a.byline,
                dateline=a.dateline,
                section=a.section,
                language=a.language,
                image_alt=a.lead_image.alt,
                image_caption=a.lead_image.caption,
                image_credit=a.lead_image.credit,
            )
            for a in demo.articles
        )
        return cls(outlets=outlets, articles=articles)

    @classmethod
    def from_records(
        cls,
        records: Iterable[Mapping[str, Any]],
        *,
        copies: int = 1,
        now: datetime | None = None,
    ) -> SimCorpus:
        """Build a corpus from plain records, e.g. benchmark pages.

        A record has ``title`` and either ``html`` (served as-is) or ``paragraphs``;
        optional keys: ``outlet`` (slug, default ``"bench"``), ``slug``, ``section``,
        ``byline``, ``dateline``, ``language``, ``published`` (datetime or ISO string)
        or ``age_minutes``. Each record is served ``copies`` times under distinct URLs.
        """
        moment = (now or datetime.now(UTC)).replace(microsecond=0)
        outlets: dict[str, SimOutlet] = {}
        articles: list[SimArticle] = []
        seen: set[tuple[str, str]] = set()
        for index, record in enumerate(records):
            outlet = str(record.get("outlet") or "bench")
            if outlet not in outlets:
                outlets[outlet] = SimOutlet(slug=outlet, name=outlet.replace("-", " ").title())
            title = str(record.get("title") or f"Record {index}")
            base_slug = str(record.get("slug") or slugify(title)[:60] or f"record-{index}")
            published = record.get("published")
            if isinstance(published, str):
                published = datetime.fromisoformat(published)
            if not isinstance(published, datetime):
                published = moment - timedelta(minutes=int(record.get("age_minutes", index)))
            if published.tzinfo is None:
                published = published.replace(tzinfo=UTC)
            for copy in range(copies):
                slug = base_slug if copy == 0 else f"{base_slug}-{copy + 1}"
                while (outlet, slug) in seen:
                    slug = f"{slug}-{index}"
                seen.add((outlet, slug))
                articles.append(
                    SimArticle(
                        outlet=outlet,
                        slug=slug,
                        title=title,
                        published=published,
                        paragraphs=tuple(record.get("paragraphs") or ()),
                        byline=str(record.get("byline") or ""),
                        dateline=str(record.get("dateline") or ""),
                        section=str(record.get("section") or "News"),
                        language=str(record.get("language") or "en"),
                        raw_html=record.get("html"),
                    )
                )
        return cls(outlets=tuple(outlets.values()), articles=tuple(articles))

    def outlet(self, slug: str) -> SimOutlet | None:
        for outlet in self.outlets:
            if outlet.slug == slug:
                return outlet
        return None

    def articles_of(self, outlet: str) -> list[SimArticle]:
        """An outlet's articles, newest first."""
        found = [a for a in self.articles if a.outlet == outlet]
        return sorted(found, key=lambda a: a.published, reverse=True)


@dataclass(slots=True)
class _Response:
    status: int
    body: bytes
    content_type: str
    last_modified: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _FaultRule:
    glob: str
    fault: Fault
    used: int = 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    simulator: Simulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (often on purpose, in tests) are not errors."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "TidingsSimulator/1.0"
    # Headers and body go out in two writes: with Nagle's algorithm the body's last
    # segment waits for the client's delayed ACK (~15 ms a page on loopback).
    disable_nagle_algorithm = True

    #: Told the status of the request being answered as its status line goes out.
    on_status: Callable[[int], None] | None = None

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests are recorded in ``Simulator.request_log`` instead."""

    def send_response(self, code: int, message: str | None = None) -> None:
        if self.on_status is not None:
            self.on_status(code)
        super().send_response(code, message)

    def do_GET(self) -> None:
        self.server.simulator._handle(self, head=False)

    def do_HEAD(self) -> None:
        self.server.simulator._handle(self, head=True)


class Simulator:
    """A threaded HTTP server on 127.0.0.1 serving a :class:`SimCorpus`."""

    _bombs: ClassVar[dict[int, bytes]] = {}
    _bomb_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, corpus: SimCorpus, host: str = "127.0.0.1", port: int = 0) -> None:
        if host == "localhost":
            host = "127.0.0.1"
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback or ipaddress.ip_address(host).version != 4:
            raise ValueError(f"the simulator only listens on IPv4 loopback, not {host!r}")
        self.corpus = corpus
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._faults: list[_FaultRule] = []
        self._log: list[LoggedRequest] = []

    # --- lifecycle --------------------------------------------------------------

    def start(self) -> Simulator:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self._host, self._port), _Handler)
        server.simulator = self
        self._server = server
        self._port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- public helpers ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        return f"http://{self._host}:{self._port}"

    def feed_urls(self, kind: Literal["rss", "atom"] = "rss") -> list[str]:
        """One feed URL per outlet (RSS by default, or Atom)."""
        return [f"{self.base_url}/{o.slug}/feed.{kind}" for o in self.corpus.outlets]

    def homepage_urls(self) -> list[str]:
        return [f"{self.base_url}/{o.slug}/" for o in self.corpus.outlets]

    def article_url(self, outlet: str, slug: str) -> str:
        """The canonical URL of an article (no tracking parameters)."""
        for article in self.corpus.articles:
            if article.outlet == outlet and article.slug == slug:
                return f"{self.base_url}{article.path}"
        raise KeyError(f"{outlet}/{slug}")

    def set_fault(self, path_glob: str, fault: Fault) -> None:
        """Apply ``fault`` to paths matching ``path_glob`` (``"*"``: everything).

        The path is matched without its query string. The most recently set matching
        rule wins.
        """
        with self._lock:
            self._faults.append(_FaultRule(path_glob, fault))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def request_log(self) -> list[LoggedRequest]:
        """A copy of every request received so far, in arrival order."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    # --- request handling -------------------------------------------------------

    def _take_fault(self, path: str) -> Fault | None:
        if path.startswith(_HOP_PREFIX):
            return None
        with self._lock:
            for rule in reversed(self._faults):
                if not fnmatch.fnmatchcase(path, rule.glob):
                    continue
                if rule.fault.times is not None and rule.used >= rule.fault.times:
                    continue
                rule.used += 1
                return rule.fault
        return None

    def _handle(self, handler: _Handler, *, head: bool) -> None:
        raw_path = handler.path
        path = urlsplit(raw_path).path or "/"
        headers = {k.lower(): v for k, v in handler.headers.items()}
        record_index: int
        with self._lock:
            self._log.append(LoggedRequest(handler.command, raw_path, headers, time.time()))
            record_index = len(self._log) - 1
        fault = self._take_fault(path)

        def record(status: int) -> None:
            # Before the status line is written: a client holding the answer always
            # finds its status in the log.
            with self._lock:
                if record_index < len(self._log):
                    self._log[record_index] = replace(self._log[record_index], status=status)

        handler.on_status = record
        try:
            self._respond(handler, path, headers, fault, head=head)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            handler.close_connection = True
        finally:
            handler.on_status = None

    def _respond(
        self,
        handler: _Handler,
        path: str,
        headers: dict[str, str],
        fault: Fault | None,
        *,
        head: bool,
    ) -> int:
        if fault is not None and fault.kind == "slow" and self._stopping.wait(fault.delay):
            return 0
        if fault is not None and fault.kind in ("redirect", "redirect_private"):
            if fault.kind == "redirect_private":
                location = fault.target
            else:
                location = f"{self.base_url}{_HOP_PREFIX}{max(fault.hops - 1, 0)}{path}"
            return self._send(handler, _Response(302, b"", "text/plain"), {"Location": location})
        if path.startswith(_HOP_PREFIX):
            remaining, _, target = path[len(_HOP_PREFIX) :].partition("/")
            target = "/" + target
            if remaining.isdigit() and int(remaining) > 0:
                location = f"{self.base_url}{_HOP_PREFIX}{int(remaining) - 1}{target}"
                return self._send(
                    handler, _Response(302, b"", "text/plain"), {"Location": location}
                )
            path = target
        if fault is not None and fault.kind == "status":
            body = f"<h1>Error {fault.status}</h1><p>{SAMPLE_FOOTER}</p>".encode()
            return self._send(handler, _Response(fault.status, body, "text/html"), head=head)
        if fault is not None and fault.kind == "too_many_requests":
            body = b"<h1>Too many requests</h1><p>Slow down.</p>"
            extra = {"Retry-After": str(fault.retry_after)}
            return self._send(handler, _Response(429, body, "text/html"), extra, head=head)
        if fault is not None and fault.kind == "not_modified":
            return self._send(handler, _Response(304, b"", "text/plain"), head=True)
        if fault is not None and fault.kind == "gzip_bomb":
            body = self._bomb(fault.size)
            extra = {"Content-Encoding": "gzip"}
            return self._send(handler, _Response(200, body, "text/html"), extra, head=head)

        response = self._route(path, fault)
        if fault is not None and fault.kind == "broken_xml" and response.status == 200:
            text = response.body.decode("utf-8")
            cut = text[: max(len(text) // 2, 1)]
            response.body = (cut + "&undefinedentity; <unclosed attr='x>").encode("utf-8")
        if fault is not None and fault.kind == "wrong_charset" and response.status == 200:
            response.body = response.body.decode("utf-8").encode("cp1252", errors="replace")
        if response.status == 200 and self._not_modified(response, headers):
            return self._send(handler, _Response(304, b"", response.content_type), head=True)
        if fault is not None and fault.kind == "trickle":
            return self._trickle(handler, response, fault.delay)
        return self._send(handler, response, head=head)

    def _route(self, path: str, fault: Fault | None) -> _Response:
        corpus = self.corpus
        if path == "/":
            return _Response(200, index_html(corpus.outlets, self.base_url).encode(), "text/html")
        if path == "/robots.txt":
            return _Response(200, ROBOTS_TXT.encode(), "text/plain")
        parts = [p for p in path.split("/") if p]
        outlet = corpus.outlet(parts[0]) if parts else None
        if outlet is None:
            return self._not_found()
        articles = corpus.articles_of(outlet.slug)
        newest = articles[0].published if articles else None
        rest = parts[1:]
        if not rest:
            body = homepage_html(outlet, articles, self.base_url)
            return _Response(200, body.encode(), "text/html", newest)
        if rest == ["feed.rss"]:
            items = articles
            guids: dict[str, str] | None = None
            if fault is not None and fault.kind == "duplicate_guids" and len(articles) >= 2:
                items = [a for a in articles for _ in (0, 1)]
                guids = {articles[1].slug: f"{self.base_url}{articles[0].path}"}
            body = rss_feed(outlet, items, self.base_url, guid_of=guids)
            return _Response(200, body.encode(), "application/rss+xml", newest)
        if rest == ["feed.atom"]:
            items = articles
            if fault is not None and fault.kind == "duplicate_guids":
                items = [a for a in articles for _ in (0, 1)]
            body = atom_feed(outlet, items, self.base_url)
            return _Response(200, body.encode(), "application/atom+xml", newest)
        if rest in (["logo.svg"], ["favicon.svg"], ["favicon.ico"]):
            return _Response(200, logo_svg(outlet).encode(), "image/svg+xml")
        if len(rest) == 2 and rest[0] == "images" and rest[1].endswith(".svg"):
            slug = rest[1][: -len(".svg")]
            for article in articles:
                if article.slug == slug:
                    svg = lead_image_svg(outlet, article)
                    return _Response(200, svg.encode(), "image/svg+xml", article.published)
            return self._not_found()
        if len(rest) == 2:
            for index, article in enumerate(articles):
                if article.section_slug == rest[0] and article.slug == rest[1]:
                    if article.raw_html is not None:
                        body = article.raw_html
                    else:
                        others = articles[index + 1 :] + articles[:index]
                        body = article_html(outlet, article, others, self.base_url)
                    return _Response(200, body.encode(), "text/html", article.published)
        return self._not_found()

    @staticmethod
    def _not_found() -> _Response:
        body = f"<h1>Not found</h1><p>{SAMPLE_FOOTER}</p>".encode()
        return _Response(404, body, "text/html")

    @staticmethod
    def _etag(response: _Response) -> str:
        return '"' + hashlib.sha256(response.body).hexdigest()[:32] + '"'

    def _not_modified(self, response: _Response, headers: dict[str, str]) -> bool:
        if_none_match = headers.get("if-none-match")
        if if_none_match is not None:
            tags = {t.strip() for t in if_none_match.split(",")}
            return "*" in tags or self._etag(response) in tags
        since = headers.get("if-modified-since")
        if since and response.last_modified is not None:
            try:
                when = parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return response.last_modified.replace(microsecond=0) <= when
        return False

    def _headers(self, response: _Response, extra: Mapping[str, str] | None) -> dict[str, str]:
        content_type = response.content_type
        if content_type.startswith("text/") or content_type.endswith(("/xml", "+xml")):
            content_type += "; charset=utf-8"
        result = {
            "Content-Type": content_type,
            "Content-Length": str(len(response.body)),
            "Cache-Control": "no-cache",
            "X-Sample-Content": "Tidings demo, fictional outlet",
        }
        if response.status in (200, 304):
            result["ETag"] = self._etag(response)
            if response.last_modified is not None:
                result["Last-Modified"] = http_date(response.last_modified)
        result.update(response.headers)
        result.update(extra or {})
        return result

    def _send(
        self,
        handler: _Handler,
        response: _Response,
        extra: Mapping[str, str] | None = None,
        *,
        head: bool = False,
    ) -> int:
        headers = self._headers(response, extra)
        if response.status == 304:
            headers.pop("Content-Length", None)
            headers.pop("Content-Type", None)
        handler.send_response(response.status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if response.status != 304 and not headers.get("Content-Length"):
            handler.send_header("Content-Length", "0")
        handler.end_headers()
        if not head and response.status != 304:
            handler.wfile.write(response.body)
        handler.wfile.flush()
        return response.status

    def _trickle(self, handler: _Handler, response: _Response, interval: float) -> int:
        handler.send_response(response.status)
        for name, value in self._headers(response, None).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.flush()
        for i in range(len(response.body)):
            if self._stopping.wait(interval if i else 0):
                break
            handler.wfile.write(response.body[i : i + 1])
            handler.wfile.flush()
        handler.close_connection = True
        return response.status

    @classmethod
    def _bomb(cls, size: int) -> bytes:
        """A gzip stream of ``size`` zero bytes, built in well under a second.

        One mebibyte of zeros is deflated once, ending with a full flush (which resets
        the compressor's history), so the same block can be repeated verbatim.
        """
        with cls._bomb_lock:
            cached = cls._bombs.get(size)
            if cached is not None:
                return cached
            chunk = bytes(1 << 20)
            full, remainder = divmod(size, len(chunk))
            block_maker = zlib.compressobj(9, zlib.DEFLATED, -15)
            block = block_maker.compress(chunk) + block_maker.flush(zlib.Z_FULL_FLUSH)
            tail_maker = zlib.compressobj(9, zlib.DEFLATED, -15)
            tail = tail_maker.compress(bytes(remainder)) + tail_maker.flush()
            crc = 0
            for _ in range(full):
                crc = zlib.crc32(chunk, crc)
            crc = zlib.crc32(bytes(remainder), crc)
            header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
            trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
            cached = cls._bombs[size] = header + block * full + tail + trailer
            return cached


def main(argv: list[str] | None = None) -> int:
    """``python -m tidings.core.simulator``: serve the demo corpus until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m tidings.core.simulator",
        description="Serve fictional sample publishers (RSS, Atom, article pages) on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (0: any)")
    parser.add_argument(
        "--demo", action="store_true", help="serve the demo corpus (the default and only corpus)"
    )
    args = parser.parse_args(argv)
    simulator = Simulator(SimCorpus.from_demo(), port=args.port).start()
    print(f"Tidings publisher simulator on {simulator.base_url}/ — {SAMPLE_FOOTER}")
    print("Feeds:")
    for url in simulator.feed_urls():
        print(f"  {url}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
