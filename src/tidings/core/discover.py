"""Feed autodiscovery: the feeds a web page advertises.

``<link rel="alternate" type="application/rss+xml" href="...">`` (and the Atom,
RDF and JSON Feed types) come first, in page order, with comment feeds last;
then ``<a href>`` links that look like feeds (``/feed``, ``rss.xml``,
``atom.xml``, ``index.xml``, a link whose text is "RSS"), which a fetcher must
still confirm. Relative URLs are resolved against ``<base href>`` or the page
URL; only http(s) URLs are returned, each once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from tidings.core.errors import InvalidURLError
from tidings.core.textutil import clean_text, decode_bytes
from tidings.core.urls import canonical_url

__all__ = ["DiscoveredFeed", "discover_feeds"]


@dataclass(frozen=True)
class DiscoveredFeed:
    """A feed advertised by a page. ``kind`` is ``rss``, ``atom``, ``rdf``,
    ``json``, or ``unknown`` for an ``<a>`` hint whose format is not known."""

    url: str
    title: str | None
    kind: str


_TYPES = {
    "application/rss+xml": "rss",
    "application/rdf+xml": "rdf",
    "application/atom+xml": "atom",
    "application/feed+json": "json",
    "application/json": "json",
    "application/x.atom+xml": "atom",
    "application/x-atom+xml": "atom",
    "application/x-rss+xml": "rss",
    "text/xml": "rss",
    "application/xml": "rss",
    "text/rss+xml": "rss",
}
_HINT_PATH = re.compile(
    r"(?:/feeds?/?|/rss/?|/atom/?|[/.](?:rss|atom|feed|index|rss2)\.(?:xml|rss|atom)|\.rss|\.atom"
    r"|/feed\.json|/feeds?/[\w.-]+\.(?:xml|rss|atom)|/rss/[\w.-]+)$",
    re.I,
)
_HINT_TEXT = re.compile(r"^\s*(?:rss|atom|feed|rss feed|atom feed|subscribe via rss)\s*$", re.I)
_COMMENTS = re.compile(r"comment", re.I)
_MAX_HINTS = 10


def _absolute(href: str, base: str) -> str | None:
    href = href.strip()
    if href.lower().startswith("feed:"):
        href = href[5:]
        if href.startswith("//"):
            href = "http:" + href
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def _kind_from_url(url: str) -> str:
    path = urlsplit(url).path.lower()
    if "atom" in path:
        return "atom"
    if path.endswith(".json"):
        return "json"
    if "rss" in path or path.endswith((".xml", "/feed", "/feed/")):
        return "rss"
    return "unknown"


def discover_feeds(html: bytes | str, base_url: str) -> list[DiscoveredFeed]:
    """Feeds advertised by an HTML page, best first (see the module docstring)."""
    text = decode_bytes(html) if isinstance(html, bytes) else html
    # lxml refuses a str that carries an XML encoding declaration.
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    if not text.strip():
        return []
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return []
    base = base_url
    for element in root.iter("base"):
        href = element.get("href")
        if href:
            base = _absolute(href, base_url) or base_url
            break

    found: list[tuple[int, DiscoveredFeed]] = []
    seen: set[str] = set()

    def add(url: str, title: str | None, kind: str, rank: int) -> None:
        try:
            key = canonical_url(url)
        except InvalidURLError:
            return
        if key in seen:
            return
        seen.add(key)
        found.append((rank, DiscoveredFeed(url=url, title=title or None, kind=kind)))

    for element in root.iter("link"):
        rels = (element.get("rel") or "").lower().split()
        if "alternate" not in rels and "feed" not in rels:
            continue
        mime = (element.get("type") or "").split(";")[0].strip().lower()
        kind = _TYPES.get(mime)
        href = element.get("href")
        if not href or (kind is None and "feed" not in rels):
            continue
        url = _absolute(href, base)
        if url is None:
            continue
        title = clean_text(element.get("title") or "") or None
        is_comments = bool(_COMMENTS.search(title or "") or _COMMENTS.search(url))
        add(url, title, kind or _kind_from_url(url), 1 if is_comments else 0)

    hints = 0
    for element in root.iter("a"):
        if hints >= _MAX_HINTS:
            break
        href = element.get("href")
        if not href:
            continue
        url = _absolute(href, base)
        if url is None:
            continue
        label = clean_text(element.text_content() or "")
        path = urlsplit(url).path
        if not (_HINT_PATH.search(path) or _HINT_TEXT.match(label) or href.startswith("feed:")):
            continue
        if urlsplit(url).hostname != urlsplit(base).hostname and not _HINT_PATH.search(path):
            continue
        hints += 1
        is_comments = bool(_COMMENTS.search(url))
        add(url, label or None, _kind_from_url(url), 3 if is_comments else 2)

    found.sort(key=lambda item: item[0])
    return [feed for _, feed in found]
