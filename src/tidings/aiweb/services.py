"""The glue between the site/CLI and :mod:`tidings.core.ai`: documents from models,
the configured engine, cached results, the shared token budget and per-client limits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F

from tidings.aiweb.models import AIResultCache, AITokenDay
from tidings.community import ratelimit
from tidings.core import config
from tidings.core.ai import (
    AIResult,
    ArticleDoc,
    Engine,
    Subject,
    cache_key,
    clean_untrusted,
    content_hash,
    make_engine,
)
from tidings.news.models import Article, Story

#: Most articles of a story a briefing reads (oldest first, syndicated copies left out).
MAX_STORY_ARTICLES = 20
#: Longest question accepted by ask-the-article.
MAX_QUESTION = 300

#: Target languages offered for translation: code → name sent to the model.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "uk": "Ukrainian",
    "ar": "Arabic",
    "zh": "Chinese (simplified)",
    "ja": "Japanese",
    "ko": "Korean",
}

_ENGINE_SETTINGS = (
    "AI_ENGINE",
    "LLM_URL",
    "LLM_MODEL",
    "LLM_API_KEY",
    "LLM_TIMEOUT",
    "LLM_DAILY_TOKEN_BUDGET",
)


class DBBudgetStore:
    """The daily LLM token count in the database (one row per UTC day); :meth:`add`
    is a single ``UPDATE ... SET tokens = tokens + n``, so processes never lose counts."""

    def used(self, day: str) -> int:
        row = AITokenDay.objects.filter(day=day).values_list("tokens", flat=True).first()
        return int(row or 0)

    def add(self, day: str, tokens: int) -> int:
        with transaction.atomic():
            if not AITokenDay.objects.filter(day=day).update(tokens=F("tokens") + tokens):
                try:
                    with transaction.atomic():
                        AITokenDay.objects.create(day=day, tokens=tokens)
                except IntegrityError:  # another process created the row first
                    AITokenDay.objects.filter(day=day).update(tokens=F("tokens") + tokens)
            return int(AITokenDay.objects.values_list("tokens", flat=True).get(day=day))


_engine_lock = threading.Lock()
_engine_cache: dict[str, tuple[tuple[object, ...], Engine]] = {}


def get_engine() -> Engine:
    """The engine the ``TIDINGS_*`` settings choose, built once per process and
    rebuilt when those settings change. Raises ConfigError when they are inconsistent."""
    values = {name: config.read(name) for name in _ENGINE_SETTINGS}
    signature = tuple(values[name] for name in _ENGINE_SETTINGS)
    with _engine_lock:
        current = _engine_cache.get("engine")
        if current is not None and current[0] == signature:
            return current[1]
        engine = make_engine(values, budget_store=DBBudgetStore())
        if current is not None:
            close = getattr(current[1], "close", None)
            if callable(close):
                close()
        _engine_cache["engine"] = (signature, engine)
        return engine


def article_doc(article: Article) -> ArticleDoc:
    """What the AI features read of an article (the title is untrusted too: hidden
    text and markup are removed from it as from the text)."""
    return ArticleDoc(
        id=article.pk,
        title=clean_untrusted(article.title),
        text=article.text,
        source=article.source.name,
        url=article.canonical_url,
        language=article.language or None,
        published=article.published_at,
    )


def resolve_story(story: Story) -> Story:
    """Follow ``merged_into`` to the story that now holds the coverage."""
    seen = {story.pk}
    while story.merged_into_id and story.merged_into_id not in seen:
        nxt = Story.objects.filter(pk=story.merged_into_id).first()
        if nxt is None:
            break
        seen.add(nxt.pk)
        story = nxt
    return story


def story_docs(story: Story, limit: int = MAX_STORY_ARTICLES) -> list[ArticleDoc]:
    """The story's original articles (syndicated copies left out), oldest first."""
    arts = (
        Article.objects.filter(story=story, duplicate_of__isnull=True)
        .select_related("source")
        .order_by(F("published_at").asc(nulls_last=True), "fetched_at", "id")[:limit]
    )
    return [article_doc(a) for a in arts]


@dataclass(frozen=True)
class Job:
    """One AI request: a feature on a subject (an article or a story's articles)."""

    feature: str
    subject: Subject
    subject_id: str
    question: str | None = None
    language: str | None = None
    links: tuple[str, ...] = field(default=())

    @classmethod
    def for_article(
        cls,
        article: Article,
        feature: str,
        *,
        question: str | None = None,
        language: str | None = None,
    ) -> Job:
        doc = article_doc(article)
        return cls(feature, doc, article.pk, question, language, (doc.url,))

    @classmethod
    def for_story(cls, story: Story) -> Job:
        docs = story_docs(story)
        return cls("brief", docs, f"story:{story.pk}", links=tuple(d.url for d in docs))

    def key(self, engine: Engine) -> str:
        return cache_key(
            engine,
            self.feature,
            self.subject,
            subject_id=self.subject_id,
            question=self.question,
            language=self._language_name(),
        )

    def _language_name(self) -> str | None:
        if self.language is None:
            return None
        return LANGUAGES.get(self.language, self.language)

    def cached(self, engine: Engine) -> AIResult | None:
        """The stored result of this job for ``engine``, if any."""
        row = AIResultCache.objects.filter(key=self.key(engine)).only("payload").first()
        return AIResult.from_dict(row.payload) if row is not None else None

    def run(self, engine: Engine) -> AIResult:
        """Compute (no cache lookup) and store. Raises AIError subclasses."""
        result = engine.run(
            self.feature, self.subject, question=self.question, language=self._language_name()
        )
        self.store(engine, result)
        return result

    def stream(self, engine: Engine) -> Iterator[str]:
        """The result text in pieces (see :meth:`finish`)."""
        return engine.stream(
            self.feature, self.subject, question=self.question, language=self._language_name()
        )

    def finish(self, engine: Engine, text: str) -> AIResult:
        """Turn the full streamed text into a result and store it."""
        result = engine.finish(
            self.feature,
            self.subject,
            text,
            question=self.question,
            language=self._language_name(),
        )
        self.store(engine, result)
        return result

    def store(self, engine: Engine, result: AIResult) -> None:
        """Keep ``result``; results computed from an older version of the subject go."""
        digest = content_hash(self.subject)
        AIResultCache.objects.filter(subject=self.subject_id).exclude(content_hash=digest).delete()
        try:
            with transaction.atomic():
                AIResultCache.objects.update_or_create(
                    key=self.key(engine),
                    defaults={
                        "feature": self.feature,
                        "engine": engine.name,
                        "model": engine.model,
                        "prompt_version": engine.prompt_version,
                        "subject": self.subject_id,
                        "content_hash": digest,
                        "payload": result.to_dict(),
                    },
                )
        except IntegrityError:
            pass  # stored concurrently by another request: same key, same content


def rate_limit(client: str) -> None:
    """Count one AI computation for ``client`` (a user or an address) against
    ``AI_RATE_LIMIT``; raises RateLimitedError (with ``retry_after``) when over."""
    rate = ratelimit.Rate.parse(str(config.read("AI_RATE_LIMIT")))
    ratelimit.hit(ratelimit.bucket_key("ai", client), rate)
