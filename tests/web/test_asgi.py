"""The served application: requests that wait (AI, posts) have their own threads and never
stall page reads."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import types
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import include, path, reverse
from django.views.decorators.csrf import csrf_exempt

from tidings.web.asgi import WAIT_PREFIX, make_application

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_ai_endpoint_is_under_the_stream_prefix() -> None:
    for url in (
        reverse("ai_article", args=["0" * 32, "summary"]),
        reverse("ai_story", args=["0" * 32]),
    ):
        assert url.startswith(WAIT_PREFIX)


async def _get(app: Any, target: str, method: str = "GET") -> tuple[int, bytes]:
    status, _, body = await _exchange(app, target, method)
    return status, body


async def _exchange(
    app: Any, target: str, method: str = "GET"
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    sent: list[dict[str, Any]] = []
    request_sent = False

    async def receive() -> dict[str, Any]:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)  # the client stays connected
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": target, "raw_path": target.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }  # fmt: skip
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    assert not bodies[-1].get("more_body"), "the response was never finished"
    return start["status"], start["headers"], b"".join(m.get("body", b"") for m in bodies)


@pytest.mark.parametrize(
    ("method", "slow_path"),
    [("GET", WAIT_PREFIX + "slow"), ("POST", "/slow-post")],
    ids=["ai-request", "post"],
)
def test_a_page_is_served_while_every_waiting_thread_is_busy(
    settings, monkeypatch, method: str, slow_path: str
) -> None:
    release = threading.Event()
    entered = threading.Event()

    @csrf_exempt
    def slow_answer(request: HttpRequest) -> HttpResponse:
        entered.set()
        release.wait(10)  # a model taking its time, a write waiting for the lock
        return HttpResponse("answer")

    def page(request: HttpRequest) -> HttpResponse:
        return HttpResponse("page")

    urls = types.ModuleType("tidings_test_asgi_urls")
    urls.urlpatterns = [  # type: ignore[attr-defined]
        path(slow_path.strip("/"), slow_answer),
        path("page", page),
        path("", include(settings.ROOT_URLCONF)),
    ]
    monkeypatch.setitem(sys.modules, urls.__name__, urls)
    settings.ROOT_URLCONF = urls.__name__
    monkeypatch.setenv("TIDINGS_WEB_THREADS", "1")
    monkeypatch.setenv("TIDINGS_WEB_WAIT_THREADS", "1")
    app = make_application()

    async def scenario() -> tuple[tuple[int, bytes], tuple[int, bytes]]:
        slow = asyncio.ensure_future(_get(app, slow_path, method))
        await asyncio.get_running_loop().run_in_executor(None, entered.wait, 10)
        try:
            # The only waiting thread is taken; the page still gets an answer at once.
            served = await asyncio.wait_for(_get(app, "/page"), timeout=10)
        finally:
            release.set()
        return served, await asyncio.wait_for(slow, timeout=10)

    served, answered = asyncio.run(scenario())
    assert served == (200, b"page")
    assert answered == (200, b"answer")


def _serve_urls(settings, monkeypatch, *patterns: Any) -> Any:
    urls = types.ModuleType("tidings_test_asgi_read_urls")
    urls.urlpatterns = [*patterns, path("", include(settings.ROOT_URLCONF))]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, urls.__name__, urls)
    settings.ROOT_URLCONF = urls.__name__
    return make_application()


def test_a_read_arrives_whole_with_its_status_headers_and_cookies(settings, monkeypatch) -> None:
    def page(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("x" * 50_000, status=203, headers={"X-Page": "kept"})
        response.set_cookie("flavour", "oat")
        return response

    app = _serve_urls(settings, monkeypatch, path("page", page))
    status, headers, body = asyncio.run(_exchange(app, "/page"))
    assert (status, body) == (203, b"x" * 50_000)
    assert (b"x-page", b"kept") in headers
    cookie = next(v for k, v in headers if k == b"set-cookie")
    assert cookie.startswith(b"flavour=oat;")  # no stray space from the WSGI header
    assert asyncio.run(_get(app, "/no/such/page"))[0] == 404
    assert asyncio.run(_get(app, "/page", "HEAD"))[0] == 203


def test_a_streamed_read_goes_out_part_by_part_and_is_closed(settings, monkeypatch) -> None:
    closed = threading.Event()

    class Parts:
        def __iter__(self) -> Any:
            yield from (b"one,", b"two,", b"three")

        def close(self) -> None:
            closed.set()

    def stream(request: HttpRequest) -> StreamingHttpResponse:
        response = StreamingHttpResponse(Parts())
        return response

    app = _serve_urls(settings, monkeypatch, path("stream", stream))
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": "/stream", "raw_path": b"/stream", "query_string": b"",
            "root_path": "", "headers": [(b"host", b"testserver")], "server": ("testserver", 80),
        }  # fmt: skip
        await app(scope, receive, send)

    asyncio.run(run())
    parts = [m["body"] for m in sent if m["type"] == "http.response.body"]
    assert parts == [b"one,", b"two,", b"three", b""]
    assert closed.is_set()


def test_a_read_that_breaks_the_server_answers_500(settings, monkeypatch, caplog) -> None:
    app = make_application()

    def broken(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise RuntimeError("broken before Django answered")

    reads = app.__closure__  # the application keeps its pools in its closure
    assert reads is not None
    handler = next(c.cell_contents for c in reads if type(c.cell_contents).__name__ == "_Reads")
    monkeypatch.setattr(handler, "site", broken)
    monkeypatch.setattr(logging.getLogger("tidings"), "propagate", True)
    status, body = asyncio.run(_get(app, "/"))
    assert status == 500 and body == b"Server error"
    assert "broken before Django answered" in caplog.text
