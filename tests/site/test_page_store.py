"""The page store: one rendered page serves every logged-out reader, and stays true."""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.base import BaseCache
from django.core.management import call_command
from django.db import connection, connections, transaction

# _unmask_cipher_token is private in Django and absent from django-stubs.
from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token, get_token  # type: ignore[attr-defined]
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tidings.core.errors import ConfigError
from tidings.core.reltime import relative
from tidings.news.models import Article, Story
from tidings.site import _csrf, _pagestore, prerender, views
from tidings.site._csrf import csrf_token
from tidings.site._pagestore import (
    PageDatabaseCache,
    PageFileCache,
    page_cache,
    serve_stored,
    stored_form,
)
from tidings.site.views import public_page_key

from .factories import make_article, make_related, make_source

pytestmark = pytest.mark.django_db

# The page key: its columns and the comment-thread stamp, joined (one query); on SQLite
# none at all while the database has not changed since the key was last read.
STORED_VIEW_QUERIES = 0 if connection.vendor == "sqlite" else 1


def test_ages_are_recomputed_when_served() -> None:
    body = (
        b'<p><time datetime="2026-03-02T09:00:00Z" title="Mon 2 Mar 2026, 09:00 UTC" '
        b'data-rel class="age">just now</time> and <time datetime="2026-03-01T09:00:00Z">'
        b'1 Mar</time> <time datetime="yesterday" data-rel>a day</time></p>'
    )
    stored = stored_form(body)
    assert stored is not None and b"just now" not in stored
    later = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
    out = serve_stored(stored, "k", csrf_token="", origin="", now=later)[0].decode()
    assert 'class="age">3 hours ago</time>' in out
    assert "1 Mar</time>" in out  # a plain <time> is left as written
    assert "data-rel>a day</time>" in out  # so is an age whose time is not one
    assert stored_form(b"<p>no times</p>") == b"<p>no times</p>"


def test_a_page_with_a_nul_of_its_own_is_not_stored() -> None:
    assert stored_form(b"<p>\x00csrf\x00 and \x00origin\x00</p>") is not None
    assert stored_form(b"<p>a stray \x00 byte</p>") is None
    assert stored_form(b"<p>\x00other\x00</p>") is None


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    when=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    offsets=st.lists(st.integers(min_value=-3 * 86400, max_value=400 * 86400), max_size=12),
    zone=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]),
)
def test_remembered_ages_are_the_ages_of_now(when: datetime, offsets: list[int], zone: str) -> None:
    """Served ages come partly from what earlier requests computed: whatever the order
    of the requests, each is the age ``relative`` gives for that request's time."""
    stamp = when.isoformat().replace("+00:00", "Z").encode()
    stored = stored_form(b'<time datetime="' + stamp + b'" data-rel>old</time>')
    assert stored is not None
    with timezone.override(zone):
        tz = timezone.get_current_timezone()
        for offset in offsets:
            # Near a minute's edges as often as not.
            now = when + timedelta(seconds=offset, microseconds=(offset % 7) * 142857)
            out = serve_stored(stored, "k", csrf_token="", origin="", now=now)[0].decode()
            assert (
                out
                == f'<time datetime="{stamp.decode()}" data-rel>{relative(when, now, tz)}</time>'
            )


def test_slots_are_filled_per_request() -> None:
    stored = b'<a href="\x00origin\x00/article/x/"><input value="\x00csrf\x00">'
    out, etag = serve_stored(stored, "k", csrf_token="tok", origin="https://news.example")
    assert out.decode() == '<a href="https://news.example/article/x/"><input value="tok">'
    # The ETag follows the page and the origin, not the per-request token.
    assert serve_stored(stored, "k", csrf_token="other", origin="https://news.example")[1] == etag
    assert serve_stored(stored, "k2", csrf_token="tok", origin="https://news.example")[1] != etag
    assert serve_stored(stored, "k", csrf_token="tok", origin="http://127.0.0.1")[1] != etag


