"""The publisher simulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import httpx
import pytest

from tidings.core.simulator import Fault, SimCorpus, Simulator
from tidings.demo import load_corpus

DATA = Path(__file__).parent / "data"
SAMPLE = "Sample content for the Tidings demo"


def _first_link(sim: Simulator, outlet: str = "meridian-wire") -> str:
    feed = feedparser.parse(httpx.get(f"{sim.base_url}/{outlet}/feed.rss").content)
    return str(feed.entries[0].link)


# --- normal service -------------------------------------------------------------------


def test_every_rss_and_atom_feed_is_valid_and_complete(sim: Simulator) -> None:
    demo = load_corpus()
    for kind in ("rss", "atom"):
        total = 0
        for url in sim.feed_urls(kind):
            response = httpx.get(url)
            assert response.status_code == 200
            ET.fromstring(response.content)  # well-formed XML
            feed = feedparser.parse(response.content)
            assert not feed.bozo, (url, feed.get("bozo_exception"))
            assert feed.version == ("rss20" if kind == "rss" else "atom10")
            assert SAMPLE in (feed.feed.get("subtitle") or "")
            for entry in feed.entries:
                assert entry.title and entry.link and entry.published_parsed
                assert "utm_source=rss" in entry.link
            total += len(feed.entries)
        assert total == len(demo.articles)


def test_feed_dates_follow_the_corpus_ages(sim: Simulator) -> None:
    feed = feedparser.parse(httpx.get(f"{sim.base_url}/meridian-wire/feed.atom").content)
    newest = min(a.age_minutes for a in load_corpus().articles_of("meridian-wire"))
    age = (time.time() - time.mktime(feed.entries[0].published_parsed) + time.timezone) / 60
    assert abs(age - newest) < 5


def test_homepage_advertises_both_feeds(sim: Simulator) -> None:
    for url in sim.homepage_urls():
        html = httpx.get(url).text
        assert 'rel="alternate" type="application/rss+xml"' in html
        assert 'rel="alternate" type="application/atom+xml"' in html
        assert SAMPLE in html


def test_article_page_has_body_and_furniture(sim: Simulator) -> None:
    article = load_corpus().article("harbour-herald/we-heard-her-tapping-rescue-harrow-street")
    url = sim.article_url(article.outlet, article.slug)
    html = httpx.get(url + "?utm_source=rss").text
    for paragraph in article.paragraphs:
        assert paragraph.replace("'", "&#x27;") in html
    for furniture in (
        "Advertisement",
        "More stories",
        "Get the morning briefing",
        'aria-label="Breadcrumb"',
        'aria-label="Share this article"',
        "Cookie consent",
        "About the author",
        "<figcaption>",
        "Photograph: The Harbour Herald / Mairead Quinn",
        'class="related"',
        "<footer",
        SAMPLE,
    ):
        assert furniture in html, furniture
    assert f'<link rel="canonical" href="{url}">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert ld is not None
    data = json.loads(ld.group(1))
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == article.title
    assert data["author"][0]["name"] == article.byline
    assert data["datePublished"]
    assert f'<time datetime="{data["datePublished"]}"' in html


def test_teasers_carry_other_headlines_and_first_lines(sim: Simulator) -> None:
    html = httpx.get(_first_link(sim, "civic-monitor")).text
    teasers = html.split('class="more-stories"')[1]
    others = load_corpus().articles_of("civic-monitor")[1:3]
    for other in others:
        assert other.title.replace("'", "&#x27;") in teasers
        assert other.paragraphs[0].split(". ")[0].replace("'", "&#x27;") in teasers


def test_images_logo_and_robots(sim: Simulator) -> None:
    robots = httpx.get(f"{sim.base_url}/robots.txt")
    assert robots.status_code == 200 and "User-agent: *" in robots.text
    logo = httpx.get(f"{sim.base_url}/greenline/logo.svg")
    assert logo.headers["content-type"].startswith("image/svg+xml")
    ET.fromstring(logo.content)
    page = httpx.get(_first_link(sim, "greenline")).text
    image_url = re.search(r'<meta property="og:image" content="([^"]+)"', page)
    assert image_url is not None
    image = httpx.get(image_url.group(1))
    assert image.status_code == 200 and b"sample image" in image.content
    assert httpx.get(f"{sim.base_url}/greenline/no/such-article").status_code == 404
    assert httpx.get(f"{sim.base_url}/no-such-outlet/").status_code == 404


def test_conditional_get_answers_304(sim: Simulator) -> None:
    url = sim.feed_urls()[2]
    first = httpx.get(url)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    by_etag = httpx.get(url, headers={"If-None-Match": etag})
    assert by_etag.status_code == 304 and by_etag.content == b""
    by_date = httpx.get(url, headers={"If-Modified-Since": last_modified})
    assert by_date.status_code == 304
    stale = httpx.get(url, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200 and stale.content == first.content


def test_request_log_records_path_and_headers(sim: Simulator) -> None:
    httpx.get(sim.feed_urls()[0] + "?x=1", headers={"User-Agent": "TidingsTest/1.0"})
    (entry,) = sim.request_log
    assert entry.path == urlsplit(sim.feed_urls()[0]).path + "?x=1"
    assert entry.headers["user-agent"] == "TidingsTest/1.0"
    assert entry.status == 200 and entry.time <= time.time()


def test_an_answered_request_has_its_status_in_the_log_at_once(sim: Simulator) -> None:
    """The status is recorded before the status line goes out, not after the body."""
    with httpx.Client() as client:
        for n in range(30):
            client.get(f"{sim.feed_urls()[0]}?n={n}")
            assert sim.request_log[-1].status == 200
        client.get(f"{sim.base_url}/no-such-outlet/")
        assert sim.request_log[-1].status == 404


def test_only_loopback_is_served() -> None:
    with pytest.raises(ValueError):
        Simulator(SimCorpus.from_demo(), host="0.0.0.0")
    with Simulator(SimCorpus.from_demo(), host="localhost") as sim:
        assert sim.base_url.startswith("http://127.0.0.1:")


def test_from_records_serves_raw_html_as_is_in_distinct_copies() -> None:
    raw = (DATA / "bench-page.html").read_text(encoding="utf-8")
    corpus = SimCorpus.from_records([{"title": "Quarry station", "html": raw}], copies=3)
    assert len(corpus.articles) == 3
    with Simulator(corpus) as sim:
        feed = feedparser.parse(httpx.get(sim.feed_urls()[0]).content)
        links = {entry.link.split("?")[0] for entry in feed.entries}
        assert len(links) == 3
        for link in links:
            assert httpx.get(link).text == raw


# --- faults ---------------------------------------------------------------------------


def test_slow_fault_delays_the_response(sim: Simulator) -> None:
    url = sim.feed_urls()[0]
    sim.set_fault("/meridian-wire/feed.rss", Fault.slow(0.6))
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(url, timeout=httpx.Timeout(5.0, read=0.2))
    started = time.monotonic()
    assert httpx.get(url).status_code == 200
    assert time.monotonic() - started >= 0.6


def test_trickle_fault_sends_one_byte_at_a_time(sim: Simulator) -> None:
    sim.set_fault("*/feed.rss", Fault.trickle(0.15))
    started = time.monotonic()
    with httpx.stream("GET", sim.feed_urls()[0]) as response:
        assert response.status_code == 200
        assert time.monotonic() - started < 0.5  # headers come at once
        chunks = []
        for chunk in response.iter_raw():
            chunks.append(chunk)
            if len(chunks) == 4:
                break
    assert [len(c) for c in chunks] == [1, 1, 1, 1]
    assert time.monotonic() - started >= 0.45
    assert int(response.headers["content-length"]) > 1000


def test_server_error_fault_and_times(sim: Simulator) -> None:
    url = sim.feed_urls()[1]
    sim.set_fault("*", Fault.server_error(503, times=2))
    assert [httpx.get(url).status_code for _ in range(3)] == [503, 503, 200]


def test_too_many_requests_fault_sends_retry_after(sim: Simulator) -> None:
    sim.set_fault("/greenline/*", Fault.too_many_requests(retry_after=7))
    response = httpx.get(f"{sim.base_url}/greenline/feed.atom")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"


def test_not_modified_fault(sim: Simulator) -> None:
    sim.set_fault("*", Fault.not_modified())
    response = httpx.get(sim.feed_urls()[0])
    assert response.status_code == 304 and response.content == b""


def test_redirect_chain_has_the_requested_number_of_hops(sim: Simulator) -> None:
    url = sim.homepage_urls()[3]
    direct = httpx.get(url).text
    sim.set_fault("*", Fault.redirects(4))
    response = httpx.get(url, follow_redirects=True)
    assert response.status_code == 200 and len(response.history) == 4
    assert response.text == direct
    first = httpx.get(url)
    assert first.status_code == 302
    assert first.headers["location"].startswith(sim.base_url)
    with httpx.Client(max_redirects=3) as client, pytest.raises(httpx.TooManyRedirects):
        client.get(url, follow_redirects=True)


def test_redirect_to_private_address(sim: Simulator) -> None:
    sim.set_fault("/copper-ledger/feed.rss", Fault.redirect_private())
    response = httpx.get(f"{sim.base_url}/copper-ledger/feed.rss")
    assert response.status_code == 302
    assert response.headers["location"] == "http://169.254.169.254/latest/meta-data/"


def test_gzip_bomb_is_small_on_the_wire_and_huge_inflated(sim: Simulator) -> None:
    sim.set_fault("/fieldhouse/", Fault.gzip_bomb(1 << 30))
    inflated = 0
    with httpx.stream("GET", f"{sim.base_url}/fieldhouse/") as response:
        assert response.headers["content-encoding"] == "gzip"
        assert int(response.headers["content-length"]) < 2 << 20
        for chunk in response.iter_bytes():
            inflated += len(chunk)
            if inflated >= 64 << 20:
                break
        on_wire = response.num_bytes_downloaded
    assert inflated >= 64 << 20
    assert on_wire < inflated / 200


def test_broken_xml_fault(sim: Simulator) -> None:
    sim.set_fault("*/feed.*", Fault.broken_xml())
    for url in (sim.feed_urls()[0], sim.feed_urls("atom")[0]):
        body = httpx.get(url).content
        with pytest.raises(ET.ParseError):
            ET.fromstring(body)
        assert feedparser.parse(body).bozo


def test_wrong_charset_fault(sim: Simulator) -> None:
    url = f"{sim.base_url}/le-veilleur/feed.rss"
    good = httpx.get(url).content
    sim.set_fault("/le-veilleur/*", Fault.wrong_charset())
    response = httpx.get(url)
    assert "charset=utf-8" in response.headers["content-type"]
    assert b'encoding="utf-8"' in response.content
    good.decode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")
    assert response.content.decode("cp1252") == good.decode("utf-8")


def test_duplicate_guids_fault(sim: Simulator) -> None:
    url = sim.feed_urls()[0]
    normal = feedparser.parse(httpx.get(url).content)
    sim.set_fault("*", Fault.duplicate_guids())
    feed = feedparser.parse(httpx.get(url).content)
    assert len(feed.entries) == 2 * len(normal.entries)
    ids = [entry.id for entry in feed.entries]
    assert len(set(ids)) < len(normal.entries)
    links_by_id: dict[str, set[str]] = {}
    for entry in feed.entries:
        links_by_id.setdefault(entry.id, set()).add(entry.link)
    assert any(len(links) == 2 for links in links_by_id.values()), "two articles share a GUID"


def test_fault_glob_only_matches_its_paths(sim: Simulator) -> None:
    sim.set_fault("/harbour-herald/*", Fault.server_error(500))
    assert httpx.get(f"{sim.base_url}/harbour-herald/feed.rss").status_code == 500
    assert httpx.get(f"{sim.base_url}/greenline/feed.rss").status_code == 200
    sim.clear_faults()
    assert httpx.get(f"{sim.base_url}/harbour-herald/feed.rss").status_code == 200


def test_command_line_prints_the_feed_urls() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tidings.core.simulator", "--port", "0", "--demo"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert SAMPLE in banner
        assert process.stdout.readline().strip() == "Feeds:"
        first_feed = process.stdout.readline().strip()
        assert first_feed.endswith("/meridian-wire/feed.rss")
        assert httpx.get(first_feed).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
