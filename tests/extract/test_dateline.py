from __future__ import annotations

import pytest

from tidings.core.extract._text import find_dateline


@pytest.mark.parametrize(
    ("text", "dateline"),
    [
        ("SEOUL, June 30 (Reuters) - North Korea said on Tuesday", "SEOUL, June 30 (Reuters) -"),
        ("WASHINGTON (AP) — The Senate voted on Monday", "WASHINGTON (AP) —"),
        ("LONDON — Prices rose again", "LONDON —"),
        ("NEW YORK, Nov 19 (Reuters) - Stocks fell", "NEW YORK, Nov 19 (Reuters) -"),
        ("SAN FRANCISCO, Calif. — A startup said", "SAN FRANCISCO, Calif. —"),
    ],
)
def test_datelines_recognised(text: str, dateline: str) -> None:
    assert find_dateline(text) == dateline


@pytest.mark.parametrize(
    "text",
    [
        "The council met on Monday - and decided nothing.",
        "In Seoul, June 30 was a hot day.",
        "A - B testing is common.",
    ],
)
def test_ordinary_openings_are_not_datelines(text: str) -> None:
    assert find_dateline(text) is None
