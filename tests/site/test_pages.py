"""The reader pages, rendered through the real URLs and templates."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from tidings.news.models import Entry, Story
from tidings.news.pagehealth import page_health
from tidings.site._health import feed_health

from .factories import (
    make_article,
    make_feed,
    make_related,
    make_source,
    make_story,
    make_topic,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Three outlets covering one story, a syndicated copy, an unrelated article."""
    now = timezone.now()
    herald = make_source("Harbour Herald", favicon_url="https://harbour.example/favicon.ico")
    wire = make_source("Meridian Wire")
    ledger = make_source("Copper Ledger")
    first = make_article(
        wire,
        "Quake shakes Veland coast, ferries halted",
        "VELAND — A strong earthquake shook the Veland coast on Monday.\n\nFerries were halted.",
        published_at=now - timedelta(hours=5),
        byline="Ana Kerr",
        dateline="PORT VELAND",
        category="World",
        html="<p>A strong earthquake shook the <b>Veland</b> coast.</p><p>Ferries were halted.</p>",
    )
    second = make_article(
        herald,
        "Veland earthquake: harbour towns count the damage",
        "harbour towns counted the damage after the earthquake.",
        published_at=now - timedelta(hours=3),
        category="World",
    )
    third = make_article(
        ledger,
        "Insurers brace for Veland quake claims",
        "Insurers expect claims after the Veland earthquake.",
        published_at=now - timedelta(minutes=12),
        category="Business",
    )
    copy = make_article(
        herald,
        "Quake shakes Veland coast, ferries halted",
        "VELAND — A strong earthquake shook the Veland coast on Monday.\n\nFerries were halted.",
        published_at=now - timedelta(hours=4),
        duplicate_of=first,
        canonical_url="https://harbour.example/wire/quake",
    )
    other = make_article(
        ledger, "Copper prices edge higher", "Copper rose.", published_at=now - timedelta(days=1)
    )
    story = make_story([first, second, third, copy], headline="Earthquake hits the Veland coast")
    make_related(first, second, 0, reason="Same story", same_story=True)
    make_related(first, third, 1, reason="Also about Veland, earthquake", same_story=False)
    make_related(first, copy, 2, reason="Same story", same_story=True)  # must not be shown
    topic = make_topic("Veland", "place", (first, second, third))
    return {
        "first": first, "second": second, "third": third, "copy": copy, "other": other,
        "story": story, "topic": topic, "herald": herald, "wire": wire, "ledger": ledger,
    }  # fmt: skip


def text_of(response) -> str:
    return response.content.decode()


def test_home_lists_top_stories_and_latest(client, world):
    r = client.get("/")
    assert r.status_code == 200
    html = text_of(r)
    assert "Earthquake hits the Veland coast" in html
    assert "3 outlets" in html
    assert "updated <time" in html
    for name in ("Meridian Wire", "Harbour Herald", "Copper Ledger"):
        assert name in html
    assert "Copper prices edge higher" in html
    # Syndicated copies are not listed twice in the latest articles.
    assert html.count(world["copy"].get_absolute_url()) == 0
    # Section navigation from the categories.
    assert "?category=World" in html and "?category=Business" in html
    assert "Sample" in html


def test_home_category_filter_and_pagination(client, world):
    r = client.get("/", {"category": "Business"})
    html = text_of(r)
    assert "Latest in Business" in html
    assert '<h1 class="visually-hidden">Business</h1>' in html
    assert "Insurers brace" in html and "harbour towns count" not in html
    # A section no article is in is no page (it was an empty "Latest in Anything").
    assert client.get("/", {"category": "Anything"}).status_code == 404
    assert "<h1" in text_of(client.get("/"))
    assert client.get("/", {"page": "2"}).status_code == 404
    assert client.get("/", {"page": "x"}).status_code == 404


def test_home_paginates(client):
    src = make_source()
    for i in range(25):
        make_article(
            src, f"Numbered item {i:02d}", published_at=timezone.now() - timedelta(minutes=i)
        )
    html = text_of(client.get("/"))
    assert "Numbered item 00" in html and "Numbered item 24" not in html
    assert 'rel="next" href="?page=2"' in html
    html2 = text_of(client.get("/", {"page": 2}))
    assert "Numbered item 24" in html2


