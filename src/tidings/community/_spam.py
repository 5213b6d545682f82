"""Spam heuristics: reasons to hold a comment for a moderator (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tidings.community.markup import count_links

MAX_LINKS = 3
# Test strings that spam filters promise to catch, so an operator can check the
# hold queue end to end: GTUBE (SpamAssassin's) and Akismet's test author/body.
TEST_STRINGS = (
    "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X",
    "akismet-guaranteed-spam",
    "viagra-test-123",
)
_WORD = re.compile(r"\w+", re.UNICODE)


def normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def spam_reason(body: str, recent_bodies: Iterable[str] = ()) -> str:
    """Why ``body`` should wait for a moderator, or ``""`` when it looks fine.

    ``recent_bodies`` are the author's other recent comments.
    """
    upper = body.upper()
    for marker in TEST_STRINGS:
        if marker.upper() in upper:
            return "contains a known spam test string"
    links = count_links(body)
    if links > MAX_LINKS:
        return f"{links} links (more than {MAX_LINKS})"
    words = _WORD.findall(body.lower())
    if len(words) >= 20 and len(set(words)) / len(words) < 0.25:
        return "the same words repeated over and over"
    norm = normalise(body)
    if len(norm) >= 20 and any(normalise(old) == norm for old in recent_bodies):
        return "repeats one of the author's recent comments"
    return ""
