"""Decoding and parsing of raw HTML, with size guards."""

from __future__ import annotations

import re

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from tidings.core.errors import ExtractionError

#: Pages larger than this (decoded characters) are cut before parsing.
MAX_HTML_CHARS = 5_000_000
#: Trees with more elements than this are refused: no news article needs them.
MAX_ELEMENTS = 150_000

_PARSER = lxml.html.HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def decode(html: str | bytes) -> str:
    """Turn page bytes into text: BOM, then <meta charset>, then UTF-8, then cp1252."""
    if isinstance(html, str):
        return html
    if html.startswith(b"\xef\xbb\xbf"):
        return html[3:].decode("utf-8", errors="replace")
    if html.startswith((b"\xff\xfe", b"\xfe\xff")):
        return html.decode("utf-16", errors="replace")
    match = _META_CHARSET.search(html[:4096])
    if match:
        name = match.group(1).decode("ascii", errors="ignore").lower()
        try:
            text = html.decode(name)
        except (LookupError, UnicodeDecodeError):
            pass
        else:
            return text
    try:
        return html.decode("utf-8")
    except UnicodeDecodeError:
        return html.decode("cp1252", errors="replace")


_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def parse(text: str, url: str | None = None) -> HtmlElement:
    """Parse decoded HTML into an lxml tree, refusing absurdly large documents."""
    text = text.replace("\x00", "")
    if len(text) > MAX_HTML_CHARS:
        text = text[:MAX_HTML_CHARS]
    text = _XML_DECL.sub("", text, count=1)
    if not text.strip():
        raise ExtractionError("empty page", url=url)
    if text.count("<") > MAX_ELEMENTS:
        raise ExtractionError(f"page has more than {MAX_ELEMENTS} tags", url=url)
    try:
        tree = lxml.html.fromstring(text.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise ExtractionError(f"unparseable page: {exc}", url=url) from exc
    if tree is None:
        raise ExtractionError("empty page", url=url)
    return tree
