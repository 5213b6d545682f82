"""The small markdown subset readers may use, rendered to inert HTML.

Two layers: markdown-it-py with raw HTML disabled and only paragraphs,
emphasis, links, quotes, inline code and line breaks enabled; then nh3 with an
allow-list of exactly the tags those produce, ``http``/``https``/``mailto``
links only, and ``rel="nofollow ugc noopener noreferrer"`` on every link.
Anything else a reader types (``<script>``, ``<svg onload>``, images,
``javascript:`` or ``data:`` links) comes out as text or not at all.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

LINK_REL = "nofollow ugc noopener noreferrer"
_TAGS = {"p", "br", "em", "strong", "a", "blockquote", "code"}
_ATTRIBUTES = {"a": {"href"}}
_SCHEMES = {"http", "https", "mailto"}
_LINK = re.compile(r"https?://|www\.|\]\(", re.IGNORECASE)
# A link whose address was refused (a relative or ``javascript:`` one) keeps its text
# only: an ``<a>`` without ``href`` would look like a link and go nowhere.
_DEAD_LINK = re.compile(r"<a(?: rel=\"[^\"]*\")?>(.*?)</a>", re.DOTALL)
# Bidirectional embeddings, overrides and isolates: they turn the text after them
# around ("‮gnp.exe" reads "exe.png"); the marks (U+200E/200F) stay.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def without_bidi_controls(text: str) -> str:
    return _BIDI_CONTROLS.sub("", text)


_md = (
    MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True})
    .enable(["paragraph", "emphasis", "link", "autolink", "blockquote", "backticks", "newline"])
    .enable(["escape", "entity"])
)


def render(text: str) -> str:
    """Markdown source → sanitised HTML (safe to mark safe in a template)."""
    html = _md.render(without_bidi_controls(text))
    html = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
        url_relative="deny",
    ).strip()
    return _DEAD_LINK.sub(r"\1", html)


def count_links(text: str) -> int:
    """How many links a source text carries (markdown links and bare URLs)."""
    return len(_LINK.findall(text))
