"""Stored public article pages answered in front of Django's stack: the same answer as
the stack's, and nothing else answered there."""

from __future__ import annotations

import io
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

import pytest
from django.conf import settings
from django.core import signals
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import override_settings
from django.urls import set_script_prefix

from tidings.news.models import Article
from tidings.site._pagestore import page_cache
from tidings.site.front import FRONT_OF_MIDDLEWARE, StoredPages

from .factories import make_article, make_source

pytestmark = pytest.mark.django_db

_TOKEN = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*"')


@pytest.fixture(autouse=True)
def _connections_stay_open() -> Iterator[None]:
    """As Django's test client: a request's end would otherwise close the connection the
    test's transaction lives on; and a request's script prefix (the thread's) would
    outlive the test."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
    set_script_prefix("/")


class _Site:
    """Django's handler, counting the requests that reach it."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.calls += 1
        return self.handler(environ, start_response)


@pytest.fixture
def site() -> _Site:
    return _Site()


@pytest.fixture
def front(site: _Site) -> StoredPages:
    made = StoredPages(site)
    assert made.active
    return made


def _environ(path: str, method: str = "GET", query: str = "", **headers: str) -> dict[str, Any]:
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
        "HTTP_HOST": "testserver",
    }  # fmt: skip
    environ.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
    return environ


