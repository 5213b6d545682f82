"""The Django project: settings, URLs, WSGI/ASGI entry points."""

from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_wsgi_application() -> WSGIApp:
    """The site as a WSGI application (Django set up from the current settings), with
    stored public article pages answered in front of Django's stack
    (:mod:`tidings.site.front`). Both entry points serve this one."""
    from django.core.wsgi import get_wsgi_application

    site = get_wsgi_application()
    from tidings.site.front import StoredPages  # models load once Django is set up

    return StoredPages(site)