def test_stored_page_shows_the_current_age(
    client: Client, page: Article, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries
) -> None:
    url = page.get_absolute_url()
    first = client.get(url)
    assert "10 minutes ago" in first.content.decode()
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    later = timezone.now() + timedelta(hours=3)
    fake = types.SimpleNamespace(
        now=lambda: later, get_current_timezone=timezone.get_current_timezone
    )
    monkeypatch.setattr(_pagestore, "timezone", fake)
    with django_assert_num_queries(STORED_VIEW_QUERIES):
        response = Client().get(url)
    html = response.content.decode()
    assert "3 hours ago" in html and "10 minutes ago" not in html
    # What the reader sees changed: a browser's copy from before is not "not modified".
    assert response["ETag"] != first["ETag"]
    assert Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_a_remembered_page_key_goes_when_the_database_changes(
    page: Article, django_assert_num_queries
) -> None:
    url = page.get_absolute_url()
    Client().get(url)
    make_source("Unrelated Sample Outlet")  # a change elsewhere in the database
    with django_assert_num_queries(1):  # the key is read again; the page is the stored one
        assert Client().get(url).status_code == 200
    Story.objects.filter(pk=page.story_id).update(headline="Sample harbour note")
    assert "Sample harbour note" in Client().get(url).content.decode()
    with django_assert_num_queries(STORED_VIEW_QUERIES):
        assert "Sample harbour note" in Client().get(url).content.decode()


def test_the_page_key_reads_the_same_through_the_driver_and_through_django(
    page: Article,
) -> None:
    """On SQLite the key query goes straight to the driver unless queries are being
    logged; both ways read the same stamp (with the comment thread's when installed)."""
    db = connection.alias
    plain = views._read_page_stamp(db, page.pk)
    connection.force_debug_cursor = True  # queries logged, as under DEBUG
    try:
        logged = views._read_page_stamp(db, page.pk)
        assert len(connection.queries) == 1
    finally:
        connection.force_debug_cursor = False
    assert plain is not None and plain == logged
    assert plain.slug == page.slug
    assert views._read_page_stamp(db, "0" * 32) is None


def test_a_page_key_read_in_a_rolled_back_transaction_is_not_kept(page: Article) -> None:
    url = page.get_absolute_url()
    Client().get(url)
    with contextlib.suppress(RuntimeError), transaction.atomic():
        Story.objects.filter(pk=page.story_id).update(headline="Sample headline never kept")
        assert "Sample headline never kept" in Client().get(url).content.decode()
        raise RuntimeError  # rolled back
    assert "Sample headline never kept" not in Client().get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_connection_reaches_the_page(page: Article) -> None:
    url = page.get_absolute_url()
    assert "Sample lighthouse note" not in Client().get(url).content.decode()

    def elsewhere() -> None:  # another thread: its own connection, its own commit
        Story.objects.filter(pk=page.story_id).update(headline="Sample lighthouse note")
        connections.close_all()

    writer = threading.Thread(target=elsewhere)
    writer.start()
    writer.join()
    assert "Sample lighthouse note" in Client().get(url).content.decode()


def test_stored_page_links_to_the_host_the_reader_used(
    page: Article, django_assert_num_queries
) -> None:
    url = page.get_absolute_url()
    first = Client(HTTP_HOST="127.0.0.1").get(url).content.decode()
    assert f'<link rel="canonical" href="http://127.0.0.1{url}">' in first
    with django_assert_num_queries(STORED_VIEW_QUERIES):
        second = Client(HTTP_HOST="localhost").get(url).content.decode()
    assert f'<link rel="canonical" href="http://localhost{url}">' in second
    assert "\x00" not in second


def test_csrf_token_is_a_fresh_mask_of_the_readers_secret() -> None:
    request = RequestFactory().get("/")
    secret_token = get_token(request)  # Django gives the reader a secret
    secret = request.META["CSRF_COOKIE"]
    assert _unmask_cipher_token(secret_token) == secret
    del request.META["CSRF_COOKIE_NEEDS_UPDATE"]
    tokens = {csrf_token(request) for _ in range(200)}
    assert "CSRF_COOKIE_NEEDS_UPDATE" not in request.META  # a valid cookie is not sent again
    assert len(tokens) == 200  # a new mask every time
    for token in tokens:
        assert len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == secret
    # Every character of the alphabet turns up in the masks (no skewed table).
    assert set("".join(t[:32] for t in tokens)) == set(CSRF_ALLOWED_CHARS)


