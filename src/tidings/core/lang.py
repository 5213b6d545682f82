"""Language identification of article text (py3langid; the model ships inside
the package, nothing is downloaded)."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["MIN_CONFIDENCE", "MIN_LETTERS", "detect_language"]

#: Below this probability the answer is "unknown" (None).
MIN_CONFIDENCE = 0.7
#: Texts with fewer letters than this are too short to judge.
MIN_LETTERS = 12
_MAX_CHARS = 4000

_lock = threading.Lock()
_identifier: Any = None


def _get_identifier() -> Any:
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid import langid

                _identifier = langid.LanguageIdentifier.from_model_file(
                    langid.MODEL_FILE, norm_probs=True
                )
    return _identifier


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the text's language (``"en"``, ``"fr"``...), or
    None when the text is too short or the model is unsure.

    The first call loads the model (about a second).
    """
    sample = text[:_MAX_CHARS]
    if sum(1 for char in sample if char.isalpha()) < MIN_LETTERS:
        return None
    label, probability = _get_identifier().classify(sample)
    code = str(label).lower()
    if float(probability) < MIN_CONFIDENCE or len(code) != 2 or not code.isalpha():
        return None
    return code
