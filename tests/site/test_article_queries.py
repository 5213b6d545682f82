"""The article page's database work is fixed, and its page store stays correct.

Query counts are locked in so that a per-card or per-comment query (an N+1)
cannot slip back in: the page costs the same number of queries with one comment
or with thirty, with one related card or with many.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tidings.community import services
from tidings.community.models import Comment, Profile
from tidings.news.models import Article

from .factories import make_article, make_related, make_source, make_story, make_topic

pytestmark = pytest.mark.django_db

# the page key (article, story and source columns joined to the comment-thread stamp, which
# also gives the comment count), then the full article with its body, topics, related cards,
# copies, the story's outlets, section navigation, the comment thread (roots and replies
# together)
COLD_ANONYMOUS_QUERIES = 8
# the page key (one query; none on SQLite while the database has not changed since it was
# last read): the rest comes from the page store
CACHED_ANONYMOUS_QUERIES = 0 if connection.vendor == "sqlite" else 1
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _user(name: str) -> User:
    user = User.objects.create(username=name.lower(), email=f"{name.lower()}@example.test")
    Profile.objects.create(user=user, display_name=name, email_key=user.email)
    return user


def _comment(article: Article, author: User, body: str, **kw: object) -> Comment:
    return Comment.objects.create(
        article=article, author=author, body=body, body_html=f"<p>{body}</p>", **kw
    )


@pytest.fixture
def page() -> Article:
    """An article with topics, related cards from a story, a copy and comments (sample)."""
    wire, herald = make_source("Meridian Wire"), make_source("Harbour Herald")
    art = make_article(wire, "Ferry service resumes after the storm (sample)")
    others = [make_article(herald, f"Storm follow-up {i} (sample)") for i in range(6)]
    make_article(herald, art.title, art.text, duplicate_of=art)
    make_story([art, *others])
    for rank, other in enumerate(others):
        make_related(art, other, rank)
    make_topic("Veland", "place", (art,))
    ada = _user("Ada")
    root = _comment(art, ada, "First sample comment.")
    _comment(art, ada, "A sample reply.", parent=root)
    return art


def _more_comments(art: Article, n: int) -> None:
    readers = [_user(f"Reader{i}") for i in range(n)]
    for i, reader in enumerate(readers):
        root = _comment(art, reader, f"Sample comment {i}.")
        _comment(art, readers[0], f"Sample reply {i}.", parent=root)


def test_cold_page_query_count_does_not_grow_with_comments(
    client: Client, page: Article, django_assert_num_queries
):
    with django_assert_num_queries(COLD_ANONYMOUS_QUERIES):
        assert client.get(page.get_absolute_url()).status_code == 200
    _more_comments(page, 15)
    make_related(page, make_article(title="One more related card (sample)"), 9)
    Article.objects.filter(pk=page.pk).update(updated_at=timezone.now())
    cache.clear()
    with django_assert_num_queries(COLD_ANONYMOUS_QUERIES):
        html = client.get(page.get_absolute_url()).content.decode()
    assert html.count('class="cm-item') == 1 + 1 + 15 + 15
    assert "One more related card (sample)" in html


def test_repeat_view_comes_from_the_page_cache(
    client: Client, page: Article, django_assert_num_queries
):
    first = client.get(page.get_absolute_url())
    with django_assert_num_queries(CACHED_ANONYMOUS_QUERIES):
        again = Client().get(page.get_absolute_url())
    assert again.status_code == 200
    strip = lambda r: _TOKEN.sub("", r.content.decode())  # noqa: E731
    assert strip(again) == strip(first)
    assert again["ETag"] == first["ETag"]


def test_cached_page_carries_a_working_csrf_token(page: Article):
    Client().get(page.get_absolute_url())  # fills the cache
    reader = Client(enforce_csrf_checks=True)
    html = reader.get(page.get_absolute_url()).content.decode()
    tokens = set(_TOKEN.findall(html))
    assert len(tokens) == 1 and "\x00" not in next(iter(tokens))
    login = reader.post(
        "/accounts/login/",
        {"csrfmiddlewaretoken": tokens.pop(), "username": "nobody", "password": "wrong"},
    )
    assert login.status_code != 403
    stranger = Client(enforce_csrf_checks=True)
    stranger.get("/")
    assert (
        stranger.post(
            "/accounts/login/",
            {"csrfmiddlewaretoken": "x" * 64, "username": "nobody", "password": "wrong"},
        ).status_code
        == 403
    )


def test_comment_changes_reach_the_cached_page(client: Client, page: Article, monkeypatch):
    monkeypatch.setenv("TIDINGS_COMMENT_HOLD_FIRST", "0")
    url = page.get_absolute_url()
    assert "First sample comment." in client.get(url).content.decode()
    grace = _user("Grace")
    services.post(author=grace, target=page, body="A fresh sample comment.", ip="127.0.0.1")
    assert "A fresh sample comment." in client.get(url).content.decode()
    first = Comment.objects.get(body="First sample comment.")
    mod = User.objects.create(username="mod", is_staff=True)
    services.moderate(moderator=mod, comment_id=first.pk, kind="hide")
    html = client.get(url).content.decode()
    assert "First sample comment." not in html and "A fresh sample comment." in html


def test_comment_edit_reaches_the_cached_page(client: Client, page: Article):
    url = page.get_absolute_url()
    client.get(url)
    Comment.objects.filter(body="A sample reply.").update(
        body="An edited reply.", body_html="<p>An edited reply.</p>", edited_at=timezone.now()
    )
    assert "An edited reply." in client.get(url).content.decode()


def test_article_changes_reach_the_cached_page(client: Client, page: Article):
    url = page.get_absolute_url()
    client.get(url)
    Article.objects.filter(pk=page.pk).update(
        text="Rewritten sample body.",
        html="<p>Rewritten sample body.</p>",
        updated_at=timezone.now() + timedelta(seconds=1),
    )
    assert "Rewritten sample body." in client.get(url).content.decode()


def test_logged_in_readers_never_get_the_shared_page(page: Article):
    Client().get(page.get_absolute_url())  # a logged-out reader fills the cache
    ada = Client()
    ada.force_login(User.objects.get(username="ada"))
    html = ada.get(page.get_absolute_url()).content.decode()
    assert "Join the discussion as" in html and "Log in</a> or" not in html
    assert "Post reply" in html


def test_unknown_query_parameters_bypass_the_page_cache(client: Client, page: Article):
    url = page.get_absolute_url() + "?utm_source=newsletter"
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) > CACHED_ANONYMOUS_QUERIES


def test_likes_reorder_the_cached_top_comments(client: Client, page: Article):
    grace = _user("Grace")
    _comment(page, grace, "Second sample comment.")
    url = page.get_absolute_url() + "?comments=top"
    html = client.get(url).content.decode()
    assert html.index("Second sample comment.") < html.index("First sample comment.")
    first = Comment.objects.get(body="First sample comment.")
    services.toggle_like(user=grace, comment_id=first.pk)
    html = client.get(url).content.decode()
    assert html.index("First sample comment.") < html.index("Second sample comment.")


def test_comment_order_is_part_of_the_cache_key(client: Client, page: Article):
    grace = _user("Grace")
    _comment(page, grace, "Newest sample comment.", created_at=timezone.now() + timedelta(1))
    url = page.get_absolute_url()
    newest = client.get(url + "?comments=newest").content.decode()
    oldest = client.get(url + "?comments=oldest").content.decode()
    assert newest.index("Newest sample comment.") < newest.index("First sample comment.")
    assert oldest.index("First sample comment.") < oldest.index("Newest sample comment.")
