"""Making untrusted XML bytes safe and well-formed before any XML parser sees them.

The document is decoded (:func:`tidings.core.textutil.decode_bytes`), its XML
declaration replaced by a UTF-8 one, and its prolog checked: a DOCTYPE whose
internal subset declares entities (billion laughs, quadratic blowup, external
and parameter entities) is refused; any other DOCTYPE (e.g. the Netscape RSS
0.91 one, or a ``SYSTEM "file:///..."`` external DTD) is removed, so no
parser ever loads a DTD or expands a declared entity. HTML named entities that
the removed DTD would have defined (``&eacute;``) become numeric references;
unknown ones and stray ampersands are escaped. CDATA sections are left as they
are.
"""

from __future__ import annotations

import html.entities
import re

from tidings.core.textutil import decode_bytes

__all__ = ["UnsafeXML", "declared_root", "prepare_xml", "root_name", "to_utf8_document"]


class UnsafeXML(ValueError):
    """The document declares entities or a DTD where none may be."""


_XML_DECL = re.compile(r"<\?xml\s[^>]*?\?>|<\?xml\?>", re.I)
_DANGER = re.compile(r"<!\s*(?:ENTITY|DOCTYPE|ELEMENT|ATTLIST|NOTATION)", re.I)
_CDATA_OR_COMMENT = re.compile(r"<!\[CDATA\[.*?(?:\]\]>|$)|<!--.*?(?:-->|$)", re.S)
_CDATA_SPLIT = re.compile(r"(<!\[CDATA\[.*?(?:\]\]>|$))", re.S)
_AMP = re.compile(r"&(?!#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};)([A-Za-z][A-Za-z0-9]{0,31};)?")
_NEEDS_FIX = re.compile(r"&(?!(?:amp|lt|gt|quot|apos);|#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};)")
_XML_ENTITIES = frozenset({"amp;", "lt;", "gt;", "quot;", "apos;"})
_ROOT = re.compile(r"<([A-Za-z_][\w.:-]*)")
_DOCTYPE_NAME = re.compile(r"<!DOCTYPE\s+([A-Za-z_][\w.:-]*)", re.I)


def _skip_doctype(text: str, start: int) -> tuple[int, str]:
    """End index of the DOCTYPE at ``start`` and its internal subset."""
    i = start + len("<!DOCTYPE")
    quote: str | None = None
    subset_start = -1
    subset = ""
    n = len(text)
    while i < n:
        char = text[i]
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "[" and subset_start < 0:
            subset_start = i + 1
            # The internal subset ends at the first "]" followed by optional space and ">".
            end = re.compile(r"\]\s*>").search(text, i)
            if end is None:
                raise UnsafeXML("unterminated DOCTYPE internal subset")
            subset = text[subset_start : end.start()]
            return end.end(), subset
        elif char == ">":
            return i + 1, subset
        i += 1
    raise UnsafeXML("unterminated DOCTYPE")


def _strip_prolog(text: str) -> tuple[str, str]:
    """The prolog (without XML declaration and DOCTYPE) and the rest."""
    kept: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text.startswith("<?", i):
            end = text.find("?>", i)
            if end < 0:
                break
            pi = text[i : end + 2]
            if not re.match(r"<\?xml[\s?]", pi, re.I):
                kept.append(pi)
            i = end + 2
        elif text.startswith("<!--", i):
            end = text.find("-->", i)
            if end < 0:
                break
            i = end + 3
        elif text[i : i + 9].upper() == "<!DOCTYPE":
            i, subset = _skip_doctype(text, i)
            if subset.strip():
                inner = _CDATA_OR_COMMENT.sub("", subset)
                if "<!" in inner or "%" in inner:
                    raise UnsafeXML("the document type declares entities or other markup")
        elif text[i] != "<":
            # Junk before the root element (a stray byte, a PHP warning): skip to the next tag.
            nxt = text.find("<", i)
            if nxt < 0:
                break
            i = nxt
        else:
            break
    return "".join(kept), text[i:]


def _fix_entities(part: str) -> str:
    def fix(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "&amp;"
        if name in _XML_ENTITIES:
            return match.group(0)
        chars = html.entities.html5.get(name)
        if chars is None:
            return "&amp;" + name
        return "".join(f"&#{ord(c)};" for c in chars)

    return _AMP.sub(fix, part)


def prepare_xml(content: bytes, declared: str | None = None) -> str:
    """Decoded, DTD-free XML text with a clean prolog (no XML declaration).

    Raises :class:`UnsafeXML` for entity or markup declarations anywhere.
    """
    text = decode_bytes(content, declared)
    prolog, body = _strip_prolog(text)
    if _DANGER.search(body) and _DANGER.search(_CDATA_OR_COMMENT.sub("", body)):
        raise UnsafeXML("markup declarations inside the document")
    if _NEEDS_FIX.search(body):
        parts = _CDATA_SPLIT.split(body)
        parts[0::2] = [_fix_entities(part) for part in parts[0::2]]
        body = "".join(parts)
    return prolog + body


def to_utf8_document(text: str) -> bytes:
    """The text of :func:`prepare_xml` as a UTF-8 XML document."""
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + text.encode("utf-8", "replace")


def root_name(text: str) -> str | None:
    """Local name of the first element of a prepared document, or None."""
    start = 0
    while True:
        match = _ROOT.search(text, start)
        if match is None:
            return None
        if text.startswith("<!", match.start()) or text.startswith("<?", match.start()):
            start = match.end()
            continue
        return match.group(1).rsplit(":", 1)[-1]


def declared_root(text: str) -> str | None:
    """Local name of the root element a decoded document declares, for sniffing a
    document :func:`prepare_xml` refuses: the name its DOCTYPE gives (which XML requires
    to be the root's), else its first element. Nothing is checked, nothing is made safe.
    """
    body = _CDATA_OR_COMMENT.sub("", _XML_DECL.sub("", text, count=1)).lstrip()
    match = _DOCTYPE_NAME.match(body)
    if match:
        return match.group(1).rsplit(":", 1)[-1]
    return root_name(body)
