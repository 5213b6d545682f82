"""Main-text extraction: trafilatura on a cleaned tree, then block-level filtering."""

from __future__ import annotations

import re
from dataclasses import dataclass

import trafilatura
from lxml.etree import _Element
from lxml.html import HtmlElement

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")

# Whole blocks that are furniture whatever the site: call-to-action lines, ad labels, legal footers.
_BOILERPLATE = re.compile(
    r"""^(?:
        advertisement|advertising|sponsored(?:\s+content)?|ad|
        (?:story|article)\s+continues\s+below.*|continue\s+reading.*|
        read\s+(?:more|next|also|the\s+full\s+(?:story|article)).*|
        related(?:\s+(?:stories|articles|coverage|content|links|news))?:?|
        (?:more|recommended)\s+(?:stories|from|on|articles|reading|videos?).*|
        (?:sign\s+up|subscribe|register)\b.*(?:newsletter|inbox|email|free|today|now|here).*|
        thanks?\s+(?:you\s+)?for\s+(?:signing\s+up|subscribing|reading).*|
        (?:follow|like)\s+us\s+on\b.*|
        share\s+(?:this|on)\b.*|click\s+here\b.*|
        (?:copyright|©).*all\s+rights\s+reserved.*|.*all\s+rights\s+reserved\.?|
        .*for\s+(?:your\s+)?personal,?\s+non-?commercial\s+use\s+only.*|
        (?:an\s+)?error\s+has\s+occurred.*|
        (?:image|photo|picture)s?\s*(?:credit|source)?:.*|
        we\s+use\s+cookies\b.*|.*\bcookies?\s+policy\b.*|
        (?:print|email|tweet|share|comments?|reprints?|order\s+reprints|print\s+article)
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# Legal and reprint notices: furniture at any length.
_LEGAL = re.compile(
    r"personal,?\s+non-?commercial\s+use\s+only|all\s+rights\s+reserved|"
    r"^https?://\S+$",
    re.IGNORECASE,
)


@dataclass
class Block:
    kind: str  # "p", "h", "li", "quote", "table"
    text: str
    link_chars: int
    level: int = 2
    group: int = 0  # blocks of one list share a group number

    @property
    def words(self) -> int:
        return len(_WORD.findall(self.text))

    @property
    def link_density(self) -> float:
        return self.link_chars / max(len(self.text), 1)


_HSPACE = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _text(el: _Element) -> str:
    """Text of a block element; line breaks kept as single newlines."""
    parts: list[str] = []

    def walk(node: _Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if child.tag == "lb":
                parts.append("\n")
            else:
                walk(child)
                if child.tag in {"item", "row", "cell"}:
                    parts.append(" ")
            if child.tail:
                parts.append(child.tail)

    walk(el)
    text = _HSPACE.sub(" ", "".join(parts))
    return _NEWLINES.sub("\n", text).strip()


def _link_chars(el: _Element) -> int:
    return sum(len(_norm("".join(ref.itertext()))) for ref in el.iter("ref"))


def _blocks(body: _Element) -> list[Block]:
    blocks: list[Block] = []
    group = 0
    for el in body:
        tag = el.tag
        if tag == "list":
            group += 1
            for item in el.iter("item"):
                text = _text(item)
                if text:
                    blocks.append(Block("li", text, _link_chars(item), group=group))
            continue
        text = _text(el)
        if not text:
            continue
        if tag == "head":
            rend = el.get("rend", "h2")
            level = int(rend[1]) if len(rend) == 2 and rend[1].isdigit() else 2
            blocks.append(Block("h", text, _link_chars(el), level=level))
        elif tag == "quote":
            blocks.append(Block("quote", text, _link_chars(el)))
        elif tag == "table":
            rows = []
            for row in el.iter("row"):
                cells = [_norm(_text(c)) for c in row.iter("cell")]
                rows.append(" | ".join(c for c in cells if c))
            blocks.append(Block("table", "\n".join(r for r in rows if r), _link_chars(el)))
        else:
            blocks.append(Block("p", text, _link_chars(el)))
    return blocks


def _shingles(text: str, n: int = 4) -> set[tuple[str, ...]]:
    toks = _WORD.findall(text.lower())
    return {tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1))}


def _filter(blocks: list[Block], title: str | None) -> list[Block]:
    title_key = _norm(title).lower() if title else None
    kept: list[Block] = []
    # Lists made mostly of links are teaser/"related" lists.
    link_groups: set[int] = set()
    by_group: dict[int, list[Block]] = {}
    for b in blocks:
        if b.kind == "li":
            by_group.setdefault(b.group, []).append(b)
    for g, items in by_group.items():
        chars = sum(len(i.text) for i in items)
        links = sum(i.link_chars for i in items)
        if chars and links / chars > 0.5:
            link_groups.add(g)
    for b in blocks:
        key = b.text.lower()
        if title_key and key.strip(" .") == title_key.strip(" ."):
            continue
        if b.words <= 12 and _BOILERPLATE.match(b.text):
            continue
        if b.words <= 60 and _LEGAL.search(b.text):
            continue
        if b.kind == "h" and b.level == 1:
            continue
        if b.kind == "li" and b.group in link_groups:
            continue
        if b.kind in {"p", "h"} and b.link_density > 0.7 and b.words < 25:
            continue
        kept.append(b)
    # Headings with nothing of theirs below them are section titles of removed furniture.
    out: list[Block] = []
    for i, b in enumerate(kept):
        if b.kind == "h":
            nxt = kept[i + 1] if i + 1 < len(kept) else None
            if nxt is None or (nxt.kind == "h" and nxt.level <= b.level):
                continue
        out.append(b)
    return out


def extract_blocks(tree: HtmlElement, url: str | None, title: str | None) -> list[Block]:
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        include_links=True,
        include_formatting=False,
        include_tables=True,
        include_images=False,
    )
    body = getattr(doc, "body", None)
    if body is None:
        return []
    return _filter(_blocks(body), title)
