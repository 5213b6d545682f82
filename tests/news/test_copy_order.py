"""A syndicated copy visited before its original still folds onto it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tidings.core.extract import ExtractedArticle
from tidings.news import assign, pipeline
from tidings.news.models import Article, Entry, Feed, Source

TEXT = "\n\n".join(
    [
        "Sample content: the fictional harbour authority of Port Esk said on Monday that the "
        "new breakwater would be finished two years late, at a cost of 48 million crowns.",
        "Engineers found soft clay under the northern arm, harbour master Ilse Varro told "
        "reporters, and the design had to change before the last caissons were placed.",
        "Fishing crews, who have waited since 2019 for calmer berths, said the delay would "
        "cost them another two winters of storms at the old quay.",
    ]
)


def _extracted(published: datetime) -> ExtractedArticle:
    return ExtractedArticle.from_text(
        TEXT, title="Port Esk breakwater two years late", published=published, language="en"
    )


@pytest.mark.django_db(transaction=True)
def test_copy_published_earlier_than_its_original_is_folded() -> None:
    assign.reset_cache()
    feeds = []
    for slug in ("wire", "paper"):
        source = Source.objects.create(
            slug=slug, name=slug.title(), homepage=f"https://{slug}.example/"
        )
        feeds.append(Feed.objects.create(source=source, url=f"https://{slug}.example/feed"))
    stored = []
    # The wire story is stored first; the paper's copy carries an earlier time stamp.
    for feed, hour in ((feeds[0], 12), (feeds[1], 9)):
        url = f"{feed.source.homepage}breakwater"
        entry = Entry.objects.create(feed=feed, key=url[-32:], url=url)
        extracted = _extracted(datetime(2026, 3, 2, hour, tzinfo=UTC))
        stored.append(pipeline.store_article(entry, extracted, url))
    original, copy = stored
    assert copy.duplicate_of_id == original.pk
    before = original.changed_at
    assign.assign_pending("test-worker")
    original.refresh_from_db()
    copy.refresh_from_db()
    assert copy.duplicate_of_id == original.pk
    assert copy.story_id == original.story_id is not None
    assert Article.objects.filter(story_state=Article.StoryState.PENDING).count() == 0
    # Its page changed (story, cards, "Also published by"): stored renderings expire.
    assert original.changed_at > before
    assert original.changed_at >= copy.changed_at
    # A background refresh of its cards changes the page again.
    Article.objects.filter(pk=original.pk).update(related_stale=True)
    assert assign.refresh_stale_related("test-worker") == 1
    refreshed = Article.objects.get(pk=original.pk)
    assert refreshed.changed_at > original.changed_at and not refreshed.related_stale
    assign.reset_cache()


@pytest.mark.django_db(transaction=True)
def test_topics_are_names_not_sentence_starts() -> None:
    assign.reset_cache()
    source = Source.objects.create(slug="wire", name="Wire", homepage="https://wire.example/")
    feed = Feed.objects.create(source=source, url="https://wire.example/feed")
    url = "https://wire.example/breakwater"
    entry = Entry.objects.create(feed=feed, key=url[-32:], url=url)
    text = TEXT + (
        "\n\nThe caissons were cast by a yard run by Tomas Brenner. Its steel came from the "
        "U.S. and was checked by Dr. Mira Solberg."
    )
    extracted = ExtractedArticle.from_text(
        text, title="Port Esk breakwater two years late", language="en"
    )
    article = pipeline.store_article(entry, extracted, url)
    assign.assign_pending("test-worker")
    names = set(article.article_topics.values_list("topic__name", flat=True))
    # Names ending a sentence, dotted names and titled names are read whole.
    assert {"Port Esk", "Ilse Varro", "Tomas Brenner", "United States", "Mira Solberg"} <= names
    # Capitalised only as the first word of a sentence or of the headline: no names.
    assert not names & {"Sample", "Engineers", "Fishing", "Port", "Tomas", "Mira", "Its"}
    assign.reset_cache()
