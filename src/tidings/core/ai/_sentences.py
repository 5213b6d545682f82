"""A news-aware sentence splitter.

Every paragraph (line) starts a new sentence. Inside a paragraph a boundary is a
``.``, ``!`` or ``?`` (optionally followed by closing quotes or brackets) followed by
space and a capital letter, digit or opening quote — unless the word before the dot
is a known abbreviation ("Mr.", "Gen.", "Jan."), an initial ("J. Smith") or an
acronym with inner dots ("U.S.") that is not followed by a typical sentence opener.
Decimals ("3.5") and domain names never match because no space follows the dot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tidings.core.ai._text import wordset


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article; ``index`` is 1-based, used for citations and anchors."""

    index: int
    text: str


_ABBREVIATIONS = wordset(
    """mr mrs ms dr prof sr jr st mt ft gen lt col maj capt cpt cmdr adm sgt cpl pvt sen rep gov
    pres supt insp det rev fr hon amb atty messrs mme mlle jan feb mar apr jun jul aug sep sept oct
    nov dec mon tue tues wed thu thur thurs fri sat sun no nos vol vols fig figs p pp ch art sec
    inc corp co ltd llc plc bros dept univ assn est approx ca vs etc al cf ave blvd rd hwy
    ph mass calif conn fla ill mich minn penn tenn tex wash wis ariz colo okla ore"""
)
# Words that typically start a sentence: after "U.S." or "a.m." they signal a boundary.
_OPENERS = wordset(
    """the a an he she it they we i his her its their this that these those there but and
    however in on at after before when while if as officials police meanwhile yet still so
    according last earlier later since despite although"""
)
_CANDIDATE = re.compile(
    r"""([.!?…]+|\.\.\.)          # terminal punctuation
        (["'”’»)\]]*)             # closing quotes or brackets
        (\s+)                    # whitespace
        (?=["'“‘«(\[]?[A-Z0-9À-ÖØ-Þ])  # next sentence starts with a capital or digit
    """,
    re.X,
)
_LAST_WORD = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_NEXT_WORD = re.compile(r"[\"'“‘«(\[]?([A-Za-z]+)")


def _is_boundary(before: str, punct: str, closing: str, after: str) -> bool:
    if punct != ".":
        return True  # "!", "?", "..." and combinations end sentences before a capital
    if closing:
        return True  # '... he said." The' - a quote closed after a full stop
    m = _LAST_WORD.search(before)
    if not m:
        return True  # digits before the dot: "rose 5." (a decimal would have no space)
    word = m.group(1)
    lower = word.lower().rstrip(".")
    next_match = _NEXT_WORD.match(after)
    next_word = next_match.group(1).lower() if next_match else ""
    if "." in word.rstrip("."):
        # acronym with inner dots: "U.S.", "a.m." - split only before a typical opener
        return next_word in _OPENERS
    if lower in _ABBREVIATIONS:
        return False
    # a single capital is an initial: "John F. Kennedy"
    return not (len(word) == 1 and word.isupper())


def _split_paragraph(par: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _CANDIDATE.finditer(par):
        before = par[start : m.start()]
        after = par[m.end() :]
        if _is_boundary(before, m.group(1), m.group(2), after):
            piece = par[start : m.end()].strip()
            if piece:
                out.append(piece)
            start = m.end()
    rest = par[start:].strip()
    if rest:
        out.append(rest)
    return out


def split_sentences(text: str) -> list[Sentence]:
    """Split article text into numbered sentences (1-based), paragraph breaks respected."""
    sentences: list[Sentence] = []
    for raw in text.split("\n"):
        par = " ".join(raw.split())
        if not par:
            continue
        for piece in _split_paragraph(par):
            sentences.append(Sentence(len(sentences) + 1, piece))
    return sentences
