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
from tidings.core.errors import InvalidURLError, OPMLError, OPMLOutlineError, TidingsError
from tidings.core.textutil import clean_text

__all__ = ["OPMLFile", "Outline", "SkippedOutline", "parse_opml", "read_opml", "write_opml"]


@dataclass(frozen=True)
class Outline:
    """One subscription. ``category`` is the folder path, parts joined by
    ``/`` (``"News/Local"``), or None at the top level."""

    title: str
    xml_url: str
    html_url: str | None
    category: str | None


@dataclass(frozen=True)
class SkippedOutline:
    """An outline that names no feed to subscribe to: its label (title or text, may be
    empty), the address it gives (may be empty) and why it is skipped, as a stable
    ``code`` (see :class:`~tidings.core.errors.OPMLOutlineError`) and a human ``message``."""

    title: str
    url: str
    code: str
    message: str

    @classmethod
    def of(cls, title: str, url: str, error: TidingsError) -> SkippedOutline:
        return cls(title=title, url=url, code=error.code, message=error.message)


@dataclass(frozen=True)
class OPMLFile:
    """What an OPML document holds: its subscriptions, and the outlines skipped, both in
    document order."""

    outlines: list[Outline]
    skipped: list[SkippedOutline]


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


def _url_problem(raw: str) -> InvalidURLError:
    """Why an outline's address is not one a feed can be fetched from."""
    try:
        parts = urlsplit(raw)
    except ValueError:
        return InvalidURLError("the address cannot be parsed", url=raw)
    if not parts.scheme:
        return InvalidURLError(
            "relative address: an outline must give the feed's full address (http:// or https://)",
            url=raw,
        )
    if parts.scheme.lower() not in ("http", "https", "feed"):
        return InvalidURLError(
            f"unsupported URL scheme '{parts.scheme.lower()}': only http and https feeds "
            "can be subscribed",
            url=raw,
        )
    return InvalidURLError("the address has no host", url=raw)


def parse_opml(content: bytes) -> list[Outline]:
    """The subscriptions of an OPML document (see :func:`read_opml`)."""
    return read_opml(content).outlines


def read_opml(content: bytes) -> OPMLFile:
    """The subscriptions of an OPML document, in document order, each feed URL once,
    and the outlines skipped, each with its reason.

    Outlines with an ``xmlUrl`` (any ``type``, any capitalisation) are feeds;
    ``type="link"`` outlines with a ``url`` are kept as well (their URL may be a
    feed or a homepage to discover one from). Skipped: an outline whose address is
    no absolute http(s) URL (``invalid_url``), an outline with neither an address
    nor outlines inside it (``opml_no_url``), a feed listed earlier in the file
    (``opml_duplicate``). A missing title falls back to ``text``, then the URL.
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
    skipped: list[SkippedOutline] = []
    seen: dict[str, str] = {}

    def walk(element: ET.Element, path: tuple[str, ...]) -> None:
        for child in element:
            if not isinstance(child.tag, str) or child.tag.lower() != "outline":
                continue
            label = clean_text(_attr(child, "title") or _attr(child, "text"))
            kind = _attr(child, "type").lower()
            raw = _attr(child, *_FEED_URL_ATTRS)
            if _http(raw) is None and kind in _LINK_TYPES:
                raw = _attr(child, "url", "htmlUrl") or raw
            url = _http(raw)
            if url is None:
                if raw:
                    skipped.append(SkippedOutline.of(label, raw, _url_problem(raw)))
                elif not any(isinstance(c.tag, str) and c.tag.lower() == "outline" for c in child):
                    # Neither a feed nor a folder of feeds.
                    homepage = _attr(child, "htmlUrl", "htmlurl")
                    message = "the outline gives no feed address (xmlUrl)"
                    if homepage:
                        message += f", only a homepage ({homepage})"
                    error = OPMLOutlineError(message, code="opml_no_url")
                    skipped.append(SkippedOutline.of(label, "", error))
            elif url in seen:
                first = seen[url]
                earlier = f" (“{first}”)" if first and first != url else ""
                error = OPMLOutlineError(
                    f"the same feed address as an outline earlier in the file{earlier}",
                    code="opml_duplicate",
                )
                skipped.append(SkippedOutline.of(label, url, error))
            else:
                seen[url] = label
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
    return OPMLFile(outlines=outlines, skipped=skipped)


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
