"""PostgreSQL: page keys remembered between the database's change notices."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from tidings.news.models import Article, Story
from tidings.site import _pgchanges, views

from .factories import make_article, make_source, make_story

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's notices"),
    pytest.mark.django_db(transaction=True),
]


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def listening(settings: Any) -> Iterator[_pgchanges.Changes]:
    settings.PG_CHANGE_NOTICES = True
    changes = _pgchanges.changes(connection.alias)
    wait_for(lambda: changes.live)
    yield changes


@pytest.fixture
def page() -> Article:
    art = make_article(make_source("Meridian Wire"), "Skerrow ferry resumes (sample)")
    other = make_article(make_source("Harbour Herald"), "Skerrow ferry back (sample)")
    make_story([art, other], headline="Skerrow ferry (sample)")
    return art


def settled(listening: _pgchanges.Changes) -> None:
    """Every notice sent so far has reached the listener (the page fixture's own writes
    would otherwise move its version between a test's first view and its second): a
    notice of our own, counted, then a quiet spell."""
    before = listening.version
    with connection.cursor() as cursor:
        cursor.execute(f"NOTIFY {_pgchanges.CHANNEL}")
    wait_for(lambda: listening.version > before)
    seen = listening.version
    while True:
        time.sleep(0.2)
        if listening.version == seen:
            return
        seen = listening.version


def elsewhere(change: Callable[[], object]) -> None:
    """``change`` committed on another connection (another thread)."""

    def run() -> None:
        change()
        connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


def test_an_unchanged_page_key_is_not_read_again(
    listening: _pgchanges.Changes, page: Article, django_assert_num_queries
) -> None:
    url = page.get_absolute_url()
    settled(listening)
    Client().get(url)
    with django_assert_num_queries(0):
        assert Client().get(url).status_code == 200
    before = listening.version
    elsewhere(lambda: Story.objects.filter(pk=page.story_id).update(headline="Ferry note (sample)"))
    wait_for(lambda: listening.version != before)
    assert "Ferry note (sample)" in Client().get(url).content.decode()


def test_no_page_key_is_remembered_without_the_listener(
    listening: _pgchanges.Changes, page: Article, django_assert_num_queries
) -> None:
    url = page.get_absolute_url()
    Client().get(url)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND query LIKE %s",
            [f"LISTEN {_pgchanges.CHANNEL}%"],
        )
    wait_for(lambda: not listening.live)
    with django_assert_num_queries(1):  # the key, read again
        assert Client().get(url).status_code == 200
    wait_for(lambda: listening.live)  # back after a pause
    settled(listening)
    Client().get(url)
    with django_assert_num_queries(0):
        assert Client().get(url).status_code == 200


def test_nothing_is_remembered_with_the_notices_off(
    settings, page: Article, django_assert_num_queries
) -> None:
    settings.PG_CHANGE_NOTICES = False
    url = page.get_absolute_url()
    Client().get(url)
    with django_assert_num_queries(1):
        assert Client().get(url).status_code == 200
    assert views._remembered(connection.alias) is None


def test_pre_rendering_starts_no_listener(settings, page: Article) -> None:
    """A worker renders each page once: it keeps no page key, so it needs no listener
    (a connection of its own in every worker process)."""
    from tidings.site.prerender import render_public_page

    settings.PG_CHANGE_NOTICES = True
    _pgchanges.stop_all(wait=2.0)
    assert render_public_page(page.get_absolute_url()) == 200
    assert _pgchanges._listeners == {}
    Client().get(page.get_absolute_url())  # a reader's view does start it
    assert connection.alias in _pgchanges._listeners
