"""The AI endpoints with the built-in engine: fragments, full pages, cache, limits, safety."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.aiweb.conftest import DATA, make_sample_article
from tidings.aiweb.models import AIResultCache
from tidings.core.ai import ArticleDoc, article_sentences
from tidings.news.models import Article, Story

FETCH = {"X-Requested-With": "fetch"}

pytestmark = pytest.mark.django_db


def ai_url(article: Article, feature: str) -> str:
    return reverse("ai_article", args=[article.pk, feature])


def doc_of(article: Article) -> ArticleDoc:
    return ArticleDoc(article.pk, article.title, article.text, article.source.name, "")


def test_summary_fragment_cites_sentences_and_is_cached(client: Client, library: Article) -> None:
    r = client.post(ai_url(library, "summary"), headers=FETCH)
    assert r.status_code == 200
    assert r["X-AI-Cache"] == "miss"
    html = r.content.decode()
    assert 'class="ai-output ai-output-summary"' in html
    assert "<html" not in html  # a fragment, not a page
    cites = re.findall(r'<a href="#s-(\d+)"', html)
    assert cites, html
    count = len(article_sentences(doc_of(library)))
    assert all(1 <= int(n) <= count for n in cites)
    assert "reopened on Monday" in html  # the lead sentence is central
    again = client.post(ai_url(library, "summary"), headers=FETCH)
    assert again["X-AI-Cache"] == "hit"
    assert again.content.replace(b'"hit"', b'"miss"') == r.content
    row = AIResultCache.objects.get()
    assert (row.feature, row.engine, row.subject) == ("summary", "builtin", library.pk)
    assert row.payload["text"]


def test_key_points_and_ask(client: Client, library: Article) -> None:
    r = client.post(ai_url(library, "key_points"), headers=FETCH)
    assert r.status_code == 200 and "<li>" in r.content.decode()
    r = client.post(
        ai_url(library, "ask"), {"question": "How much did the renovation cost?"}, headers=FETCH
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert "18 million crowns" in html
    assert "You asked:" in html and "How much did the renovation cost?" in html
    assert re.search(r'href="#s-1"', html)
    r = client.post(
        ai_url(library, "ask"), {"question": "Who won the football match?"}, headers=FETCH
    )
    assert "does not say" in r.content.decode()


def test_ask_input_is_checked(client: Client, library: Article) -> None:
    r = client.post(ai_url(library, "ask"), {"question": "   "}, headers=FETCH)
    assert r.status_code == 400 and "Type a question" in r.content.decode()
    r = client.post(ai_url(library, "ask"), {"question": "x" * 301}, headers=FETCH)
    assert r.status_code == 400
    r = client.post(ai_url(library, "translate"), {"language": "klingon"}, headers=FETCH)
    assert r.status_code == 400 and "offered languages" in r.content.decode()


def test_unknown_feature_article_and_method(client: Client, library: Article) -> None:
    assert client.post(ai_url(library, "horoscope"), headers=FETCH).status_code == 404
    assert client.post(ai_url(library, "brief"), headers=FETCH).status_code == 404
    assert client.post(reverse("ai_article", args=["0" * 32, "summary"])).status_code == 404
    assert client.get(ai_url(library, "summary")).status_code == 405


def test_csrf_is_enforced(library: Article) -> None:
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(ai_url(library, "summary"), headers=FETCH).status_code == 403
    page = browser.get(library.get_absolute_url())
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    r = browser.post(
        ai_url(library, "summary"), {"csrfmiddlewaretoken": token.group(1)}, headers=FETCH
    )
    assert r.status_code == 200


def test_result_recomputed_when_the_article_changes(client: Client, library: Article) -> None:
    first = client.post(ai_url(library, "summary"), headers=FETCH)
    assert first["X-AI-Cache"] == "miss"
    library.text = library.text.replace("18 million", "19 million")
    library.save()
    second = client.post(ai_url(library, "summary"), headers=FETCH)
    assert second["X-AI-Cache"] == "miss"
    assert "19 million" in second.content.decode() or second.content != first.content
    # the result of the old text is gone, the new one kept
    assert AIResultCache.objects.filter(subject=library.pk).count() == 1
    assert client.post(ai_url(library, "summary"), headers=FETCH)["X-AI-Cache"] == "hit"


def test_rate_limit_counts_computations(
    client: Client, library: Article, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIDINGS_AI_RATE_LIMIT", "2/600")
    url = ai_url(library, "ask")
    assert client.post(url, {"question": "When did it reopen?"}, headers=FETCH).status_code == 200
    assert client.post(url, {"question": "Who cut the ribbon?"}, headers=FETCH).status_code == 200
    # a cached answer costs nothing
    assert (
        client.post(url, {"question": "when did it  REOPEN?"}, headers=FETCH)["X-AI-Cache"] == "hit"
    )
    r = client.post(url, {"question": "How many books?"}, headers=FETCH)
    assert r.status_code == 429
    assert int(r["Retry-After"]) >= 1
    assert "Too many AI requests" in r.content.decode()
    # another client is not affected
    other = client.post(url, {"question": "How many books?"}, REMOTE_ADDR="10.0.0.9", headers=FETCH)
    assert other.status_code == 200
    # without script: a full page with the same message and status
    page = client.post(url, {"question": "What about oak?"})
    assert page.status_code == 429 and "<html" in page.content.decode()


def test_llm_only_feature_says_it_needs_an_llm(
    client: Client, library: Article, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page offers no such button; asked anyway, the answer says why, and the
    reader's allowance is not counted (nothing was asked of any engine)."""
    monkeypatch.setenv("TIDINGS_AI_RATE_LIMIT", "2/600")
    for _ in range(3):
        for feature, data in (("simplify", {}), ("translate", {"language": "fr"})):
            r = client.post(ai_url(library, feature), data, headers=FETCH)
            assert r.status_code == 501
            assert "needs a language model" in r.content.decode()
            assert "TIDINGS_LLM_URL" in r.content.decode()
    assert client.post(ai_url(library, "summary"), headers=FETCH).status_code == 200


