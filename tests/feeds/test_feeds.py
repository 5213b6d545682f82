from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tidings.core.errors import FeedError, NotAFeedError
from tidings.core.feeds import ParsedFeed, looks_like_feed, parse_feed, parse_with

from ._golden import DATA, FEED_URL, as_json, expected_path, fixtures

MALICIOUS = DATA / "malicious"
RECOVERY = DATA / "recovery"


@pytest.mark.parametrize("path", fixtures(), ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    feed = parse_feed(path.read_bytes(), url=FEED_URL)
    expected = json.loads(expected_path(path).read_text(encoding="utf-8"))
    assert as_json(feed) == expected


@pytest.mark.parametrize("path", fixtures(), ids=lambda p: p.name)
def test_invariants(path: Path) -> None:
    feed = parse_feed(path.read_bytes(), url=FEED_URL)
    assert feed.entries
    for entry in feed.entries:
        if entry.url is not None:
            assert entry.url.startswith(("http://", "https://"))
        if entry.image is not None:
            assert entry.image.startswith(("http://", "https://"))
        for moment in (entry.published, entry.updated):
            assert moment is None or moment.utcoffset() is not None
        for text in (entry.title, entry.summary, entry.content_html or ""):
            text.encode("utf-8")  # valid UTF-8, no lone surrogates
            assert "\x00" not in text
        assert entry.guid


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("rss091.xml", "rss"),
        ("rss092.xml", "rss"),
        ("rss20.xml", "rss"),
        ("rss10.rdf", "rdf"),
        ("atom10.xml", "atom"),
        ("atom03.xml", "atom"),
        ("jsonfeed10.json", "json"),
        ("jsonfeed11.json", "json"),
    ],
)
def test_kind(name: str, kind: str) -> None:
    assert parse_feed((DATA / name).read_bytes(), url=FEED_URL).kind == kind


def test_rss20_fields() -> None:
    feed = parse_feed((DATA / "rss20.xml").read_bytes(), url="https://ledger.example/feed.xml")
    assert feed.title == "The Millbrook Ledger (sample)"
    assert feed.homepage == "https://ledger.example/"
    assert feed.language == "en-gb"
    assert feed.icon == "https://ledger.example/static/logo.png"
    first, second, third = feed.entries
    assert first.guid == "ledger-1001"
    assert first.url is not None
    assert first.url.startswith("https://ledger.example/news/2024/03/council-bus-routes?")
    assert first.title == "Council approves new bus routes & cycle lanes"
    assert first.summary == "The council voted 7–2 to add three bus routes."
    assert first.published == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    assert first.tags == ("Transport", "Council")
    assert first.author == "Priya Nandakumar"
    assert first.image == "https://cdn.ledger.example/thumbs/bus.jpg"
    assert first.content_html is not None
    assert 'href="https://ledger.example/topics/cycling"' in first.content_html
    assert second.author == "Tomasz Wierzbicki"
    assert second.image == "https://ledger.example/media/library.jpg"
    assert second.content_html is None
    assert third.url == "https://ledger.example/news/2024/03/weather-warning"
    assert third.published is None


def test_atom_xml_base_resolves_links() -> None:
    feed = parse_feed((DATA / "atom10.xml").read_bytes(), url="https://elsewhere.example/x")
    first, second = feed.entries
    assert feed.homepage == "https://atom.example/blog/"
    assert first.url == "https://atom.example/blog/posts/biblioteca"
    assert second.url == "https://otro.example/noticias/mercado"
    assert first.title == "Nueva biblioteca abre en el centro"
    assert first.published == datetime(2024, 3, 5, 11, 0, tzinfo=UTC)
    assert first.updated == datetime(2024, 3, 5, 13, 30, tzinfo=UTC)
    assert second.published == datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


def test_rss091_html_entities_from_the_netscape_dtd() -> None:
    feed = parse_feed((DATA / "rss091.xml").read_bytes(), url="http://gazette.example/rss")
    assert feed.title == "Café Gazette (sample)"
    assert feed.entries[0].summary.startswith("Après trois mois")
    assert feed.entries[1].url == "http://gazette.example/articles/concert.html"


