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


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_engine")
def test_stories_put_together_by_another_model_are_reported_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ids = corpus.ingest_records(RECORDS)
    assert {_evidence(a)["model"] for a in Article.objects.all()} == {assign.engine().model.digest}
    assign.reset_cache()
    with caplog.at_level("WARNING", logger="tidings.stories"):
        assign.engine()
    assert not caplog.records  # all put together by this model
    # As after an upgrade that ships another model: one article was assigned by the old one.
    article = Article.objects.get(pk=ids["dated-en"])
    evidence = _evidence(article)
    evidence["model"] = "an-older-model"
    article.story_evidence = zlib.compress(json.dumps(evidence).encode())
    article.save(update_fields=["story_evidence"])
    assign.reset_cache()
    with caplog.at_level("WARNING", logger="tidings.stories"):
        assign.engine()
        Article.objects.filter(pk=ids["undated-fr"]).update(story_seq=99)  # a rebuild
        assign.engine()
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert warnings[0].startswith("1 articles were put in stories by another story model")
    assert "tidings recluster" in warnings[0]
