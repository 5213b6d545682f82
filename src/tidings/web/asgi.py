"""ASGI entry point: ``tidings.web.asgi:application``, what ``tidings serve`` runs.

The site is a synchronous Django application. Under Django's own ASGI handler every
request runs in a thread of its own, so each one opens its database connection again
(SQLite: about 1 ms), and a streamed response (the AI panel's events) is gathered
whole before it is sent. The WSGI application is served instead from a fixed pool of
threads (a2wsgi): they keep their connections, and streams go out as they are made.
"""

import os
from typing import Any

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application

#: Requests handled at once by one server process.
THREADS = 10


def make_application() -> Any:
    """The site as an ASGI application (Django set up from the current settings)."""
    return WSGIMiddleware(get_wsgi_application(), workers=THREADS)  # type: ignore[arg-type]


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.web.settings")
application = make_application()
