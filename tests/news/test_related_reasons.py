"""Related cards say why with the topics the pages show (read in whole sentences)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.site.factories import make_article, make_source, make_topic
from tidings.core.stories import RelatedItem, shared_reason
from tidings.news import assign
from tidings.news.models import ArticleTopic, RelatedLink, Topic

pytestmark = pytest.mark.django_db


class _Engine:
    """Answers ``related`` with fixed cards, as the story engine would."""

    def __init__(self, items: list[RelatedItem]) -> None:
        self.items = items

    def related(self, article_id: str, k: int = 6, **_: Any) -> list[RelatedItem]:
        return self.items[:k]


def test_reasons_name_the_topics_shown_not_the_engines_reading() -> None:
    wire, herald = make_source("Sample Wire"), make_source("Sample Herald")
    art = make_article(wire, "Harbour talks resume (sample)")
    mate = make_article(herald, "Harbour talks, day two (sample)")
    other = make_article(herald, "Museum reopens its east wing (sample)")
    unnamed = make_article(herald, "Ferry timetable changes (sample)")
    weights = {"Russia": 0.5, "Orla Vantrell": 0.3, "Veland": 0.2, "Port Averly": 0.1}
    for name, weight in weights.items():
        kind = Topic.Kind.PERSON if name == "Orla Vantrell" else Topic.Kind.PLACE
        make_topic(name, kind, (art, other))
        ArticleTopic.objects.filter(article=art, topic__name=name).update(weight=weight)
    engine = _Engine(
        [
            RelatedItem(mate.pk, 0.9, True, "Same story"),
            # The engine reads names as its model was fitted: a name ending a sentence
            # loses its last word.
            RelatedItem(other.pk, 0.4, False, "Also about Orla, Veland"),
            RelatedItem(unnamed.pk, 0.3, False, "Related coverage"),
        ]
    )
    assign._store_related(art.pk, engine)  # type: ignore[arg-type]  # the engine's duck
    reasons = dict(RelatedLink.objects.filter(article=art).values_list("related_id", "reason"))
    assert reasons[mate.pk] == "Same story"
    # The most prominent shared topics, a country after people and specific places
    # ("Veland" is in no gazetteer: a specific place here).
    assert reasons[other.pk] == "Also about Orla Vantrell, Veland"
    assert reasons[unnamed.pk] == "Related coverage"  # nothing shared: the engine's reason


def test_a_country_comes_after_people_and_specific_places() -> None:
    mine = [
        ("Russia", "place", "russia"),
        ("Kursk", "place", "kursk"),
        ("Kim Jong Un", "person", "kim-jong-un"),
    ]
    assert shared_reason(mine, {"russia", "kim-jong-un"}) == "Also about Kim Jong Un, Russia"
    assert shared_reason(mine, {"russia"}) == "Also about Russia"
    assert shared_reason(mine, {"pyongyang"}) is None
    assert shared_reason([("Governments", "word", "governments")], {"governments"}) is None
