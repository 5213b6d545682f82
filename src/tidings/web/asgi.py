"""ASGI entry point: ``tidings.web.asgi:application``, what ``tidings serve`` runs.

The site is a synchronous Django application. Under Django's own ASGI handler every
request runs in a thread of its own, so each one opens its database connection again
(SQLite: about 1 ms), and a streamed response (the AI panel's events) is gathered
whole before it is sent. The WSGI application is served instead from fixed pools of
threads (a2wsgi): they keep their connections, and streams go out as they are made.

Two pools, so that neither kind of request stalls the other:

- reads (``WEB_THREADS``, GET and HEAD of the site's pages): short, and mostly
  Python work under one interpreter lock, which more threads cannot share: each
  release (a query, a file read) becomes a switch between them. One thread serves
  the most pages (bench web, article page: 790 requests/s with one, 735 with two,
  about 700 with four); scale out with processes.
- waits (``WEB_WAIT_THREADS``): what may wait a long while without using the CPU --
  AI requests (paths under ``WAIT_PREFIX``: a model's answer, a stream) and every
  other method (a post may wait for the database's write lock).
"""

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application

from tidings.core import config

#: Where the AI endpoints live (``tidings.aiweb.urls``).
WAIT_PREFIX = "/ai/"
_READS = frozenset({"GET", "HEAD"})

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def make_application() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The site as an ASGI application (Django set up from the current settings)."""
    site = get_wsgi_application()
    reads = WSGIMiddleware(site, workers=config.read("WEB_THREADS"))  # type: ignore[arg-type]
    waits = WSGIMiddleware(site, workers=config.read("WEB_WAIT_THREADS"))  # type: ignore[arg-type]

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        read = scope["type"] != "http" or (
            scope["method"] in _READS and not scope["path"].startswith(WAIT_PREFIX)
        )
        await (reads if read else waits)(scope, receive, send)  # type: ignore[arg-type]

    return application


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.web.settings")
application = make_application()
