"""Article metadata from JSON-LD, OpenGraph/meta tags and microdata."""

from __future__ import annotations

import html
import itertools
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "blogposting",
    "liveblogposting",
    "report",
    "scholarlyarticle",
    "techarticle",
    "socialmediaposting",
    "webpage",
}


@dataclass
class Meta:
    title: str | None = None
    byline: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    lead_image: str | None = None
    #: What the lead image shows (its alt text) and its caption with the credit.
    lead_image_alt: str | None = None
    lead_image_caption: str | None = None
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    canonical_url: str | None = None
    ld_body: str | None = None
    accessible_for_free: bool | None = None


_SPACE = re.compile(r"\s+")


def _clean(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str):
        return None
    if "&" in value:
        value = html.unescape(value)
    value = _SPACE.sub(" ", value).strip()
    return value or None


_TZ_FIX = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_date(value: Any) -> datetime | None:
    """A timezone-aware datetime from an ISO-8601-like string; naive values are taken as UTC."""
    text = _clean(value)
    if not text:
        return None
    text = (
        text.replace("Z", "+00:00").replace(" ", "T", 1)
        if "T" not in text
        else text.replace("Z", "+00:00")
    )
    text = _TZ_FIX.sub(r"\1:\2", text)
    # Drop fractional seconds beyond microseconds, which fromisoformat refuses on 3.11.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text[:10])
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not 1990 <= parsed.year <= 2100:
        return None
    return parsed


def _htmldate(tree: HtmlElement, url: str | None) -> datetime | None:
    """Last resort: htmldate's quick search (URL, visible dates), not its slow extensive one."""
    from htmldate import find_date

    try:
        found = find_date(tree, url=url, extensive_search=False, original_date=True)
    except (ValueError, TypeError):
        return None
    return parse_date(found) if found else None


