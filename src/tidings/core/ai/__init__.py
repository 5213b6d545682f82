"""AI features: summaries, key points, ask-the-article, story briefings and, with a
language model, simpler, translated and five-Ws versions.

Two engines share the :class:`Engine` protocol; :func:`make_engine` builds the one the
settings choose:

- ``builtin`` (default): extractive and offline; every output sentence is an article
  sentence cited by number.
- ``llm``: any OpenAI-compatible chat-completions endpoint, with streaming.

Typical use (web view, CLI)::

    engine = make_engine()                      # from TIDINGS_* settings
    doc = ArticleDoc(id=..., title=..., text=..., source=..., url=...)
    key = cache_key(engine, "summary", doc)     # look up / store the cached result
    result = engine.run("summary", doc)         # or engine.ask(doc, "Who won?")
    html = render_output(result.text, allowed_links=[doc.url])

Citations ``[N]`` in ``result.text`` refer to :func:`article_sentences` of the article,
which the page renders with anchors ``id="s-N"``; :func:`render_output` turns them into
links to those anchors. Story briefings cite outlets with links to their article URLs:
pass those URLs as ``allowed_links``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from tidings.core import config
from tidings.core.ai._builtin import BuiltinEngine
from tidings.core.ai._llm import LLMEngine
from tidings.core.ai._render import render_output
from tidings.core.ai._sentences import Sentence, split_sentences
from tidings.core.ai._text import clean_untrusted
from tidings.core.ai._types import (
    FEATURES,
    LLM_ONLY_FEATURES,
    STORY_FEATURES,
    AIResult,
    ArticleDoc,
    Citation,
    Engine,
    Subject,
    article_sentences,
)
from tidings.core.ai.limits import (
    BudgetStore,
    MemoryBudgetStore,
    RateLimiter,
    TokenBudget,
    parse_rate,
)
from tidings.core.ai.prompts import PROMPT_VERSION
from tidings.core.errors import ConfigError

__all__ = [
    "FEATURES",
    "LLM_ONLY_FEATURES",
    "PROMPT_VERSION",
    "STORY_FEATURES",
    "AIResult",
    "ArticleDoc",
    "BudgetStore",
    "BuiltinEngine",
    "Citation",
    "Engine",
    "LLMEngine",
    "MemoryBudgetStore",
    "RateLimiter",
    "Sentence",
    "Subject",
    "TokenBudget",
    "article_sentences",
    "cache_key",
    "clean_untrusted",
    "content_hash",
    "make_engine",
    "make_rate_limiter",
    "offered_features",
    "parse_rate",
    "render_output",
    "split_sentences",
]


def make_engine(
    values: Mapping[str, Any] | None = None,
    *,
    budget_store: BudgetStore | None = None,
) -> Engine:
    """The engine the settings choose (``AI_ENGINE``: ``builtin`` or ``llm``).

    ``values`` maps setting names to values (default: :func:`config.read_all`).
    ``budget_store`` persists the daily token count of the LLM engine (default: in
    memory). Raises :class:`~tidings.core.errors.ConfigError` for an unknown engine or
    an LLM engine without ``LLM_URL``/``LLM_MODEL``.
    """
    settings = dict(config.read_all()) if values is None else dict(values)

    def get(name: str) -> Any:
        return settings[name] if name in settings else config.setting(name).default

    kind = _engine_kind(get("AI_ENGINE"))
    if kind == "builtin":
        return BuiltinEngine()
    if kind == "llm":
        url, model = str(get("LLM_URL")).strip(), str(get("LLM_MODEL")).strip()
        if not url or not model:
            raise ConfigError("TIDINGS_AI_ENGINE=llm needs TIDINGS_LLM_URL and TIDINGS_LLM_MODEL")
        budget = TokenBudget(int(get("LLM_DAILY_TOKEN_BUDGET")), budget_store)
        return LLMEngine(
            url,
            model,
            str(get("LLM_API_KEY")),
            timeout=float(get("LLM_TIMEOUT")),
            budget=budget,
        )
    raise ConfigError(f"TIDINGS_AI_ENGINE must be builtin or llm, not {kind!r}")


_ENGINES: dict[str, type[BuiltinEngine] | type[LLMEngine]] = {
    "builtin": BuiltinEngine,
    "llm": LLMEngine,
}


def _engine_kind(value: object) -> str:
    return str(value).strip().lower()


def offered_features(values: Mapping[str, Any] | None = None) -> frozenset[str]:
    """The features the engine the settings choose does, without building it (what a
    page offers readers); an unknown engine offers the built-in one's (asking for any
    then says what is wrong with the settings)."""
    try:
        raw = (values or {}).get("AI_ENGINE") or config.read("AI_ENGINE")
    except ConfigError:
        return BuiltinEngine.features
    return _ENGINES.get(_engine_kind(raw), BuiltinEngine).features


def make_rate_limiter(values: Mapping[str, Any] | None = None) -> RateLimiter:
    """The per-client limiter of the ``AI_RATE_LIMIT`` setting (``COUNT/SECONDS``)."""
    raw = (values or {}).get("AI_RATE_LIMIT") or config.read("AI_RATE_LIMIT")
    return RateLimiter(str(raw))


def content_hash(subject: Subject) -> str:
    """A hash of what the AI reads: titles and texts (a story: all of its articles,
    in id order, so new coverage changes the hash)."""
    docs = [subject] if isinstance(subject, ArticleDoc) else sorted(subject, key=lambda d: d.id)
    h = hashlib.sha256()
    for d in docs:
        for part in (d.id, d.source, d.title, d.text):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\x00")
    return h.hexdigest()


def cache_key(
    engine: Engine,
    feature: str,
    subject: Subject,
    *,
    subject_id: str | None = None,
    question: str | None = None,
    language: str | None = None,
) -> str:
    """The cache key of one result: subject id, feature, engine, model, prompt version,
    content hash and (for ask/translate) the normalised question or language.

    ``subject_id`` defaults to the article id (a story: ``story:`` + its article ids).
    """
    if subject_id is None:
        if isinstance(subject, ArticleDoc):
            subject_id = subject.id
        else:
            subject_id = "story:" + ",".join(sorted(d.id for d in subject))
    extra = " ".join((question or "").lower().split()) + "|" + (language or "").lower()
    raw = "\x00".join(
        (
            subject_id,
            feature,
            engine.name,
            engine.model,
            engine.prompt_version,
            content_hash(subject),
            extra,
        )
    )
    digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"ai:{feature}:{digest}"
