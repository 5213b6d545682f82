from __future__ import annotations

import contextlib
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidings.core.errors import OPMLError
from tidings.core.opml import Outline, SkippedOutline, parse_opml, read_opml, write_opml

DATA = Path(__file__).parent / "data" / "opml"


def test_nested_outlines_are_flattened() -> None:
    outlines = parse_opml((DATA / "nested.opml").read_bytes())
    assert outlines == [
        Outline(
            title="The Millbrook Ledger",
            xml_url="https://ledger.example/feed.xml",
            html_url="https://ledger.example/",
            category="News/Local",
        ),
        Outline(
            title="Café Gazette",
            xml_url="http://gazette.example/rss",
            html_url=None,
            category="News/Local",
        ),
        Outline(
            title="https://atom.example/blog/feed.atom",
            xml_url="https://atom.example/blog/feed.atom",
            html_url="https://atom.example/blog/",
            category="News",
        ),
        Outline(
            title="Science Digest",
            xml_url="https://science.example/rss",
            html_url=None,
            category="Science",
        ),
        Outline(
            title="A homepage", xml_url="https://homepage.example/", html_url=None, category=None
        ),
        Outline(
            title="http://podcast.example/feed",
            xml_url="http://podcast.example/feed",
            html_url=None,
            category=None,
        ),
    ]


def test_skipped_outlines_are_named_with_their_reason() -> None:
    opml = read_opml((DATA / "nested.opml").read_bytes())
    assert opml.outlines == parse_opml((DATA / "nested.opml").read_bytes())
    assert opml.skipped == [
        SkippedOutline(
            "No URL at all", "", "opml_no_url", "the outline gives no feed address (xmlUrl)"
        ),
        SkippedOutline(
            "Not http",
            "javascript:alert(1)",
            "invalid_url",
            "unsupported URL scheme 'javascript': only http and https feeds can be subscribed",
        ),
        SkippedOutline(
            "Duplicate",
            "https://ledger.example/feed.xml",
            "opml_duplicate",
            "the same feed address as an outline earlier in the file (“The Millbrook Ledger”)",
        ),
    ]


def test_every_unusable_outline_is_skipped_with_a_stable_code() -> None:
    opml = read_opml((DATA / "skipped.opml").read_bytes())
    # The private address is a well-formed feed URL: the importer's address guard refuses it.
    assert [(o.title, o.xml_url) for o in opml.outlines] == [
        ("Harbour Gazette", "https://harbour-gazette.example/feed.xml"),
        ("Sailing Weekly", "https://sailing-weekly.example/rss"),
        ("Private", "http://10.0.0.5/feed.xml"),
    ]
    reasons = {o.title: (o.url, o.code, o.message) for o in opml.skipped}
    assert len(reasons) == len(opml.skipped) == 8
    assert reasons["Archive over FTP"] == (
        "ftp://files.harbour-gazette.example/feed.xml",
        "invalid_url",
        "unsupported URL scheme 'ftp': only http and https feeds can be subscribed",
    )
    assert reasons["Relative feed"] == (
        "feeds/news.xml",
        "invalid_url",
        "relative address: an outline must give the feed's full address (http:// or https://)",
    )
    assert reasons["Feed without an address"] == (
        "",
        "opml_no_url",
        "the outline gives no feed address (xmlUrl)",
    )
    assert reasons["Homepage only"] == (
        "",
        "opml_no_url",
        "the outline gives no feed address (xmlUrl), only a homepage "
        "(https://lighthouse-news.example/)",
    )
    assert reasons["Empty folder"][1] == "opml_no_url"
    assert reasons["Gazette again"][1:] == (
        "opml_duplicate",
        "the same feed address as an outline earlier in the file (“Harbour Gazette”)",
    )
    assert reasons["Mail link"][1] == "invalid_url"
    assert "'mailto'" in reasons["Mail link"][2]
    assert reasons["No host"] == ("https:///feed.xml", "invalid_url", "the address has no host")


def test_round_trip() -> None:
    outlines = parse_opml((DATA / "nested.opml").read_bytes())
    written = write_opml(outlines, title="Round trip")
    assert written.startswith(b"<?xml")
    assert b"<title>Round trip</title>" in written
    assert parse_opml(written) == outlines


def test_write_escapes_and_cleans() -> None:
    outlines = [
        Outline(
            title='Quotes " & <tags> \x00',
            xml_url="https://x.example/feed?a=1&b=2",
            html_url=None,
            category="A/B",
        )
    ]
    back = parse_opml(write_opml(outlines))
    assert back == [
        Outline(
            title='Quotes " & <tags>',
            xml_url="https://x.example/feed?a=1&b=2",
            html_url=None,
            category="A/B",
        )
    ]


@pytest.mark.parametrize("name", ["billion_laughs.opml", "xxe.opml"])
def test_entity_attacks_refused(name: str) -> None:
    with pytest.raises(OPMLError) as info:
        parse_opml((DATA / name).read_bytes())
    assert info.value.code == "unsafe_xml"


def test_external_dtd_is_not_read() -> None:
    outlines = parse_opml((DATA / "external_dtd.opml").read_bytes())
    assert [o.xml_url for o in outlines] == ["https://fine.example/feed"]
    assert "root:" not in repr(outlines)


def test_secret_file_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("OPML-SECRET-99")
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY s SYSTEM "{secret.as_uri()}">]>'
        '<opml><body><outline text="&s;" xmlUrl="https://x.example/f"/></body></opml>'
    ).encode()
    try:
        outlines = parse_opml(doc)
    except OPMLError:
        return
    assert "OPML-SECRET" not in repr(outlines)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"<html><body>not opml</body></html>",
        b"<opml><head/></opml>",
        b"<opml><body><outline",
        b"\xff\xfe\x00garbage",
    ],
)
def test_not_opml(content: bytes) -> None:
    with pytest.raises(OPMLError):
        parse_opml(content)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1024))
def test_arbitrary_bytes(content: bytes) -> None:
    with contextlib.suppress(OPMLError):
        parse_opml(b"<opml><body>" + content)


# Parsed text is NFC-normalised, so generate it normalised (e.g. U+F900 becomes U+8C48).
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")), max_size=20
).map(lambda t: unicodedata.normalize("NFC", t))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_text, st.integers(0, 10**6), st.lists(_text, max_size=3)), max_size=8))
def test_round_trip_property(items: list[tuple[str, int, list[str]]]) -> None:
    outlines: list[Outline] = []
    for title, number, folders in items:
        url = f"https://feeds.example/{number}"
        if any(o.xml_url == url for o in outlines):
            continue
        parts = [" ".join(f.replace("/", " ").split()) for f in folders]
        category = "/".join(p for p in parts if p) or None
        clean_title = " ".join(title.split())
        outlines.append(
            Outline(title=clean_title or url, xml_url=url, html_url=None, category=category)
        )
    # Outlines come back grouped by folder, so compare without order.
    assert sorted(parse_opml(write_opml(outlines)), key=repr) == sorted(outlines, key=repr)
