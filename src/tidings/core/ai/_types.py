"""Data types of the AI features and the Engine protocol."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal, Protocol, runtime_checkable

from tidings.core.ai._sentences import Sentence, split_sentences
from tidings.core.ai._text import clean_untrusted

Feature = Literal["summary", "key_points", "ask", "brief", "simplify", "translate", "five_ws"]
FEATURES: tuple[str, ...] = (
    "summary",
    "key_points",
    "ask",
    "brief",
    "simplify",
    "translate",
    "five_ws",
)
#: Features that only an LLM can provide; the built-in engine raises LLMNotConfiguredError.
LLM_ONLY_FEATURES: frozenset[str] = frozenset({"simplify", "translate", "five_ws"})
#: Features that take a whole story (a sequence of articles) instead of one article.
STORY_FEATURES: frozenset[str] = frozenset({"brief"})


@dataclass(frozen=True)
class ArticleDoc:
    """What the AI features need of an article. ``text`` is untrusted (may hold markup)."""

    id: str
    title: str
    text: str
    source: str
    url: str
    language: str | None = None
    published: datetime | None = None


@dataclass(frozen=True)
class Citation:
    """A reference to sentence ``sentence`` (1-based) of an article (``article_id``/``source``
    are set for story briefings, where sentences come from several outlets)."""

    sentence: int
    article_id: str | None = None
    source: str | None = None


#: The text of an ask-the-article result when the article does not answer.
NOT_ANSWERED = "The article does not say."

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class AIResult:
    """The outcome of one AI feature.

    ``text`` is markdown-ish model or engine output: always render it with
    :func:`render_output`, never as raw HTML. ``points`` are the items of list-like
    features (key points, quoted answer sentences, briefing lines) and ``citations``
    the sentences they rest on (for briefings aligned one-to-one with ``points``).
    ``answered`` is False when the article does not answer the question.
    """

    feature: str
    engine: str
    model: str
    prompt_version: str
    text: str
    points: tuple[str, ...] = ()
    citations: tuple[Citation, ...] = ()
    answered: bool = True
    meta: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (for the API, the CLI's ``--json`` and caches)."""
        return {
            "feature": self.feature,
            "engine": self.engine,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "text": self.text,
            "points": list(self.points),
            "citations": [
                {"sentence": c.sentence, "article_id": c.article_id, "source": c.source}
                for c in self.citations
            ],
            "answered": self.answered,
            "meta": dict(self.meta),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AIResult:
        return cls(
            feature=data["feature"],
            engine=data["engine"],
            model=data["model"],
            prompt_version=data["prompt_version"],
            text=data["text"],
            points=tuple(data.get("points", ())),
            citations=tuple(Citation(**c) for c in data.get("citations", ())),
            answered=bool(data.get("answered", True)),
            meta=MappingProxyType(dict(data.get("meta", {}))),
        )


def article_sentences(article: ArticleDoc) -> list[Sentence]:
    """The numbered sentences of an article as every engine sees them.

    Hidden text is removed first (see :func:`clean_untrusted`). The article page must
    number its sentence anchors (``id="s-N"``) from this same list so that citations
    ``[N]`` land on the right sentence.
    """
    return split_sentences(clean_untrusted(article.text))


Subject = ArticleDoc | Sequence[ArticleDoc]


@runtime_checkable
class Engine(Protocol):
    """An AI engine. Every method may raise :class:`~tidings.core.errors.AIError`
    (``LLMNotConfiguredError`` for LLM-only features on the built-in engine,
    ``LLMUnavailableError`` after retries, ``AIBudgetExceededError`` when the daily
    token budget is spent)."""

    name: str
    model: str
    prompt_version: str
    features: frozenset[str]

    def summarize(self, article: ArticleDoc) -> AIResult: ...

    def key_points(self, article: ArticleDoc) -> AIResult: ...

    def ask(self, article: ArticleDoc, question: str) -> AIResult: ...

    def brief(self, story: Sequence[ArticleDoc]) -> AIResult: ...

    def simplify(self, article: ArticleDoc) -> AIResult: ...

    def translate(self, article: ArticleDoc, language: str) -> AIResult: ...

    def five_ws(self, article: ArticleDoc) -> AIResult: ...

    def run(
        self,
        feature: str,
        subject: Subject,
        *,
        question: str | None = None,
        language: str | None = None,
    ) -> AIResult:
        """Dispatch to the feature's method by name."""
        ...

    def stream(
        self,
        feature: str,
        subject: Subject,
        *,
        question: str | None = None,
        language: str | None = None,
    ) -> Iterator[str]:
        """Yield the result text in pieces as it is produced."""
        ...

    def finish(
        self,
        feature: str,
        subject: Subject,
        text: str,
        *,
        question: str | None = None,
        language: str | None = None,
    ) -> AIResult:
        """Turn the full text of a finished :meth:`stream` into an :class:`AIResult`."""
        ...
