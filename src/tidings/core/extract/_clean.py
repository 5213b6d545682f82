"""Removal of news-page furniture from the DOM before the main-text search.

Everything here is general knowledge of how news pages are built (hidden
elements, captions, teaser and "related" blocks, newsletter and cookie boxes,
share widgets, author bios, advertising slots); nothing is keyed to a site.
"""

from __future__ import annotations

import functools
import itertools
import re

from lxml.html import HtmlElement

# Tags that never carry article text.
_DROP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "svg",
        "canvas",
        "button",
        "select",
        "textarea",
        "input",
        "label",
        "dialog",
        "figcaption",
    }
)

# Parts of class/id names (split on case, "-" and "_") that mark furniture.
_JUNK_PARTS = frozenset(
    {
        "ad",
        "ads",
        "adslot",
        "adunit",
        "advert",
        "adverts",
        "advertisement",
        "advertising",
        "dfp",
        "gpt",
        "sponsor",
        "sponsored",
        "promo",
        "promotion",
        "promoted",
        "newsletter",
        "newsletters",
        "subscribe",
        "subscription",
        "signup",
        "related",
        "recommended",
        "recommendation",
        "recommendations",
        "recirc",
        "share",
        "sharing",
        "sharebar",
        "social",
        "comments",
        "disqus",
        "cookie",
        "cookies",
        "consent",
        "gdpr",
        "outbrain",
        "taboola",
        "breadcrumb",
        "breadcrumbs",
        "caption",
        "credit",
        "credits",
        "popup",
        "modal",
        "trending",
        "popular",
        "mostread",
        "toolbar",
        "widget",
        "sidebar",
        "masthead",
        "navbar",
        "pagination",
        "pager",
        "teaser",
        "teasers",
        "tags",
        "taglist",
        "byline",
        "bio",
        "reprints",
    }
)

_JUNK_PAIRS = frozenset(
    {
        ("more", "stories"),
        ("more", "from"),
        ("more", "news"),
        ("more", "articles"),
        ("read", "more"),
        ("read", "next"),
        ("most", "read"),
        ("most", "popular"),
        ("most", "viewed"),
        ("see", "also"),
        ("also", "read"),
        ("you", "may"),
        ("author", "info"),
        ("about", "author"),
        ("author", "box"),
        ("sign", "up"),
        ("in", "article"),
        ("post", "navigation"),
        ("article", "footer"),
        ("story", "footer"),
        ("sr", "only"),
        ("visually", "hidden"),
        ("screen", "reader"),
    }
)

_SPLIT = re.compile(r"[-_\s:./]+|(?<=[a-z])(?=[A-Z])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CONTENT_PARTS = frozenset({"article", "content", "entry", "story", "body", "main", "post", "text"})
_PAYWALL_PARTS = frozenset({"paywall", "regwall", "metered", "piano", "premium", "locked"})
_PAYWALL_PAIRS = frozenset({("subscriber", "only"), ("subscribers", "only"), ("pay", "wall")})
_INVISIBLE_TAGS = ("script", "style", "noscript", "template", "svg", "canvas", "iframe")

_JUNK, _CONTENT, _PAYWALL = 1, 2, 4


@functools.lru_cache(maxsize=8192)
def _classify(names: str) -> int:
    """Flags for a class/id string: furniture, content container, paywall."""
    parts = [p.lower() for p in _SPLIT.split(names) if p]
    pairs = set(itertools.pairwise(parts))
    flags = 0
    if not _JUNK_PARTS.isdisjoint(parts) or not _JUNK_PAIRS.isdisjoint(pairs):
        flags |= _JUNK
    if not _CONTENT_PARTS.isdisjoint(parts):
        flags |= _CONTENT
    if not _PAYWALL_PARTS.isdisjoint(parts) or not _PAYWALL_PAIRS.isdisjoint(pairs):
        flags |= _PAYWALL
    return flags


def _text_len(el: HtmlElement) -> float:
    return float(el.xpath("string-length(normalize-space())"))


def clean(tree: HtmlElement) -> bool:
    """Remove furniture from ``tree`` in place; tell whether paywall markup was seen."""
    for el in tree.xpath("//script|//style|//noscript|//template|//svg|//canvas|//iframe"):
        if el.getparent() is not None:
            el.drop_tree()
    body = tree.find("body")
    root = body if body is not None else tree
    total = max(_text_len(root), 1.0)
    paywall = False
    doomed: list[tuple[HtmlElement, int]] = []
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if tag in _DROP_TAGS:
            doomed.append((el, 0))
            continue
        attrib = el.attrib
        if not attrib or tag in {"html", "body"}:
            continue
        if (
            "hidden" in attrib
            or attrib.get("aria-hidden") == "true"
            or ("style" in attrib and _HIDDEN_STYLE.search(attrib["style"]))
        ):
            doomed.append((el, 0))
            continue
        names = f"{attrib.get('class', '')} {attrib.get('id', '')}".strip()
        if not names:
            continue
        flags = _classify(names)
        if flags & _PAYWALL:
            paywall = True
        if tag == "p":
            continue
        if flags & _JUNK or (tag == "form" and el.xpath(".//input[@type='email']")):
            doomed.append((el, flags))
    for el, flags in doomed:
        if el.getparent() is None:
            continue
        if el.tag not in _DROP_TAGS:
            # A container holding much of the page's text is never furniture, whatever its name.
            share = _text_len(el) / total
            if share > 0.3 or (share > 0.1 and flags & _CONTENT):
                continue
        el.drop_tree()
    return paywall
