"""Factory helpers for site tests: fictional outlets and articles made through the ORM."""

from __future__ import annotations

import hashlib
import itertools
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.text import slugify

from tidings.news.models import Article, ArticleTopic, Feed, RelatedLink, Source, Story, Topic

_seq = itertools.count(1)


def make_source(name: str = "", **kw: Any) -> Source:
    n = next(_seq)
    name = name or f"Test Outlet {n}"
    slug = kw.pop("slug", None) or f"{slugify(name) or 'outlet'}-{n}"
    defaults: dict[str, Any] = {"homepage": f"https://{slug}.example/", "is_sample": True}
    defaults.update(kw)
    return Source.objects.create(name=name, slug=slug, **defaults)


def make_feed(source: Source, **kw: Any) -> Feed:
    n = next(_seq)
    return Feed.objects.create(
        source=source, url=f"https://{source.slug}.example/feed{n}.xml", **kw
    )


def make_article(
    source: Source | None = None,
    title: str = "",
    text: str = "",
    *,
    published_at: datetime | None = None,
    **kw: Any,
) -> Article:
    n = next(_seq)
    source = source or make_source()
    title = title or f"Sample headline number {n}"
    text = (
        text
        or f"Body of sample article {n}. It was written for the tests.\n\nSecond paragraph {n}."
    )
    url = kw.pop("canonical_url", None) or f"https://{source.slug}.example/news/{n}"
    art_id = kw.pop("id", None) or hashlib.md5(url.encode()).hexdigest()
    defaults: dict[str, Any] = {
        "content_hash": hashlib.sha256(text.encode()).hexdigest(),
        "word_count": len(text.split()),
        "is_sample": True,
    }
    defaults.update(kw)
    return Article.objects.create(
        id=art_id,
        canonical_url=url,
        source=source,
        title=title,
        text=text,
        published_at=published_at
        if published_at is not None
        else timezone.now() - timedelta(hours=2),
        **defaults,
    )


def make_story(articles: list[Article], headline: str = "", **kw: Any) -> Story:
    n = next(_seq)
    times = [a.published_at for a in articles if a.published_at]
    story = Story.objects.create(
        id=hashlib.md5(f"story{n}".encode()).hexdigest(),
        headline=headline or articles[0].title,
        lead_article=articles[0],
        first_published_at=min(times) if times else None,
        last_updated_at=max(times) if times else None,
        article_count=len(articles),
        outlet_count=len({a.source_id for a in articles}),
        **kw,
    )
    for a in articles:
        a.story = story
        a.story_state = Article.StoryState.ASSIGNED
        a.save(update_fields=["story", "story_state"])
    return story


def make_related(article: Article, related: Article, rank: int = 0, **kw: Any) -> RelatedLink:
    defaults: dict[str, Any] = {"score": 0.8, "reason": "Same story", "same_story": True}
    defaults.update(kw)
    return RelatedLink.objects.create(article=article, related=related, rank=rank, **defaults)


def make_topic(
    name: str, kind: str = Topic.Kind.PERSON, articles: tuple[Article, ...] = ()
) -> Topic:
    topic = Topic.objects.create(slug=slugify(name, allow_unicode=True), name=name, kind=kind)
    for a in articles:
        ArticleTopic.objects.create(article=a, topic=topic)
    return topic