def test_mask_bytes_are_never_handed_out_twice() -> None:
    drawn = [_csrf._random_bytes(40) for _ in range(500)]  # several refills of the pool
    assert len(set(drawn)) == len(drawn)
    others: list[bytes] = []
    thread = threading.Thread(
        target=lambda: others.extend(_csrf._random_bytes(40) for _ in range(50))
    )
    thread.start()
    thread.join()
    assert not set(others) & set(drawn)  # each thread draws its own


def test_a_forked_child_draws_its_own_mask_bytes() -> None:
    _csrf._random_bytes(8)  # the parent's pool holds bytes not handed out yet
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        os.write(write, _csrf._random_bytes(32))
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 32) != _csrf._random_bytes(32)
    os.close(read)
    os.close(write)


def test_csrf_token_for_a_new_reader_makes_the_secret() -> None:
    request = RequestFactory().get("/")
    token = csrf_token(request)
    secret = request.META["CSRF_COOKIE"]
    assert _unmask_cipher_token(token) == secret
    assert len(secret) == 32 and set(secret) <= set(CSRF_ALLOWED_CHARS)
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True  # the cookie is sent
    assert csrf_token(request) != token  # same reader: the same secret, a new mask
    assert request.META["CSRF_COOKIE"] == secret
    secrets = set()
    for _ in range(200):
        other = RequestFactory().get("/")
        csrf_token(other)
        secrets.add(other.META["CSRF_COOKIE"])
    assert len(secrets) == 200  # every new reader gets a secret of their own
    assert set("".join(secrets)) == set(CSRF_ALLOWED_CHARS)


def test_a_cookie_that_is_no_secret_is_replaced(page: Article) -> None:
    browser = Client(enforce_csrf_checks=True)
    url = page.get_absolute_url()
    browser.get(url)  # stores the page
    browser.cookies["csrftoken"] = "not a secret"
    response = browser.get(url)
    secret = response.cookies["csrftoken"].value
    assert len(secret) == 32 and set(secret) <= set(CSRF_ALLOWED_CHARS)
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert found is not None and _unmask_cipher_token(found[1]) == secret


def test_a_returning_reader_keeps_their_cookie_and_a_private_page(page: Article) -> None:
    browser = Client()
    url = page.get_absolute_url()
    first = browser.get(url)
    assert "csrftoken" in first.cookies  # a new reader is given a secret
    again = browser.get(url)  # from the page store, with the reader's cookie
    assert "csrftoken" not in again.cookies  # not sent again
    # The page holds a token made from this reader's secret: no shared cache keeps it.
    assert "private" in again["Cache-Control"] and "public" not in again["Cache-Control"]
    assert "Cookie" in again["Vary"]
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', again.content.decode())
    assert found is not None
    assert _unmask_cipher_token(found[1]) == browser.cookies["csrftoken"].value


def test_stored_page_token_passes_the_csrf_check(page: Article) -> None:
    browser = Client(enforce_csrf_checks=True)
    url = page.get_absolute_url()
    browser.get(url)  # the first view stores the page and sets the cookie
    html = browser.get(url).content.decode()  # served from the page store
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found is not None
    form = {"username": "nobody", "password": "wrong"}
    assert browser.post("/accounts/login/", form).status_code == 403
    answer = browser.post("/accounts/login/", form | {"csrfmiddlewaretoken": found[1]})
    assert answer.status_code == 200  # past the CSRF check: the form says why it failed


def test_a_change_of_cards_reaches_the_stored_page(client: Client, page: Article) -> None:
    url = page.get_absolute_url()
    client.get(url)
    make_related(page, make_article(title="Keepers' cottages restored (sample)"), 1)
    # What the story stage does whenever it rewrites an article's cards.
    Article.objects.filter(pk=page.pk).update(changed_at=timezone.now() + timedelta(seconds=1))
    assert "Keepers&#x27; cottages restored (sample)" in client.get(url).content.decode()


