from __future__ import annotations

from pathlib import Path

import pytest

from tidings.core.discover import DiscoveredFeed, discover_feeds

PAGES = Path(__file__).parent / "data" / "pages"


def test_link_alternate_first_comments_last_then_hints() -> None:
    found = discover_feeds((PAGES / "blog_home.html").read_bytes(), "https://ledger.example/")
    assert found == [
        DiscoveredFeed(
            url="https://ledger.example/feed/", title="The Millbrook Ledger » Feed", kind="rss"
        ),
        DiscoveredFeed(url="https://ledger.example/news/atom.xml", title="Atom", kind="atom"),
        DiscoveredFeed(url="https://ledger.example/news/feed.json", title="JSON", kind="json"),
        DiscoveredFeed(
            url="https://ledger.example/comments/feed/", title="Comments Feed", kind="rss"
        ),
        DiscoveredFeed(url="https://ledger.example/rss.xml", title="RSS", kind="rss"),
        DiscoveredFeed(url="https://ledger.example/podcast.xml", title="Podcast", kind="rss"),
    ]


def test_anchor_hints() -> None:
    found = discover_feeds((PAGES / "hints_only.html").read_text(), "https://harbour.example/")
    assert found == [
        DiscoveredFeed(url="https://harbour.example/index.xml", title="Subscribe", kind="rss")
    ]


@pytest.mark.parametrize(
    "html", ["", "   ", b"", b"\x00\x01\x02", "<html></html>", "<p>no feeds here</p>"]
)
def test_nothing_found(html: str | bytes) -> None:
    assert discover_feeds(html, "https://x.example/") == []


def test_xml_declaration_in_str_is_tolerated() -> None:
    html = (
        '<?xml version="1.0" encoding="utf-8"?><html><head>'
        '<link rel="alternate" type="application/rss+xml" href="/f"></head></html>'
    )
    assert [f.url for f in discover_feeds(html, "https://x.example/a/")] == ["https://x.example/f"]
