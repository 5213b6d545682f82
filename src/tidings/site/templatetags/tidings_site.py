"""Template tags of the reader site: times, article bodies, source marks."""

from __future__ import annotations

import re
import zlib
from datetime import datetime

import nh3
from django import template
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from tidings.core.reltime import time_element
from tidings.news.models import Article, Source

register = template.Library()

_BODY_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "q", "cite",
    "figure", "figcaption", "img", "a", "em", "strong", "b", "i", "u", "s", "sub", "sup", "small",
    "mark", "code", "pre", "abbr", "time", "table", "thead", "tbody", "tfoot", "tr", "th", "td",
    "caption", "dl", "dt", "dd",
}  # fmt: skip
_BODY_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "time": {"datetime"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "blockquote": {"cite"},
}


@register.simple_tag
def reltime(when: datetime | None, css: str = "") -> SafeString:
    """``<time>`` with the relative age as text and the exact time on hover.

    ``site.js`` re-renders the text (and the title, in the reader's own time
    zone) from ``datetime`` so a cached page never shows a stale age.
    """
    if when is None:
        return mark_safe("")
    return mark_safe(time_element(when, timezone.now(), timezone.get_current_timezone(), css))


@register.filter
def article_body(article: Article) -> SafeString:
    """The article's clean HTML, sanitised again on output (nh3).

    Relative links and images are resolved against the original article URL;
    falls back to the plain text split into paragraphs when there is no HTML.
    """
    if article.html.strip():
        cleaned = nh3.clean(
            article.html,
            tags=_BODY_TAGS,
            attributes=_BODY_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
            url_relative=("rewrite_with_base", article.canonical_url),
            set_tag_attribute_values={
                "img": {"loading": "lazy", "decoding": "async", "referrerpolicy": "no-referrer"}
            },
        )
        return mark_safe(cleaned)
    paragraphs = [p.strip() for p in article.text.split("\n") if p.strip()]
    return mark_safe("".join(f"<p>{escape(p)}</p>" for p in paragraphs))


@register.filter
def snippet(article: Article, length: int = 220) -> str:
    """A short plain-text teaser: the description, else the start of the text."""
    text = (article.description or "").strip() or (getattr(article, "teaser", "") or "").strip()
    if not text and "text" not in article.get_deferred_fields():
        text = article.text.strip()
    text = " ".join(text.split())
    if text[: length + 1].isascii():
        # Plain characters each count one: the cut falls inside this prefix, and
        # Truncator need not walk (and normalise) the whole text.
        text = text[: length + 1]
    return Truncator(text).chars(length)


_ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:\.\.\.|…)\s*\]|\.\.\.|…)\s*$")
_WORDS_ONLY = re.compile(r"\W+")


@register.filter
def standfirst(article: Article) -> str:
    """The article's description, shown under its headline -- unless it only repeats
    how the text begins (feeds often give the first paragraph, whole or cut short
    with "…"), which the reader is about to read anyway."""
    description = " ".join((article.description or "").split())
    if not description or "text" in article.get_deferred_fields():
        return description
    head = _ELLIPSIS.sub("", description)
    mine = _WORDS_ONLY.sub(" ", head).strip().lower()
    text = _WORDS_ONLY.sub(" ", article.text[: len(head) * 2 + 200]).strip().lower()
    return "" if mine and text.startswith(mine) else description


def _hue(key: str) -> int:
    return zlib.crc32(key.encode()) % 360


@register.simple_tag
def source_mark(source: Source, size: int = 20) -> SafeString:
    """The outlet's favicon, over a generated initial badge (shown if the icon fails).

    Built in code rather than an included template: it is drawn once per card.
    """
    name = source.name.strip() or source.slug
    initial = name.removeprefix("The ").strip()[:1].upper() or "?"
    icon = source.favicon_url or source.logo_url
    img = (
        format_html(
            '<img src="{}" alt="" width="{}" height="{}" loading="lazy" decoding="async" '
            'referrerpolicy="no-referrer">',
            icon,
            size,
            size,
        )
        if icon
        else ""
    )
    return format_html(
        '<span class="mark" style="--hue:{};--size:{}px" aria-hidden="true">'
        '<span class="initial">{}</span>{}</span>',
        _hue(source.slug or name),
        size,
        initial,
        img,
    )


@register.inclusion_tag("site/_section_nav.html", takes_context=True)
def section_nav(context: template.Context) -> dict[str, object]:
    """Top stories plus the most used categories, the current one marked."""
    from tidings.site.views import categories

    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    on_home = match is not None and match.url_name == "home"
    current = request.GET.get("category", "") if on_home and request is not None else None
    return {"categories": categories(), "current": current}
