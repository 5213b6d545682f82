"""Abuse defences: each test fails when its defence is removed."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from tidings.community import _mail
from tidings.community.models import Comment, Profile

from .conftest import make_user
from .hashers import CountingHasher

pytestmark = pytest.mark.django_db
S = Comment.Status


def _post(client, target, body, **extra):
    data = {"kind": "article", "target": target.pk, "body": body, "next": "/x", **extra}
    return client.post("/comments/post/", data)


# --- CSRF ------------------------------------------------------------------------


def test_every_post_needs_a_csrf_token(client_for, reader, staff, article):
    comment = Comment.objects.create(article=article, author=reader, body="b", body_html="b")
    posts = {
        "/comments/post/": {"kind": "article", "target": article.pk, "body": "csrf?"},
        f"/comments/{comment.pk}/edit/": {"body": "edited"},
        f"/comments/{comment.pk}/delete/": {},
        f"/comments/{comment.pk}/report/": {"reason": "spam"},
        f"/comments/{comment.pk}/like/": {},
        f"/moderation/comments/{comment.pk}/": {"action": "hide"},
        f"/moderation/readers/{reader.pk}/": {"action": "ban"},
        "/accounts/settings/": {"display_name": "Changed"},
        "/accounts/logout/": {},
    }
    for user in (reader, staff):
        client = client_for(user, csrf=True)
        for url, data in posts.items():
            assert client.post(url, data).status_code == 403, url
    anonymous = {
        "/accounts/login/": {"username": reader.email, "password": "x"},
        "/accounts/signup/": {"display_name": "N", "email": "n@example.test", "password": "pw"},
        "/accounts/password-reset/": {"email": reader.email},
    }
    for url, data in anonymous.items():
        assert Client(enforce_csrf_checks=True).post(url, data).status_code == 403, url
    comment.refresh_from_db()
    assert comment.status == S.PUBLISHED and comment.body == "b"
    assert Comment.objects.count() == 1
    assert not Profile.objects.get(user=reader).is_banned


def test_csrf_token_in_forms_lets_the_post_through(client_for, reader, article):
    client = client_for(reader, csrf=True)
    page = client.get(f"/comments/article/{article.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = _post(client, article, "with token", csrfmiddlewaretoken=token)
    assert response.status_code == 302 and Comment.objects.count() == 1


# --- stored XSS ------------------------------------------------------------------


def test_comment_and_display_name_xss_is_inert(client_for, article):
    evil = make_user("<script>alert(1)</script><img src=x onerror=a()>")
    _post(client_for(evil), article, "[x](javascript:alert(1)) <svg onload=alert(3)>")
    for page in (f"/comments/article/{article.pk}/", f"/accounts/people/{evil.username}/"):
        html = client_for(None).get(page).content.decode()
        assert "<script>alert" not in html
        assert "<img src=x" not in html and "<svg" not in html
        assert 'href="javascript' not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_display_name_strips_bidi_overrides(client_for, reader):
    client_for(reader).post("/accounts/settings/", {"display_name": "adm\u202enimda"})
    assert Profile.objects.get(user=reader).display_name == "admnimda"


# --- open redirects ----------------------------------------------------------------

# "/\t/evil" is what the query string "/%09/evil" decodes to (browsers drop the tab).
EVIL = [
    "https://evil.example",
    "//evil.example",
    "/\t/evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:\\\\evil.example",
    "/\\evil.example",
    "https://testserver.evil.example/",
]


@pytest.mark.parametrize("target", EVIL)
def test_comment_next_does_not_leave_the_site(client_for, reader, article, target):
    response = _post(client_for(reader), article, "hello", next=target)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(article.get_absolute_url()), location


@pytest.mark.parametrize("target", EVIL)
def test_login_next_does_not_leave_the_site(db, target):
    make_user("Lin", password="correct horse battery")
    email = User.objects.get(profile__display_name="Lin").email
    response = Client().post(
        "/accounts/login/", {"username": email, "password": "correct horse battery", "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == "/", response["Location"]


@pytest.mark.parametrize("target", EVIL)
def test_logout_next_does_not_leave_the_site(client_for, reader, target):
    response = client_for(reader).post("/accounts/logout/", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/"


def test_raw_query_string_tab_trick(db):
    make_user("Tab", password="correct horse battery")
    email = User.objects.get(profile__display_name="Tab").email
    response = Client().post(
        "/accounts/login/?next=/%09/evil.example",
        {"username": email, "password": "correct horse battery"},
    )
    assert response["Location"] == "/"


def test_local_next_is_kept(client_for, reader, article):
    response = _post(client_for(reader), article, "hello", next="/story/abc?x=1")
    assert response["Location"].startswith("/story/abc?x=1#comment-")


# --- flooding --------------------------------------------------------------------


def test_flood_per_user_gets_429_and_stores_nothing(client_for, reader, article, monkeypatch):
    monkeypatch.setenv("TIDINGS_COMMENT_RATE_LIMIT", "5/60")
    client = client_for(reader)
    codes = [_post(client, article, f"comment number {i}").status_code for i in range(20)]
    assert codes[:5] == [302] * 5
    assert set(codes[5:]) == {429}
    assert Comment.objects.count() == 5
    response = _post(client, article, "one more")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert b"Too many requests" in response.content


def test_flood_per_address_across_accounts(client_for, article, monkeypatch):
    monkeypatch.setenv("TIDINGS_COMMENT_IP_RATE_LIMIT", "8/60")
    codes = []
    for n in range(12):
        codes.append(_post(client_for(make_user(f"Sock {n}")), article, f"sock {n}").status_code)
    assert codes.count(302) == 8 and codes.count(429) == 4
    assert Comment.objects.count() == 8


def test_first_day_quota(client_for, article, monkeypatch):
    monkeypatch.setenv("TIDINGS_NEW_ACCOUNT_DAILY_COMMENTS", "3")
    newbie = make_user("Newbie", age_days=0.1)
    client = client_for(newbie)
    codes = [_post(client, article, f"newbie says {i}").status_code for i in range(5)]
    assert codes == [302, 302, 302, 429, 429]
    response = _post(client, article, "again", headers={"X-Tidings-Fragment": "1"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 3600
    # Said in words, and the day's cap is what it names (not a moment's flood limit).
    said = response.content.decode()
    assert "first day" in said and "Please try again in about " in said and " hours." in said
    assert Comment.objects.count() == 3
    old = make_user("Old hand", age_days=10)
    assert [_post(client_for(old), article, f"old {i}").status_code for i in range(5)] == [302] * 5


# --- log-in brute force and account enumeration --------------------------------------


def test_login_brute_force_is_throttled(db, monkeypatch):
    monkeypatch.setenv("TIDINGS_LOGIN_RATE_LIMIT", "5/300")
    user = make_user("Target", password="the right password 42")
    client = Client()
    codes = [
        client.post(
            "/accounts/login/", {"username": user.email, "password": f"guess{i}"}
        ).status_code
        for i in range(8)
    ]
    assert codes[:5] == [200] * 5 and codes[5:] == [429] * 3
    blocked = client.post(
        "/accounts/login/", {"username": user.email, "password": "the right password 42"}
    )
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    # an unknown account is throttled the same way (no hint which exists)
    codes = [
        client.post(
            "/accounts/login/", {"username": "ghost@example.test", "password": "x"}
        ).status_code
        for i in range(6)
    ]
    assert codes == [200] * 5 + [429]


def test_successful_login_resets_the_count(db, monkeypatch):
    monkeypatch.setenv("TIDINGS_LOGIN_RATE_LIMIT", "3/300")
    user = make_user("Forgetful", password="the right password 42")
    client = Client()
    for _ in range(2):
        client.post("/accounts/login/", {"username": user.email, "password": "wrong"})
    ok = client.post(
        "/accounts/login/", {"username": user.email, "password": "the right password 42"}
    )
    assert ok.status_code == 302
    client.post("/accounts/logout/")
    for _ in range(2):
        assert (
            client.post("/accounts/login/", {"username": user.email, "password": "no"}).status_code
            == 200
        )


def _strip_tokens(html: str) -> str:
    return re.sub(r'value="[A-Za-z0-9]{64}"', 'value="TOKEN"', html)


def test_login_does_not_reveal_accounts(db, settings):
    settings.PASSWORD_HASHERS = ["tests.community.hashers.CountingHasher"]
    user = make_user("Known", password="the right password 42")
    pages = {}
    calls = {}
    for label, email in (("known", user.email), ("unknown", "nobody@example.test")):
        CountingHasher.calls = 0
        response = Client().post("/accounts/login/", {"username": email, "password": "wrong"})
        calls[label] = CountingHasher.calls
        pages[label] = _strip_tokens(response.content.decode()).replace(email, "EMAIL")
        assert response.status_code == 200
    assert pages["known"] == pages["unknown"]
    assert calls["known"] == calls["unknown"] == 1  # the hasher runs for unknown users too


def test_signup_does_not_reveal_accounts(db, settings):
    settings.PASSWORD_HASHERS = ["tests.community.hashers.CountingHasher"]
    make_user("Existing")
    existing = User.objects.get(profile__display_name="Existing")
    responses = {}
    calls = {}
    for label, email in (("new", "fresh@example.test"), ("taken", existing.email.upper())):
        mail.outbox.clear()
        CountingHasher.calls = 0
        response = Client().post(
            "/accounts/signup/",
            {"display_name": "Someone", "email": email, "password": "a long sample passphrase"},
        )
        _mail.flush()
        calls[label] = CountingHasher.calls
        responses[label] = (response.status_code, response["Location"])
        assert len(mail.outbox) == 1 and mail.outbox[0].to == [email.lower()]
    assert responses["new"] == responses["taken"] == (302, "/accounts/signup/done/")
    assert calls["new"] == calls["taken"] == 1
    assert "already has one" in mail.outbox[0].body
    assert User.objects.filter(email__iexact=existing.email).count() == 1


def test_password_reset_does_not_reveal_accounts(db):
    user = make_user("Resetter", password="the right password 42")
    results = []
    for email in (user.email, "nobody@example.test"):
        mail.outbox.clear()
        response = Client().post("/accounts/password-reset/", {"email": email})
        _mail.flush()
        results.append((response.status_code, response["Location"]))
    assert results[0] == results[1] == (302, "/accounts/password-reset/sent/")
    assert mail.outbox == []  # the last request (unknown address) sent nothing


def test_account_mail_is_rate_limited(db, monkeypatch):
    monkeypatch.setenv("TIDINGS_ACCOUNT_EMAIL_RATE_LIMIT", "2/3600")
    codes = [
        Client().post("/accounts/password-reset/", {"email": f"x{i}@example.test"}).status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]
