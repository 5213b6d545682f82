"""Ingestion test fixtures: the demo publisher over real HTTP, settings from the environment."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tidings import services
from tidings.core.simulator import SimCorpus, Simulator
from tidings.news import assign, worker_id

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def demo_sim() -> Iterator[Simulator]:
    with Simulator(SimCorpus.from_demo()) as sim:
        yield sim


@pytest.fixture
def sim(demo_sim: Simulator) -> Iterator[Simulator]:
    """The shared demo publisher, with faults and the request log reset around each test."""
    demo_sim.clear_faults()
    demo_sim.clear_log()
    yield demo_sim
    demo_sim.clear_faults()


@pytest.fixture
def fetch_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local publishers allowed, no politeness delay, one quick retry; fetcher rebuilt."""
    monkeypatch.setenv("TIDINGS_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("TIDINGS_PER_HOST_DELAY", "0")
    monkeypatch.setenv("TIDINGS_PER_HOST_CONCURRENCY", "8")
    monkeypatch.setenv("TIDINGS_FETCH_RETRIES", "1")
    monkeypatch.setenv("TIDINGS_FETCH_DEADLINE", "10")
    services.reset()
    yield
    services.reset()


@pytest.fixture
def ingest(transactional_db: None, fetch_env: None) -> Iterator[None]:
    """A fresh database with the worker identity and story cache of this process reset."""
    assign.reset_cache()
    yield
    worker_id.unregister()
    assign.reset_cache()


@dataclass
class FileServer:
    """Serves fixed bodies by path on 127.0.0.1 (a hand-made publisher)."""

    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    state = FileServer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            state.hits.append(self.path)
            found = state.pages.get(self.path.split("?")[0])
            if found is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            content_type, body = found
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
