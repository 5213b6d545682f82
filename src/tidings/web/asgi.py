"""ASGI entry point: ``tidings.web.asgi:application``, what ``tidings serve`` runs.

The site is a synchronous Django application. Under Django's own ASGI handler every
request runs in a thread of its own, so each one opens its database connection again
(SQLite: about 1 ms), and a streamed response (the AI panel's events) is gathered
whole before it is sent. The WSGI application (``tidings.web.make_wsgi_application``:
stored article pages answered in front of Django's stack) is served instead from
fixed pools of threads: they keep their connections, and streams go out as they are
made.

Two pools, so that neither kind of request stalls the other:

- reads (``WEB_THREADS``, GET and HEAD of the site's pages): short, and mostly
  Python work under one interpreter lock, which more threads cannot share: each
  release (a query, a file read) becomes a switch between them. One thread served
  the most pages through a2wsgi (bench web, article page: 790 requests/s with one,
  735 with two, about 700 with four); with one hand-over, two threads measured the
  same as one (580-645 against 580, within noise); scale out with processes. A read is made whole in its
  thread and handed to the event loop once (``_Reads``): a2wsgi hands over the
  start of the response and each part of the body separately, the thread waiting
  for the loop every time, and on a virtual machine those hand-overs cost more than
  the bare view itself (bench web, two interleaved runs each way: bare view 520-620
  -> 1,310-1,320 requests/s; article page, first view 240-290 -> 410-420, repeat
  view 290 -> 500).
  A streamed response (none of the pages is one) still goes out part by part.
- waits (``WEB_WAIT_THREADS``, a2wsgi): what may wait a long while without using the
  CPU -- AI requests (paths under ``WAIT_PREFIX``: a model's answer, a stream) and
  every other method (a post may wait for the database's write lock).
"""

import asyncio
import io
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from a2wsgi import WSGIMiddleware
from a2wsgi.wsgi import build_environ

from tidings.core import config
from tidings.web import WSGIApp, make_wsgi_application

#: Where the AI endpoints live (``tidings.aiweb.urls``).
WAIT_PREFIX = "/ai/"
_READS = frozenset({"GET", "HEAD"})

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

log = logging.getLogger("tidings.web")
_FAILED = (500, [(b"content-type", b"text/plain; charset=utf-8")], [b"Server error"])


class _Reads:
    """GET and HEAD: the WSGI application runs in this pool's threads and its whole
    response comes back to the event loop in one hand-over (a stream: part by part)."""

    def __init__(self, site: WSGIApp, threads: int) -> None:
        self.site = site
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="tidings-read")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        environ = cast(dict[str, Any], build_environ(scope, io.BytesIO()))  # type: ignore[arg-type]
        loop = asyncio.get_running_loop()
        status, headers, parts = await loop.run_in_executor(self.pool, self._respond, environ)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if isinstance(parts, list):
            await send({"type": "http.response.body", "body": b"".join(parts)})
            return
        stream = iter(parts)
        try:
            while (part := await loop.run_in_executor(self.pool, next, stream, None)) is not None:
                await send({"type": "http.response.body", "body": part, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await loop.run_in_executor(self.pool, _close, parts)

    def _respond(
        self, environ: dict[str, Any]
    ) -> tuple[int, list[tuple[bytes, bytes]], list[bytes] | Iterable[bytes]]:
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
            started[:] = [status, headers]

        try:
            result = self.site(environ, start_response)
            if getattr(result, "streaming", False):
                parts: list[bytes] | Iterable[bytes] = result  # closed once sent
            else:
                try:
                    parts = list(result)
                finally:
                    _close(result)
            status, headers = started
        except Exception:
            log.exception("serving %s failed", environ.get("PATH_INFO"))
            return _FAILED[0], list(_FAILED[1]), list(_FAILED[2])
        encoded = [
            (k.strip().lower().encode("latin1"), v.strip().encode("latin1")) for k, v in headers
        ]
        return int(status.split(" ", 1)[0]), encoded, parts


def _close(result: object) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def make_application() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The site as an ASGI application (Django set up from the current settings)."""
    site = make_wsgi_application()
    reads = _Reads(site, config.read("WEB_THREADS"))
    waits = WSGIMiddleware(site, workers=config.read("WEB_WAIT_THREADS"))  # type: ignore[arg-type]

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in _READS
            and not scope["path"].startswith(WAIT_PREFIX)
        ):
            await reads(scope, receive, send)
        else:
            await waits(scope, receive, send)  # type: ignore[arg-type]

    return application


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.web.settings")
application = make_application()
