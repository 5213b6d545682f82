"""Small, fast HTML helpers for feed fields (not for whole pages)."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

from tidings.core.textutil import clean_text

__all__ = ["absolutize", "first_image", "html_to_text", "looks_like_html", "short_text"]

_DROP = re.compile(r"<(script|style|template|noscript)\b.*?</\1\s*>", re.S | re.I)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_BLOCK = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|pre|tr|table|section|article|figure|figcaption|hr)\b[^>]*>",
    re.I,
)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<![^<>]*>")
_MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")
_LINK_ATTR = re.compile(r"""(\s(?:href|src|poster)\s*=\s*)(["'])(.*?)\2""", re.I | re.S)
_IMG = re.compile(r"""<img\b[^>]*?\ssrc\s*=\s*(["'])(.*?)\1""", re.I | re.S)
_ABSOLUTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|#|//)")


def looks_like_html(text: str) -> bool:
    return bool(_MARKUP.search(text))


def html_to_text(fragment: str) -> str:
    """Visible text of an HTML fragment, paragraphs on separate lines."""
    if "<" not in fragment and "&" not in fragment:
        return clean_text(fragment)
    text = _DROP.sub(" ", _COMMENT.sub(" ", fragment))
    text = _BLOCK.sub("\n", text)
    text = _TAG.sub("", text)
    return clean_text(html.unescape(text))


def short_text(text: str, limit: int = 500) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:-") + "…"


def absolutize(fragment: str, base: str) -> str:
    """``href``/``src`` attributes of an HTML fragment resolved against ``base``."""

    def fix(match: re.Match[str]) -> str:
        value = match.group(3)
        target = html.unescape(value).strip()
        if (not target or _ABSOLUTE.match(target)) and not target.startswith("//"):
            return match.group(0)
        resolved = html.escape(urljoin(base, target), quote=True)
        return f"{match.group(1)}{match.group(2)}{resolved}{match.group(2)}"

    return _LINK_ATTR.sub(fix, fragment)


def first_image(fragment: str) -> str | None:
    match = _IMG.search(fragment)
    if match is None:
        return None
    return html.unescape(match.group(2)).strip() or None