def _call(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    started: list[Any] = []
    result = app(environ, lambda status, headers, exc=None: started.extend([status, headers]))
    try:
        body = b"".join(result)
    finally:
        result.close()
    return started[0], started[1], body


def _comparable(answer: tuple[str, list[tuple[str, str]], bytes]) -> tuple[Any, ...]:
    """An answer without what differs on every request: the CSRF token's mask (in the
    page), a new reader's secret (in the cookie) and the second the cookie was set at (its
    expiry date; Max-Age is kept)."""
    status, headers, body = answer
    kept = sorted(
        (
            name,
            re.sub(
                r"expires=[^;]+GMT",
                "expires=DATE",
                re.sub(r"csrftoken=[^;]+", "csrftoken=SECRET", value),
            ),
        )
        for name, value in headers
    )
    return status, kept, _TOKEN.sub(rb'\1TOKEN"', body)


def _stored(front: StoredPages, site: _Site, art: Article, **headers: str) -> None:
    """The article's page put into the store, as a first reader's view does."""
    status, _, _ = _call(site, _environ(art.get_absolute_url(), **headers))
    assert status == "200 OK"
    assert site.calls == 1


@pytest.mark.parametrize("cookie", ["", "csrftoken=" + "a1B2" * 8, "csrftoken=not-a-secret"])
def test_a_stored_page_is_answered_as_the_stack_answers_it(
    front: StoredPages, site: _Site, page: Article, cookie: str
) -> None:
    headers = {"cookie": cookie} if cookie else {}
    _stored(front, site, page, **headers)
    environ = _environ(page.get_absolute_url(), **headers)
    by_front = _call(front, dict(environ))
    assert site.calls == 1  # answered in front: the site never saw it
    by_stack = _call(site, dict(environ))
    assert _comparable(by_front) == _comparable(by_stack)
    status, answer_headers, body = by_front
    assert status == "200 OK" and b"Lighthouse keepers return to Skerrow" in body
    names = {name for name, _ in answer_headers}
    assert {"X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "ETag"} <= names
    # A reader without a valid secret is given one, by the front as by the stack.
    assert ("Set-Cookie" in names) == (cookie != "csrftoken=" + "a1B2" * 8)


def test_a_site_mounted_under_a_prefix_is_answered_in_front_as_by_the_stack(
    front: StoredPages, site: _Site, page: Article
) -> None:
    url = page.get_absolute_url()

    def mounted() -> dict[str, Any]:
        environ = _environ(url)
        environ["SCRIPT_NAME"] = "/news"
        return environ

    assert _call(site, mounted())[0] == "200 OK"  # stored
    by_front = _call(front, mounted())
    assert site.calls == 1
    assert _comparable(by_front) == _comparable(_call(site, mounted()))
    assert b'href="/news/article/' in by_front[2]  # its links under the prefix


def test_a_front_made_after_a_prefixed_request_still_finds_article_pages(
    site: _Site, page: Article
) -> None:
    url = page.get_absolute_url()
    set_script_prefix("/news/")  # what the thread's last request left
    front = StoredPages(site)
    assert front.active and front.prefix == "/article/"
    assert front.route.fullmatch(url) is not None


def test_a_matching_etag_gets_a_304_from_the_front(
    front: StoredPages, site: _Site, page: Article
) -> None:
    cookie = "csrftoken=" + "a1B2" * 8
    _stored(front, site, page, cookie=cookie)
    _, headers, _ = _call(front, _environ(page.get_absolute_url(), cookie=cookie))
    etag = dict(headers)["ETag"]
    environ = _environ(page.get_absolute_url(), cookie=cookie, if_none_match=etag)
    by_front = _call(front, dict(environ))
    assert by_front[0] == "304 Not Modified" and by_front[2] == b""
    assert site.calls == 1
    assert _comparable(by_front) == _comparable(_call(site, dict(environ)))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"query": "comments=newest"}, "200 OK"),  # a comment order: the view's
        ({"query": "utm_source=x"}, "200 OK"),
        ({"method": "HEAD"}, "200 OK"),
        ({"cookie": "sessionid=abc"}, "200 OK"),
        ({"cookie": "messages=abc"}, "200 OK"),
        ({"host": "evil.example"}, "400 Bad Request"),
        ({"slug": "old-title"}, "301 Moved Permanently"),
        ({"id": "0" * 32}, "404 Not Found"),
        ({"unstored": True}, "200 OK"),
        ({"path": "/"}, "200 OK"),
    ],
)
def test_everything_else_goes_to_the_site(
    front: StoredPages,
    site: _Site,
    page: Article,
    change: dict[str, Any],
    expected: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _stored(front, site, page)
    path = page.get_absolute_url()
    if "slug" in change:
        path = path.rsplit("/", 1)[0] + "/" + change["slug"]
    if "id" in change:
        path = path.replace(page.pk, change["id"])
    if change.get("unstored"):
        caches["pages"].clear()
    headers = {name: change[name] for name in ("cookie", "host") if name in change}
    environ = _environ(
        change.get("path", path), change.get("method", "GET"), change.get("query", ""), **headers
    )
    with caplog.at_level(logging.ERROR, logger="tidings.site.front"):
        status, _, _ = _call(front, environ)
    assert status == expected
    assert site.calls == 2  # the site answered
    assert not [r for r in caplog.records if r.name == "tidings.site.front"]  # no failure


def test_a_request_in_front_starts_and_finishes_as_in_the_stack(
    front: StoredPages, site: _Site, page: Article
) -> None:
    _stored(front, site, page)
    seen: list[str] = []

    def started(**kwargs: Any) -> None:
        seen.append("started")

    def finished(**kwargs: Any) -> None:
        seen.append("finished")

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        _call(front, _environ(page.get_absolute_url()))  # answered in front
        assert seen == ["started", "finished"]
        seen.clear()
        _call(front, _environ(page.get_absolute_url(), query="x=1"))  # by the site
        # The front's request ends before the site's starts.
        assert seen == ["started", "finished", "started", "finished"]
        seen.clear()
        # A signed-in reader's page is never the front's: not even started there.
        _call(front, _environ(page.get_absolute_url(), cookie="sessionid=abc"))
        assert seen == ["started", "finished"]
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert site.calls == 3


def test_a_failure_in_front_is_logged_and_the_site_answers(
    front: StoredPages,
    site: _Site,
    page: Article,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _stored(front, site, page)

    def broken(*args: Any) -> None:
        raise RuntimeError("store unreadable")

    monkeypatch.setattr("tidings.site.views.stored_article", broken)
    with caplog.at_level(logging.ERROR, logger="tidings.site.front"):
        status, _, body = _call(front, _environ(page.get_absolute_url()))
    assert status == "200 OK" and b"Lighthouse keepers" in body
    assert site.calls == 2
    assert "store unreadable" in caplog.text


def test_https_redirects_are_left_to_the_stack(site: _Site, page: Article) -> None:
    _stored(StoredPages(site), site, page)
    with override_settings(SECURE_SSL_REDIRECT=True):
        site = _Site()  # middleware read their settings when made
        front = StoredPages(site)
        status, headers, _ = _call(front, _environ(page.get_absolute_url()))
    assert status.startswith("301") and dict(headers)["Location"].startswith("https://")
    assert site.calls == 1


def test_the_front_stands_in_for_the_sites_middleware_only() -> None:
    # Written for this list: a change to it means reviewing what the front does.
    assert tuple(settings.MIDDLEWARE) == FRONT_OF_MIDDLEWARE
    extra = [*FRONT_OF_MIDDLEWARE, "django.middleware.locale.LocaleMiddleware"]
    with override_settings(MIDDLEWARE=extra):
        assert not StoredPages(WSGIHandler()).active


def test_a_refused_user_agent_is_refused_by_the_stack_without_a_failure_in_front(
    front: StoredPages,
    site: _Site,
    page: Article,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _stored(front, site, page)
    settings.DISALLOWED_USER_AGENTS = [re.compile("badbot")]
    with caplog.at_level(logging.ERROR, logger="tidings.site.front"):
        status, _, _ = _call(front, _environ(page.get_absolute_url(), user_agent="badbot/1"))
    assert status == "403 Forbidden" and site.calls == 2
    assert not [r for r in caplog.records if r.name == "tidings.site.front"]


def test_with_the_csrf_secret_in_the_session_nothing_is_asked_in_front(settings: Any) -> None:
    settings.CSRF_USE_SESSIONS = True
    assert not StoredPages(WSGIHandler()).active


def test_without_a_page_store_nothing_is_asked_in_front(settings: Any) -> None:
    settings.CACHES = {**settings.CACHES, "pages": page_cache("none", Path("unused"))}
    assert not StoredPages(WSGIHandler()).active


def test_the_served_application_answers_stored_pages_in_front(page: Article) -> None:
    from tidings.web import make_wsgi_application

    app = make_wsgi_application()
    assert isinstance(app, StoredPages) and app.active
    site = _Site()
    site.handler = app.site  # type: ignore[assignment]
    app.site = site
    first = _call(app, _environ(page.get_absolute_url()))
    again = _call(app, _environ(page.get_absolute_url()))
    assert first[0] == again[0] == "200 OK"
    assert site.calls == 1  # the first view rendered by the site, the second in front
    assert _TOKEN.sub(b"", first[2]) == _TOKEN.sub(b"", again[2])


@pytest.mark.parametrize(
    "title", ["Λιμάνι της Σκέρροου ξανανοίγει (sample)", "Die Straße nach Skerrow (sample)"]
)
def test_a_slug_beyond_ascii_is_answered_in_front_and_passed_on_intact(
    front: StoredPages, site: _Site, title: str
) -> None:
    art = make_article(make_source("Kyma"), title)
    url = art.get_absolute_url()
    assert "%" in url  # the slug keeps its letters, percent-encoded
    # What a WSGI server puts in PATH_INFO: the decoded bytes, read as Latin-1.
    path = unquote_to_bytes(url).decode("latin-1")
    # Not stored yet: the front passes the request on as it came (the site decodes it).
    status, _, body = _call(front, _environ(path))
    assert status == "200 OK" and title.split()[0].encode() in body
    assert site.calls == 1
    status, _, body = _call(front, _environ(path))  # stored now
    assert status == "200 OK" and title.split()[0].encode() in body
    assert site.calls == 1
    # A wrong slug goes to the canonical address, also when passed on.
    wrong = unquote_to_bytes(url.rsplit("/", 1)[0] + "/άλλο").decode("latin-1")
    status, headers, _ = _call(front, _environ(wrong))
    assert status == "301 Moved Permanently" and dict(headers)["Location"] == url
    assert site.calls == 2


def test_a_page_rendered_ahead_of_readers_is_answered_in_front(
    front: StoredPages, site: _Site
) -> None:
    from tidings.site.prerender import render_public_page

    art = make_article(make_source("Kyma"), "Λιμάνι της Σκέρροου ξανανοίγει (sample)")
    assert render_public_page(art.get_absolute_url()) == 200
    path = unquote_to_bytes(art.get_absolute_url()).decode("latin-1")
    status, _, body = _call(front, _environ(path))
    assert status == "200 OK" and "Λιμάνι".encode() in body
    assert site.calls == 0  # from the store the worker filled