def test_json_feed_fields() -> None:
    feed = parse_feed(
        (DATA / "jsonfeed11.json").read_bytes(), url="https://radio.example/feed.json"
    )
    first, second = feed.entries
    assert feed.language == "en-ca"
    assert feed.icon == "https://radio.example/icon-512.png"
    assert first.url == "https://radio.example/stories/aurora-forecast"
    assert first.published == datetime(2024, 3, 2, 1, 0, tzinfo=UTC)
    assert first.image == "https://radio.example/images/aurora.jpg"
    assert second.url == "https://elsewhere.example/story"
    assert second.published is None
    assert second.author == "Newsroom"


def test_guid_fallbacks() -> None:
    feed = parse_feed((DATA / "guids.xml").read_bytes(), url="https://guids.example/rss")
    first, second, third, fourth, scripted, protocol_relative = feed.entries
    # duplicate guids are kept; the caller tells the items apart by URL
    assert first.guid == second.guid == "same"
    assert first.url != second.url
    assert third.guid == third.url == "https://guids.example/a/third"
    assert fourth.url is None
    assert fourth.guid is not None and fourth.guid.startswith("urn:sha256:")
    # stable: the same title and date give the same fallback id
    again = parse_feed((DATA / "guids.xml").read_bytes(), url="https://guids.example/rss")
    assert again.entries[3].guid == fourth.guid
    assert scripted.url is None
    assert protocol_relative.url == "https://cdn.guids.example/a/fourth"


def test_dates() -> None:
    feed = parse_feed((DATA / "dates_odd.xml").read_bytes(), url=FEED_URL)
    got = [e.published for e in feed.entries]
    assert got == [
        datetime(2024, 3, 5, 14, 30, tzinfo=UTC),
        datetime(2024, 3, 5, 9, 30, tzinfo=UTC),
        datetime(2024, 3, 5, 9, 30, tzinfo=UTC),
        datetime(2024, 3, 5, 4, 0, tzinfo=UTC),
        datetime(2024, 3, 6, 5, 30, tzinfo=UTC),
        datetime(2024, 3, 5, 8, 30, tzinfo=UTC),
        None,
        None,
    ]


@pytest.mark.parametrize(
    ("name", "title", "summary"),
    [
        ("enc_cp1252_declared_latin1.xml", "It’s a “test” — really", "Price: 5 € · naïve café"),
        ("enc_utf8_declared_cp1252.xml", "Grüße aus Zürich", "Straße – 10 °C"),
        ("enc_utf16_bom.xml", "Τίτλος", "Κείμενο"),
        ("enc_utf8_bom.xml", "Déjà vu", "日本語のテキスト"),
        ("enc_nul_bytes.xml", "Title one", "Body text here"),
        ("enc_invalid_utf8.xml", "Title with Ã( bad sequence", "Café and “quotes”"),
    ],
)
def test_encodings(name: str, title: str, summary: str) -> None:
    entry = parse_feed((DATA / name).read_bytes(), url=FEED_URL).entries[0]
    assert (entry.title, entry.summary) == (title, summary)


def test_header_charset_conflicting_with_declaration() -> None:
    raw = (DATA / "enc_cp1252_declared_latin1.xml").read_bytes()
    feed = parse_feed(raw, url=FEED_URL, content_type="application/rss+xml; charset=utf-8")
    assert feed.entries[0].title == "It’s a “test” — really"
    utf8 = (DATA / "enc_utf8_declared_cp1252.xml").read_bytes()
    feed = parse_feed(utf8, url=FEED_URL, content_type="text/xml; charset=iso-8859-1")
    assert feed.entries[0].title == "Grüße aus Zürich"


# --- attacks -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["billion_laughs.xml", "xxe_file.xml", "parameter_entity.xml"])
def test_entity_declarations_are_refused(name: str) -> None:
    with pytest.raises(FeedError) as info:
        parse_feed((MALICIOUS / name).read_bytes(), url=FEED_URL)
    assert info.value.code == "unsafe_xml"
    # Still recognised as a feed, so subscribing to it says why it is refused
    # (unsafe_xml) rather than that there is no feed there.
    assert looks_like_feed((MALICIOUS / name).read_bytes())


@pytest.mark.parametrize(
    ("content", "is_feed"),
    [
        # The DOCTYPE names the root, however long its internal subset.
        (b'<!DOCTYPE rss [<!ENTITY a "' + b"A" * 8000 + b'">]><rss><channel/></rss>', True),
        (b'<!DOCTYPE rdf:RDF [<!ENTITY a "<b>x</b>">]><rdf:RDF/>', True),
        (b'<!-- <rss> --><feed xmlns="http://www.w3.org/2005/Atom"><!ENTITY a "b"></feed>', True),
        (b'<!DOCTYPE html [<!ENTITY a "b">]><html><body>&a;</body></html>', False),
    ],
)
def test_unsafe_documents_are_sniffed_by_their_root(content: bytes, is_feed: bool) -> None:
    assert looks_like_feed(content) is is_feed
    with pytest.raises(FeedError) as info:
        parse_feed(content, url=FEED_URL)
    assert info.value.code == "unsafe_xml"


