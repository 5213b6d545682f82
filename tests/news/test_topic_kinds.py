"""A topic's kind: the first one an article read wins over kinds guessed from its shape.

Sample content: every name below is fictional, written for these tests.
"""

from __future__ import annotations

import pytest

from tests.site.factories import make_article
from tidings.core.entities import Entity, extract_entities
from tidings.news.assign import _persist_topics
from tidings.news.models import Topic

pytestmark = pytest.mark.django_db


def _kind(slug: str) -> tuple[str, bool]:
    topic = Topic.objects.get(slug=slug)
    return topic.kind, topic.kind_read


def test_a_kind_read_replaces_a_kind_guessed() -> None:
    guessed = extract_entities("Sample", "Crews from Millbrook and Ashgrove met on Monday.")
    assert {e.slug: (e.kind, e.kind_read) for e in guessed}["ashgrove"] == ("topic", False)
    _persist_topics(make_article(), guessed, first_visit=True)
    assert _kind("ashgrove") == ("topic", False)

    read = extract_entities("Sample", "Rain reached the hamlet of Ashgrove on Monday.")
    _persist_topics(make_article(), read, first_visit=True)
    assert _kind("ashgrove") == ("place", True)

    # Once read, a kind stays: a later reading (read or guessed) does not move it.
    _persist_topics(make_article(), [Entity("Ashgrove", "org", "ashgrove", 1.0, True)])
    _persist_topics(make_article(), guessed, first_visit=True)
    assert _kind("ashgrove") == ("place", True)
    assert Topic.objects.get(slug="ashgrove").article_count == 4
