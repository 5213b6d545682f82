from __future__ import annotations

import json
from pathlib import Path

import pytest

from tidings.bench.ai import evaluate_ask, load_questions
from tidings.core.ai import (
    AIResult,
    ArticleDoc,
    BuiltinEngine,
    Citation,
    article_sentences,
    make_engine,
)
from tidings.core.errors import AIError, LLMNotConfiguredError

from .conftest import DATA, reservoir_story, sample

ARTICLES = sorted(p.name for p in (DATA / "articles").glob("*.txt"))


def _grounded(result: AIResult, doc: ArticleDoc) -> None:
    by_index = {s.index: s.text for s in article_sentences(doc)}
    assert len(result.points) == len(result.citations)
    for point, cite in zip(result.points, result.citations, strict=True):
        assert by_index[cite.sentence] == point
        assert f"{point} [{cite.sentence}]" in result.text


@pytest.mark.parametrize("name", ARTICLES)
def test_summary_is_made_of_cited_article_sentences(name: str) -> None:
    doc = sample(name)
    result = BuiltinEngine().summarize(doc)
    assert result.feature == "summary" and result.engine == "builtin"
    assert len(result.points) == 3
    _grounded(result, doc)
    # in article order, no sentence twice
    order = [c.sentence for c in result.citations]
    assert order == sorted(set(order))


@pytest.mark.parametrize("name", ARTICLES)
def test_key_points_are_distinct_article_sentences(name: str) -> None:
    doc = sample(name)
    result = BuiltinEngine().key_points(doc)
    assert len(result.points) == 5
    _grounded(result, doc)
    assert result.text.count("\n- ") == 4 and result.text.startswith("- ")


def test_summary_is_lead_aware() -> None:
    result = BuiltinEngine().summarize(sample("harbour-bridge.txt"))
    assert result.citations[0].sentence <= 2


QUESTIONS = [
    pytest.param(doc, q, span, id=f"{doc.id}: {q}") for doc, q, span in load_questions(DATA)
]


def test_ask_quality_on_the_question_set() -> None:
    report = evaluate_ask(load_questions(DATA))
    assert report["exact_span_hit_rate"] >= 0.85, report["misses"]
    assert report["not_answered_accuracy"] == 1.0, report["misses"]


@pytest.mark.parametrize(("doc", "question", "span"), QUESTIONS)
def test_ask_answers_are_quoted_and_cited_or_plainly_refused(
    doc: ArticleDoc, question: str, span: str | None
) -> None:
    result = BuiltinEngine().ask(doc, question)
    if not result.answered:
        assert result.text == "The article does not say."
        assert result.points == () and result.citations == ()
        return
    assert 1 <= len(result.points) <= 2
    by_index = {s.index: s.text for s in article_sentences(doc)}
    for point, cite in zip(result.points, result.citations, strict=True):
        assert by_index[cite.sentence] == point
        assert f"> {point} [{cite.sentence}]" in result.text


def test_ask_refuses_questions_about_absent_things() -> None:
    engine = BuiltinEngine()
    doc = sample("museum-theft.txt")
    assert not engine.ask(doc, "What did the football coach say about the transfer?").answered
    assert not engine.ask(doc, "?").answered
    answer = engine.ask(doc, "Who is the museum director?")
    assert answer.answered and "Jonas Pell" in answer.points[0]


def test_brief_separates_shared_facts_from_outlet_specific_ones() -> None:
    story = reservoir_story()
    result = BuiltinEngine().brief(story)
    happened = [result.points[i] for i in result.meta["what_happened"]]
    differs = [result.citations[i] for i in result.meta["what_differs"]]
    assert result.meta["outlets"] == 3
    # every outlet reported the spillway opening: it leads the briefing
    assert "spillway" in happened[0] and max(result.meta["support"]) == 2
    # facts only one outlet has: the 180 m³/s figure, 400 residents, the road closure...
    differing_text = " ".join(result.points[i] for i in result.meta["what_differs"])
    assert "180 cubic metres" in differing_text or "400 residents" in differing_text
    assert len({c.source for c in differs}) == len(differs)  # at most one line per outlet
    # every line is a real sentence of the cited outlet's article, linked to it
    by_id = {d.id: d for d in story}
    for point, cite in zip(result.points, result.citations, strict=True):
        assert cite.article_id is not None
        doc = by_id[cite.article_id]
        assert cite.source == doc.source
        assert {s.index: s.text for s in article_sentences(doc)}[cite.sentence] == point
        assert f"]({doc.url})" in result.text
    assert result.text.startswith("**What happened**") and "**What differs**" in result.text


