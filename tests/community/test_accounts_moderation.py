"""Accounts (sign-up, activation, log-in/out, reset, profile) and moderation."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone

from tidings.community import _mail
from tidings.community.mailconfig import email_settings
from tidings.community.models import Comment, ModerationAction, Report
from tidings.core.errors import ConfigError

from .conftest import make_user

pytestmark = pytest.mark.django_db
S = Comment.Status


def _post(client, target, body, **extra):
    data = {"kind": "article", "target": target.pk, "body": body, "next": "/x", **extra}
    return client.post("/comments/post/", data)


def _link(body: str) -> str:
    match = re.search(r"https?://testserver(\S+)", body)
    assert match is not None, body
    return match.group(1)


@pytest.mark.argon2
def test_signup_activation_login_logout_reset():
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {
            "display_name": "Noor",
            "email": "Noor@Example.test",
            "password": "a long sample passphrase",
        },
    )
    assert response.status_code == 302
    _mail.flush()
    user = User.objects.get(email="Noor@Example.test")
    assert not user.is_active and user.password.startswith("argon2")
    assert (
        client.post(
            "/accounts/login/",
            {"username": "noor@example.test", "password": "a long sample passphrase"},
        ).status_code
        == 200
    )
    activation = _link(mail.outbox[-1].body)
    response = client.get(activation)
    assert (
        response.status_code == 302 and response["Location"] == f"/accounts/people/{user.username}/"
    )
    assert client.get(activation).status_code == 400  # single use
    assert client.get("/accounts/logout/").status_code == 405  # log-out is POST only
    assert client.post("/accounts/logout/").status_code == 302
    ok = client.post(
        "/accounts/login/",
        {"username": "NOOR@example.test", "password": "a long sample passphrase"},
    )
    assert ok.status_code == 302
    client.post("/accounts/logout/")
    mail.outbox.clear()
    client.post("/accounts/password-reset/", {"email": "noor@example.test"})
    _mail.flush()
    reset = _link(mail.outbox[0].body)
    page = client.get(reset, follow=True)
    assert page.status_code == 200 and b"Choose a new password" in page.content
    done = client.post(
        page.redirect_chain[-1][0],
        {
            "new_password1": "another sample passphrase",
            "new_password2": "another sample passphrase",
        },
    )
    assert done.status_code == 302
    ok = client.post(
        "/accounts/login/",
        {"username": "noor@example.test", "password": "another sample passphrase"},
    )
    assert ok.status_code == 302


def test_signup_validates_password_and_name():
    response = Client().post(
        "/accounts/signup/", {"display_name": "x", "email": "x@example.test", "password": "123"}
    )
    assert response.status_code == 200
    assert b"at least 2 characters" in response.content and b"too short" in response.content
    assert not User.objects.exists()


def test_unactivated_address_cannot_be_squatted():
    Client().post(
        "/accounts/signup/",
        {
            "display_name": "Squatter",
            "email": "v@example.test",
            "password": "squatter passphrase 1",
        },
    )
    Client().post(
        "/accounts/signup/",
        {"display_name": "Owner", "email": "v@example.test", "password": "owner passphrase 22"},
    )
    user = User.objects.get(email="v@example.test")
    assert user.check_password("owner passphrase 22") and user.profile.display_name == "Owner"


def test_settings_change_display_name(client_for, reader):
    response = client_for(reader).post("/accounts/settings/", {"display_name": "Ada L."})
    assert response.status_code == 302
    reader.profile.refresh_from_db()
    assert reader.profile.display_name == "Ada L."


def test_first_comment_is_held_and_shown_pending_to_author(client_for, article, staff, monkeypatch):
    monkeypatch.setenv("TIDINGS_COMMENT_HOLD_FIRST", "1")
    newbie = make_user("Newbie")
    response = _post(client_for(newbie), article, "My very first comment")
    comment = Comment.objects.get()
    assert comment.status == S.PENDING and comment.hold_reason
    own = client_for(newbie).get(f"/comments/article/{article.pk}/").content.decode()
    assert "My very first comment" in own and "Pending review" in own
    assert (
        "My very first comment"
        not in client_for(None).get(f"/comments/article/{article.pk}/").content.decode()
    )
    assert response.status_code == 302
    hold = ModerationAction.objects.get(kind="hold")
    assert hold.actor is None and hold.comment == comment
    queue = client_for(staff).get("/moderation/").content.decode()
    assert "My very first comment" in queue
    client_for(staff).post(
        f"/moderation/comments/{comment.pk}/", {"action": "approve", "reason": "fine"}
    )
    comment.refresh_from_db()
    assert comment.status == S.PUBLISHED
    _post(client_for(newbie), article, "Second comment goes straight up")
    assert Comment.objects.get(body="Second comment goes straight up").status == S.PUBLISHED


@pytest.mark.parametrize(
    "body",
    [
        "Links: [a](https://a.test) [b](https://b.test) [c](https://c.test) [d](https://d.test)",
        "Test XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X here",
        "spam " * 30,
    ],
)
def test_spam_is_held(client_for, reader, article, body):
    _post(client_for(reader), article, body)
    assert Comment.objects.get().status == S.PENDING


def test_repeated_text_is_held(client_for, reader, article):
    text = "Exactly the same rather long sentence, posted twice."
    _post(client_for(reader), article, text)
    # Sent again at once it is the same comment (test_comments); minutes later, a repeat.
    Comment.objects.update(created_at=timezone.now() - timedelta(minutes=3))
    _post(client_for(reader), article, text)
    assert [c.status for c in Comment.objects.order_by("pk")] == [S.PUBLISHED, S.PENDING]


def test_edit_into_spam_is_held(client_for, reader, article):
    _post(client_for(reader), article, "Innocent")
    comment = Comment.objects.get()
    client_for(reader).post(
        f"/comments/{comment.pk}/edit/",
        {"body": "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"},
    )
    comment.refresh_from_db()
    assert comment.status == S.PENDING


def test_report_queue_hide_restore_remove_audited(client_for, reader, other, staff, article):
    _post(client_for(reader), article, "Controversial")
    comment = Comment.objects.get()
    response = client_for(other).post(
        f"/comments/{comment.pk}/report/", {"reason": "abuse", "note": "rude"}
    )
    assert response.status_code == 302
    client_for(other).post(
        f"/comments/{comment.pk}/report/", {"reason": "abuse"}
    )  # twice: one report
    assert Report.objects.count() == 1
    assert "Controversial" in client_for(staff).get("/moderation/").content.decode()
    mod = client_for(staff)
    for action, status in (("hide", S.HIDDEN), ("restore", S.PUBLISHED), ("remove", S.REMOVED)):
        mod.post(
            f"/moderation/comments/{comment.pk}/", {"action": action, "reason": f"why {action}"}
        )
        comment.refresh_from_db()
        assert comment.status == status
    log = list(ModerationAction.objects.order_by("id").values_list("kind", "actor", "reason"))
    assert log == [
        ("report", other.pk, "abuse"),
        ("hide", staff.pk, "why hide"),
        ("restore", staff.pk, "why restore"),
        ("remove", staff.pk, "why remove"),
    ]
    assert Report.objects.get().resolved_by == staff
    assert "why remove" in mod.get("/moderation/log/").content.decode()


def test_ban_stops_posting_and_can_hide_everything(client_for, reader, staff, article):
    _post(client_for(reader), article, "Before the ban")
    client_for(staff).post(
        f"/moderation/readers/{reader.pk}/",
        {"action": "ban", "reason": "trolling", "hide_comments": "on"},
    )
    reader.profile.refresh_from_db()
    assert reader.profile.is_banned
    assert Comment.objects.get().status == S.HIDDEN
    response = _post(client_for(reader), article, "After the ban")
    assert response.status_code == 400 and b"can no longer post" in response.content
    assert Comment.objects.count() == 1
    assert ModerationAction.objects.filter(
        kind="ban", actor=staff, subject=reader, reason="trolling"
    ).exists()


def test_moderation_is_staff_only(client_for, reader, article):
    _post(client_for(reader), article, "x")
    comment = Comment.objects.get()
    for client in (client_for(reader), client_for(None)):
        assert client.get("/moderation/").status_code == 404
        assert (
            client.post(f"/moderation/comments/{comment.pk}/", {"action": "hide"}).status_code
            == 404
        )
        assert (
            client.post(f"/moderation/readers/{reader.pk}/", {"action": "ban"}).status_code == 404
        )
    comment.refresh_from_db()
    assert comment.status == S.PUBLISHED


def test_admin_shows_the_audit_log(client_for, reader, article):
    admin = User.objects.create_superuser("root", "root@example.test", "x")
    _post(
        client_for(reader),
        article,
        "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X",
    )
    client = client_for(admin)
    page = client.get("/admin/community/moderationaction/")
    assert page.status_code == 200 and b"spam test string" in page.content
    assert client.get("/admin/community/comment/").status_code == 200
    assert client.get("/admin/community/moderationaction/add/").status_code == 403


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("console:", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        (
            "file:mail",
            {
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": "/d/mail",
            },
        ),
        (
            "smtp://u%40x:p%3Aw@mail.example.test:2525?from=News%20%3Cn@example.test%3E",
            {
                "EMAIL_HOST": "mail.example.test",
                "EMAIL_PORT": 2525,
                "EMAIL_HOST_USER": "u@x",
                "EMAIL_HOST_PASSWORD": "p:w",
                "EMAIL_USE_TLS": True,
                "DEFAULT_FROM_EMAIL": "News <n@example.test>",
            },
        ),
        (
            "smtps://mail.example.test",
            {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True, "EMAIL_USE_TLS": False},
        ),
    ],
)
def test_email_url(url, expected):
    got = email_settings(url, Path("/d"))
    assert {k: got[k] for k in expected} == expected


def test_email_url_rejects_unknown_scheme():
    with pytest.raises(ConfigError):
        email_settings("carrier-pigeon://x", Path("/d"))


def test_an_account_made_with_createsuperuser_logs_in_by_email_after_its_first_visit():
    """Its profile is made on first use: it takes the account's address as its key, and
    a profile made earlier without one still lets the address log in."""
    from tidings.community.accounts import find_by_email, profile_for
    from tidings.community.models import Profile

    User.objects.create_superuser("mod", "Mod@Example.test", "a moderator's passphrase")
    for attempt in range(2):
        client = Client()
        response = client.post(
            "/accounts/login/",
            {"username": "mod@example.test", "password": "a moderator's passphrase"},
        )
        assert response.status_code == 302, (attempt, response.content[:300])
        assert client.get("/moderation/").status_code == 200
        assert client.get("/accounts/settings/").status_code == 200  # makes its profile
    assert Profile.objects.get(user__username="mod").email_key == "mod@example.test"

    # A profile made before it took the address (as older versions made it).
    legacy = User.objects.create_superuser("old", "old@example.test", "x")
    Profile.objects.create(user=legacy, display_name="old")
    assert find_by_email("OLD@example.test") == legacy
    # Another reader signed up with an address: a later account with the same address
    # gets a profile without the key rather than an error, and the reader keeps it.
    reader = User.objects.create_user("r1", "taken@example.test", "x")
    Profile.objects.create(user=reader, display_name="Reader", email_key="taken@example.test")
    twin = User.objects.create_superuser("twin", "Taken@example.test", "x")
    assert profile_for(twin).email_key is None
    assert find_by_email("taken@example.test") == reader


@pytest.mark.parametrize("legacy_profile", [False, True], ids=["no profile", "profile without key"])
def test_a_look_alike_address_never_finds_another_account(legacy_profile: bool) -> None:
    """PostgreSQL's case-insensitive match reads "mysıte" (dotless i) as "MYSITE": signing
    up with it must not reach the operator's account nor mail its reset link there."""
    from tidings.community.accounts import find_by_email
    from tidings.community.models import Profile

    admin = User.objects.create_superuser("admin", "admin@mysite.test", "the operator's own")
    if legacy_profile:
        Profile.objects.create(user=admin, display_name="admin")
    look_alike = "admin@mys\u0131te.test"
    assert find_by_email(look_alike) is None
    assert find_by_email("ADMIN@MYSITE.TEST") == admin
    mail.outbox.clear()
    Client().post(
        "/accounts/signup/",
        {"display_name": "Mallory", "email": look_alike, "password": "a long sample passphrase"},
    )
    _mail.flush()
    for message in mail.outbox:
        assert "password-reset" not in message.body or message.to == [admin.email]
    assert all("reset" not in m.subject.lower() for m in mail.outbox if m.to == [look_alike])
    admin.refresh_from_db()
    assert admin.check_password("the operator's own")
