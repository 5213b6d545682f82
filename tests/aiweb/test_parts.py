"""The shared token count and the sentence anchors of the article body."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from tests.aiweb.conftest import DATA, read_sample
from tidings.aiweb.models import AITokenDay
from tidings.aiweb.services import DBBudgetStore
from tidings.aiweb.templatetags.ai import anchor_html, render_anchored_text
from tidings.core.ai import ArticleDoc, TokenBudget, article_sentences
from tidings.core.errors import AIBudgetExceededError

SAMPLES = sorted(p.name for p in DATA.rglob("*.txt"))


@pytest.mark.django_db
def test_budget_store_counts_per_day() -> None:
    store = DBBudgetStore()
    assert store.used("2031-01-01") == 0
    assert store.add("2031-01-01", 120) == 120
    assert store.add("2031-01-01", 30) == 150
    assert store.add("2031-01-02", 5) == 5
    assert store.used("2031-01-01") == 150
    noon = datetime(2031, 1, 1, 12, tzinfo=UTC).timestamp()
    budget = TokenBudget(200, store, clock=lambda: noon)
    assert budget.remaining() == 50
    with pytest.raises(AIBudgetExceededError):
        budget.check(60)


@pytest.mark.django_db(transaction=True)
def test_budget_store_is_atomic_across_connections() -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("in-memory SQLite is one connection")
    store = DBBudgetStore()
    errors: list[BaseException] = []

    def spend() -> None:
        from django.db import connections

        try:
            for _ in range(10):
                store.add("2031-02-01", 7)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert AITokenDay.objects.get(day="2031-02-01").tokens == 4 * 10 * 7


@pytest.mark.parametrize("name", SAMPLES)
def test_anchors_number_sentences_like_the_engines(name: str) -> None:
    path = next(DATA.rglob(name))
    meta, text = read_sample(path)
    expected = [s.text for s in article_sentences(ArticleDoc("x", meta["title"], text, "", ""))]
    html = str(render_anchored_text(text))
    spans = re.findall(r'<span class="s" id="s-(\d+)">(.*?)</span>', html)
    assert [int(n) for n, _ in spans] == list(range(1, len(expected) + 1))
    assert "<script" not in html and "<img" not in html and "<div" not in html
    # the same anchors placed into an HTML rendering of the text
    paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n") if "<" not in line)
    anchored = anchor_html(paragraphs, text)
    assert anchored is not None
    ids = [int(n) for n in re.findall(r'id="s-(\d+)"', anchored)]
    assert sorted(ids) == list(range(1, len(expected) + 1))


def test_anchor_html_keeps_markup_and_places_missing_sentences_nearby() -> None:
    html = "<p>A strong quake shook the <b>Veland</b> coast.</p><p>Ferries were halted.</p>"
    text = "Not in the page. A strong quake shook the Veland coast.\nFerries were halted."
    out = anchor_html(html, text)
    assert out == (
        '<p><span class="s" id="s-1"></span><span class="s" id="s-2"></span>A strong quake '
        'shook the <b>Veland</b> coast.</p><p><span class="s" id="s-3"></span>Ferries were '
        "halted.</p>"
    )
    assert anchor_html("<p>Something else.</p>", "Nothing alike here.") is None
