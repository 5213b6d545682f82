"""The CSRF token put into every stored page served (see ``_pagestore``)."""

from __future__ import annotations

import os
import threading

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

_CHARS = CSRF_ALLOWED_CHARS.encode()
_N = len(_CHARS)
_INDEX = {c: i for i, c in enumerate(CSRF_ALLOWED_CHARS)}
# Random bytes below the largest multiple of the alphabet's size map uniformly onto it.
_TOO_HIGH = bytes(range(256 - 256 % _N, 256))
_TO_CHAR = bytes(_CHARS[b % _N] for b in range(256))


# Masks come from the system's random source a few kilobytes at a time: each call
# is a system call that also lets the interpreter lock go. Every byte is used once;
# each thread draws its own, and a forked child draws afresh.
_POOL_BYTES = 4096
_forks = 0

#: Set in ``request.META`` when a page holds this reader's token: the page is theirs
#: alone (``Cache-Control: private``) even when their cookie is not sent again.
TOKEN_USED = "tidings.csrf_token_used"


class _Pool(threading.local):
    def __init__(self) -> None:
        self.data = b""
        self.used = 0
        self.forks = _forks


_pool = _Pool()


def _forked() -> None:
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_forked)


def _random_bytes(n: int) -> bytes:
    """``n`` bytes from ``os.urandom``, never handed out twice."""
    pool = _pool
    if pool.used + n > len(pool.data) or pool.forks != _forks:
        pool.data, pool.used, pool.forks = os.urandom(max(_POOL_BYTES, n)), 0, _forks
    pool.used += n
    return pool.data[pool.used - n : pool.used]


def _random_chars() -> bytes:
    """:data:`CSRF_SECRET_LENGTH` bytes, each standing for the character ``b % _N`` of
    the alphabet, uniformly (bytes that would favour some characters are dropped)."""
    drawn = b""
    while len(drawn) < CSRF_SECRET_LENGTH:
        drawn += _random_bytes(CSRF_SECRET_LENGTH + 8).translate(None, _TOO_HIGH)
    return drawn[:CSRF_SECRET_LENGTH]


def csrf_token(request: HttpRequest) -> str:
    """``django.middleware.csrf.get_token``, with the mask (and, for a new reader, the
    secret) drawn from a pool filled by one call to ``os.urandom`` instead of one call
    per character (64 system calls for a reader's first page, each letting the
    interpreter lock go).

    The same token: the reader's secret (from the cookie, or a new one put where
    Django puts it) masked with a fresh, uniformly random mask. Unlike Django, a
    reader's valid cookie is not sent again with every page (a ``Set-Cookie`` header
    on every article view, to push back an expiry a year away); a new secret is. A
    reader whose cookie is not a valid secret gets a new one from Django, as Django
    would.
    """
    request.META[TOKEN_USED] = True
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        secret = _random_chars().translate(_TO_CHAR).decode("ascii")
        request.META["CSRF_COOKIE"] = secret
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    elif not isinstance(secret, str) or len(secret) != CSRF_SECRET_LENGTH:
        return get_token(request)
    try:
        secret_index = [_INDEX[c] for c in secret]
    except KeyError:
        return get_token(request)
    mask = _random_chars()
    cipher = bytes(_CHARS[(m + s) % _N] for m, s in zip(mask, secret_index, strict=True))
    return (mask.translate(_TO_CHAR) + cipher).decode("ascii")