def test_quadratic_blowup_is_refused() -> None:
    big = "A" * 50_000
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "{big}">]>'
        f'<rss version="2.0"><channel><title>Q</title><item><title>q</title>'
        f"<description>{'&a;' * 50_000}</description></item></channel></rss>"
    )
    with pytest.raises(FeedError):
        parse_feed(doc.encode(), url=FEED_URL)


def test_external_dtd_is_dropped_and_not_read() -> None:
    feed = parse_feed((MALICIOUS / "external_dtd.xml").read_bytes(), url=FEED_URL)
    assert feed.entries[0].title == "Still a feed"
    assert "root:" not in json.dumps(as_json(feed))


def _secret_feed(template: str, secret: Path) -> bytes:
    return template.replace("SECRET", secret.as_uri()).encode()


@pytest.mark.parametrize(
    "template",
    [
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY s SYSTEM "SECRET">]>'
        "<rss><channel><title>&s;</title><item><title>&s;</title></item></channel></rss>",
        '<?xml version="1.0"?><!DOCTYPE rss SYSTEM "SECRET">'
        "<rss><channel><title>t</title><item><title>&s;</title></item></channel></rss>",
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p SYSTEM "SECRET"> %p;]>'
        "<rss><channel><title>t</title><item><title>x</title></item></channel></rss>",
        '<!DOCTYPE feed [<!ENTITY s SYSTEM "SECRET">]><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>&s;</title><entry><title>&s;</title><id>1</id></entry></feed>",
        '<rss><channel><title>t</title><!DOCTYPE x [<!ENTITY s SYSTEM "SECRET">]>'
        "<item><title>&s;</title></item></channel></rss>",
    ],
)
def test_secret_file_never_appears(tmp_path: Path, template: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENTS-4711")
    doc = _secret_feed(template, secret)
    for engine in ("fastfeedparser", "feedparser"):
        try:
            result: ParsedFeed | None = parse_with(doc, url=FEED_URL, engine=engine)
        except FeedError:
            result = None
        if result is not None:
            assert "TOP-SECRET" not in json.dumps(as_json(result))
    try:
        feed = parse_feed(doc, url=FEED_URL)
    except FeedError:
        return
    assert "TOP-SECRET" not in json.dumps(as_json(feed))


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b'<!ENTITY s "FROM-THE-NETWORK">'
        self.send_response(200)
        self.send_header("Content-Type", "application/xml-dtd")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def dtd_server() -> Iterator[str]:
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_no_network_access_for_dtds_or_entities(dtd_server: str) -> None:
    docs = [
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{dtd_server}/evil.dtd">'
        "<rss><channel><title>t</title><item><title>&s;</title></item></channel></rss>",
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % d SYSTEM "{dtd_server}/p.dtd"> %d;]>'
        "<rss><channel><title>t</title><item><title>&s;</title></item></channel></rss>",
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY s SYSTEM "{dtd_server}/e">]>'
        "<rss><channel><title>&s;</title><item><title>&s;</title></item></channel></rss>",
    ]
    for doc in docs:
        try:
            feed = parse_feed(doc.encode(), url=FEED_URL)
        except FeedError:
            continue
        assert "FROM-THE-NETWORK" not in json.dumps(as_json(feed))
    assert _Recorder.hits == []


# --- not feeds and broken feeds --------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"   \n",
        b"<!doctype html><html><head><title>Sample page</title></head><body>Hi</body></html>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
        b"just some text",
        b'{"hello": "world"}',
        b"[1, 2, 3]",
    ],
)
def test_not_a_feed(content: bytes) -> None:
    with pytest.raises(NotAFeedError):
        parse_feed(content, url=FEED_URL)
    assert not looks_like_feed(content)


@pytest.mark.parametrize("path", fixtures(), ids=lambda p: p.name)
def test_looks_like_feed(path: Path) -> None:
    assert looks_like_feed(path.read_bytes())


