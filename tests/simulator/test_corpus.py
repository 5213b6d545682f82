"""Invariants of the shipped demo corpus."""

from __future__ import annotations

import itertools
import json
import re
from importlib import resources

import pytest

from tidings.demo import DemoArticle, load_corpus

CORPUS = load_corpus()
BIG_STORY = "veland-earthquake"
LOOSE_STORY = "veland-navy-skarra-strait"


def _shingles(article: DemoArticle, k: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", article.text.lower())
    return {tuple(words[i : i + k]) for i in range(len(words) - k + 1)}


def _jaccard(a: DemoArticle, b: DemoArticle) -> float:
    sa, sb = _shingles(a), _shingles(b)
    return len(sa & sb) / len(sa | sb)


def test_counts_meet_the_demo_floor() -> None:
    assert len(CORPUS.articles) >= 64
    assert len(CORPUS.outlets) >= 9
    assert len(CORPUS.stories()) >= 13
    assert all(CORPUS.articles_of(o.slug) for o in CORPUS.outlets), "every outlet publishes"


def test_every_data_file_is_marked_as_sample() -> None:
    root = resources.files("tidings.demo")
    docs = [
        json.loads(entry.read_text(encoding="utf-8"))
        for entry in root.iterdir()
        if entry.name.endswith(".json")
    ]
    assert len(docs) >= 10
    for doc in docs:
        assert doc["sample"] is True
        assert "fictional" in doc["note"].lower()


def test_keys_are_unique_and_references_resolve() -> None:
    keys = [a.key for a in CORPUS.articles]
    assert len(keys) == len(set(keys))
    outlet_slugs = {o.slug for o in CORPUS.outlets}
    for article in CORPUS.articles:
        assert article.outlet in outlet_slugs
        assert article.story, f"{article.key} has no story label"
        if article.syndicated_from:
            original = CORPUS.article(article.syndicated_from)
            assert original.story == article.story
            assert original.syndicated_from is None


@pytest.mark.parametrize("article", CORPUS.articles, ids=lambda a: a.key)
def test_article_shape(article: DemoArticle) -> None:
    assert 5 <= len(article.paragraphs) <= 12
    assert 150 <= article.word_count <= 600
    assert article.title and article.byline and article.dateline and article.section
    assert article.age_minutes > 0
    assert article.lead_image.alt and article.lead_image.caption and article.lead_image.credit
    assert all(p.strip() == p and p for p in article.paragraphs)


def test_story_sizes() -> None:
    sizes = {label: len(arts) for label, arts in CORPUS.stories().items()}
    big = CORPUS.stories()[BIG_STORY]
    assert sizes[BIG_STORY] >= 8
    assert len({a.outlet for a in big}) >= 6
    assert sum(3 <= n <= 6 for n in sizes.values()) >= 4, "several mid-sized stories"
    assert sum(n == 1 for n in sizes.values()) >= 3, "a few single-article stories"


def test_big_story_evolves_over_time() -> None:
    big = CORPUS.stories()[BIG_STORY]  # oldest first
    first, latest = big[0], big[-1]
    assert first.age_minutes - latest.age_minutes >= 12 * 60
    assert "6.9" in first.text and "at least 12" in first.text
    assert any("7.1" in a.text for a in big[1:])
    assert any("214" in a.text for a in big[1:])


def test_sections_and_languages_vary() -> None:
    sections = {a.section for a in CORPUS.articles}
    for wanted in ("World", "Politics", "Business", "Technology", "Science", "Sport", "Culture"):
        assert wanted in sections
    assert "Climate" in sections
    assert sum(a.language == "fr" for a in CORPUS.articles) >= 3


def test_syndicated_copies_are_near_identical() -> None:
    groups = CORPUS.syndicated_groups()
    assert len(groups) >= 2
    assert any(len(group) >= 3 for group in groups.values())
    for original, *copies in groups.values():
        for copy in copies:
            assert copy.outlet != original.outlet
            assert copy.title != original.title, "syndicated copies get their own headline"
            assert _jaccard(original, copy) >= 0.85


def test_distinct_articles_are_not_near_duplicates() -> None:
    originals = [a for a in CORPUS.articles if a.syndicated_from is None]
    worst = max(_jaccard(a, b) for a, b in itertools.combinations(originals, 2))
    assert worst < 0.3


def test_loose_article_shares_only_broad_words_with_big_story() -> None:
    assert CORPUS.loosely_related == {LOOSE_STORY: BIG_STORY}
    (loose,) = CORPUS.stories()[LOOSE_STORY]
    assert "Veland" in loose.text
    assert "earthquake" not in loose.text.lower() and "quake" not in loose.text.lower()
    for article in CORPUS.stories()[BIG_STORY]:
        assert _jaccard(loose, article) < 0.05


def test_big_story_names_stay_consistent() -> None:
    names = ("Ingrid Mahlberg", "Maren Oyes", "Tomas Rell", "Port Averly")
    text = " ".join(a.text for a in CORPUS.stories()[BIG_STORY])
    for name in names:
        assert name in text
    for misspelling in ("Mahlburg", "Port Avery", "Maren Øyes", "Thomas Rell"):
        assert misspelling not in text