def test_a_change_of_sections_reaches_the_stored_page(client: Client, page: Article) -> None:
    url = page.get_absolute_url()
    assert "?category=Lighthouses" not in client.get(url).content.decode()
    make_article(title="Fog signals tested (sample)", category="Lighthouses")
    # The sections of a site still filling up are kept for seconds: their time is up.
    cache.delete("site:categories")
    assert "?category=Lighthouses" in client.get(url).content.decode()


def test_a_short_section_list_is_kept_briefly(monkeypatch: pytest.MonkeyPatch) -> None:
    kept: list[object] = []
    monkeypatch.setattr(cache, "set", lambda key, value, timeout: kept.append(timeout))
    cache.delete("site:categories")
    make_article(category="World")
    assert views.categories() == [("World", 1)]
    for n in range(views.CATEGORIES):
        make_article(category=f"Section {n}")
    views.categories()
    assert kept == [20, 300]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
def test_the_section_list_is_counted_from_the_category_index() -> None:
    """Recomputed every 20 s on a site with few sections: it must not read every article."""
    cache.delete("site:categories")
    make_article(category="World")
    with CaptureQueriesContext(connection) as queries:
        assert views.categories() == [("World", 1)]
    (sql,) = [q["sql"] for q in queries.captured_queries]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "news_article" in plan and "COVERING INDEX" in plan, plan


def test_a_change_of_story_reaches_the_stored_page(client: Client, page: Article) -> None:
    url = page.get_absolute_url()
    assert "2 articles from 2 outlets" in client.get(url).content.decode()
    from tidings.news.assign import _refresh_story

    more = make_article(make_source("Copper Ledger"), "Crowds greet the Skerrow keepers (sample)")
    Article.objects.filter(pk=more.pk).update(story=page.story_id)
    _refresh_story(Story.objects.get(pk=page.story_id))
    assert "3 articles from 3 outlets" in client.get(url).content.decode()


def test_the_warmer_renders_changed_pages_ahead_of_readers(
    page: Article, django_assert_num_queries
) -> None:
    stale = make_article(title="An old sample article")
    Article.objects.filter(pk=stale.pk).update(changed_at=timezone.now() - timedelta(days=5))
    warmer = prerender.Warmer(hours=48)
    assert warmer.run(budget=30) == 2  # the page and its related article; not the old one
    assert warmer.run(budget=30) == 0  # nothing changed since
    # Pre-rendering keeps no page key: a reader's first view reads it (one query), and
    # the page itself comes from the store (no rendering).
    assert page.pk not in (views._remembered(connection.alias) or {})
    with django_assert_num_queries(1):
        assert Client().get(page.get_absolute_url()).status_code == 200
    Article.objects.filter(pk=page.pk).update(changed_at=timezone.now())
    assert warmer.run(budget=30) == 1
    assert prerender.Warmer(hours=0).run(budget=30) == 0


def test_worker_idle_signal_reaches_the_warmer(page: Article, monkeypatch) -> None:
    from tidings.news.signals import worker_idle

    monkeypatch.setattr(prerender, "_warmer", prerender.Warmer(hours=48))
    worker_idle.send(sender=None, budget=30)
    assert prerender._warmer is not None and prerender._warmer.mark[1] != ""


def test_page_cache_setting() -> None:
    assert page_cache("none", Path("/tmp"))["BACKEND"].endswith("DummyCache")
    assert page_cache("memory", Path("/tmp"))["BACKEND"].endswith("LocMemCache")
    with pytest.raises(ConfigError):
        page_cache("redis", Path("/tmp"))


def test_file_store_bounds_its_size(tmp_path: Path) -> None:
    store = PageFileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 10, "CULL_FREQUENCY": 2}})
    store.CHECK_EVERY = 4
    for i in range(40):
        store.set(f"page-{i}", b"x" * 100)
    assert len(list(tmp_path.glob("*.djcache"))) <= 10 + store.CHECK_EVERY
    assert store.get("page-39") == b"x" * 100


