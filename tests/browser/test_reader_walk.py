"""A reader's walk through the site in headless chromium: home → story → article → source → search.

Screenshots (desktop 1280 px, phone 390 px) go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.site.factories import (
    make_article,
    make_feed,
    make_related,
    make_source,
    make_story,
    make_topic,
)

CHROMIUM = Path("/usr/bin/chromium")
DATA = Path(__file__).parent / "data"
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]

PARAGRAPHS = [
    "PORT VELAND — A strong earthquake shook the Veland coast early on Monday, halting ferries "
    "and cutting power to thousands of homes along the bay, the regional authority said.",
    "The tremor, which the Veland Geological Office put at magnitude 6.1, struck at 04:12 local "
    "time about 30 kilometres offshore. Windows shattered in the old harbour district.",
    "“We felt the whole building sway,” said Mira Oslund, who runs a bakery on Quay Street. "
    "“Then the lights went out and everyone was in the street.”",
    "Ferry operator Baylink suspended all crossings while engineers inspect the piers. The "
    "authority said no deaths had been reported, and hospitals were treating minor injuries.",
    "Aftershocks continued through the morning. Schools in three districts will stay closed on "
    "Tuesday as a precaution.",
]


@pytest.fixture
def image_server() -> Iterator[str]:
    """A real local HTTP server for the fictional outlets' icons and photos."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(DATA))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def build_world(img: str) -> dict:
    now = timezone.now()
    wire = make_source("Meridian Wire", favicon_url=f"{img}/meridian.svg")
    herald = make_source("The Harbour Herald", favicon_url=f"{img}/herald.svg")
    ledger = make_source("The Copper Ledger", favicon_url=f"{img}/ledger.svg")
    monitor = make_source("The Civic Monitor")  # no icon: initial badge
    make_feed(wire, title="Meridian Wire — top news", last_success_at=now - timedelta(minutes=9))
    make_feed(
        wire,
        title="Meridian Wire — weather",
        last_error_code="timeout",
        last_error_message="no answer within 30 s",
        error_count=2,
        last_error_at=now - timedelta(minutes=40),
    )
    body = "\n\n".join(PARAGRAPHS)
    html = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    first = make_article(
        wire,
        "Earthquake shakes Veland coast, ferries halted and power cut",
        body,
        html=html,
        published_at=now - timedelta(hours=2, minutes=5),
        byline="Ana Kerr",
        dateline="PORT VELAND",
        category="World",
        lead_image=f"{img}/coast.svg",
        description="A magnitude 6.1 tremor struck offshore before dawn; no deaths reported.",
    )
    copy = make_article(
        herald,
        "Earthquake shakes Veland coast, ferries halted and power cut",
        body,
        html=html,
        published_at=now - timedelta(hours=1, minutes=50),
        duplicate_of=first,
        canonical_url="https://harbour-herald.example/wire/veland-quake",
    )
    second = make_article(
        herald,
        "Harbour towns count the cost after Veland quake",
        "Shopkeepers on Quay Street swept glass from the pavements on Monday afternoon.\n\n"
        "The council opened two shelters.",
        published_at=now - timedelta(minutes=47),
        category="World",
        lead_image=f"{img}/harbour.svg",
    )
    third = make_article(
        ledger,
        "Insurers brace for claims as Veland counts quake damage",
        "Shares in regional insurers slipped as analysts tallied the likely cost.",
        published_at=now - timedelta(minutes=12),
        category="Business",
        lead_image=f"{img}/market.svg",
    )
    fourth = make_article(
        monitor,
        "Veland quake: what the new building code got right",
        "Engineers said the 2019 code kept most homes standing.",
        published_at=now - timedelta(minutes=30),
        category="World",
    )
    story = make_story(
        [first, copy, second, third, fourth], headline="Earthquake hits the Veland coast"
    )
    other = make_article(
        ledger,
        "Copper edges higher on steady demand",
        "Copper prices rose for a third day.",
        published_at=now - timedelta(hours=26),
        category="Business",
        lead_image=f"{img}/ridge.svg",
    )
    make_story([other, make_article(wire, "Copper rises for a third day", "Prices rose.")])
    make_related(first, second, 0, reason="Same story", same_story=True)
    make_related(first, third, 1, reason="Same story", same_story=True)
    make_related(first, fourth, 2, reason="Also about Veland, Quay Street", same_story=False)
    make_topic("Veland", "place", (first, second, third, fourth))
    make_topic("Mira Oslund", "person", (first,))
    return {"first": first, "story": story, "wire": wire, "copy": copy}


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_reader_walk(live_server, image_server):
    from playwright.sync_api import expect, sync_playwright

    world = build_world(image_server)
    cache.clear()  # categories cached by earlier tests in this process
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            for label, viewport in VIEWPORTS.items():
                page = browser.new_page(viewport=viewport)
                page.goto(live_server.url + "/")
                expect(page.locator("#top-h")).to_have_text("Top stories")
                hero = page.locator(".story-card.hero")
                expect(hero).to_contain_text("Earthquake hits the Veland coast")
                expect(hero).to_contain_text("4 outlets")
                expect(hero.locator("time")).to_have_text(re.compile(r"minutes? ago"))
                shot(page, f"home-{label}")

                hero.get_by_role("link", name="Earthquake hits the Veland coast").click()
                expect(page.locator("h1")).to_have_text("Earthquake hits the Veland coast")
                expect(page.locator(".story-stats")).to_contain_text("4 outlets")
                expect(page.locator(".timeline li.first")).to_contain_text("First report")
                shot(page, f"story-{label}")

                page.locator(".timeline li.first .timeline-title a").click()
                expect(page.locator("h1")).to_have_text(world["first"].title)
                attribution = page.locator(".attribution")
                expect(attribution).to_contain_text("Meridian Wire")
                expect(attribution).to_contain_text("By Ana Kerr")
                when = attribution.locator("time")
                expect(when).to_have_text("2 hours ago")
                assert when.get_attribute("title")
                expect(
                    page.get_by_role("link", name=re.compile("Read at Meridian Wire"))
                ).to_have_attribute("href", world["first"].canonical_url)
                cards = page.locator(".related-card")
                expect(cards).to_have_count(3)
                expect(cards.nth(2)).to_contain_text("Also about Veland, Quay Street")
                expect(cards.first).to_contain_text("Same story")
                expect(page.locator(".copies")).to_contain_text("The Harbour Herald")
                expect(page.get_by_role("button", name="Copy link")).to_be_visible()
                expect(page.locator("#comments-heading")).to_be_visible()
                shot(page, f"article-{label}")

                page.locator(".attribution .source-name").click()
                expect(page.locator("h1")).to_have_text("Meridian Wire")
                expect(page.locator(".feed-health")).to_contain_text(
                    "The site took too long to answer."
                )
                expect(page.locator(".feed-health")).to_contain_text("Working.")
                shot(page, f"source-{label}")

                page.goto(live_server.url + "/search?q=ferries+halted")
                results = page.locator(".search-results li")
                expect(results).to_have_count(1)  # the syndicated copy is folded away
                expect(results.first.locator("mark").first).to_be_visible()
                shot(page, f"search-{label}")
                # A query of one long word stays on screen: nothing wider than the window.
                page.goto(live_server.url + "/search?q=" + "Veland" * 30)
                expect(page.locator(".result-count")).to_contain_text("0 results")
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

                response = page.goto(live_server.url + "/article/" + "0" * 32 + "/missing")
                assert response is not None and response.status == 404
                expect(page.locator("h1")).to_have_text("We can't find that page")
                shot(page, f"404-{label}")
                page.close()
        finally:
            browser.close()


def test_relative_times_follow_the_readers_time_zone(live_server):
    from playwright.sync_api import sync_playwright

    when, now = "new Date('2025-06-30T11:30:00Z')", "new Date('2025-07-01T00:30:00Z')"
    rule = f"() => window.tidingsRelTime({when}, {now})"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            seen = {}
            for tz in ("Asia/Tokyo", "America/Los_Angeles"):
                context = browser.new_context(timezone_id=tz)
                page = context.new_page()
                page.goto(live_server.url + "/search")
                seen[tz] = page.evaluate(rule)
                context.close()
        finally:
            browser.close()
    # Same answers as tidings.site._reltime.relative (see tests/site/test_reltime.py).
    assert seen == {"Asia/Tokyo": "yesterday", "America/Los_Angeles": "13 hours ago"}
