"""Accounts: e-mail log-in, sign-up that never reveals whether an address is taken.

Sign-up always answers "check your inbox". A new address gets an activation
link; an address that already has an account gets a message saying so, with
a password-reset link; an unactivated account gets a fresh link and takes the
new password (so nobody can squat an address). Every branch runs the password
hasher once and queues exactly one e-mail, off the request thread.
"""

from __future__ import annotations

import secrets
import unicodedata
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tidings.community import _mail
from tidings.community.models import Profile


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "tidings.community.accounts.ActivationTokenGenerator"

    def _make_hash_value(self, user: AbstractBaseUser, timestamp: int) -> str:
        active = getattr(user, "is_active", False)
        return f"{user.pk}{user.password}{active}{timestamp}"


activation_tokens = ActivationTokenGenerator()


def email_key(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    """The account signed up with ``email``; an account made another way (``manage
    createsuperuser``) is found by its own address while its profile holds none."""
    key = email_key(email)
    if not key:
        return None
    keyed = User.objects.filter(profile__email_key=key).order_by("pk").first()
    if keyed is not None:
        return keyed
    # The database's case-insensitive match folds more than lower() does (PostgreSQL
    # reads "mysıte" as "MYSITE"): candidates are checked here, so a look-alike address
    # never finds another's account (as Django's password reset does, CVE-2019-19844).
    keyless = Q(profile__email_key__isnull=True) | Q(profile__email_key="")
    candidates = User.objects.filter(keyless & Q(email__iexact=key)).order_by("pk")
    return next((u for u in candidates if email_key(u.email) == key), None)


def profile_for(user: Any) -> Profile:
    """The reader's profile, created on first use (e.g. for a ``createsuperuser`` account)
    with the account's address as its key, unless another account already signed up
    with it."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        pass
    key = email_key(user.email or "") or None
    if key is not None and Profile.objects.filter(email_key=key).exists():
        key = None
    defaults = {"display_name": (user.get_username() or "reader")[:50], "email_key": key}
    try:
        with transaction.atomic():
            profile, _ = Profile.objects.get_or_create(user=user, defaults=defaults)
    except IntegrityError:
        # The address was taken between the check and the write, or the profile made
        # by a parallel request: keep the account usable without the key.
        profile, _ = Profile.objects.get_or_create(
            user=user, defaults={**defaults, "email_key": None}
        )
    return profile


def clean_display_name(raw: str) -> str:
    """NFKC, no control or formatting characters (bidi overrides), single spaces."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split())
    if len(text) < 2:
        raise ValidationError("Please choose a display name of at least 2 characters.")
    if len(text) > 50:
        raise ValidationError("Display names are limited to 50 characters.")
    return text


class EmailBackend(ModelBackend):
    """Log in with an e-mail address (or a username, for the admin).

    An unknown identifier still runs the password hasher, so a wrong address
    takes as long to refuse as a wrong password.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        identifier = username or kwargs.get("email")
        if not identifier or password is None:
            return None
        user: User | None
        if "@" in identifier:
            user = find_by_email(identifier)
        else:
            user = User.objects.filter(username=identifier).first()
        if user is None:
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def _link(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def _send(request: HttpRequest, to: str, subject: str, template: str, ctx: dict[str, Any]) -> None:
    from django.conf import settings

    ctx = {"site_name": settings.SITE_NAME, **ctx}
    body = render_to_string(template, ctx, request=None)
    _mail.send_later(EmailMessage(subject=subject, body=body, to=[to]))


def _activation_link(request: HttpRequest, user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = activation_tokens.make_token(user)
    return _link(request, reverse("community:activate", args=[uid, token]))


def _reset_link(request: HttpRequest, user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return _link(request, reverse("community:password_reset_confirm", args=[uid, token]))


def register(request: HttpRequest, *, email: str, password: str, display_name: str) -> None:
    """Start a sign-up. Same work and same outcome whether or not the address is known."""
    key = email_key(email)
    existing = find_by_email(key)
    if existing is None:
        try:
            with transaction.atomic():
                user = User(username=secrets.token_hex(6), email=email.strip(), is_active=False)
                user.set_password(password)
                user.save()
                Profile.objects.create(user=user, display_name=display_name, email_key=key)
        except IntegrityError:
            existing = find_by_email(key)  # signed up a moment ago by a parallel request
            if existing is None:
                raise
        else:
            _send(
                request,
                key,
                "Confirm your account",
                "community/email/activate.txt",
                {"link": _activation_link(request, user), "name": display_name},
            )
            return
    if not existing.is_active and existing.last_login is None:
        existing.set_password(password)
        existing.save(update_fields=["password"])
        profile = profile_for(existing)
        profile.display_name = display_name
        profile.save(update_fields=["display_name"])
        _send(
            request,
            existing.email or key,  # the account's own address, never only what was typed
            "Confirm your account",
            "community/email/activate.txt",
            {"link": _activation_link(request, existing), "name": display_name},
        )
        return
    make_password(password)  # the same hashing work as the other branches
    _send(
        request,
        existing.email or key,
        "You already have an account",
        "community/email/already_registered.txt",
        {
            "link": _reset_link(request, existing),
            "login": _link(request, reverse("community:login")),
        },
    )
