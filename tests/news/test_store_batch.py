"""Downloaded pages stored together, in one write transaction, entry by entry."""

from __future__ import annotations

import dataclasses
import time

import pytest
from django.utils import timezone

from tidings.core.errors import HTTPStatusError
from tidings.core.extract import ExtractedArticle
from tidings.news import pipeline
from tidings.news.models import Article, Entry, Feed, FetchAttempt, Source

pytestmark = pytest.mark.django_db(transaction=True)

# Sample content: fictional news items.
FERRY = (
    "Sample content: the island ferry will run twice a day from May, the fictional harbour "
    "board of Lund Vik said, after a year in which storms cancelled one crossing in five."
)
MARKET = (
    "Sample content: the covered market of the fictional town of Brask reopens on Saturday "
    "after a renovation that took eighteen months and replaced the roof and the stalls."
)


def _extracted(text: str, *, word_count: int | None = None) -> ExtractedArticle:
    article = ExtractedArticle.from_text(text, title=text.split(":")[1][:40], language="en")
    return article if word_count is None else dataclasses.replace(article, word_count=word_count)


@pytest.fixture
def feed() -> Feed:
    source = Source.objects.create(slug="wire", name="Wire", homepage="https://wire.example/")
    return Feed.objects.create(source=source, url="https://wire.example/feed")


def _entry(feed: Feed, path: str) -> Entry:
    url = f"https://wire.example/{path}"
    return Entry.objects.create(feed=feed, key=path, url=url)


def _ok(entry: Entry, extracted: ExtractedArticle) -> pipeline.Download:
    return pipeline.Download(time.monotonic(), entry.url, status=200, extracted=extracted)


def test_one_bad_entry_does_not_lose_the_others(feed: Feed) -> None:
    first, bad, missing, last = (_entry(feed, p) for p in ("ferry", "bad", "missing", "market"))
    # A negative word count breaks the table's check constraint: this article cannot be stored.
    unstorable = _extracted(MARKET.replace("market", "hall"), word_count=-1)
    gone = HTTPStatusError("HTTP 404", status=404, url=missing.url)
    results = pipeline.finish_downloads(
        [
            (first, _ok(first, _extracted(FERRY))),
            (bad, _ok(bad, unstorable)),
            (missing, pipeline.Download(time.monotonic(), missing.url, status=404, error=gone)),
            (last, _ok(last, _extracted(MARKET))),
        ]
    )
    assert [r is not None for r in results] == [True, False, False, True]
    assert Article.objects.count() == 2
    states = {e.key: e for e in Entry.objects.all()}
    assert states["ferry"].state == states["market"].state == Entry.State.DONE
    assert states["ferry"].article_id == results[0].pk  # type: ignore[union-attr]
    # The entry that could not be stored waits for another try, with its error recorded.
    failed = states["bad"]
    assert failed.state == Entry.State.PENDING and failed.article_id is None
    assert failed.error_code == pipeline.STORE_FAILED and failed.attempts == 1
    assert failed.claimed_until is not None and failed.claimed_until > timezone.now()
    assert "IntegrityError" in failed.error_message
    # The page that was not found failed for good, as it would alone.
    assert states["missing"].state == Entry.State.FAILED
    assert states["missing"].error_code == "http_404"
    codes = sorted(FetchAttempt.objects.values_list("code", flat=True))
    assert codes == sorted(["ok", "ok", pipeline.STORE_FAILED, "http_404"])


def test_exact_copies_in_one_batch_fold_onto_the_first(feed: Feed) -> None:
    earlier = _entry(feed, "ferry-earlier")
    pipeline.finish_downloads([(earlier, _ok(earlier, _extracted(MARKET)))])
    entries = [_entry(feed, p) for p in ("ferry", "ferry-again", "market-again")]
    stored = pipeline.finish_downloads(
        [
            (entries[0], _ok(entries[0], _extracted(FERRY))),
            (entries[1], _ok(entries[1], _extracted(FERRY.upper()))),  # differs in case only
            (entries[2], _ok(entries[2], _extracted(MARKET))),
        ]
    )
    original, copy, market_copy = (a for a in stored if a is not None)
    assert original.duplicate_of_id is None
    assert copy.duplicate_of_id == original.pk and copy.duplicate_score == 1.0
    # A copy of an article stored before the batch points at that one.
    assert market_copy.duplicate_of_id == Article.objects.get(entries__key="ferry-earlier").pk
    for article in stored:
        assert article is not None
        saved = Article.objects.get(pk=article.pk)
        assert saved.duplicate_of_id == article.duplicate_of_id


def test_same_link_twice_in_one_batch_is_stored_once(feed: Feed) -> None:
    other = Feed.objects.create(source=feed.source, url="https://wire.example/other-feed")
    one = _entry(feed, "ferry")
    two = Entry.objects.create(feed=other, key="ferry", url=one.url)
    a, b = pipeline.finish_downloads(
        [(one, _ok(one, _extracted(FERRY))), (two, _ok(two, _extracted(FERRY)))]
    )
    assert a is not None and b is not None and a.pk == b.pk
    assert Article.objects.count() == 1
    states = dict(Entry.objects.values_list("feed_id", "state"))
    assert states == {feed.pk: Entry.State.DONE, other.pk: Entry.State.DUPLICATE}
