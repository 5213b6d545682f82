"""The operator's admin pages render, with feed errors visible."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tidings.news.models import Feed, FetchAttempt, Source


@pytest.fixture
def staff_client() -> Client:
    User.objects.create_superuser("operator", "operator@example.test", "a-long-passphrase-1")
    client = Client()
    client.force_login(User.objects.get(username="operator"))
    return client


@pytest.mark.django_db
def test_admin_pages_show_errors(staff_client: Client) -> None:
    source = Source.objects.create(
        slug="sample", name="Sample Outlet", homepage="https://s.example/"
    )
    feed = Feed.objects.create(
        source=source,
        url="https://s.example/feed.xml",
        error_count=3,
        last_error_code="http_503",
        last_error_message="server answered 503 Service Unavailable",
    )
    FetchAttempt.objects.create(
        feed=feed, url=feed.url, kind="feed", status=503, code="http_503", message="503"
    )
    pages = {
        "/admin/news/feed/": "server answered 503 Service Unavailable",
        "/admin/news/feed/?status=error": "s.example/feed.xml",
        "/admin/news/source/": "1 failing",
        "/admin/news/fetchattempt/": "http_503",
        "/admin/news/article/": "Select article to change",
        "/admin/news/entry/": "Select entry to change",
        "/admin/news/story/": "Select story to change",
        "/admin/news/topic/": "Select topic to change",
    }
    for url, expected in pages.items():
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert expected in response.content.decode(), url
    assert staff_client.get(f"/admin/news/feed/{feed.pk}/change/").status_code == 200