def test_truncated_feed_still_yields_items_or_feed_error() -> None:
    raw = (DATA / "rss20.xml").read_bytes()
    for cut in range(0, len(raw), 97):
        with contextlib.suppress(FeedError):
            parse_feed(raw[:cut], url=FEED_URL)


@pytest.mark.parametrize(
    ("name", "fault", "near"),
    [
        # <title> never closed: the one item swallowed, its link lost.
        ("unclosed_title.xml", "mismatched tag", "<title>x</item></channel>"),
        # Cut short before the first item.
        ("cut_before_items.xml", "unclosed token", "harbour town</descri"),
        # xml:base sends it to feedparser first; neither engine recovers an entry.
        ("atom_base_unclosed.xml", "mismatched tag", "</entry>"),
    ],
)
def test_broken_feed_with_nothing_recoverable_is_a_parse_error(
    name: str, fault: str, near: str
) -> None:
    with pytest.raises(FeedError) as info:
        parse_feed((RECOVERY / name).read_bytes(), url=FEED_URL)
    error = info.value
    assert not isinstance(error, NotAFeedError)
    assert error.code == "feed_parse"
    assert error.url == FEED_URL
    assert error.message.startswith(f"the feed is not well-formed XML ({fault} near “")
    assert near in error.message
    assert error.message.endswith("and no item with a link could be read from it")


@pytest.mark.parametrize(
    ("name", "links"),
    [
        (
            "cut_in_last_item.xml",
            [
                "https://harbour-gazette.example/news/ferry-winter-timetable",
                "https://harbour-gazette.example/news/lighthouse-reopens",
            ],
        ),
        (
            "stray_tags.xml",
            [
                "https://harbour-gazette.example/news/sea-wall-vote",
                "https://harbour-gazette.example/sport/sailing-cup",
            ],
        ),
        (
            "atom_base_stray_tag.xml",
            ["https://harbour-gazette.example/news/ferry-winter-timetable"],
        ),
    ],
)
def test_slightly_broken_feed_keeps_the_items_it_yields(name: str, links: list[str]) -> None:
    feed = parse_feed((RECOVERY / name).read_bytes(), url=FEED_URL)
    assert feed.title == "The Harbour Gazette (sample)"
    assert [entry.url for entry in feed.entries if entry.url] == links


@pytest.mark.parametrize("name", ["empty_channel.xml", "empty_channel_then_junk.xml"])
def test_complete_feed_without_items_is_an_empty_feed(name: str) -> None:
    # Junk after the closing </rss> (a server warning) lost nothing of the feed.
    feed = parse_feed((RECOVERY / name).read_bytes(), url=FEED_URL)
    assert feed.title == "The Harbour Gazette (sample)"
    assert feed.homepage == "https://harbour-gazette.example/"
    assert feed.entries == ()


def test_bad_json_feed() -> None:
    with pytest.raises(FeedError):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1.1", "items": [', url=FEED_URL)
    deep = b'{"items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(FeedError):
        parse_feed(deep, url=FEED_URL)
    odd = json.dumps({"version": "https://jsonfeed.org/version/1", "items": [1, None, {"id": {}}]})
    feed = parse_feed(odd.encode(), url=FEED_URL)
    assert len(feed.entries) == 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_crash(content: bytes) -> None:
    try:
        result = parse_feed(content, url=FEED_URL)
    except FeedError:
        return
    assert isinstance(result, ParsedFeed)


_FEED_PREFIXES = [
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>',
    b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>',
    b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "',
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><item><title>',
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_FEED_PREFIXES), st.binary(max_size=1024))
def test_feed_like_garbage_never_crashes(prefix: bytes, tail: bytes) -> None:
    try:
        result = parse_feed(prefix + tail, url=FEED_URL)
    except FeedError:
        return
    for entry in result.entries:
        entry.title.encode("utf-8")
        entry.summary.encode("utf-8")


def test_a_huge_description_is_cut_to_a_teaser() -> None:
    """A feed item whose description runs to megabytes keeps a teaser, not the lot."""
    words = "Harbour news from the north quay. " * 200_000  # 6.8 MB
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Sample</title>'
        "<link>https://sample.example/</link><item><title>Long one</title>"
        f"<link>https://sample.example/a</link><description>{words}</description></item>"
        "</channel></rss>"
    ).encode()
    (entry,) = parse_feed(feed, url="https://sample.example/feed").entries
    assert 1000 < len(entry.summary) <= 2001 and entry.summary.endswith("…")
    assert entry.summary.startswith("Harbour news from the north quay.")
