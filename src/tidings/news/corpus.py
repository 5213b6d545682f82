"""Ingest already-extracted article records (a labelled JSONL corpus) through the real storage path.

Used by ``tidings bench stories``: each record becomes an entry of a per-source
feed and an article stored exactly as a fetched page would be (canonical URL,
content hash, near-duplicate signature), then the serialized assignment stage
folds duplicates and assigns stories — the same code the worker runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from tidings.core._dates import parse_date
from tidings.core.extract import ExtractedArticle
from tidings.core.urls import slugify
from tidings.news import assign, pipeline
from tidings.news.models import Article, Entry, Feed, RelatedLink, Source
from tidings.news.worker_id import current_worker_id, unregister


def _feed_for(source_name: str, cache: dict[str, Feed]) -> Feed:
    if source_name in cache:
        return cache[source_name]
    slug = slugify(source_name) or hashlib.sha256(source_name.encode()).hexdigest()[:12]
    source, _ = Source.objects.get_or_create(
        slug=slug[:100], defaults={"name": source_name[:200] or slug, "homepage": ""}
    )
    feed, _ = Feed.objects.get_or_create(
        url=f"https://corpus.invalid/{slug}/feed", defaults={"source": source}
    )
    cache[source_name] = feed
    return feed


def ingest_records(records: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Store the records in order and assign stories. Returns ``{record id: article id}``."""
    feeds: dict[str, Feed] = {}
    ids: dict[str, str] = {}
    holder = current_worker_id()
    for rec in records:
        rid = str(rec["id"])
        url = str(rec.get("url") or f"https://corpus.invalid/article/{rid}")
        feed = _feed_for(str(rec.get("source") or "unknown"), feeds)
        extracted = ExtractedArticle.from_text(
            str(rec.get("text") or ""),
            title=str(rec.get("title") or ""),
            published=parse_date(str(rec["published"])) if rec.get("published") else None,
            language=rec.get("language"),
        )
        # Records with the same URL are distinct corpus items: give each its own address.
        if url in ids.values() or Article.objects.filter(canonical_url=url).exists():
            url = f"{url}#record-{rid}"
        entry = Entry.objects.create(feed=feed, key=rid[:64], url=url, title=extracted.title or "")
        article = pipeline.store_article(entry, extracted, url)
        ids[rid] = article.pk
        # Online, in file order: each record is assigned as it arrives.
        assign.assign_pending(holder)
    unregister()
    # Cards as a reader would see them once everything has arrived.
    assign.refresh_related(
        Article.objects.filter(pk__in=list(ids.values()), duplicate_of__isnull=True).values_list(
            "pk", flat=True
        )
    )
    return ids


def results(ids: Mapping[str, str], k: int = 10) -> dict[str, dict[str, Any]]:
    """``{"stories": {record: story}, "related": {record: [record, ...]}}`` from the database."""
    back = {pk: rid for rid, pk in ids.items()}
    story_of = dict(Article.objects.filter(pk__in=list(back)).values_list("pk", "story_id"))
    related: dict[str, list[str]] = {rid: [] for rid in ids}
    for link in RelatedLink.objects.filter(article_id__in=list(back)).order_by(
        "article_id", "rank"
    ):
        rid = back[link.article_id]
        if link.related_id in back and len(related[rid]) < k:
            related[rid].append(back[link.related_id])
    # A duplicate shows its original's cards.
    originals = dict(
        Article.objects.filter(pk__in=list(back), duplicate_of__isnull=False).values_list(
            "pk", "duplicate_of_id"
        )
    )
    for dup_pk, orig_pk in originals.items():
        if orig_pk in back:
            related[back[dup_pk]] = [r for r in related[back[orig_pk]] if r != back[dup_pk]]
    return {
        "stories": {rid: str(story_of.get(pk) or "") for rid, pk in ids.items()},
        "related": related,
    }
