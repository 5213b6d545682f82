"""ASGI entry point: ``tidings.web.asgi:application``, what ``tidings serve`` runs.

The site is a synchronous Django application. Under Django's own ASGI handler every
request runs in a thread of its own, so each one opens its database connection again
(SQLite: about 1 ms), and a streamed response (the AI panel's events) is gathered
whole before it is sent. The WSGI application is served instead from fixed pools of
threads (a2wsgi): they keep their connections, and streams go out as they are made.

Two pools, so that neither kind of request starves the other:

- pages (``WEB_THREADS``): short requests, mostly Python work under one GIL. A few
  threads are enough to overlap database and file waits; more only hand the GIL
  back and forth (every release -- a query, a file read, a random byte for the
  CSRF token -- becomes a switch between threads).
- AI requests (``WEB_STREAM_THREADS``, paths under ``STREAM_PREFIX``): they wait
  seconds on a model and may stream for as long; each holds its thread meanwhile.
"""

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application

from tidings.core import config

#: Where the AI endpoints live (``tidings.aiweb.urls``).
STREAM_PREFIX = "/ai/"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def make_application() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The site as an ASGI application (Django set up from the current settings)."""
    site = get_wsgi_application()
    pages = WSGIMiddleware(site, workers=config.read("WEB_THREADS"))  # type: ignore[arg-type]
    streams = WSGIMiddleware(site, workers=config.read("WEB_STREAM_THREADS"))  # type: ignore[arg-type]

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        slow = scope["type"] == "http" and scope["path"].startswith(STREAM_PREFIX)
        await (streams if slow else pages)(scope, receive, send)  # type: ignore[arg-type]

    return application


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.web.settings")
application = make_application()
