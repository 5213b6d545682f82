"""What the story engine is told of a stored article: its publication time and language."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tidings.news import assign, corpus
from tidings.news.models import Article

# Sample content: fictional reports written for this test.
RECORDS = [
    {
        "id": "dated-en",
        "source": "Outlet A",
        "title": "Sample: Port Esk ferry timetable adds two late crossings",
        "text": "Sample content. The harbour board of Port Esk approved a new ferry timetable "
        "on Monday, adding two late crossings to Skerrow island from June.",
        "published": "2025-03-04T09:30:00Z",
    },
    {
        "id": "undated-fr",
        "source": "Outlet B",
        "title": "Exemple : le conseil du port d'Esk approuve de nouveaux horaires",
        "text": "Contenu d'exemple. Le conseil du port d'Esk a approuvé lundi de nouveaux "
        "horaires de traversée vers l'île de Skerrow, avec deux départs tardifs en juin. "
        "Les habitants de l'île attendaient ces départs depuis plusieurs années.",
        "language": "fr",
    },
]


def _evidence(article: Article) -> dict[str, object]:
    data: dict[str, object] = json.loads(zlib.decompress(bytes(article.story_evidence)))
    return data


@pytest.fixture
def fresh_engine() -> Iterator[None]:
    assign.reset_cache()
    yield
    assign.reset_cache()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_engine")
def test_engine_is_told_publication_time_and_language() -> None:
    ids = corpus.ingest_records(RECORDS)
    dated = Article.objects.get(pk=ids["dated-en"])
    undated = Article.objects.get(pk=ids["undated-fr"])
    assert dated.published_at == datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
    # The stored evidence (what a restarted engine is rebuilt from) holds what the
    # engine was given: the day of publication, or none, and the language.
    assert _evidence(dated)["day"] == pytest.approx(dated.published_at.timestamp() / 86400.0)
    assert _evidence(undated)["day"] is None
    assert _evidence(undated)["lang"] == "fr"
    assert _evidence(dated)["lang"] == "en"
    # A restarted engine reads the same back.
    assign.reset_cache()
    restored = assign.engine()
    restored_day = json.loads(zlib.decompress(restored.article_state(dated.pk)))["day"]
    assert restored_day == _evidence(dated)["day"]
