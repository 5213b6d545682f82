"""Tokenising helpers shared by story clustering and entity extraction."""

from __future__ import annotations

import re
import unicodedata

STOPWORDS: frozenset[str] = frozenset(
    """
    a about above according across after afterwards again against ago all almost alone along already
    also although always am among amongst an and another any anyhow anyone anything anyway anywhere
    are around as at back be became because become becomes been before beforehand behind being below
    beside besides between beyond both but by can cannot could did do does doing done down due
    during each eg either else elsewhere enough etc even ever every everyone everything everywhere
    except few first for former formerly from further get gets got had has have having he hence her
    here hereafter hereby herein hers herself him himself his how however i ie if in inc indeed into
    is it its itself just last latter least less let like made make many may me meanwhile might more
    moreover most mostly much must my myself namely neither never nevertheless new next no nobody
    none nor not nothing now nowhere of off often on once one only onto or other others otherwise
    our ours ourselves out over own per perhaps please put quite rather re really said same say says
    see seem seemed seems several she should since so some somehow someone something sometime
    sometimes somewhere still such than that the their theirs them themselves then thence there
    thereafter thereby therefore therein these they this those though through throughout thus to
    together too toward towards under until up upon us use used very via was we well were what
    whatever when whence whenever where whereas whereby wherever whether which while who whoever
    whole whom whose why will with within without would yet you your yours yourself yourselves mr
    mrs ms dr told tell year years day days week weeks month months time times two three four five
    six seven eight nine ten people percent news report reported reports including around just way
    going want wants wanted take taken took come came comes know known think thought monday tuesday
    wednesday thursday friday saturday sunday today yesterday tomorrow january february march april
    june july august september october november december
    """.split()  # noqa: SIM905
)

FOREIGN_STOPWORDS: frozenset[str] = frozenset(
    # Function words of other languages written in Latin script (French, Spanish, German,
    # Italian, Portuguese), accents folded: without them two articles in one language
    # look alike whatever they report.
    """
    le la les un une des du de au aux et ou mais donc car ni que qui quoi dont ce cet cette ces
    sa ses leur leurs mon ma mes ton ta tes notre nos votre vos il elle ils elles nous vous
    je tu on se ne pas plus moins tres aussi dans sur sous avec sans pour par entre vers chez
    depuis pendant avant apres selon est sont etait ete etre avoir ont avait fait faire comme
    tout tous toute toutes deja encore ainsi alors lors dont apres y en l d qu s n c j m t
    el los las una unos unas del al lo su sus es fue ser por para con sobre entre pero
    como mas muy tambien ya esta este estos estas ese esos hay han ha sido
    der das den dem des ein eine einer eines einem einen und oder aber nicht ist sind
    wurde werden mit von zu zum zur auf aus bei nach uber unter vor auch noch nur wie als
    il lo gli della delle dei degli nel nella che non sono anche piu per con
    os um uma uns umas do da dos das no na nos nas em ao aos pelo pela sao foi
    """.split()  # noqa: SIM905
)

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_NUMBER_RE = re.compile(
    r"(?<![\w.,])\d{1,3}(?:[,.]\d{3})+(?![\d])|(?<![\w.,])\d+(?:\.\d+)?(?![\d])"
)


def fold(text: str) -> str:
    """Lower-case and strip accents (``Zürich`` -> ``zurich``)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    """A deliberately light English stemmer: plural and possessive endings only."""
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_TOKEN_CACHE: dict[str, str] = {}  # surface word -> content word ("" for a stop word)
_TOKEN_CACHE_SIZE = 300_000


def _content_word(word: str) -> str:
    token = stem(word.replace("’", "'"))
    if len(token) < 2 or token in STOPWORDS or token in FOREIGN_STOPWORDS:
        return ""
    return token


def tokens(text: str) -> list[str]:
    """Content words of ``text``: folded, lightly stemmed, stop words removed."""
    cache = _TOKEN_CACHE
    if len(cache) > _TOKEN_CACHE_SIZE:
        cache.clear()
    out: list[str] = []
    for word in _WORD_RE.findall(fold(text)):
        token = cache.get(word)
        if token is None:
            token = cache[word] = _content_word(word)
        if token:
            out.append(token)
    return out


# Numbers as most languages other than English write them: digits grouped by spaces
# ("41 000", also with a no-break or narrow no-break space) and a decimal comma ("3,2").
_SPACED_RE = re.compile(r"(?<![\w.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)")
_DECIMAL_COMMA_RE = re.compile(r"(?<![\w.,])(\d+),(\d{1,2})(?!\d)")


def foreign(language: str | None) -> bool:
    """Whether text said to be in ``language`` is not English (unknown: read as English)."""
    return bool(language) and not str(language).lower().startswith("en")


def numbers(text: str, language: str | None = None) -> set[str]:
    """Distinctive numbers of ``text`` (thousands separators removed; 0-10 ignored).

    Text in another language than English (``language`` given and not ``en``) is read
    with space-grouped thousands and a decimal comma: "41 000" is the 41,000 of an
    English report of the same event, not 41 and 0. English is read as it is written
    ("in 2012 300 people": two numbers)."""
    found: set[str] = set()
    if foreign(language):
        text = _SPACED_RE.sub(lambda m: re.sub(r"\D", "", m.group(0)), text)
        text = _DECIMAL_COMMA_RE.sub(r"\1.\2", text)
    for match in _NUMBER_RE.finditer(text):
        raw = match.group(0)
        value = raw.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw) else raw
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", value):
            value = value.replace(".", "")
        try:
            if float(value) <= 10:
                continue
        except ValueError:
            continue
        found.add(value)
    return found


def lead(title: str, text: str, chars: int = 400) -> str:
    """Title plus the first ``chars`` characters of the body, cut at a word boundary."""
    body = text[:chars]
    if len(text) > chars and " " in body:
        body = body.rsplit(" ", 1)[0]
    return f"{title}\n{body}"
