"""What the clients of OpenAI-compatible endpoints share (chat completions, embeddings).

The endpoint is chosen by the operator (often a local server), so it is called
directly with httpx rather than through the article fetcher and its private-address
guard: one client per backend, and one retry rule (backoff on 408/425/429/5xx and on
connection failures, honouring ``Retry-After``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import httpx

from tidings import USER_AGENT

RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def endpoint_client(
    api_key: str, timeout: float, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """A JSON client for the endpoint, with the key as a bearer token when there is one."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
        headers=headers,
        transport=transport,
        follow_redirects=False,
    )


def retry_after(value: str | None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (a number or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def wait_before_retry(
    attempt: int,
    response: httpx.Response | None,
    *,
    retries: int,
    backoff: float,
    max_wait: float,
    sleep: Callable[[float], None],
) -> bool:
    """Sleep before retry ``attempt`` (0-based); False when retrying is pointless."""
    if attempt >= retries:
        return False
    delay = backoff * (2**attempt)
    if response is not None:
        hinted = retry_after(response.headers.get("Retry-After"))
        if hinted is not None:
            delay = hinted
    if delay > max_wait:
        return False
    sleep(delay)
    return True
