"""Removal of news-page furniture from the DOM before the main-text search.

Everything here is general knowledge of how news pages are built (hidden
elements, captions, teaser and "related" blocks, newsletter and cookie boxes,
share widgets, author bios, advertising slots); nothing is keyed to a site.
"""

from __future__ import annotations

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


def _is_junk_name(name: str) -> bool:
    parts = [p.lower() for p in _SPLIT.split(name) if p]
    if any(p in _JUNK_PARTS for p in parts):
        return True
    return any((a, b) in _JUNK_PAIRS for a, b in zip(parts, parts[1:], strict=False))


def _text_len(el: HtmlElement) -> int:
    return len(" ".join(el.itertext()).split())


_CONTENT_PARTS = frozenset({"article", "content", "entry", "story", "body", "main", "post", "text"})
_INVISIBLE_TAGS = ("script", "style", "noscript", "template", "svg", "canvas", "iframe")


def _names(el: HtmlElement) -> str:
    return f"{el.get('class', '')} {el.get('id', '')}".strip()


def _protected(el: HtmlElement, total: int) -> bool:
    """A container holding much of the page's text is never furniture, whatever its name."""
    share = _text_len(el) / total
    if share > 0.3:
        return True
    parts = {p.lower() for p in _SPLIT.split(_names(el)) if p}
    return share > 0.1 and bool(parts & _CONTENT_PARTS)


def clean(tree: HtmlElement) -> None:
    """Remove furniture from ``tree`` in place."""
    invisible = [
        el for el in tree.iter() if not isinstance(el.tag, str) or el.tag in _INVISIBLE_TAGS
    ]
    for el in invisible:
        if el.getparent() is not None:
            el.drop_tree()
    body = tree.find("body")
    root = body if body is not None else tree
    total = max(_text_len(root), 1)
    doomed: list[HtmlElement] = []
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if tag in _DROP_TAGS:
            doomed.append(el)
            continue
        if tag in {"html", "body", "p"}:
            continue
        attrib = el.attrib
        if (
            "hidden" in attrib
            or attrib.get("aria-hidden") == "true"
            or _HIDDEN_STYLE.search(attrib.get("style", ""))
        ):
            doomed.append(el)
            continue
        if tag == "form" and el.xpath(".//input[@type='email']"):
            doomed.append(el)
            continue
        names = _names(el)
        if names and _is_junk_name(names):
            doomed.append(el)
    for el in doomed:
        if el.getparent() is None or (el.tag not in _DROP_TAGS and _protected(el, total)):
            continue
        el.drop_tree()


_PAYWALL_PARTS = frozenset({"paywall", "regwall", "metered", "meter", "piano", "premium", "locked"})
_PAYWALL_PAIRS = frozenset({("subscriber", "only"), ("subscribers", "only"), ("pay", "wall")})


def paywall_markup(tree: HtmlElement) -> bool:
    """Whether the page carries the markup of a paywall (checked before cleaning)."""
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        names = f"{el.get('class', '')} {el.get('id', '')}".strip()
        if not names:
            continue
        parts = [p.lower() for p in _SPLIT.split(names) if p]
        if any(p in _PAYWALL_PARTS for p in parts) or any(
            pair in _PAYWALL_PAIRS for pair in zip(parts, parts[1:], strict=False)
        ):
            return True
    return False