def test_empty_home(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "No articles yet" in text_of(r)


def test_article_page(client, world):
    art = world["first"]
    r = client.get(art.get_absolute_url())
    assert r.status_code == 200
    html = text_of(r)
    assert '<h1 id="headline">Quake shakes Veland coast, ferries halted</h1>' in html
    assert 'href="https://meridian-wire' in html  # link to the original
    assert "Read at Meridian Wire" in html
    assert "By Ana Kerr" in html and "PORT VELAND" in html
    assert re.search(r'<time datetime="[0-9T:-]+Z" title="[^"]+" data-rel>5 hours ago</time>', html)
    assert "?category=World" in html
    assert world["topic"].get_absolute_url() in html
    assert "<b>Veland</b>" in html  # the clean body
    assert "data-copy=" in html
    assert 'id="comments-heading"' in html  # the comments slot
    assert "Sample content — fictional outlet" in html


def test_article_related_cards_and_copies(client, world):
    html = text_of(client.get(world["first"].get_absolute_url()))
    related = html.split('id="related-h"')[1]
    assert "harbour towns count the damage" in related
    assert "Insurers brace for Veland quake claims" in related
    assert "Also about Veland, earthquake" in related
    assert "Same story" in related
    # The syndicated copy is "Also published by", never a related card.
    assert world["copy"].get_absolute_url() not in related
    copies = html.split('id="copies-h"')[1].split("</section>")[0]
    assert "Harbour Herald" in copies
    assert world["copy"].get_absolute_url() in copies
    # Full coverage link, under the story's headline.
    coverage = html.split('id="story-h"')[1].split("</section>")[0]
    assert world["story"].get_absolute_url() in coverage
    assert "Earthquake hits the Veland coast" in coverage


def test_full_coverage_does_not_repeat_the_articles_own_headline(client, world):
    """The story's headline is often its latest report's: on that report's own page the
    link says where it goes instead of repeating the headline above it."""
    art = world["first"]
    Story.objects.filter(pk=world["story"].pk).update(headline=art.title)
    html = text_of(client.get(art.get_absolute_url()))
    coverage = html.split('id="story-h"')[1].split("</section>")[0]
    assert world["story"].get_absolute_url() in coverage
    assert art.title not in coverage
    assert "Every report of this story" in coverage


def test_copy_page_names_the_original(client, world):
    html = text_of(client.get(world["copy"].get_absolute_url()))
    copies = html.split('id="copies-h"')[1].split("</section>")[0]
    assert "Meridian Wire" in copies and "(first published)" in copies


def test_a_standfirst_that_repeats_the_text_is_not_shown(client):
    text = (
        "Ferries to Tollan Point resumed on Tuesday after a week of storms, the harbour "
        "office said.\n\nSample text written for the tests."
    )
    cases = {
        # description: shown under the headline?
        "Ferries to Tollan Point resumed on Tuesday after a week of storms, the harbour "
        "office said.": False,
        "Ferries to Tollan Point resumed on Tuesday after a week […]": False,
        "Ferries to Tollan Point resumed on Tuesday after a week...": False,
        "The harbour reopens after a week of storms.": True,
    }
    for description, shown in cases.items():
        art = make_article(text=text, description=description)
        html = client.get(art.get_absolute_url()).content.decode()
        assert ('class="standfirst"' in html) is shown, description


def test_article_without_related_says_so(client, world):
    html = text_of(client.get(world["other"].get_absolute_url()))
    assert "No related coverage yet." in html
    assert 'class="related-card"' not in html


@pytest.mark.urls("tests.site.urls_no_ai")
def test_ai_panel_absent_without_ai_urls(client, world):
    html = text_of(client.get(world["first"].get_absolute_url()))
    assert "ai-panel" not in html


@pytest.mark.urls("tests.site.urls_ai")
def test_ai_panel_with_ai_urls(client, world, monkeypatch):
    art = world["first"]
    html = text_of(client.get(art.get_absolute_url()))
    for label in ("Summary", "Key points", "Ask this article"):
        assert label in html
    # What the built-in engine cannot do is not offered...
    assert "Simpler version" not in html and "ai-translate" not in html
    # ...until a language model is set up: the page stored for readers changes with it.
    monkeypatch.setenv("TIDINGS_AI_ENGINE", "llm")
    html = text_of(client.get(art.get_absolute_url()))
    for label in ("Summary", "Key points", "Ask this article", "Simpler version", "Translate"):
        assert label in html
    assert f'action="/ai/article/{art.pk}/summary"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    story_html = text_of(client.get(world["story"].get_absolute_url()))
    assert f'action="/ai/story/{world["story"].pk}/brief"' in story_html


def test_article_redirects_to_canonical_url(client, world):
    art = world["first"]
    r = client.get(f"/article/{art.pk}/")
    assert r.status_code == 301 and r["Location"] == art.get_absolute_url()
    r = client.get(f"/article/{art.pk}/wrong-slug")
    assert r.status_code == 301 and r["Location"] == art.get_absolute_url()


def test_unknown_pages_are_404_with_the_site_template(client, world):
    for url in (
        "/article/" + "0" * 32 + "/",
        "/article/" + "0" * 32 + "/some-slug",
        "/story/nope",
        "/source/nope",
        "/topic/nope",
    ):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "We can't find that page" in text_of(r)


def test_story_page(client, world):
    story = world["story"]
    r = client.get(story.get_absolute_url())
    assert r.status_code == 200
    html = text_of(r)
    assert "Earthquake hits the Veland coast" in html
    assert "3 outlets" in html and "4 articles" in html
    timeline = html.split('id="timeline-h"')[1].split("</section>")[0]
    assert "First report" in timeline
    # Timeline in order of publication: the wire first, the ledger last.
    assert timeline.index("Quake shakes Veland") < timeline.index("Insurers brace")
    assert "(syndicated copy)" in timeline
    outlets = html.split('id="outlets-h"')[1]
    assert outlets.count('class="outlet-group"') == 3
    assert 'id="comments-heading"' in html


def test_merged_story_redirects(client, world):
    old = Story.objects.create(id="f" * 32, headline="old", merged_into=world["story"])
    r = client.get(old.get_absolute_url())
    assert r.status_code == 301 and r["Location"] == world["story"].get_absolute_url()


def test_source_page_with_feed_health(client, world):
    src = world["herald"]
    make_feed(src, title="Herald top news", last_success_at=timezone.now() - timedelta(minutes=30))
    make_feed(
        src,
        title="Herald sport",
        last_error_code="http_404",
        last_error_message="GET https://harbour.example/sport.xml returned 404",
        error_count=3,
        last_error_at=timezone.now() - timedelta(hours=1),
    )
    r = client.get(src.get_absolute_url())
    assert r.status_code == 200
    html = text_of(r)
    assert "Harbour Herald" in html
    assert "Working." in html and "Last read successfully <time" in html
    assert "The feed no longer exists at this address. 3 checks in a row have failed." in html
    assert "returned 404" in html  # the detail, for the curious
    assert "harbour towns count the damage" in html


def test_source_page_says_when_a_working_feed_s_pages_fail(client, world):
    src = world["ledger"]
    now = timezone.now()
    feed = make_feed(src, title="Ledger markets", last_success_at=now - timedelta(minutes=5))
    for n, (state, code) in enumerate(
        [(Entry.State.DONE, ""), (Entry.State.FAILED, "http_404"), (Entry.State.FAILED, "http_410")]
    ):
        Entry.objects.create(
            feed=feed,
            key=f"ledger-{n}",
            url=f"https://ledger.example/markets/{n}",
            state=state,
            error_code=code,
            error_message=f"server answered {code.removeprefix('http_')}" if code else "",
            updated_at=now - timedelta(minutes=30 - n),
        )
    html = text_of(client.get(src.get_absolute_url()))
    assert (
        "Working, but 2 of the 3 articles it listed in the last 7 days could not be read." in html
    )
    assert "<code>http_410</code>: server answered 410 (https://ledger.example/markets/2)" in html

    # Every recent page failed: the feed gives nothing, it is shown failing.
    Entry.objects.filter(state=Entry.State.DONE).update(
        state=Entry.State.FAILED, error_code="extraction", error_message="empty page"
    )
    health = feed_health(feed, now, page_health([feed.pk], now=now)[feed.pk])
    assert not health.ok and health.code == "http_410"
    assert health.summary.startswith("Working, but 3 of the 3 articles")


def test_topic_page(client, world):
    r = client.get(world["topic"].get_absolute_url())
    assert r.status_code == 200
    html = text_of(r)
    assert "Place" in html and "Veland" in html
    assert "3 articles" in html
    assert world["story"].get_absolute_url() in html


def test_topic_kinds_are_named_in_words(client):
    names = {"org": "Organisation", "topic": "Subject", "person": "Person", "place": "Place"}
    for kind, word in names.items():
        topic = make_topic(f"Sample {kind}", kind=kind)
        html = client.get(topic.get_absolute_url()).content.decode()
        assert f'<p class="kicker">{word}</p>' in html


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in {"iframe", "object", "embed"}:
            self.found.append(tag)
        if tag == "script" and not any(k == "src" for k, _ in attrs):
            self.found.append("inline script")
        for key, value in attrs:
            if key.startswith("on"):
                self.found.append(f"{tag}[{key}]")
            if key in {"href", "src"} and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag}[{key}]={value}")