def test_llm_engine_without_url_is_a_clear_message(
    client: Client, library: Article, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIDINGS_AI_ENGINE", "llm")
    r = client.post(ai_url(library, "summary"), headers=FETCH)
    assert r.status_code == 501 and "TIDINGS_LLM_URL" in r.content.decode()
    assert client.get(library.get_absolute_url()).status_code == 200


def test_full_page_fallback_without_script(client: Client, library: Article) -> None:
    r = client.post(ai_url(library, "summary"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "<html" in html and "Back to the article" in html
    assert library.get_absolute_url() in html
    cites = set(re.findall(r'<a href="#s-(\d+)"', html))
    anchors = set(re.findall(r'id="s-(\d+)"', html))
    assert cites and cites <= anchors  # citations land on the page itself


def test_hostile_article_output_is_inert(client: Client, hostile: Article) -> None:
    for feature, data in (
        ("summary", {}),
        ("key_points", {}),
        ("ask", {"question": "What did the council approve? <img src=x onerror=alert(2)>"}),
    ):
        r = client.post(ai_url(hostile, feature), data, headers=FETCH)
        assert r.status_code == 200
        html = r.content.decode()
        assert "<script" not in html and "<img" not in html and 'onerror="' not in html
        assert "evil.example" not in html
        assert "developer mode" not in html
        hrefs = re.findall(r'href="([^"]+)"', html)
        assert all(re.fullmatch(r"#s-\d+", h) for h in hrefs), hrefs
    page = client.get(hostile.get_absolute_url()).content.decode()
    body = page.split('class="article-body"')[1].split("</div>")[0]
    assert "<script" not in body and "<img" not in body and "developer mode" not in body


def test_article_page_has_sentence_anchors(client: Client, library: Article) -> None:
    html = client.get(library.get_absolute_url()).content.decode()
    anchors = [int(n) for n in re.findall(r'id="s-(\d+)"', html)]
    assert anchors == list(range(1, len(article_sentences(doc_of(library))) + 1))


def test_story_briefing_and_refresh_on_new_coverage(client: Client, ferry_story: Story) -> None:
    url = reverse("ai_story", args=[ferry_story.pk])
    r = client.post(url, headers=FETCH)
    assert r.status_code == 200 and r["X-AI-Cache"] == "miss"
    html = r.content.decode()
    assert "212 passengers" in html
    hrefs = set(re.findall(r'href="(https?://[^"]+)"', html))
    own = {a.canonical_url for a in ferry_story.articles.all()}
    assert hrefs and hrefs <= own  # cited to the outlets' own articles only
    assert client.post(url, headers=FETCH)["X-AI-Cache"] == "hit"
    extra = DATA / "story-ferry" / "1-gazette.txt"
    make_sample_article(extra, story=ferry_story, minutes_ago=5, url="https://late.example/a")
    assert client.post(url, headers=FETCH)["X-AI-Cache"] == "miss"
    page = client.post(url)
    assert page.status_code == 200 and "Back to the story" in page.content.decode()


def test_story_briefing_follows_merges(client: Client, ferry_story: Story) -> None:
    old = Story.objects.create(id="a" * 32, merged_into=ferry_story)
    r = client.post(reverse("ai_story", args=[old.pk]), headers=FETCH)
    assert r.status_code == 200 and "212 passengers" in r.content.decode()
    empty = Story.objects.create(id="b" * 32)
    assert client.post(reverse("ai_story", args=[empty.pk]), headers=FETCH).status_code == 400
    assert client.post(reverse("ai_story", args=["c" * 32]), headers=FETCH).status_code == 404
