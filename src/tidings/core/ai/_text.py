"""Text helpers shared by the AI engines: cleaning untrusted text, tokens, similarity."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

# Characters that render as nothing but can carry hidden instructions: zero-width
# spaces/joiners, bidi controls, word joiners, BOM, soft hyphen and Unicode tag characters.
_INVISIBLE = re.compile(
    "[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_TAG_HINT = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>")
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])|opacity\s*:\s*0(?![.\d]*[1-9])"
)
_DROP_TAGS = ("script", "style", "template", "noscript", "head", "title", "iframe", "object")
# Delimiters we use around untrusted data; text must not be able to close or open them.
_DELIMITER = re.compile(r"<\s*/?\s*(?:article|system|user|assistant|instructions?)\b[^>]*>", re.I)


def _strip_html(text: str) -> str:
    import lxml.html  # local: only needed when the text really holds markup

    try:
        root = lxml.html.fragment_fromstring(text, create_parent="div")
    except Exception:  # malformed markup: fall back to dropping tags
        return _TAG_HINT.sub(" ", text)
    for el in list(root.iter()):
        if not isinstance(el.tag, str):  # comments, processing instructions
            parent = el.getparent()
            if parent is not None:
                el.drop_tree()
            continue
        style = el.get("style", "")
        if (
            el.tag in _DROP_TAGS
            or el.get("hidden") is not None
            or el.get("aria-hidden", "").lower() == "true"
            or _HIDDEN_STYLE.search(style.lower())
        ):
            el.drop_tree()
    blocks = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr"}
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag in blocks:
            el.tail = "\n" + (el.tail or "")
    return str(root.text_content())


def clean_untrusted(text: str) -> str:
    """Remove what a reader cannot see but a model would read.

    HTML comments, elements hidden with ``display:none``/``hidden``/``aria-hidden``,
    scripts and styles, zero-width and bidi control characters, and any tag that
    imitates the delimiters around article data. Plain text passes through unchanged
    apart from those characters.
    """
    text = _INVISIBLE.sub("", text)
    text = _COMMENT.sub(" ", text)
    if _TAG_HINT.search(text):
        text = _strip_html(text)
    text = _DELIMITER.sub(" ", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t\f\v\u00a0]+", " ", line).strip() for line in text.split("\n")]
    out = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", out).strip()


def wordset(text: str) -> frozenset[str]:
    """A set of the whitespace-separated words of ``text``."""
    return frozenset(text.split())


STOPWORDS = wordset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves said says say
    according mr mrs ms
    dr one two new also would could may might must shall told tell us did does whose"""
)
QUESTION_WORDS = wordset("what when where who whom whose why how which many much long")
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*", re.U)


_IRREGULAR = {
    "built": "build",
    "stole": "steal",
    "stolen": "steal",
    "paid": "pay",
    "sold": "sell",
    "won": "win",
    "lost": "lose",
    "took": "take",
    "taken": "take",
    "began": "begin",
    "begun": "begin",
    "fell": "fall",
    "fallen": "fall",
    "rose": "rise",
    "risen": "rise",
    "died": "die",
    "dead": "die",
    "killed": "kill",
    "children": "child",
    "men": "man",
    "women": "woman",
    "people": "person",
    "thieves": "thief",
    "lives": "life",
}


def stem(word: str) -> str:
    """A light stemmer: enough to match 'election'/'elections', 'voted'/'voting',
    'nurse'/'nurses', 'stole'/'stolen' (a few irregular forms)."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    w = word
    if len(w) <= 3:
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "ches", "shes", "xes", "zes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ing") and len(w) >= 6:
        w = w[:-3]
    elif (w.endswith("ed") and not w.endswith("eed") and len(w) >= 5) or (
        w.endswith("ly") and len(w) >= 6
    ):
        w = w[:-2]
    if w.endswith("e") and len(w) >= 5:
        w = w[:-1]
    return w


def words(text: str) -> list[str]:
    """Lower-cased word tokens, apostrophes and inner dots kept ("u.s.", "o'neill")."""
    return [m.group(0).lower().replace("’", "'") for m in _WORD.finditer(text)]


def terms(text: str) -> list[str]:
    """Content terms: words without stop words, possessives removed, stemmed."""
    out = []
    for w in words(text):
        w = w.removesuffix("'s").replace(".", "")
        if not w or w in STOPWORDS or w in QUESTION_WORDS:
            continue
        out.append(stem(w))
    return out


def estimate_tokens(text: str) -> int:
    """A model-independent token estimate (about four characters per token)."""
    return max(1, math.ceil(len(text) / 4)) if text else 0


class TfIdf:
    """TF-IDF vectors (sparse dicts, L2-normalised) over a small set of documents."""

    def __init__(self, docs: Sequence[Sequence[str]]) -> None:
        self.n = len(docs)
        df: Counter[str] = Counter()
        for d in docs:
            df.update(set(d))
        self.df = df
        self.vectors = [self.vector(d) for d in docs]

    def idf(self, term: str) -> float:
        return math.log((1 + self.n) / (1 + self.df.get(term, 0))) + 1.0

    def vector(self, doc: Iterable[str]) -> dict[str, float]:
        tf = Counter(doc)
        vec = {t: (1 + math.log(c)) * self.idf(t) for t, c in tf.items()}
        norm = math.sqrt(sum(v * v for v in vec.values()))
        return {t: v / norm for t, v in vec.items()} if norm else {}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def containment(a: Iterable[str], b: Iterable[str]) -> float:
    """Share of the distinct terms of ``a`` that also occur in ``b``."""
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa) if sa else 0.0


_INSTRUCTION_LIKE = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(?:previous|prior|above|earlier|all|"
    r"any|your|the)\b[^.!?\n]{0,20}\b(?:instructions?|rules|prompts?|directions|guidelines)\b"
    r"|\bsystem (?:prompt|message)\b|\bdeveloper mode\b|\bjailbreak"
    r"|^\s*(?:system|assistant|user|developer)\s*:"
    r"|\byou are now\b|\bnew instructions\b"
    r"|\b(?:ai|language model|llm|assistant|chatbot|model)s?\b[^.!?\n]{0,30}"
    r"\b(?:reading|summari[sz]ing|processing)\b"
    r"|\b(?:reply|respond|answer)\b[^.!?\n]{0,30}\bonly with\b|\banswer every question\b"
    r"|\bwhen you summari[sz]e\b|\b(?:enter|type) (?:your|their) password\b"
    r"|!\[[^\]]*\]\(|\]\(\s*(?:https?|javascript|data):",
    re.I | re.M,
)


def looks_like_instructions(text: str) -> bool:
    """Whether a sentence of an article addresses an AI system rather than the reader
    ("ignore previous instructions", fake role labels, markdown images and links).

    Such sentences are never quoted by the built-in engine nor sent to a model.
    """
    return bool(_INSTRUCTION_LIKE.search(text))


def md_label(text: str) -> str:
    """Text safe as a markdown link label (no brackets, emphasis or HTML characters)."""
    return re.sub(r"[\[\]()*_`<>!\\]", "", text).strip() or "source"
