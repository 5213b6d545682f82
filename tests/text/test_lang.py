from __future__ import annotations

import pytest

from tidings.core.lang import detect_language

# Sample sentences written for the test suite.
SAMPLES = {
    "en": "The council approved the new budget on Tuesday after a long debate about buses.",
    "fr": "Le conseil municipal a approuvé mardi le nouveau budget après un long débat.",
    "de": "Der Stadtrat hat am Dienstag nach langer Debatte den neuen Haushalt beschlossen.",
    "es": "El ayuntamiento aprobó el martes el nuevo presupuesto tras un largo debate.",
    "ru": "Городской совет во вторник утвердил новый бюджет после долгих споров.",
    "ja": "市議会は火曜日、長い議論の末に新しい予算を承認した。",
}


@pytest.mark.parametrize(("code", "text"), SAMPLES.items())
def test_detects(code: str, text: str) -> None:
    assert detect_language(text) == code


@pytest.mark.parametrize("text", ["", "ok", "Hallo", "12345 678 90", "!!! ??? ...", "https://x.y"])
def test_too_short_or_unsure(text: str) -> None:
    assert detect_language(text) is None
