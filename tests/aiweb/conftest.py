"""Fixtures of the AI web tests: sample articles (fictional) stored as real rows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone

from tidings.news.models import Article, Source, Story

DATA = Path(__file__).parent / "data"


def read_sample(path: Path) -> tuple[dict[str, str], str]:
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    meta = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    return meta, body.strip()


def source_for(name: str) -> Source:
    slug = name.lower().replace(" ", "-")
    source, _ = Source.objects.get_or_create(slug=slug, defaults={"name": name, "is_sample": True})
    return source


def make_sample_article(
    path: Path, *, story: Story | None = None, minutes_ago: int = 60, url: str = ""
) -> Article:
    meta, text = read_sample(path)
    url = url or meta["url"]
    return Article.objects.create(
        id=hashlib.md5(url.encode()).hexdigest(),
        canonical_url=url,
        source=source_for(meta["source"]),
        title=meta["title"],
        text=text,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        word_count=len(text.split()),
        published_at=timezone.now() - timedelta(minutes=minutes_ago),
        is_sample=True,
        story=story,
    )


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _builtin_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts on the default engine with a roomy rate limit."""
    for name in ("AI_ENGINE", "LLM_URL", "LLM_MODEL", "LLM_API_KEY", "LLM_DAILY_TOKEN_BUDGET"):
        monkeypatch.delenv(f"TIDINGS_{name}", raising=False)
    monkeypatch.setenv("TIDINGS_AI_RATE_LIMIT", "100/60")


@pytest.fixture
def library(db: None) -> Article:
    return make_sample_article(DATA / "library-reopens.txt")


@pytest.fixture
def hostile(db: None) -> Article:
    return make_sample_article(DATA / "hostile.txt")


@pytest.fixture
def ferry_story(db: None) -> Story:
    story = Story.objects.create(id="f" * 32, headline="Ferry Aldra runs aground (sample)")
    for i, path in enumerate(sorted((DATA / "story-ferry").glob("*.txt"))):
        make_sample_article(path, story=story, minutes_ago=120 - i * 10)
    story.article_count = story.articles.count()
    story.save()
    return story