def test_brief_of_one_article_and_of_nothing() -> None:
    engine = BuiltinEngine()
    one = engine.brief([sample("orchard-frost.txt")])
    assert one.points and one.meta["what_differs"] == []
    empty = engine.brief([])
    assert not empty.answered and empty.points == ()


@pytest.mark.parametrize("feature", ["simplify", "translate", "five_ws"])
def test_llm_only_features_say_so(feature: str) -> None:
    with pytest.raises(LLMNotConfiguredError) as info:
        BuiltinEngine().run(feature, sample("orchard-frost.txt"), language="fr")
    assert info.value.code == "llm_not_configured"


def test_run_dispatch_stream_and_errors() -> None:
    engine = make_engine({"AI_ENGINE": "builtin"})
    doc = sample("rail-timetable.txt")
    assert engine.run("summary", doc) == engine.summarize(doc)
    assert "".join(engine.stream("ask", doc, question="How often will trains run?")) == (
        engine.ask(doc, "How often will trains run?").text
    )
    assert engine.finish("key_points", doc, "ignored") == engine.key_points(doc)
    with pytest.raises(AIError):
        engine.run("poem", doc)
    with pytest.raises(AIError):
        engine.run("ask", doc, question="  ")


def test_result_round_trips_through_json() -> None:
    result = BuiltinEngine().brief(reservoir_story())
    again = AIResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.to_dict() == result.to_dict()
    assert again.citations == result.citations
    assert all(isinstance(c, Citation) for c in again.citations)


CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "stories" / "events-dev.jsonl"


@pytest.mark.slow
def test_builtin_engine_on_real_stories() -> None:
    if not CORPUS.exists():
        pytest.skip("shared corpora not available")
    events: dict[str, list[ArticleDoc]] = {}
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        doc = ArticleDoc(
            row["id"], row["title"] or "", row["text"] or "", row["source"], row["url"]
        )
        events.setdefault(row["event"], []).append(doc)
    engine = BuiltinEngine()
    for docs in list(events.values())[:40]:
        brief = engine.brief(docs)
        by_id = {d.id: {s.index: s.text for s in article_sentences(d)} for d in docs}
        for point, cite in zip(brief.points, brief.citations, strict=True):
            assert cite.article_id is not None
            assert by_id[cite.article_id][cite.sentence] == point
        summary = engine.summarize(docs[0])
        assert 1 <= len(summary.points) <= 3


def test_what_a_count_counts_may_be_left_to_the_number() -> None:
    """ "How many people died?" is answered by "the death toll rose to 214" (the demo's
    quake report): the counted word weighs less, and a toll is a count of the dead."""
    from tidings.demo import load_corpus

    report = next(a for a in load_corpus().articles if a.title.startswith("Veland quake toll"))
    doc = ArticleDoc(id="q", title=report.title, text=report.text, source="s", url="https://q")
    engine = BuiltinEngine()
    died = engine.ask(doc, "How many people died?")
    assert died.answered and "rose to 214" in died.text
    money = engine.ask(doc, "How much money was announced?")
    assert money.answered and "2.5 billion krona" in money.text
    assert not engine.ask(doc, "How many goals were scored?").answered


def test_brief_leads_with_where_the_story_stands_now() -> None:
    """The demo's quake: the most repeated facts are the first report's ("at least 12
    people"); the newest report's lead (the toll at 214) heads the briefing."""
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from tidings.demo import load_corpus

    now = datetime(2025, 6, 1, tzinfo=UTC)
    quake = [
        a
        for a in load_corpus().articles
        if a.story == "veland-earthquake" and a.language in (None, "en") and a.age_minutes > 120
    ]
    docs = [
        ArticleDoc(
            id=a.key,
            title=a.title,
            text=a.text,
            source=a.outlet,
            url=f"https://sample.example/{a.key}",
            published=now - timedelta(minutes=a.age_minutes),
        )
        for a in quake
    ]
    newest = max(docs, key=lambda d: d.published or now)
    assert "214" in newest.text
    result = BuiltinEngine().brief(docs)
    assert result.text.startswith("**Latest**")
    (at,) = result.meta["latest"]
    assert "214" in result.points[at] and result.citations[at].article_id == newest.id
    assert "\n\n**What happened**" in result.text
    # Undated reports (or one report) have no "latest".
    undated = BuiltinEngine().brief([replace(d, published=None) for d in docs])
    assert undated.meta["latest"] == [] and undated.text.startswith("**What happened**")
