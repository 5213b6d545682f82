"""Public list pages kept in memory while the database does not change (``_kept_while_unchanged``).

Sample content: every name below is fictional, written for these tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

# _unmask_cipher_token is private in Django and absent from django-stubs.
from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]
from django.test import Client

from tidings.news.models import Article, Story
from tidings.site import _pgchanges, views

from .factories import make_article, make_source, make_story

pytestmark = pytest.mark.django_db(transaction=True)  # as requests run: no test transaction


@pytest.fixture(autouse=True)
def changes_seen(settings: Any) -> Iterator[None]:
    """On PostgreSQL, pages are kept while the change listener is connected."""
    if connection.vendor == "postgresql":
        from .test_pg_changes import settled, wait_for

        settings.PG_CHANGE_NOTICES = True
        listener = _pgchanges.changes(connection.alias)
        wait_for(lambda: listener.live)
        settled(listener)
    yield


@pytest.fixture
def story() -> Story:
    first = make_article(make_source("Tollan Courier"), "Tollan ferry strike ends (sample)")
    second = make_article(make_source("Brisk Gazette"), "Ferry crews back at work (sample)")
    return make_story([first, second], headline="Tollan ferry strike (sample)")


def _settle() -> None:
    if connection.vendor == "postgresql":
        from .test_pg_changes import settled

        settled(_pgchanges.changes(connection.alias))


def test_the_home_page_is_rendered_once_while_nothing_changes(
    story: Story, django_assert_num_queries
) -> None:
    _settle()
    first = Client().get("/")
    assert first.status_code == 200 and "Tollan ferry strike (sample)" in first.content.decode()
    with django_assert_num_queries(0):
        again = Client().get("/")
    assert again.status_code == 200
    assert again.content == first.content  # the same ages: the same minute
    assert again["ETag"] == first["ETag"] and "public" in again["Cache-Control"]
    assert Client().get("/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert "Vary" in again and "Cookie" in again["Vary"]


def test_a_committed_change_reaches_the_kept_page(story: Story) -> None:
    _settle()
    assert "Harbour lights return (sample)" not in Client().get("/").content.decode()
    make_article(make_source("Tollan Courier"), "Harbour lights return (sample)")
    _settle()
    assert "Harbour lights return (sample)" in Client().get("/").content.decode()


def test_a_kept_page_goes_after_its_time(
    story: Story, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries
) -> None:
    _settle()
    monkeypatch.setattr(views, "KEPT_PAGE_SECONDS", -1.0)  # a page kept is already old
    Client().get("/")
    with (
        pytest.raises(pytest.fail.Exception, match="were done"),  # rendered again
        django_assert_num_queries(0),
    ):
        Client().get("/")


def test_each_path_is_kept_apart(story: Story) -> None:
    _settle()

    def page(path: str) -> str:  # without the CSRF token, new on every view
        html = Client().get(path).content.decode()
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    home, story_page = page("/"), page(story.get_absolute_url())
    assert page("/") == home and page(story.get_absolute_url()) == story_page
    assert home != story_page
    assert Client().get("/?page=99").status_code == 404  # not kept, not served as the home


def test_a_kept_story_page_carries_each_readers_own_token(story: Story) -> None:
    _settle()
    for n in range(3):  # rendered and kept for the first reader, from memory after
        reader = Client()
        if n:
            reader.get("/")  # a reader who already has a secret of their own
        html = reader.get(story.get_absolute_url()).content.decode()
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert found is not None
        assert _unmask_cipher_token(found[1]) == reader.cookies["csrftoken"].value


def test_a_signed_in_reader_gets_a_page_of_their_own(story: Story) -> None:
    _settle()
    Client().get("/")  # kept for logged-out readers
    user = get_user_model().objects.create_user("mara.sample", "mara@example.test", "x" * 12)
    reader = Client()
    reader.force_login(user)
    html = reader.get("/").content.decode()
    assert "mara.sample" in html
    assert "mara.sample" not in Client().get("/").content.decode()


def test_pages_are_not_kept_inside_a_transaction(story: Story) -> None:
    from django.db import transaction

    _settle()
    Client().get("/")
    with transaction.atomic():
        Article.objects.filter(pk=story.lead_article_id).update(title="Rolled back (sample)")
        assert "Rolled back (sample)" in Client().get("/").content.decode()
        transaction.set_rollback(True)
    assert "Rolled back (sample)" not in Client().get("/").content.decode()


def test_a_section_page_is_kept_apart_from_the_home_page(
    story: Story, django_assert_num_queries
) -> None:
    make_article(
        make_source("Brisk Gazette"), "Lantern festival opens (sample)", category="Culture"
    )
    _settle()
    section = Client().get("/?category=Culture").content.decode()
    assert "Lantern festival opens (sample)" in section
    assert "Tollan ferry strike ends (sample)" not in section
    with django_assert_num_queries(0):
        assert Client().get("/?category=Culture").content.decode() == section
    assert Client().get("/").content.decode() != section
    # Any other parameter: rendered for this request only.
    assert Client().get("/?category=Culture&utm=x").status_code == 200
