from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from tidings.community.models import Profile
from tidings.news.models import Article, Source, Story

_seq = itertools.count(1)


def make_user(
    name: str = "", *, staff: bool = False, age_days: float = 30, password: str = ""
) -> User:
    n = next(_seq)
    name = name or f"Reader {n}"
    user = User(
        username=f"u{n:04d}x",
        email=f"reader{n}@example.test",
        is_staff=staff,
        date_joined=timezone.now() - timedelta(days=age_days),
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    Profile.objects.create(user=user, display_name=name, email_key=user.email)
    return user


@pytest.fixture
def source(db) -> Source:
    return Source.objects.create(slug="sample-gazette", name="Sample Gazette", is_sample=True)


@pytest.fixture
def article(source) -> Article:
    return Article.objects.create(
        id="a" * 32,
        canonical_url="https://gazette.example.test/harbour-opens",
        source=source,
        title="Harbour reopens after the storm (sample)",
        text="Sample text.",
        content_hash="h1",
        published_at=timezone.now(),
    )


@pytest.fixture
def story(db) -> Story:
    return Story.objects.create(id="b" * 32, headline="Storm season (sample)")


@pytest.fixture
def reader(db) -> User:
    return make_user("Ada")


@pytest.fixture
def other(db) -> User:
    return make_user("Grace")


@pytest.fixture
def staff(db) -> User:
    return make_user("Moderator Mo", staff=True)


@pytest.fixture
def client_for():
    def build(user: User | None, *, csrf: bool = False) -> Client:
        client = Client(enforce_csrf_checks=csrf)
        if user is not None:
            client.force_login(user)
        return client

    return build


@pytest.fixture(autouse=True)
def _generous_limits(monkeypatch):
    """Most tests post a few comments; the flood tests set their own limits."""
    monkeypatch.setenv("TIDINGS_COMMENT_HOLD_FIRST", "0")
    monkeypatch.setenv("TIDINGS_COMMENT_RATE_LIMIT", "100/60")
    monkeypatch.setenv("TIDINGS_COMMENT_IP_RATE_LIMIT", "100/60")
    monkeypatch.setenv("TIDINGS_ACCOUNT_EMAIL_RATE_LIMIT", "100/60")


@pytest.fixture(autouse=True)
def _fast_hasher(request, settings):
    """Argon2 costs ~0.1 s a hash; tests that are about hashing opt back in."""
    if "argon2" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
