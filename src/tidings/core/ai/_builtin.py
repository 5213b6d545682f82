"""The built-in engine: extractive, offline, grounded by construction.

Every sentence it outputs is a sentence of the article (or story) it was given,
cited by number; it never writes text of its own beyond fixed labels.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from tidings.core.ai._base import EngineBase
from tidings.core.ai._sentences import Sentence
from tidings.core.ai._text import (
    TfIdf,
    containment,
    cosine,
    looks_like_instructions,
    md_label,
    stem,
    terms,
    words,
    wordset,
)
from tidings.core.ai._types import (
    FEATURES,
    LLM_ONLY_FEATURES,
    NOT_ANSWERED,
    AIResult,
    ArticleDoc,
    Citation,
    article_sentences,
)
from tidings.core.errors import LLMNotConfiguredError

BUILTIN_VERSION = "builtin-1"

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_WHEN = re.compile(
    rf"\b(?:{_MONTHS}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|"
    r"yesterday|tomorrow|tonight|morning|evening|afternoon|night|week|month|year|decade|"
    r"since|until|ago|(?:1[89]|20)\d\d|\d{1,2}(?::\d\d)?\s*(?:a\.m\.|p\.m\.|am|pm))\b",
    re.I,
)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|dozen|half)\b",
    re.I,
)
_WHY = re.compile(
    r"\b(?:because|due to|after|as a result|so that|in order to|reason|since|caused|"
    r"following|amid|blamed|led to)\b",
    re.I,
)
_WHERE = re.compile(r"\b(?:in|at|near|from|outside|inside|across)\s+(?:the\s+)?[A-Z]")
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+")
_HOW = re.compile(r"\b(?:by|using|through|with|via)\b", re.I)
_QUOTE = re.compile(r"[\"“]([^\"”]{12,})[\"”]")
_FACT_NUMBER = re.compile(r"(?<![\w.])\$?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|percent|million|billion))?")
_FACT_NAME = re.compile(r"\b[A-Z][a-zA-Z'’-]+(?:\s+(?:of\s+|de\s+|al-)?[A-Z][a-zA-Z'’-]+)*")


# Verbs and fillers of questions that carry no topic ("What will happen to ...?").
_QUESTION_FILLERS = frozenset(
    stem(w)
    for w in wordset(
        "happen happened get got go going do make made anyone anything someone something "
        "thing kind type exactly really"
    )
)
# Small groups of words news questions use for what articles say differently.
# A question term found only through its group counts for part of its weight.
_RELATED_GROUPS = (
    "cost costs price prices worth value valued toll tolls fee fees charge charged spend",
    "pay paid salary salaries wage wages earn earns",
    "begin begins start starts open opens launch",
    "reopen reopens open closed",
    "build built builder maker manufacturer made construct constructed",
    "cold temperature temperatures degrees freeze frost minus",
    "budget overrun overran",
    "die died dead death deaths kill killed fatal toll",
    "money fund funds funding cash billion million dollars euros pounds krona",
    "injure injured injuries wounded hurt",
    "arrest arrested detain detained custody charged",
    "say said told statement stated",
    "protect protected save saved shield",
    "affect affected unaffected damage damaged hit",
    "big large size many much",
    "stop end ends halt cut",
)
_COUNTED = re.compile(r"\bhow (?:many|much) ([^\W\d_]+)", re.IGNORECASE)
COUNTED_WEIGHT = 0.35
_RELATED: dict[str, frozenset[str]] = {}
for _group in _RELATED_GROUPS:
    _stems = frozenset(stem(w) for w in _group.split())
    for _s in _stems:
        _RELATED[_s] = _RELATED.get(_s, frozenset()) | _stems
_DURATION = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|single|several|a)[- ]"
    r"(?:minute|hour|day|week|month|year|km|kilometre|kilometer|mile|metre|meter)",
    re.I,
)


@dataclass(frozen=True)
class _Sent:
    sentence: Sentence
    terms: tuple[str, ...]
    position: int  # 0-based order among the article's sentences


def _prepare(article: ArticleDoc) -> list[_Sent]:
    """The article's sentences with their terms; sentences that address an AI system
    instead of the reader are left out (numbering is kept)."""
    return [
        _Sent(s, tuple(terms(s.text)), i)
        for i, s in enumerate(article_sentences(article))
        if not looks_like_instructions(s.text)
    ]


_BOILERPLATE = re.compile(
    r"contributed (?:to )?(?:this|the) (?:report|story)|all rights reserved|copyright|"
    r"\b(?:reporting|writing|editing) by\b|click here|read more|sign up|subscribe|"
    r"follow (?:us|him|her) on|newsletter|cookies?\b|javascript|advertisement",
    re.I,
)


def _is_candidate(s: _Sent) -> bool:
    n = len(words(s.sentence.text))
    return 5 <= n <= 70 and len(s.terms) >= 3 and not _BOILERPLATE.search(s.sentence.text)


def _pagerank(sim: list[list[float]], damping: float = 0.85, iters: int = 40) -> list[float]:
    n = len(sim)
    if n == 0:
        return []
    out_sum = [sum(row) for row in sim]
    rank = [1.0 / n] * n
    for _ in range(iters):
        new = [(1 - damping) / n] * n
        for j in range(n):
            if out_sum[j] == 0:
                share = damping * rank[j] / n
                for i in range(n):
                    new[i] += share
                continue
            factor = damping * rank[j] / out_sum[j]
            row = sim[j]
            for i in range(n):
                if row[i]:
                    new[i] += factor * row[i]
        rank = new
    return rank


def _normalise(values: Sequence[float]) -> list[float]:
    if not values:
        return []
    hi, lo = max(values), min(values)
    if hi - lo < 1e-12:
        return [1.0 for _ in values]
    return [(v - lo) / (hi - lo) for v in values]


def _mmr(
    scores: Sequence[float],
    sim: Sequence[Sequence[float]],
    k: int,
    *,
    lam: float = 0.7,
    max_sim: float = 0.6,
) -> list[int]:
    """Maximal marginal relevance: greedy picks trading score against similarity to picks.
    Candidates nearly repeating a pick (cosine above ``max_sim``) are never taken."""
    chosen: list[int] = []
    remaining = set(range(len(scores)))
    while remaining and len(chosen) < k:
        best, best_val = -1, -math.inf
        for i in sorted(remaining):
            redundancy = max((sim[i][j] for j in chosen), default=0.0)
            if redundancy > max_sim:
                continue
            val = lam * scores[i] - (1 - lam) * redundancy
            if val > best_val:
                best, best_val = i, val
        if best < 0:
            break
        chosen.append(best)
        remaining.discard(best)
    return chosen


def _sim_matrix(vectors: Sequence[dict[str, float]]) -> list[list[float]]:
    n = len(vectors)
    sim = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            c = cosine(vectors[i], vectors[j])
            sim[i][j] = sim[j][i] = c
    return sim


def rank_sentences(article: ArticleDoc, k: int) -> list[Sentence]:
    """The ``k`` most central, non-redundant sentences of the article, in article order.

    Centrality is TextRank over TF-IDF cosine similarity, blended with a lead prior
    (news puts the essentials first) and similarity to the title; redundancy is removed
    with MMR.
    """
    sents = _prepare(article)
    title_terms = terms(article.title)
    cands = [s for s in sents if _is_candidate(s)]
    # drop a repeated headline at the top of the text
    cands = [
        s
        for s in cands
        if not (title_terms and containment(s.terms, title_terms) > 0.9 and s.position < 2)
    ]
    if not cands:
        cands = [s for s in sents if s.terms] or sents
    if not cands:
        return []
    model = TfIdf([s.terms for s in cands])
    sim = _sim_matrix(model.vectors)
    central = _normalise(_pagerank(sim))
    title_vec = model.vector(title_terms)
    title_sim = _normalise([cosine(v, title_vec) for v in model.vectors])
    lead = [1.0 / math.sqrt(1 + s.position) for s in cands]
    scores = [0.4 * c + 0.4 * p + 0.2 * t for c, p, t in zip(central, lead, title_sim, strict=True)]
    picked = _mmr(scores, sim, k)
    return [cands[i].sentence for i in sorted(picked, key=lambda i: cands[i].position)]


def _bm25(
    query: dict[str, float], docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75
) -> list[float]:
    """Okapi BM25 of every doc for a weighted query (term -> weight)."""
    n = len(docs)
    if n == 0:
        return []
    avg = sum(len(d) for d in docs) / n or 1.0
    df: Counter[str] = Counter()
    for d in docs:
        df.update(set(d))
    out = []
    for d in docs:
        tf = Counter(d)
        score = 0.0
        for q, qw in query.items():
            f = tf.get(q, 0)
            if not f:
                continue
            idf = math.log(1 + (n - df[q] + 0.5) / (df[q] + 0.5))
            score += qw * idf * f * (k1 + 1) / (f + k1 * (1 - b + b * len(d) / avg))
        out.append(score)
    return out


def _question_type(question: str) -> str:
    q = question.lower()
    if re.search(
        r"\bhow (?:many|much|big|large|cold|hot|warm|high|low|tall|deep|old|fast|heavy)\b"
        r"|\bwhat (?:number|percentage|share|amount)\b",
        q,
    ):
        return "number"
    if re.search(r"\bhow (?:long|far)\b", q):
        return "duration"
    for kind in ("when", "where", "who", "why"):
        if re.search(rf"\b{kind}\b", q):
            return kind
    if re.search(r"\bwhat (?:year|day|date|time|month)\b", q):
        return "when"
    if re.search(r"\bhow\b", q):
        return "how"
    return "what"


def _type_cue(kind: str, text: str) -> bool:
    if kind == "number":
        return bool(_NUMBER.search(text))
    if kind == "when":
        return bool(_WHEN.search(text))
    if kind == "duration":
        return bool(_DURATION.search(text))
    if kind == "where":
        return bool(_WHERE.search(text))
    if kind == "who":
        return bool(_NAME.search(text))
    if kind == "why":
        return bool(_WHY.search(text))
    if kind == "how":
        return bool(_HOW.search(text)) or bool(_NUMBER.search(text))
    return True


class BuiltinEngine(EngineBase):
    """Extractive summaries, key points, ask-the-article and story briefings."""

    name = "builtin"
    model = "extractive"
    prompt_version = BUILTIN_VERSION
    features = frozenset(FEATURES) - LLM_ONLY_FEATURES

    def __init__(
        self,
        *,
        summary_sentences: int = 3,
        key_points: int = 5,
        answer_threshold: float = 0.45,
        brief_sentences: int = 4,
    ) -> None:
        self.summary_sentences = summary_sentences
        self.key_points_count = key_points
        #: Share of the question's (IDF-weighted) content terms the best sentence
        #: must contain for the question to count as answered.
        self.answer_threshold = answer_threshold
        self.brief_sentences = brief_sentences

    def _result(self, feature: str, text: str, **kw: object) -> AIResult:
        return AIResult(
            feature=feature,
            engine=self.name,
            model=self.model,
            prompt_version=self.prompt_version,
            text=text,
            **kw,  # type: ignore[arg-type]
        )

    # --- one article -------------------------------------------------------

    def summarize(self, article: ArticleDoc) -> AIResult:
        picked = rank_sentences(article, self.summary_sentences)
        text = " ".join(f"{s.text} [{s.index}]" for s in picked)
        return self._result(
            "summary",
            text,
            points=tuple(s.text for s in picked),
            citations=tuple(Citation(s.index) for s in picked),
        )

    def key_points(self, article: ArticleDoc) -> AIResult:
        picked = rank_sentences(article, self.key_points_count)
        text = "\n".join(f"- {s.text} [{s.index}]" for s in picked)
        return self._result(
            "key_points",
            text,
            points=tuple(s.text for s in picked),
            citations=tuple(Citation(s.index) for s in picked),
        )

    def answer_scores(
        self, article: ArticleDoc, question: str
    ) -> list[tuple[float, float, Sentence]]:
        """(coverage, retrieval score, sentence) for every sentence, best first.

        Coverage is the IDF-weighted share of the question's content terms found in
        the sentence together with its title context; terms the article never uses
        weigh the most, so a question about something the article does not mention
        scores low.
        """
        sents = _prepare(article)
        kind = _question_type(question)
        fillers = _QUESTION_FILLERS | ({"last", "take"} if kind == "duration" else set())
        q_terms = [t for t in dict.fromkeys(terms(question)) if t not in fillers]
        if not sents or not q_terms:
            return []
        docs = [s.terms for s in sents]
        title_terms = set(terms(article.title))
        n = len(docs)
        df: Counter[str] = Counter()
        for d in docs:
            df.update(set(d))

        # What "how many"/"how much" counts is often left to the number's sense ("the
        # death toll rose to 214" answers "how many people died?"): it weighs less.
        counted = set(terms(m.group(1))) if (m := _COUNTED.search(question)) else set()

        def weight(t: str) -> float:
            w = math.log((n + 1) / (df.get(t, 0) + 0.5))
            return w * COUNTED_WEIGHT if t in counted else w

        total = sum(weight(t) for t in q_terms)
        query: dict[str, float] = {}
        for t in q_terms:
            for r in _RELATED.get(t, frozenset()):
                query[r] = max(query.get(r, 0.0), 0.5)
        query.update(dict.fromkeys(q_terms, 1.0))
        bm25 = _bm25(query, docs)
        top_bm25 = max(bm25) or 1.0
        out = []
        for s, score in zip(sents, bm25, strict=True):
            have = set(s.terms)
            covered = 0.0
            for t in q_terms:
                if t in have:
                    covered += weight(t)
                elif t in title_terms:
                    covered += 0.5 * weight(t)  # the title frames every sentence
                elif have & _RELATED.get(t, frozenset()):
                    covered += 0.7 * weight(t)  # said differently ("worth" / "valued")
            coverage = covered / total if total else 0.0
            cue = _type_cue(kind, s.sentence.text)
            if not cue:
                coverage *= 0.75
            out.append((coverage, score / top_bm25 * (1.25 if cue else 1.0), s.sentence))
        out.sort(key=lambda r: (-(r[1] + 2.0 * r[0]), r[2].index))
        return out

    def ask(self, article: ArticleDoc, question: str) -> AIResult:
        ranked = self.answer_scores(article, question)
        if not ranked or ranked[0][0] < self.answer_threshold:
            best = ranked[0] if ranked else None
            return self._result(
                "ask",
                NOT_ANSWERED,
                answered=False,
                meta={"confidence": round(best[0], 3) if best else 0.0},
            )
        top_cov, top_score, top = ranked[0]
        picked = [top]
        for cov, score, s in ranked[1:3]:
            if cov >= self.answer_threshold and score >= 0.8 * top_score and len(picked) < 2:
                picked.append(s)
        picked.sort(key=lambda s: s.index)
        text = "\n".join(f"> {s.text} [{s.index}]" for s in picked)
        return self._result(
            "ask",
            text,
            points=tuple(s.text for s in picked),
            citations=tuple(Citation(s.index) for s in picked),
            meta={"confidence": round(top_cov, 3)},
        )

    # --- a story -----------------------------------------------------------

    def brief(self, story: Sequence[ArticleDoc]) -> AIResult:
        return _brief(self, story)

    # --- LLM only ----------------------------------------------------------

    def _needs_llm(self, feature: str) -> AIResult:
        raise LLMNotConfiguredError(
            f"'{feature}' needs a language model; set TIDINGS_AI_ENGINE=llm and TIDINGS_LLM_URL"
        )

    def simplify(self, article: ArticleDoc) -> AIResult:
        return self._needs_llm("simplify")

    def translate(self, article: ArticleDoc, language: str) -> AIResult:
        return self._needs_llm("translate")

    def five_ws(self, article: ArticleDoc) -> AIResult:
        return self._needs_llm("five_ws")


def facts(text: str) -> set[str]:
    """Checkable facts of a sentence: numbers, multi-word names and quotations (normalised)."""
    found: set[str] = set()
    for m in _FACT_NUMBER.finditer(text):
        value = m.group(0).replace(",", "").replace("$", "").strip()
        if len(value) >= 2 or "%" in value or "percent" in value:
            found.add("#" + value.lower())
    for m in _FACT_NAME.finditer(text):
        name = m.group(0)
        if m.start() == 0 or " " not in name:
            continue  # a capital at the start of a sentence or a single word says little
        found.add("@" + name.lower())
    for m in _QUOTE.finditer(text):
        found.add('"' + " ".join(words(m.group(1))))
    return found


def _fact_in(fact: str, haystack: str) -> bool:
    kind, body = fact[0], fact[1:]
    if kind == "#":
        number = body.split()[0]
        return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", haystack) is not None
    return body in haystack


def _newest_lead(docs: Sequence[ArticleDoc], items: Sequence[tuple[int, _Sent]]) -> int | None:
    """The item of the first sentence of the newest report, when reports are dated and
    one is newer than the others (None otherwise)."""
    dated = [(a.published, ai) for ai, a in enumerate(docs) if a.published is not None]
    if len(dated) < 2:
        return None
    dated.sort()
    (newest_at, newest), (before, _) = dated[-1], dated[-2]
    if newest_at == before:
        return None
    mine = [i for i, (ai, _) in enumerate(items) if ai == newest]
    return min(mine, key=lambda i: items[i][1].position) if mine else None


def _brief(engine: BuiltinEngine, story: Sequence[ArticleDoc]) -> AIResult:
    docs = [a for a in story if a.text.strip()]
    if not docs:
        return engine._result("brief", "", answered=False, meta={"outlets": 0})
    outlets = list(dict.fromkeys(a.source for a in docs))
    items: list[tuple[int, _Sent]] = []
    for ai, a in enumerate(docs):
        items.extend((ai, s) for s in _prepare(a) if _is_candidate(s))
    if not items:
        return engine._result("brief", "", answered=False, meta={"outlets": len(outlets)})
    model = TfIdf([s.terms for _, s in items])
    vecs = model.vectors
    sim = _sim_matrix(vecs)
    by_outlet = [outlets.index(docs[ai].source) for ai, _ in items]
    n_out = len(outlets)
    # support: in how many *other* outlets a close paraphrase of the sentence appears
    support: list[float] = []
    soft: list[float] = []
    for i in range(len(items)):
        best = [0.0] * n_out
        for j in range(len(items)):
            if by_outlet[j] != by_outlet[i] and sim[i][j] > best[by_outlet[j]]:
                best[by_outlet[j]] = sim[i][j]
        support.append(sum(1 for o, v in enumerate(best) if o != by_outlet[i] and v >= 0.3))
        soft.append(sum(v for o, v in enumerate(best) if o != by_outlet[i]))
    central = _normalise(_pagerank(sim))
    lead = [1.0 / math.sqrt(1 + s.position) for _, s in items]
    denom = max(1, n_out - 1)
    scores = [
        0.45 * (sup / denom) + 0.2 * (sf / denom) + 0.2 * c + 0.15 * p
        for sup, sf, c, p in zip(support, soft, central, lead, strict=True)
    ]
    happened = _mmr(scores, sim, engine.brief_sentences, lam=0.75, max_sim=0.45)
    happened.sort(key=lambda i: -scores[i])

    # what differs: sentences carrying facts that only some outlets report
    lowered = {o: " ".join(a.text.lower() for a in docs if a.source == o) for o in outlets}
    differs: list[int] = []
    if n_out >= 2:
        fact_score: list[float] = []
        for i, (_, s) in enumerate(items):
            own = outlets[by_outlet[i]]
            unique = [
                f
                for f in facts(s.sentence.text)
                if sum(_fact_in(f, lowered[o]) for o in outlets if o != own) == 0
            ]
            fact_score.append(min(len(unique), 3) * (0.5 + central[i]) if unique else 0.0)
        per_outlet: Counter[int] = Counter()
        order = sorted(range(len(items)), key=lambda i: -fact_score[i])
        for i in order:
            if fact_score[i] <= 0 or len(differs) >= engine.brief_sentences:
                break
            if i in happened or per_outlet[by_outlet[i]] >= 1:
                continue
            if any(sim[i][j] > 0.45 for j in happened + differs):
                continue
            differs.append(i)
            per_outlet[by_outlet[i]] += 1

    # Where the story stands now: the newest report's lead, when the reports are dated
    # and it is not already said above (the most repeated facts are often the first
    # report's: "at least 12 dead" where the latest says 214).
    latest = _newest_lead(docs, items)
    if latest is not None and latest in happened:
        latest = None
    if latest is not None:
        differs = [i for i in differs if i != latest]

    points: list[str] = []
    cites: list[Citation] = []
    lines = ["**What happened**"]
    for i in happened:
        ai, s = items[i]
        a = docs[ai]
        points.append(s.sentence.text)
        cites.append(Citation(s.sentence.index, article_id=a.id, source=a.source))
        lines.append(f"- {s.sentence.text} ([{md_label(a.source)}]({a.url}))")
    if differs:
        lines += ["", "**What differs**"]
        for i in differs:
            ai, s = items[i]
            a = docs[ai]
            points.append(s.sentence.text)
            cites.append(Citation(s.sentence.index, article_id=a.id, source=a.source))
            label = md_label(a.source)
            lines.append(f"- Only {label}: {s.sentence.text} ([{label}]({a.url}))")
    if latest is not None:
        ai, s = items[latest]
        a = docs[ai]
        points.append(s.sentence.text)
        cites.append(Citation(s.sentence.index, article_id=a.id, source=a.source))
        label = md_label(a.source)
        lines[:0] = [f"**Latest** ({label})", f"- {s.sentence.text} ([{label}]({a.url}))", ""]
    return engine._result(
        "brief",
        "\n".join(lines),
        points=tuple(points),
        citations=tuple(cites),
        meta={
            "outlets": n_out,
            "what_happened": list(range(len(happened))),
            "what_differs": list(range(len(happened), len(happened) + len(differs))),
            "latest": [len(points) - 1] if latest is not None else [],
            "support": [support[i] for i in happened],
        },
    )
