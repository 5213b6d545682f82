"""Text-level helpers: datelines, paywall markers, HTML rendering."""

from __future__ import annotations

import html as html_lib
import re

import nh3

from tidings.core.extract._body import Block

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATELINE = re.compile(
    r"""^(
        (?:[A-Z][A-Za-z'.\-]*\s+){0,3}[A-Z][A-Z'.\-]{2,}      # city, at least one word in capitals
        (?:,\s*[A-Z][A-Za-z.]*(?:\s+[A-Z][A-Za-z.]*){0,2})?     # state or country
        (?:,?\s*"""
    + _MONTH
    + r"""\s+\d{1,2}(?:,\s*\d{4})?)?  # date
        \s*(?:\([A-Za-z .&/-]{2,40}\))?                       # agency
        \s*[-\u2013\u2014]{1,2}
    )\s""",
    re.VERBOSE,
)


def find_dateline(text: str) -> str | None:
    match = _DATELINE.match(text[:160])
    return match.group(1).strip() if match else None


_PAYWALL_TEXT = re.compile(
    r"(subscribe|subscription|subscriber|sign in|log in|register)\b.{0,60}"
    r"\b(continue|keep|to read|full (article|story)|unlimited|access)"
    r"|\b(this (article|story|content) is (only )?(available|reserved|exclusive) (to|for))\b"
    r"|\bto continue reading\b|\bpremium (article|content)\b",
    re.IGNORECASE,
)


def paywall_line(text: str) -> bool:
    return len(text.split()) < 40 and bool(_PAYWALL_TEXT.search(text))


_ALLOWED_TAGS = {"p", "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "em", "strong", "a", "br"}


def render_html(blocks: list[Block]) -> str:
    parts: list[str] = []
    open_group: int | None = None
    for b in blocks:
        if b.kind == "li":
            if open_group != b.group:
                if open_group is not None:
                    parts.append("</ul>")
                parts.append("<ul>")
                open_group = b.group
            parts.append(f"<li>{html_lib.escape(b.text)}</li>")
            continue
        if open_group is not None:
            parts.append("</ul>")
            open_group = None
        text = html_lib.escape(b.text)
        if b.kind == "h":
            level = min(max(b.level, 2), 4)
            parts.append(f"<h{level}>{text}</h{level}>")
        elif b.kind == "quote":
            parts.append(f"<blockquote><p>{text}</p></blockquote>")
        elif b.kind == "table":
            parts.append("<p>" + text.replace("\n", "<br>") + "</p>")
        else:
            parts.append(f"<p>{text}</p>")
    if open_group is not None:
        parts.append("</ul>")
    return nh3.clean(
        "".join(parts),
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
    )


def render_text(blocks: list[Block]) -> str:
    return "\n\n".join(b.text for b in blocks)