def _walk_ld(node: Any, found: list[dict[str, Any]]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk_ld(item, found)
    elif isinstance(node, dict):
        types = node.get("@type")
        names = types if isinstance(types, list) else [types]
        if any(isinstance(t, str) and t.lower() in _ARTICLE_TYPES for t in names):
            found.append(node)
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if key in node:
                _walk_ld(node[key], found)


def _ld_articles(tree: HtmlElement) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json":
            continue
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            try:
                data = json.loads(re.sub(r"[\x00-\x1f]", " ", raw))
            except ValueError:
                continue
        _walk_ld(data, found)
    # Real articles before generic WebPage nodes.
    found.sort(key=lambda n: str(n.get("@type")).lower() == "webpage")
    return found


def _names(value: Any) -> list[str]:
    if isinstance(value, list):
        out: list[str] = []
        for v in value:
            out.extend(_names(v))
        return out
    if isinstance(value, dict):
        name = _clean(value.get("name"))
        return [name] if name else []
    name = _clean(value)
    return [name] if name else []


def _image(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return _clean(value)


def _image_caption(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return _clean(value.get("caption")) if isinstance(value, dict) else None


ALT_CHARS = 300
CAPTION_CHARS = 500
_IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|webp|gif|avif|svg)$", re.IGNORECASE)
_IMAGE_SIZE = re.compile(r"[-_]?\d{2,4}x\d{2,4}$")
# The images a page shows before its lead image is found among them (logos, icons...).
_IMAGES_LOOKED_AT = 400


def _image_stem(link: str | None) -> str:
    """The file name of an image link without its type and size ("quake-1200x675.jpg"
    and ".../640/quake.jpg?w=640" are "quake"): a page shows its lead image in another
    size than its OpenGraph tag names."""
    name = urlsplit(link or "").path.rsplit("/", 1)[-1]
    return _IMAGE_SIZE.sub("", _IMAGE_FILE.sub("", name)).lower()


def _words(value: str | None, limit: int) -> str | None:
    """Descriptive text of an image: cleaned and cut at a word, or None for none or a
    file name ("IMG_2041.jpg")."""
    text = _clean(value)
    if not text or (" " not in text and _IMAGE_FILE.search(text)):
        return None
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return text


def _lead_image_words(
    tree: HtmlElement, meta: dict[str, str], ld: dict[str, Any], image: str | None
) -> tuple[str | None, str | None]:
    """The lead image's alt text and caption: from its OpenGraph/Twitter alt tag and
    JSON-LD caption, else from the page's own ``<img>`` of that picture and the
    ``<figcaption>`` of its figure."""
    alt = _words(meta.get("og:image:alt") or meta.get("twitter:image:alt"), ALT_CHARS)
    caption = _words(_image_caption(ld.get("image")), CAPTION_CHARS)
    stem = _image_stem(image)
    if (alt and caption) or len(stem) < 4:
        return alt, caption
    for img in itertools.islice(tree.iter("img"), _IMAGES_LOOKED_AT):
        if not any(_image_stem(img.get(attr)) == stem for attr in ("src", "data-src")):
            continue
        alt = alt or _words(img.get("alt"), ALT_CHARS)
        for parent in itertools.islice(img.iterancestors(), 4):
            if parent.tag == "figure":
                found = parent.find(".//figcaption")
                if found is not None:
                    caption = caption or _words(found.text_content(), CAPTION_CHARS)
                break
        break
    return alt, caption


def _absolute(link: str | None, base: str | None) -> str | None:
    if not link:
        return None
    if base:
        link = urljoin(base, link)
    return link if link.startswith(("http://", "https://")) else None


def extract_meta(tree: HtmlElement, url: str | None) -> Meta:
    meta: dict[str, str] = {}
    for el in tree.iter("meta"):
        content = el.get("content")
        if not content:
            continue
        keys = [el.get("property") or "", el.get("name") or "", *(el.get("itemprop") or "").split()]
        for key in keys:
            key = key.strip().lower()
            if key and key not in meta:
                meta[key] = content
    m = Meta()
    articles = _ld_articles(tree)
    ld = articles[0] if articles else {}

    canonical = None
    for link in tree.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            canonical = link.get("href")
            break
    m.canonical_url = _absolute(canonical or meta.get("og:url"), url) or url

    h1s = [t for h in tree.iter("h1") if (t := _clean(h.text_content()))]
    h1_text = h1s[0] if h1s else None
    title_tag = tree.find(".//title")
    # The visible headline when the page has exactly one; else the declared ones.
    single_h1 = h1s[0] if len(h1s) == 1 and 3 <= len(h1s[0].split()) <= 40 else None
    m.title = (
        single_h1
        or _clean(ld.get("headline"))
        or _clean(meta.get("og:title"))
        or _clean(meta.get("twitter:title"))
        or h1_text
        or (_clean(title_tag.text_content()) if title_tag is not None else None)
    )

    authors = _names(ld.get("author"))
    if not authors:
        for key in ("author", "article:author", "parsely-author", "dc.creator", "sailthru.author"):
            if meta.get(key) and not meta[key].startswith("http"):
                authors = [_clean(meta[key]) or ""]
                break
    if not authors:
        for el in tree.xpath('//*[@rel="author" or @itemprop="author"]')[:3]:
            name = _clean(el.text_content())
            if name and len(name) < 80:
                authors.append(name)
    authors = [a for a in dict.fromkeys(authors) if a]
    m.byline = ", ".join(authors) if authors else None

    m.published = (
        parse_date(ld.get("datePublished"))
        or parse_date(meta.get("article:published_time"))
        or parse_date(meta.get("article:published"))
        or parse_date(meta.get("datepublished"))
        or parse_date(meta.get("og:published_time"))
        or parse_date(meta.get("pubdate"))
        or parse_date(meta.get("publishdate"))
        or parse_date(meta.get("parsely-pub-date"))
        or parse_date(meta.get("dc.date.issued"))
        or parse_date(meta.get("dc.date"))
        or parse_date(meta.get("date"))
        or parse_date(meta.get("sailthru.date"))
    )
    if m.published is None:
        for el in tree.xpath("//time[@datetime]")[:3]:
            m.published = parse_date(el.get("datetime"))
            if m.published:
                break
    if m.published is None:
        m.published = _htmldate(tree, url)
    m.updated = (
        parse_date(ld.get("dateModified"))
        or parse_date(meta.get("article:modified_time"))
        or parse_date(meta.get("article:modified"))
        or parse_date(meta.get("og:updated_time"))
        or parse_date(meta.get("datemodified"))
    )

    m.lead_image = _absolute(
        _image(ld.get("image")) or meta.get("og:image") or meta.get("twitter:image"), url
    )
    m.lead_image_alt, m.lead_image_caption = _lead_image_words(tree, meta, ld, m.lead_image)
    html_el = tree if tree.tag == "html" else tree.getroottree().getroot()
    lang = (
        html_el.get("lang")
        or _clean(ld.get("inLanguage"))
        or meta.get("og:locale")
        or meta.get("content-language")
        or meta.get("language")
    )
    m.language = lang.replace("_", "-").split("-")[0].lower().strip() or None if lang else None
    publisher = ld.get("publisher")
    m.site_name = _clean(meta.get("og:site_name")) or (
        _names(publisher)[0] if _names(publisher) else None
    )
    m.description = (
        _clean(meta.get("og:description"))
        or _clean(meta.get("description"))
        or _clean(ld.get("description"))
    )
    body = ld.get("articleBody")
    m.ld_body = body if isinstance(body, str) and body.strip() else None
    free = ld.get("isAccessibleForFree")
    if isinstance(free, str):
        m.accessible_for_free = free.strip().lower() not in {"false", "no", "0"}
    elif isinstance(free, bool):
        m.accessible_for_free = free
    return m
