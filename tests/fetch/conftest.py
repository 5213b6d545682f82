"""A real threaded HTTP server on 127.0.0.1 for the fetcher tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tidings.core.fetch import Fetcher

DATA = Path(__file__).parent / "data"

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float


@dataclass
class LocalServer:
    """Routes by path; records every request and the peak number in flight."""

    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]

    def route(self, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes[path] = handler
            return handler

        return register


def reply(
    h: BaseHTTPRequestHandler,
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> None:
    h.send_response(status)
    sent = {k.lower() for k in (headers or {})}
    for key, value in (headers or {}).items():
        h.send_header(key, value)
    if "content-length" not in sent:
        h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if body:
        h.wfile.write(body)


def _make_handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with server.lock:
                server.seen.append(Seen(self.path, dict(self.headers.items()), time.monotonic()))
                server.in_flight += 1
                server.peak = max(server.peak, server.in_flight)
            try:
                handler = server.routes.get(path)
                if handler is None:
                    reply(self, 404, b"not found", {"Content-Type": "text/plain"})
                else:
                    handler(self)
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                with server.lock:
                    server.in_flight -= 1

        def log_message(self, format: str, *args: object) -> None:
            pass

    return _Handler


@pytest.fixture
def server() -> Iterator[LocalServer]:
    state = LocalServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def make_fetcher() -> Iterator[Callable[..., Fetcher]]:
    """Fetchers that do not wait between requests unless a test asks them to."""
    made: list[Fetcher] = []

    def make(**kwargs: object) -> Fetcher:
        kwargs.setdefault("per_host_delay", 0.0)
        fetcher = Fetcher(**kwargs)  # type: ignore[arg-type]
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()
