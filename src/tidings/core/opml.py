"""OPML subscription lists: import (nested folders flattened) and export.

Parsing goes through the same guard as feeds (:mod:`tidings.core._xmlsafe`: no
DTD, no entity declarations, any encoding) and then defusedxml, so an OPML
file can neither expand entities nor make the parser read a file or a URL.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from tidings.core._xmlsafe import UnsafeXML, prepare_xml, root_name
from tidings.core.errors import OPMLError
from tidings.core.textutil import clean_text

__all__ = ["Outline", "parse_opml", "write_opml"]


@dataclass(frozen=True)
class Outline:
    """One subscription. ``category`` is the folder path, parts joined by
    ``/`` (``"News/Local"``), or None at the top level."""

    title: str
    xml_url: str
    html_url: str | None
    category: str | None


_FEED_URL_ATTRS = ("xmlurl", "xmlUrl", "XMLURL", "xmlURL", "rssurl", "rssUrl")
_LINK_TYPES = {"link", "include"}


def _attr(element: ET.Element, *names: str) -> str:
    lowered = {key.lower(): value for key, value in element.attrib.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value and value.strip():
            return value.strip()
    return ""


def _http(value: str) -> str | None:
    if not value:
        return None
    if value.lower().startswith("feed:"):
        value = value[5:]
        value = "http:" + value if value.startswith("//") else value
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return value


def parse_opml(content: bytes) -> list[Outline]:
    """The subscriptions of an OPML document, in document order, each feed URL once.

    Outlines with an ``xmlUrl`` (any ``type``, any capitalisation) are feeds;
    ``type="link"`` outlines with a ``url`` are kept as well (their URL may be a
    feed or a homepage to discover one from). Outlines without a usable http(s)
    URL are skipped; a missing title falls back to ``text``, then the URL.
    Nested folders become ``category`` paths. Raises :class:`OPMLError` for
    documents that are not OPML or are unsafe.
    """
    try:
        text = prepare_xml(content)
    except UnsafeXML as exc:
        raise OPMLError(f"refused unsafe XML: {exc}", code="unsafe_xml") from exc
    if (root_name(text) or "").lower() != "opml":
        raise OPMLError("not an OPML document")
    try:
        root = SafeET.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise OPMLError(f"cannot parse OPML: {exc}") from exc
    body = next((child for child in root if child.tag.lower() == "body"), None)
    if body is None:
        raise OPMLError("OPML document has no <body>")
    outlines: list[Outline] = []
    seen: set[str] = set()

    def walk(element: ET.Element, path: tuple[str, ...]) -> None:
        for child in element:
            if not isinstance(child.tag, str) or child.tag.lower() != "outline":
                continue
            label = clean_text(_attr(child, "title") or _attr(child, "text"))
            kind = _attr(child, "type").lower()
            url = _http(_attr(child, *_FEED_URL_ATTRS))
            if url is None and kind in _LINK_TYPES:
                url = _http(_attr(child, "url", "htmlUrl"))
            if url is not None and url not in seen:
                seen.add(url)
                html_url = _attr(child, "htmlUrl", "htmlurl")
                home = _http(urljoin(url, html_url)) if html_url else None
                category = "/".join(path) or clean_text(
                    _attr(child, "category").split(",")[0].strip("/")
                )
                outlines.append(
                    Outline(
                        title=label or url,
                        xml_url=url,
                        html_url=home,
                        category=category or None,
                    )
                )
            # A feed outline may itself hold outlines; a folder is any outline without a URL.
            walk(child, path if url is not None else (*path, label) if label else path)

    walk(body, ())
    return outlines


def write_opml(outlines: Iterable[Outline], *, title: str = "Tidings subscriptions") -> bytes:
    """An OPML 2.0 document (UTF-8 bytes) with one folder per category path."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    folders: dict[tuple[str, ...], ET.Element] = {(): body}

    def folder(path: tuple[str, ...]) -> ET.Element:
        if path not in folders:
            parent = folder(path[:-1])
            folders[path] = ET.SubElement(parent, "outline", text=path[-1], title=path[-1])
        return folders[path]

    for outline in outlines:
        path = tuple(clean_text(p) for p in (outline.category or "").split("/") if clean_text(p))
        name = clean_text(outline.title) or outline.xml_url
        attrs = {"type": "rss", "text": name, "title": name, "xmlUrl": clean_text(outline.xml_url)}
        if outline.html_url:
            attrs["htmlUrl"] = clean_text(outline.html_url)
        ET.SubElement(folder(path), "outline", attrs)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
