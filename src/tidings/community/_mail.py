"""Account e-mail is sent off the request thread.

A response then takes the same time whether or not a message went out (an SMTP
round trip would otherwise tell an observer that an address has an account).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from django.core.mail import EmailMessage

log = logging.getLogger("tidings.community.mail")
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tidings-mail")
_pending: set[Future[None]] = set()
_lock = threading.Lock()


def _send(message: EmailMessage) -> None:
    try:
        message.send()
    except Exception:  # a mail outage must not take the site down; it is logged
        log.exception("could not send e-mail to %s", message.to)


def send_later(message: EmailMessage) -> None:
    future = _executor.submit(_send, message)
    with _lock:
        _pending.add(future)
    future.add_done_callback(_forget)


def _forget(future: Future[None]) -> None:
    with _lock:
        _pending.discard(future)


def flush(timeout: float = 10.0) -> None:
    """Wait until every queued message has been handed to the mail backend."""
    with _lock:
        futures = list(_pending)
    for future in futures:
        future.result(timeout=timeout)