def _active_content(html: str) -> list[str]:
    scanner = _Scanner()
    scanner.feed(html)
    return scanner.found


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_titles_and_text_are_inert(client):
    src = make_source(XSS)
    art = make_article(
        src,
        "Headline " + XSS,
        "Body " + XSS + " ferries",
        description="Teaser " + XSS,
        byline=XSS,
        html='<p onclick="alert(1)">Hi</p><script>alert(2)</script>'
        '<a href="javascript:alert(3)">x</a>'
        '<img src="https://img.example/a.jpg" onerror="alert(4)">'
        '<iframe src="https://evil.example"></iframe>',
    )
    story = make_story([art])
    story.article_count = 2
    story.save()
    topic = make_topic("Ferries", "topic", (art,))
    pages = [
        "/",
        art.get_absolute_url(),
        story.get_absolute_url(),
        src.get_absolute_url(),
        topic.get_absolute_url(),
        "/search?q=ferries",
        "/search?q=" + XSS,
    ]
    for url in pages:
        html = text_of(client.get(url))
        assert _active_content(html) == [], url
        assert "&lt;script&gt;" in html, url  # shown as text


def test_pages_are_cacheable(client, world):
    url = world["other"].get_absolute_url()
    r = client.get(url)
    assert "max-age=60" in r["Cache-Control"]
    assert "Cookie" in r["Vary"]
    etag = r["ETag"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    home = client.get("/")
    assert client.get("/", HTTP_IF_NONE_MATCH=home["ETag"]).status_code == 304


def test_non_latin_titles_get_working_urls(client):
    art = make_article(title="Землетрясение в Веланде", text="Текст статьи.")
    url = art.get_absolute_url()
    r = client.get(url)
    assert r.status_code == 200
    assert "Землетрясение в Веланде" in text_of(r)
    topic = make_topic("Мюнхен", "place", (art,))
    assert client.get(topic.get_absolute_url()).status_code == 200


def test_a_story_counts_its_outlets_alike_on_every_page(client):
    """A copy carried by an outlet that wrote no report of its own: the story's card,
    its page and the box on its articles all count that outlet."""
    from tidings.news.assign import _refresh_story

    wire, herald, ledger = (make_source(n) for n in ("Wire A", "Herald B", "Ledger C"))
    first = make_article(wire, "Ferry service resumes after the storm", "Ferries sailed.")
    second = make_article(herald, "Ferries back on the water", "Ferries sailed again.")
    copy = make_article(ledger, first.title, first.text, duplicate_of=first)
    story = make_story([first, second, copy])
    _refresh_story(story)  # as the worker counts it: the ranking's count leaves the copy out
    story.refresh_from_db()
    assert story.outlet_count == 2 and story.article_count == 3
    assert "3 outlets" in text_of(client.get("/"))
    assert "3 outlets" in text_of(client.get(story.get_absolute_url()))
    assert "3 articles from 3 outlets" in text_of(client.get(second.get_absolute_url()))


def test_an_article_in_another_language_says_so(client):
    """A screen reader reads a French report's headline and text with a French voice;
    the site's own words around them stay English."""
    art = make_article(
        title="Séisme au Veland : le bilan s'alourdit",
        text="Le bilan du séisme s'est encore alourdi.\n\nLes secours continuent.",
        language="fr",
    )
    html = text_of(client.get(art.get_absolute_url()))
    assert '<html lang="en">' in html
    assert '<h1 id="headline" lang="fr">' in html
    assert '<div class="article-body" lang="fr">' in html
    english = make_article(title="Quake toll rises", text="The toll rose.\n\nRescuers went on.")
    assert 'lang="' not in text_of(client.get(english.get_absolute_url())).split("<body", 1)[1]


def test_the_lead_image_keeps_its_description_and_caption(client):
    art = make_article(
        title="Ferries sail again",
        lead_image="https://cdn.example/ferry.jpg",
        lead_image_alt="Passengers board the 7.40 ferry",
        lead_image_caption="The first sailing in a week. Photograph: Ledger Pictures",
    )
    html = text_of(client.get(art.get_absolute_url()))
    figure = html.split('<figure class="lead-image">')[1].split("</figure>")[0]
    assert 'alt="Passengers board the 7.40 ferry"' in figure
    assert (
        "<figcaption>The first sailing in a week. Photograph: Ledger Pictures</figcaption>"
        in figure
    )
    plain = make_article(title="Ferries sail", lead_image="https://cdn.example/f.jpg")
    figure = text_of(client.get(plain.get_absolute_url())).split('<figure class="lead-image">')[1]
    assert (
        'alt=""' in figure.split("</figure>")[0]
        and "<figcaption>" not in figure.split("</figure>")[0]
    )


def test_the_site_offers_an_atom_feed_of_its_latest_articles(client, world):
    from xml.etree import ElementTree

    atom = "{http://www.w3.org/2005/Atom}"
    home = text_of(client.get("/"))
    assert '<link rel="alternate" type="application/atom+xml"' in home and 'href="/feed"' in home
    response = client.get("/feed")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    entries = feed.findall(f"{atom}entry")
    titles = [e.findtext(f"{atom}title") for e in entries]
    # Newest first, every original once (the syndicated copy is left out).
    assert titles[:3] == [
        "Insurers brace for Veland quake claims",
        "Veland earthquake: harbour towns count the damage",
        "Quake shakes Veland coast, ferries halted",
    ]
    assert len(titles) == len(set(titles)) == 4
    first = entries[2]
    link = first.find(f"{atom}link")
    assert link is not None and link.get("href", "").endswith(world["first"].get_absolute_url())
    assert first.findtext(f"{atom}author/{atom}name") == "Ana Kerr (Meridian Wire)"
    assert "strong earthquake shook" in (first.findtext(f"{atom}summary") or "")
    # One section's feed; a section no article is in is no feed.
    business = ElementTree.fromstring(client.get("/feed", {"category": "Business"}).content)
    assert [e.findtext(f"{atom}title") for e in business.findall(f"{atom}entry")] == [
        "Insurers brace for Veland quake claims"
    ]
    assert client.get("/feed", {"category": "Nowhere"}).status_code == 404
    # Entry ids are absolute (Atom's rule: two sites never share one).
    assert first.findtext(f"{atom}id", "").startswith("http://testserver/article/")
    # A section's name is written into its links as a query value ("Arts & Culture").
    make_article(title="Gallery reopens", category="Arts & Culture")
    arts = ElementTree.fromstring(client.get("/feed", {"category": "Arts & Culture"}).content)
    links = {link.get("rel"): link.get("href") for link in arts.findall(f"{atom}link")}
    assert links["self"] == "http://testserver/feed?category=Arts+%26+Culture"
    assert links["alternate"] == "http://testserver/?category=Arts+%26+Culture"
    assert [e.findtext(f"{atom}title") for e in arts.findall(f"{atom}entry")] == ["Gallery reopens"]
