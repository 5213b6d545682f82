"""A story's headline is its latest report's, unless that asks, explains or comments.

Sample content: every headline below is fictional, written for these tests.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.site.factories import make_article, make_source, make_story
from tidings.news.assign import _refresh_story, reports_news
from tidings.news.models import Story

pytestmark = pytest.mark.django_db


def _story(*titles: str) -> Story:
    now = timezone.now()
    articles = [
        make_article(make_source(), title, published_at=now - timedelta(hours=10 - i))
        for i, title in enumerate(titles)
    ]
    story = make_story(articles)
    for article in articles:
        article.story = story
        article.save(update_fields=["story"])
    _refresh_story(story)
    story.refresh_from_db()
    return story


def test_the_latest_report_heads_the_story() -> None:
    story = _story(
        "Quake strikes Tollan Point, at least 12 dead",
        "Tollan Point quake toll climbs to 112",
        "Tollan Point quake toll rises to 214 as aftershock rattles rescuers",
    )
    assert story.headline == "Tollan Point quake toll rises to 214 as aftershock rattles rescuers"


def test_an_explainer_or_a_question_does_not_head_the_story() -> None:
    story = _story(
        "Quake strikes Tollan Point, at least 12 dead",
        "Tollan Point quake toll climbs to 112",
        "Why the Varn Fault ruptured, and what it means for aftershocks",
        "Analysis: a city built on sand",
        "Who pays to rebuild Tollan Point?",
    )
    assert story.headline == "Tollan Point quake toll climbs to 112"
    only_questions = _story("Why did the Varn Fault rupture?", "What next for Tollan Point?")
    assert only_questions.headline == "Why did the Varn Fault rupture?"  # the first report


def test_what_reports_news() -> None:
    assert reports_news("Ferries resume after week of storms")
    assert reports_news("‘We heard her tapping’: the rescue of a girl on Harrow Street")
    assert not reports_news("How Tollan Point rebuilt its harbour")
    assert not reports_news("Opinion: the harbour deserves better")
    assert not reports_news("Will the ferries run on time?")
    assert not reports_news("")
    assert not reports_news("Six days without transit: what Tollan Point learned")
    assert not reports_news("Tarn Vesk, the keeper who did his homework")
    assert reports_news("Tarn Vesk, the keeper, signs for Harbour City")
    assert reports_news("Harbour office: ferries resume on Monday")
