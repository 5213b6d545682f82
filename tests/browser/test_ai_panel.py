"""The article page's AI panel and the story briefing in headless chromium.

Built-in engine: Summary and Ask swap their results in without a reload and their
citations jump to the sentence anchors of the article body. LLM engine (a local
OpenAI-compatible server): the answer streams into the panel. Screenshots go to
``artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.aiweb.conftest import DATA, make_sample_article
from tidings.core.ai._testserver import FakeLLMServer, Reply
from tidings.news.models import Story

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    for name in ("AI_ENGINE", "LLM_URL", "LLM_MODEL", "LLM_API_KEY"):
        monkeypatch.delenv(f"TIDINGS_{name}", raising=False)
    monkeypatch.setenv("TIDINGS_AI_RATE_LIMIT", "100/60")
    cache.clear()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield instance
        instance.close()


def shot(page: object, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"ai-{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_summary_and_ask_without_reload(browser, live_server) -> None:
    article = make_sample_article(DATA / "library-reopens.txt")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + article.get_absolute_url())
    page.evaluate("window.__marker = 'still the same page'")
    panel = page.locator(".ai-panel")
    result = panel.locator(".ai-result")

    panel.locator("form.ai-summary button").click()
    result.locator(".ai-output-summary").wait_for()
    assert "reopened on Monday" in result.inner_text()
    cites = result.locator('a[href^="#s-"]')
    assert cites.count() >= 1
    href = cites.first.get_attribute("href")
    assert href is not None and re.fullmatch(r"#s-\d+", href)
    assert page.locator(f".article-body {href}").count() == 1  # the anchor exists in the body
    shot(page, "summary")

    page.fill("#ai-question", "How many books are in the collection?")
    panel.locator("form.ai-ask button").click()
    result.locator(".ai-output-ask").wait_for()
    answer = result.inner_text()
    assert "310,000 books" in answer and "You asked:" in answer
    cite = result.locator('a[href^="#s-"]').first
    target = cite.get_attribute("href")
    cite.click()
    assert page.evaluate("location.hash") == target
    # The cited sentence (or, anchored before it, its paragraph) is marked.
    marked = page.evaluate(
        """() => { const t = document.querySelector('.article-body .s:target');
                   const el = t.textContent ? t : t.closest('p');
                   return getComputedStyle(el).backgroundColor; }"""
    )
    assert marked not in ("rgba(0, 0, 0, 0)", "transparent")
    assert page.evaluate("window.__marker") == "still the same page"  # no reload happened
    shot(page, "ask")

    # Without a language model there is nothing the built-in engine cannot do on offer.
    assert panel.locator("form.ai-simplify, form.ai-translate").count() == 0
    assert page.evaluate("window.__marker") == "still the same page"
    page.close()


def test_llm_answer_streams_into_the_panel(browser, live_server, monkeypatch) -> None:
    article = make_sample_article(DATA / "library-reopens.txt")
    with FakeLLMServer() as server:
        monkeypatch.setenv("TIDINGS_AI_ENGINE", "llm")
        monkeypatch.setenv("TIDINGS_LLM_URL", server.url)
        monkeypatch.setenv("TIDINGS_LLM_MODEL", "fake-model")
        words = " ".join(["The library reopened on Monday after two years [1]."] * 3)
        server.script(Reply(content=words, chunk_delay=0.05))
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(live_server.url + article.get_absolute_url())
        page.locator(".ai-panel form.ai-summary button").click()
        page.locator(".ai-result .ai-stream").wait_for()  # partial text shown while streaming
        page.locator(".ai-result .ai-output-summary").wait_for()
        text = page.locator(".ai-result").inner_text()
        assert "The library reopened on Monday" in text and "fake-model" in text
        assert page.locator('.ai-result a[href="#s-1"]').count() == 3
        assert server.requests[0]["stream"] is True
        shot(page, "stream")
        page.close()


def test_story_briefing(browser, live_server) -> None:
    story = Story.objects.create(id="f" * 32, headline="Ferry Aldra runs aground (sample)")
    for i, path in enumerate(sorted((DATA / "story-ferry").glob("*.txt"))):
        make_sample_article(path, story=story, minutes_ago=120 - i * 10)
    story.article_count = 3
    story.outlet_count = 3
    story.save()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + story.get_absolute_url())
    page.locator(".ai-panel form[data-ai] button").click()
    page.locator(".ai-result .ai-output-brief").wait_for()
    text = page.locator(".ai-result").inner_text()
    assert "212 passengers" in text
    links = page.locator(".ai-result a[href^='https://']")
    assert links.count() >= 2
    shot(page, "brief")
    page.close()