def test_file_store_keeps_pages_as_they_are(tmp_path: Path) -> None:
    store = PageFileCache(str(tmp_path), {"TIMEOUT": 60})
    page = b"<html><p>Harbour ferry returns (sample)</p></html>" * 50
    store.set("page", page)
    (path,) = tmp_path.glob("*.djcache")
    assert page in path.read_bytes()  # a plain read serves it: nothing to decompress
    assert store.get("page") == page
    store.set("other", {"not": "a page"})  # any other value as the stock backend keeps it
    assert store.get("other") == {"not": "a page"}
    assert store.touch("page", 120) and store.get("page") == page
    assert not store.touch("missing")
    store.set("old", b"gone", timeout=-1)
    assert store.get("old", "default") == "default"  # expired
    # A file written in another format (an older version's) is a miss, not an error.
    store.set("legacy", page)
    legacy = Path(store.file_for("legacy"))
    legacy.write_bytes(legacy.read_bytes()[: -len(page) - 1] + b"\x78\x9c")
    assert store.get("legacy") is None


def _read_twice(store: BaseCache, key: str) -> Any:
    """``key`` read twice: a page is kept in memory from its second read on."""
    store.get(key)
    return store.get(key)


def _a_write_delete_or_clear_drops_the_kept_copy(store: BaseCache) -> None:
    store.set("page", b"<p>second version (sample)</p>")
    assert _read_twice(store, "page") == b"<p>second version (sample)</p>"
    store.delete("page")
    assert store.get("page") is None
    store.set("page", b"<p>kept (sample)</p>")
    assert _read_twice(store, "page") == b"<p>kept (sample)</p>"
    store.clear()
    assert store.get("page") is None


def test_file_store_keeps_the_pages_read_again_in_memory(tmp_path: Path) -> None:
    store = PageFileCache(str(tmp_path), {"TIMEOUT": 60})
    store.set("page", b"<p>first version (sample)</p>")
    assert store.get("page") == b"<p>first version (sample)</p>"
    path = Path(store.file_for("page"))
    # Read once: not kept (an article's first view).
    assert store.file_for("page") not in store._hot.pages
    assert store.get("page") == b"<p>first version (sample)</p>"
    path.unlink()
    assert store.get("page") == b"<p>first version (sample)</p>"  # read from memory
    _a_write_delete_or_clear_drops_the_kept_copy(store)
    # Another store on the same directory (another thread's) shares what is kept.
    store.set("shared", b"<p>shared (sample)</p>")
    assert _read_twice(store, "shared") == PageFileCache(str(tmp_path), {}).get("shared")
    # An expired page is not served from memory either.
    store.set("brief", b"<p>brief (sample)</p>", timeout=60)
    assert _read_twice(store, "brief") is not None
    assert store.file_for("brief") in store._hot.pages
    later = time.time() + 120
    with mock.patch("tidings.site._pagestore.time.time", return_value=later):
        assert store.get("brief") is None
    # What is kept stays under the limit: the oldest go when it is reached.
    small = PageFileCache(str(tmp_path / "small"), {"TIMEOUT": 60})
    small.HOT_BYTES = 100
    for n in range(5):
        small.set(f"p{n}", bytes(40))
        _read_twice(small, f"p{n}")
    assert 0 < small._hot.size <= 100 and 0 < len(small._hot.pages) <= 2
    # A page dropped (written again, deleted, expired) no longer counts against it.
    counted = small._hot.size
    kept = next(iter(small._hot.pages))
    small.delete(next(f"p{n}" for n in range(5) if small.file_for(f"p{n}") == kept))
    assert small._hot.size == counted - 40


