"""Pre-rendering article pages while the worker is idle.

A reader who opens an article first would otherwise wait for the whole page to
be rendered (body, related cards, copies, comment thread). The worker renders
the pages of recently changed articles ahead of them, through the site's own
request handling -- the same view, middleware and templates as a logged-out
reader's visit -- so the page store already holds them.

Pages are taken in the order their articles changed (``changed_at``, then id);
a worker remembers how far it got, so each change is rendered once per worker.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIRequest
from django.db.models import Q
from django.utils import timezone

from tidings.core import config
from tidings.news.models import Article

log = logging.getLogger("tidings.site")

#: Set in a pre-rendering request's ``META``: its view keeps no page key for later views
#: (each page is rendered once here, and on PostgreSQL remembering would start a change
#: listener in every worker process).
RENDERING = "tidings.prerendering"

_handler: BaseHandler | None = None
_handler_lock = threading.Lock()


def _site_handler() -> BaseHandler:
    global _handler
    with _handler_lock:
        if _handler is None:
            handler = BaseHandler()
            handler.load_middleware()
            _handler = handler
        return _handler


def _host() -> str:
    for host in settings.ALLOWED_HOSTS:
        if host and host != "*" and not host.startswith("."):
            return host
    return "localhost"


def render_public_page(path: str) -> int:
    """GET ``path`` as a logged-out reader would, storing the page; the HTTP status."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        # As a server puts it: the path's bytes, unquoted, read as Latin-1 (a slug in
        # another script is percent-encoded in ``path``).
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": _host(),
        "SERVER_PORT": "80",
        "HTTP_HOST": _host(),
        "HTTP_ACCEPT": "text/html",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": BytesIO(b""),
        "wsgi.url_scheme": "http",
        RENDERING: True,
    }
    # Not ``response.close()``: that would send ``request_finished``, closing the
    # caller's database connection as at the end of a real request.
    response = _site_handler().get_response(WSGIRequest(environ))
    return int(response.status_code)


class Warmer:
    """Renders the pages of articles changed since it last looked, oldest change first."""

    def __init__(self, hours: int | None = None) -> None:
        window = config.read("PAGE_WARM_HOURS") if hours is None else hours
        self.hours: int = int(window)
        self.mark: tuple[datetime, str] = (timezone.now() - timedelta(hours=self.hours), "")

    def pending(self, limit: int) -> list[tuple[datetime, str, str]]:
        since, last_id = self.mark
        rows = (
            Article.objects.filter(Q(changed_at__gt=since) | Q(changed_at=since, id__gt=last_id))
            .order_by("changed_at", "id")
            .values_list("changed_at", "id", "title")[:limit]
        )
        return list(rows)

    def run(self, budget: float = 1.0, batch: int = 50) -> int:
        """Render pending pages for up to ``budget`` seconds; how many were rendered."""
        if self.hours <= 0:
            return 0
        floor = timezone.now() - timedelta(hours=self.hours)
        if self.mark[0] < floor:
            self.mark = (floor, "")
        deadline = time.monotonic() + budget
        done = 0
        while time.monotonic() < deadline:
            rows = self.pending(batch)
            if not rows:
                break
            for changed, article_id, title in rows:
                path = Article(id=article_id, title=title).get_absolute_url()
                try:
                    status = render_public_page(path)
                except Exception:
                    log.exception("pre-rendering %s failed", path)
                    status = 500
                if status == 200:
                    done += 1
                self.mark = (changed, article_id)
                if time.monotonic() >= deadline:
                    break
        return done


_warmer: Warmer | None = None


def on_worker_idle(sender: object, budget: float = 1.0, **kwargs: Any) -> None:
    """Receiver of :data:`tidings.news.signals.worker_idle`."""
    global _warmer
    if _warmer is None:
        _warmer = Warmer()
    rendered = _warmer.run(budget=budget)
    if rendered:
        log.info("pre-rendered %d article pages", rendered)
