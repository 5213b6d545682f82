"""The numbers two reports of one event share, however each language writes them."""

from __future__ import annotations

import pytest

from tidings.core._words import numbers


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Shops lost $85 million across 41,000 merchants in 2012.", "en", {"85", "2012", "41000"}),
        ("Shops lost $85 million across 41,000 merchants in 2012.", None, {"85", "2012", "41000"}),
        ("Die 41.000 Kunden verloren 85 Millionen.", "de", {"41000", "85"}),
        ("chez ses 41 000 clients, pour 85 millions de dollars", "fr", {"41000", "85"}),
        ("chez ses 41\u202f000 clients", "fr", {"41000"}),
        ("chez ses 41\u00a0000 clients", "fr-FR", {"41000"}),
        ("un bilan de 12,5 millions et de 41 000,50 euros", "fr", {"12.5", "41000.50"}),
        # English keeps spaces between numbers and reads a comma as a list or thousands.
        (
            "In 2012 300 people came; scores were 12,5 and 41,000.",
            "en",
            {"2012", "300", "12", "41000"},
        ),
        # Small numbers say little: 0 to 10 are left out, however written.
        ("3,2 millions de transactions, 10 % du chiffre", "fr", set()),
        ("3.2 million transactions, 10 percent", "en", set()),
    ],
)
def test_numbers(text: str, language: str | None, expected: set[str]) -> None:
    assert numbers(text, language) == expected
