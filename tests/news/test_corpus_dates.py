"""A corpus record's publication time is read as a feed's would be: the forms publishers
write, and a record whose date cannot be read is stored without one, not dropped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tidings.core.stories.train import to_input
from tidings.news import assign, corpus
from tidings.news.models import Article

# Sample content: fictional reports, each dated in another way.
RECORDS = [
    ("iso-day", "2012-12-05", datetime(2012, 12, 5, tzinfo=UTC)),
    ("iso-zulu", "2012-12-05T09:30:00Z", datetime(2012, 12, 5, 9, 30, tzinfo=UTC)),
    ("rfc822", "Wed, 05 Dec 2012 10:00:00 +0100", datetime(2012, 12, 5, 9, 0, tzinfo=UTC)),
    ("wordy", "5 December 2012", datetime(2012, 12, 5, tzinfo=UTC)),
    ("unreadable", "last Tuesday", None),
]
TEXTS = [
    "Sample content. The harbour board of Port Esk approved a new ferry timetable, adding two "
    "late crossings to Skerrow island from June.",
    "Sample content. Farmers in the Arden valley began the barley harvest a week early after a "
    "dry spring.",
    "Sample content. The Veland chess federation named a twelve-year-old from Holloway as its "
    "youngest national champion.",
    "Sample content. Engineers closed the old Marrow bridge to lorries after an inspection "
    "found cracks in two of its stone arches.",
    "Sample content. The Lindenport library reopened its reading room after a year of repairs "
    "to the roof and the old card catalogue.",
]


def _rows() -> list[dict[str, str]]:
    return [
        {"id": key, "source": "Sample Outlet", "title": text[16:60], "text": text, "published": raw}
        for (key, raw, _), text in zip(RECORDS, TEXTS, strict=True)
    ]


def test_the_story_engine_reads_every_form() -> None:
    for row, (_, _, expected) in zip(_rows(), RECORDS, strict=True):
        assert to_input(row).published == expected


@pytest.mark.django_db(transaction=True)
def test_stored_articles_carry_the_same_times() -> None:
    assign.reset_cache()
    ids = corpus.ingest_records(_rows())
    stored = dict(
        Article.objects.filter(pk__in=list(ids.values())).values_list("pk", "published_at")
    )
    assert len(stored) == len(RECORDS)  # the unreadable date loses nothing but the date
    for key, _, expected in RECORDS:
        assert stored[ids[key]] == expected
    assign.reset_cache()
