"""Turning bytes from the web into clean, valid text.

:func:`decode_bytes` never fails: whatever the bytes and whatever the server
claimed, it returns a ``str`` that is valid UTF-8 when encoded and holds no NUL
or other control character that XML forbids. :func:`clean_text` normalises
text for storage and comparison (NFC, invisible characters removed, spaces
collapsed).
"""

from __future__ import annotations

import codecs
import re
import unicodedata

__all__ = ["clean_text", "decode_bytes"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Labels that browsers (WHATWG Encoding) read as windows-1252: servers that say
# "latin-1" almost always send cp1252 smart quotes and dashes.
_AS_CP1252 = {"latin-1", "latin1", "iso-8859-1", "iso8859-1", "l1", "ascii", "us-ascii", "cp819"}

_XML_DECL_ENCODING = re.compile(
    rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']"""
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.I
)

# C0 controls except TAB, LF, CR; DEL and the C1 block; the two XML non-characters.
_BAD_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_SURROGATES = re.compile("[\ud800-\udfff]")
# The same characters as UTF-8 bytes, to skip the scan of text that has none of them.
_BAD_C0 = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
# (one literal first byte per pattern: the regex engine then skips ahead to it)
_BAD_UTF8 = (re.compile(rb"\xc2[\x80-\x9f]"), re.compile(rb"\xef\xbf[\xbe\xbf]"))


_ESCAPED = re.compile("[\udc80-\udcff]")


def _escaped_as_cp1252(match: re.Match[str]) -> str:
    return bytes([ord(match.group(0)) - 0xDC00]).decode("cp1252", "replace")


def _codec(label: str | bytes | None) -> str | None:
    """A Python codec name for an encoding label, or None when unknown."""
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    name = label.strip().strip("\"'").lower().replace("_", "-")
    if name in _AS_CP1252:
        return "cp1252"
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    if info.name in {"latin-1", "iso8859-1", "ascii"}:
        return "cp1252"
    # Codecs that do not turn bytes into text (rot13, zlib, ...) are refused.
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _sniff_utf16(content: bytes) -> str | None:
    head = content[:4]
    if head.startswith(b"\x00<\x00") or head.startswith(b"\x00\x00\x00<"):
        return "utf-32-be" if head.startswith(b"\x00\x00") else "utf-16-be"
    if head.startswith(b"<\x00\x00\x00"):
        return "utf-32-le"
    if head.startswith(b"<\x00"):
        return "utf-16-le"
    return None


def _in_document(content: bytes) -> str | None:
    head = content[:2048]
    match = _XML_DECL_ENCODING.match(head) or _META_CHARSET.search(head)
    return _codec(match.group(1)) if match else None


def _scrub(text: str, *, surrogates: bool = True) -> str:
    """``surrogates=False``: the text came from strict UTF-8, which never yields one."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = _BAD_CONTROLS.sub("", text)
    return _SURROGATES.sub("\ufffd", text) if surrogates else text


def _has_bad_utf8(content: bytes) -> bool:
    """Whether UTF-8 ``content`` holds a character ``_scrub`` removes (byte scans are
    several times faster than scanning the decoded text)."""
    return len(content.translate(None, _BAD_C0)) != len(content) or any(
        pattern.search(content) for pattern in _BAD_UTF8
    )


def decode_bytes(content: bytes, declared: str | None = None) -> str:
    """Decode HTML or XML bytes to text, whatever their declared encoding.

    The order of evidence: a byte-order mark; bytes that are valid UTF-8 (a
    strong signal that beats a wrong header or declaration); the ``declared``
    charset (from the Content-Type header); the XML declaration or HTML
    ``<meta charset>``; finally UTF-8 with each invalid byte read as
    windows-1252 (so cp1252 smart quotes survive, even mixed with UTF-8).
    NUL bytes, other forbidden control characters and lone surrogates are
    removed from the result.
    """
    for bom, bom_codec in _BOMS:
        if content.startswith(bom):
            return _scrub(content[len(bom) :].decode(bom_codec, "replace"))
    wide = _sniff_utf16(content)
    header = _codec(declared)
    inner = _in_document(content) if wide is None else None
    for wide_codec in (wide, header, inner):
        if wide_codec and wide_codec.startswith(("utf-16", "utf-32")):
            try:
                return _scrub(content.decode(wide_codec))
            except UnicodeDecodeError:
                continue
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _has_bad_utf8(content):
            return _scrub(text, surrogates=False)
        return text
    for codec in (header, inner):
        if not codec or codec == "utf-8":
            continue
        try:
            return _scrub(content.decode(codec))
        except (UnicodeDecodeError, LookupError):
            continue
    # Undeclared or wrongly declared UTF-8: keep every valid UTF-8 sequence and
    # read the stray bytes as windows-1252 (what mixed documents usually hold).
    text = content.decode("utf-8", "surrogateescape")
    return _scrub(_ESCAPED.sub(_escaped_as_cp1252, text))


# Invisible characters with no meaning in stored text: zero-width space, word
# joiner and other invisible operators, BOM, soft hyphen, bidi marks and
# embedding controls, Mongolian vowel separator, interlinear annotations.
_INVISIBLE = re.compile(
    "[\u00ad\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
# ZWNJ/ZWJ shape Persian, Indic scripts and emoji sequences: kept only between
# two non-ASCII, non-space characters.
_JOINERS = re.compile("(?<![^\\x00-\\x7f\\s])[\u200c\u200d]|[\u200c\u200d](?![^\\x00-\\x7f\\s])")
_SPACES = re.compile(r"[^\S\n]+")
_SPACE_AROUND_NEWLINE = re.compile(r" *\n *")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """Normalise text for storage: NFC, no invisible or control characters,
    runs of spaces collapsed to one, at most one blank line between
    paragraphs, no leading or trailing whitespace."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():
        text = text.replace("\u2028", "\n").replace("\u2029", "\n\n").replace("\x85", "\n")
        text = unicodedata.normalize("NFC", text)
        text = _INVISIBLE.sub("", text)
        text = _JOINERS.sub("", text)
    text = _scrub(text)
    text = _SPACES.sub(" ", text)
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()
