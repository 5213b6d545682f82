"""Stored public article pages, answered in front of Django's request stack.

A logged-out reader's article page is, most of the time, a page the page store
already holds (``_pagestore``): the view only finds its key (one query), reads it
and fills its slots. Django's stack around that view -- the middleware, the URL
resolver, the view's wrappers -- cost half as much again (bench web's database, in
process: a stored article page 1.2-1.7 ms through the stack, 0.75-1.25 ms in front
of it; the bare view 0.3-0.45 ms. Served: first views 0.37-0.43x the bare view's
throughput -> 0.44-0.55x, repeat views 0.58-0.68x -> 0.71-0.79x).

:class:`StoredPages` wraps the site's WSGI application. For a GET of an article's
canonical address it asks :func:`tidings.site.views.stored_article` -- the view's own
code for that case -- and runs around it only what the middleware would have done
to such a request and response; anything else (another page, a reader's own page,
a redirect, a 404, a page the store does not hold, an error) goes to the site as
before. That holds for the middleware list it was written against,
:data:`FRONT_OF_MIDDLEWARE`; under any other list it answers nothing. What the
other middleware would do to these requests is nothing:

- sessions, authentication and messages: a page is answered here only for a reader
  with neither a session nor a messages cookie, for whom they neither read nor
  write anything;
- WhiteNoise: it serves ``/static/`` files only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core import signals
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest, get_script_name
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import get_script_prefix, resolve, reverse, set_script_prefix

from tidings.site import views
from tidings.web import WSGIApp

#: The middleware list :class:`StoredPages` was written for: what it does in their stead
#: holds for these (``settings.MIDDLEWARE`` declares the list; this is the check).
FRONT_OF_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)

log = logging.getLogger(__name__)
_ID, _SLUG = "ARTICLEID", "ARTICLESLUG"


def _not_called(request: Any) -> Any:
    raise AssertionError("the middleware's own get_response is never called here")


def _article_route() -> tuple[str, re.Pattern[str]]:
    """The article page's address as a pattern of ``request.path_info`` and the fixed
    start of it, made from the site's own URL configuration (and checked against its
    resolver)."""
    # As ``path_info``: without the script prefix of whichever request this thread served.
    sample = "/" + reverse("article", kwargs={"article_id": _ID, "slug": _SLUG}).removeprefix(
        get_script_prefix()
    )
    match = resolve(sample)
    if match.func is not views.article or sample.count(_ID) != 1 or sample.count(_SLUG) != 1:
        raise LookupError(f"the article page is not at {sample}")
    head, rest = sample.split(_ID)
    middle, tail = rest.split(_SLUG)
    # Both are matched as ``str`` path segments (any characters but a slash).
    pattern = f"(?P<article_id>[^/]+){re.escape(middle)}(?P<slug>[^/]+){re.escape(tail)}"
    return head, re.compile(re.escape(head) + pattern)


class StoredPages:
    """The site's WSGI application, with stored public article pages answered first."""

    def __init__(self, site: WSGIApp) -> None:
        self.site = site
        # Under other middleware, with the CSRF secret in the session (read by the
        # session middleware), or with no page store (``PAGE_CACHE=none``: every
        # request would be asked here first for nothing).
        self.active = (
            tuple(settings.MIDDLEWARE) == FRONT_OF_MIDDLEWARE
            and not settings.CSRF_USE_SESSIONS
            and not isinstance(caches["pages"], DummyCache)
        )
        if not self.active:
            log.info("article pages go through the whole stack: other middleware or no store")
            return
        self.prefix, self.route = _article_route()
        # Made as the handler makes them, once: they read their settings when made.
        self.security = SecurityMiddleware(_not_called)
        self.common = CommonMiddleware(_not_called)
        self.csrf = CsrfViewMiddleware(_not_called)
        self.xframe = XFrameOptionsMiddleware(_not_called)
        self.cookies = frozenset({settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name})

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if (
            self.active
            and environ.get("REQUEST_METHOD") == "GET"
            and environ.get("PATH_INFO", "").startswith(self.prefix)
        ):
            response = self._answer(environ)
            if response is not None:
                response._handler_class = WSGIHandler  # type: ignore[attr-defined]  # its close() ends the request
                start_response(
                    f"{response.status_code} {response.reason_phrase}",
                    [
                        *response.items(),
                        *(("Set-Cookie", c.output(header="")) for c in response.cookies.values()),
                    ],
                )
                return response
        return self.site(environ, start_response)

    def _answer(self, environ: dict[str, Any]) -> HttpResponse | None:
        """The response to a stored public article page, as the whole stack gives it;
        None for any other request (nothing is then answered nor kept)."""
        set_script_prefix(get_script_name(environ))
        # A copy: a request is made from it by changing it (its path decoded, what the
        # middleware read put in), and the site must get it as the server gave it.
        request = WSGIRequest(environ.copy())
        if (match := self.route.fullmatch(request.path_info)) is None:
            return None
        if not self.cookies.isdisjoint(request.COOKIES):
            return None  # a session or messages: what those middleware are there for
        signals.request_started.send(sender=WSGIHandler, environ=environ)
        try:
            response = self._respond(request, match["article_id"], match["slug"])
        except (SuspiciousOperation, PermissionDenied):
            response = None  # a host or user agent refused: the stack answers and logs it
        except Exception:
            log.exception("a stored article page failed; the site answers instead")
            response = None
        if response is None:
            # The stack sends its own start; this one ends here.
            signals.request_finished.send(sender=WSGIHandler)
        return response

    def _respond(self, request: WSGIRequest, article_id: str, slug: str) -> HttpResponse | None:
        # Each middleware's part, in the order the handler runs them.
        if self.security.process_request(request) is not None:
            return None  # a redirect to HTTPS
        if self.common.process_request(request) is not None:
            return None  # a redirect (www, a trailing slash) or a refused user agent
        self.csrf.process_request(request)  # the reader's CSRF secret, from their cookie
        page = views.stored_article(request, article_id, slug)
        if page is None:
            return None
        # Each sets its headers (and a new secret's cookie) on the page itself.
        for middleware in (self.xframe, self.csrf, self.common, self.security):
            if middleware.process_response(request, page) is not page:
                return None  # another answer than this page's: the stack's to give
        return page