def test_pages_read_once_are_not_kept_in_memory(tmp_path: Path) -> None:
    """A stream of pages each read once (first views) neither grows what is kept nor
    pushes out a page read again; the names read once are themselves bounded."""
    store = PageFileCache(str(tmp_path), {"TIMEOUT": 60})
    store.set("popular", b"<p>popular (sample)</p>")
    _read_twice(store, "popular")
    for n in range(50):
        store.set(f"once-{n}", b"<p>once (sample)</p>")
        assert store.get(f"once-{n}") == b"<p>once (sample)</p>"
    assert list(store._hot.pages) == [store.file_for("popular")]
    store._hot.seen.clear()
    with mock.patch.object(_pagestore._Hot, "SEEN_AT_MOST", 10):
        for n in range(50):
            store.set(f"more-{n}", b"<p>once (sample)</p>")
            store.get(f"more-{n}")
            assert len(store._hot.seen) <= 10


def test_database_store(settings) -> None:
    settings.CACHES = {**settings.CACHES, "pages": page_cache("db", Path("/tmp"))}
    call_command("createcachetable", verbosity=0)
    store = caches.create_connection("pages")
    store.set("article-page:one", b"<html>sample</html>")
    assert store.get("article-page:one") == b"<html>sample</html>"


def test_database_store_keeps_the_pages_read_again_in_memory(
    settings, django_assert_num_queries
) -> None:
    settings.CACHES = {**settings.CACHES, "pages": page_cache("db", Path("/tmp"))}
    call_command("createcachetable", verbosity=0)
    store = caches.create_connection("pages")
    store.clear()
    store.set("page", b"<p>first version (sample)</p>")
    assert _read_twice(store, "page") == b"<p>first version (sample)</p>"
    with django_assert_num_queries(0):  # read from memory
        assert store.get("page") == b"<p>first version (sample)</p>"
    _a_write_delete_or_clear_drops_the_kept_copy(store)
    # Another process's deletion reaches this one when the kept copy is due again.
    store.set("shared", b"<p>shared (sample)</p>")
    assert _read_twice(store, "shared") is not None
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tidings_page_cache")
    assert store.get("shared") is not None  # still kept here
    later = time.time() + PageDatabaseCache.HOT_SECONDS + 1
    with mock.patch("tidings.site._pagestore.time.time", return_value=later):
        assert store.get("shared") is None
    assert store.get("missing", "default") == "default"


def test_only_the_page_and_its_comment_orders_are_stored(page: Article) -> None:
    url = page.get_absolute_url()
    store = caches["pages"]
    for query in ("", "?comments=top", "?comments=bogus", "?cpage=7", "?utm_source=feed"):
        assert Client().get(url + query).status_code == 200
    stored = [public_page_key(page.pk, url + q) for q in ("", "?comments=top")]
    assert all(store.get(key) is not None for key in stored)
    flooded = [public_page_key(page.pk, url + q) for q in ("?comments=bogus", "?cpage=7")]
    assert all(store.get(key) is None for key in flooded)


def test_stored_page_shows_the_current_age_of_comments(
    client: Client, page: Article, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.contrib.auth.models import User

    from tidings.community.models import Comment

    author = User.objects.create(username="ada")
    Comment.objects.create(
        article=page,
        author=author,
        body="A sample comment.",
        body_html="<p>A sample comment.</p>",
        created_at=timezone.now() - timedelta(minutes=5),
    )
    url = page.get_absolute_url()
    first = client.get(url).content.decode()
    assert "data-rel>5 minutes ago</time></a>" in first
    later = timezone.now() + timedelta(hours=2)
    fake = types.SimpleNamespace(
        now=lambda: later, get_current_timezone=timezone.get_current_timezone
    )
    monkeypatch.setattr(_pagestore, "timezone", fake)
    assert "data-rel>2 hours ago</time></a>" in Client().get(url).content.decode()


def test_migrate_empties_the_page_store(client: Client, page: Article, capsys) -> None:
    from tidings import cli

    client.get(page.get_absolute_url())
    key = public_page_key(page.pk, page.get_absolute_url())
    assert caches["pages"].get(key) is not None
    assert cli.main(["sources"]) == 0  # other commands leave it alone
    assert caches["pages"].get(key) is not None
    assert cli.main(["migrate"]) == 0  # every upgrade runs it; `serve` does the same at start
    assert caches["pages"].get(key) is None
