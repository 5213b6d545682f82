"""An article without a title is not glued to others by the placeholder title it is shown with."""

from __future__ import annotations

import pytest

from tidings.news import assign, corpus
from tidings.news.models import Article
from tidings.news.pipeline import UNTITLED

# Sample content: fictional reports on unrelated subjects, none with a title.
TEXTS = [
    "Sample content. The harbour board of Port Esk approved a new ferry timetable on Monday, "
    "adding two late crossings to Skerrow island from June and a night boat on Fridays.",
    "Sample content. Farmers in the Arden valley began the barley harvest a week early after a "
    "dry spring, and the cooperative said yields were close to last year's record.",
    "Sample content. The Veland chess federation named a twelve-year-old from Holloway as its "
    "youngest national champion after a final game that lasted more than six hours.",
    "Sample content. Engineers closed the old Marrow bridge to lorries after an inspection found "
    "cracks in two of its stone arches; cars may still cross at walking pace.",
]


@pytest.mark.django_db(transaction=True)
def test_untitled_articles_stay_apart() -> None:
    assign.reset_cache()
    records = [
        {"id": f"untitled-{i}", "source": f"Outlet {i % 2}", "text": text}
        for i, text in enumerate(TEXTS)
    ]
    ids = corpus.ingest_records(records)
    articles = Article.objects.filter(pk__in=list(ids.values()))
    assert {a.title for a in articles} == {UNTITLED}
    assert len({a.story_id for a in articles}) == len(TEXTS)
    assign.reset_cache()
