"""Rendering for the publisher simulator: pages, feeds and generated images.

Private to :mod:`tidings.core.simulator`. Everything rendered here says it is sample
content. Article pages deliberately carry the furniture of a real news site (navigation,
teasers, newsletter box, cookie banner, advertisement slots...) so that extraction is
tested against the clutter it will meet in the wild.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from html import escape

SAMPLE_FOOTER = "Sample content for the Tidings demo — fictional outlet, people and events."
TRACKING_QUERY = "utm_source=rss&utm_medium=feed&utm_campaign={outlet}"
SECTIONS = ("World", "Politics", "Business", "Technology", "Science", "Climate", "Sport", "Culture")


@dataclass(frozen=True, slots=True)
class SimOutlet:
    """A publisher served by the simulator under ``/<slug>/``."""

    slug: str
    name: str
    language: str = "en"
    country: str = "GB"
    color: str = "#444444"
    tagline: str = "Sample publisher"


@dataclass(frozen=True, slots=True)
class SimArticle:
    """One article served by the simulator at ``/<outlet>/<section>/<slug>``.

    When ``raw_html`` is set, the page is served exactly as given (no furniture) and
    ``paragraphs`` may be empty.
    """

    outlet: str
    slug: str
    title: str
    published: datetime
    paragraphs: tuple[str, ...] = ()
    byline: str = ""
    dateline: str = ""
    section: str = "News"
    language: str = "en"
    image_alt: str = ""
    image_caption: str = ""
    image_credit: str = ""
    raw_html: str | None = None

    @property
    def section_slug(self) -> str:
        return slugify(self.section) or "news"

    @property
    def path(self) -> str:
        return f"/{self.outlet}/{self.section_slug}/{self.slug}"

    @property
    def summary(self) -> str:
        return self.paragraphs[0] if self.paragraphs else self.title

    @property
    def first_line(self) -> str:
        first = self.summary
        match = re.match(r"(.+?[.!?][”\"]?)\s", first + " ")
        return match.group(1) if match else first


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def _human_date(moment: datetime) -> str:
    return moment.strftime("%d %B %Y, %H:%M UTC").lstrip("0")


def _initials(name: str) -> str:
    words = [w for w in re.split(r"[\s&]+", name) if w and w.lower() not in {"the", "le", "la"}]
    return "".join(w[0] for w in words[:2]).upper() or "?"


# --- images -----------------------------------------------------------------------


def logo_svg(outlet: SimOutlet) -> str:
    """A square logo with the outlet's initials on its colour."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
        f"<title>{escape(outlet.name)} (sample outlet)</title>"
        f'<rect width="64" height="64" rx="12" fill="{escape(outlet.color)}"/>'
        '<text x="32" y="42" font-family="Georgia, serif" font-size="28" font-weight="bold" '
        f'text-anchor="middle" fill="#ffffff">{escape(_initials(outlet.name))}</text></svg>'
    )


def lead_image_svg(outlet: SimOutlet, article: SimArticle) -> str:
    """A 1200×675 abstract picture derived from the headline, with a 'sample' label."""
    digest = hashlib.sha256(article.title.encode("utf-8")).digest()
    shapes = []
    for i in range(6):
        x, y, r = digest[i * 3] * 5, digest[i * 3 + 1] * 3, 40 + digest[i * 3 + 2] // 2
        opacity = 0.15 + (digest[20 + i] % 50) / 100
        shapes.append(
            f'<circle cx="{x}" cy="{y}" r="{r}" fill="#ffffff" fill-opacity="{opacity:.2f}"/>'
        )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="675" viewBox="0 0 1200 675">'
        f"<title>{escape(article.image_alt or article.title)}</title>"
        f'<rect width="1200" height="675" fill="{escape(outlet.color)}"/>'
        + "".join(shapes)
        + '<text x="40" y="630" font-family="Helvetica, Arial, sans-serif" font-size="28" '
        f'fill="#ffffff">{escape(outlet.name)} · sample image</text></svg>'
    )


# --- feeds ------------------------------------------------------------------------


def _x(text: str) -> str:
    return escape(text, quote=True)


def rss_feed(
    outlet: SimOutlet,
    articles: Sequence[SimArticle],
    base_url: str,
    *,
    guid_of: dict[str, str] | None = None,
) -> str:
    """RSS 2.0 for an outlet. ``guid_of`` overrides GUIDs (slug -> guid)."""
    home = f"{base_url}/{outlet.slug}/"
    items = []
    for article in articles:
        link = f"{base_url}{article.path}?{TRACKING_QUERY.format(outlet=outlet.slug)}"
        guid = (guid_of or {}).get(article.slug, f"{base_url}{article.path}")
        creator = f"<dc:creator>{_x(article.byline)}</dc:creator>" if article.byline else ""
        items.append(
            "<item>"
            f"<title>{_x(article.title)}</title>"
            f"<link>{_x(link)}</link>"
            f'<guid isPermaLink="false">{_x(guid)}</guid>'
            f"<pubDate>{http_date(article.published)}</pubDate>"
            f"{creator}"
            f"<category>{_x(article.section)}</category>"
            f"<description>{_x(article.summary)}</description>"
            "</item>"
        )
    updated = max((a.published for a in articles), default=None)
    last_build = f"<lastBuildDate>{http_date(updated)}</lastBuildDate>" if updated else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<channel>"
        f"<title>{_x(outlet.name)}</title>"
        f"<link>{_x(home)}</link>"
        f"<description>{_x(outlet.tagline)}. {_x(SAMPLE_FOOTER)}</description>"
        f"<language>{_x(outlet.language)}</language>"
        f'<atom:link href="{_x(home)}feed.rss" rel="self" type="application/rss+xml"/>'
        f"<image><url>{_x(home)}logo.svg</url><title>{_x(outlet.name)}</title>"
        f"<link>{_x(home)}</link></image>"
        f"<copyright>{_x(SAMPLE_FOOTER)}</copyright>"
        f"{last_build}" + "".join(items) + "</channel></rss>\n"
    )


def atom_feed(outlet: SimOutlet, articles: Sequence[SimArticle], base_url: str) -> str:
    """Atom 1.0 for an outlet."""
    home = f"{base_url}/{outlet.slug}/"
    updated = max((a.published for a in articles), default=datetime(2000, 1, 1)).isoformat()
    entries = []
    for article in articles:
        link = f"{base_url}{article.path}?{TRACKING_QUERY.format(outlet=outlet.slug)}"
        author = f"<author><name>{_x(article.byline)}</name></author>" if article.byline else ""
        entries.append(
            "<entry>"
            f"<id>{_x(base_url + article.path)}</id>"
            f"<title>{_x(article.title)}</title>"
            f'<link rel="alternate" type="text/html" href="{_x(link)}"/>'
            f"<published>{article.published.isoformat()}</published>"
            f"<updated>{article.published.isoformat()}</updated>"
            f"{author}"
            f'<category term="{_x(article.section)}"/>'
            f"<summary>{_x(article.summary)}</summary>"
            "</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{_x(outlet.language)}">'
        f"<id>{_x(home)}</id>"
        f"<title>{_x(outlet.name)}</title>"
        f"<subtitle>{_x(outlet.tagline)}. {_x(SAMPLE_FOOTER)}</subtitle>"
        f"<rights>{_x(SAMPLE_FOOTER)}</rights>"
        f'<link rel="alternate" type="text/html" href="{_x(home)}"/>'
        f'<link rel="self" type="application/atom+xml" href="{_x(home)}feed.atom"/>'
        f"<icon>{_x(home)}favicon.svg</icon>"
        f"<updated>{updated}</updated>" + "".join(entries) + "</feed>\n"
    )


# --- pages --------------------------------------------------------------------------

_STYLE = (
    "body{font-family:Georgia,serif;margin:0;color:#222}"
    "header.masthead{padding:12px 24px;color:#fff}"
    "nav a{margin-right:12px;color:inherit}"
    "main{max-width:720px;margin:24px auto;padding:0 16px}"
    ".ad{border:1px dashed #aaa;padding:24px;text-align:center;color:#888;font:12px sans-serif}"
    ".cookie{position:fixed;bottom:0;left:0;right:0;background:#111;color:#eee;padding:12px}"
    "footer{padding:24px;background:#f2f2f2;font:13px sans-serif}"
)


def _head(title: str, outlet: SimOutlet, base_url: str, extra: str = "") -> str:
    home = f"{base_url}/{outlet.slug}/"
    return (
        "<head>"
        '<meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f'<link rel="icon" type="image/svg+xml" href="{escape(home)}favicon.svg">'
        f'<link rel="alternate" type="application/rss+xml" title="{escape(outlet.name)} (RSS)" '
        f'href="{escape(home)}feed.rss">'
        f'<link rel="alternate" type="application/atom+xml" title="{escape(outlet.name)} (Atom)" '
        f'href="{escape(home)}feed.atom">'
        f"<style>{_STYLE}</style>"
        f"{extra}</head>"
    )


def _masthead(outlet: SimOutlet, base_url: str) -> str:
    home = f"{base_url}/{outlet.slug}/"
    links = "".join(f'<a href="{escape(home)}{slugify(s)}/">{escape(s)}</a>' for s in SECTIONS)
    return (
        f'<header class="masthead" style="background:{escape(outlet.color)}">'
        f'<a href="{escape(home)}"><img src="{escape(home)}logo.svg" width="40" height="40" '
        f'alt="{escape(outlet.name)} logo"></a> '
        f'<span class="site-name">{escape(outlet.name)}</span> '
        f'<span class="tagline">{escape(outlet.tagline)}</span>'
        '<form class="search" action="#" role="search"><input name="q" placeholder="Search">'
        "<button>Search</button></form>"
        f'<nav aria-label="Sections"><a href="{escape(home)}">Home</a>{links}'
        '<a href="#subscribe">Subscribe</a><a href="#login">Sign in</a></nav>'
        "</header>"
    )


def _footer(outlet: SimOutlet) -> str:
    return (
        '<footer class="site-footer">'
        f"<p><strong>{escape(SAMPLE_FOOTER)}</strong></p>"
        f"<p>{escape(outlet.name)} is a fictional publisher invented for the Tidings demo. "
        "None of the people, places or events on this site are real.</p>"
        '<ul class="footer-links"><li><a href="#about">About us</a></li>'
        '<li><a href="#contact">Contact</a></li><li><a href="#privacy">Privacy policy</a></li>'
        '<li><a href="#terms">Terms of use</a></li><li><a href="#careers">Careers</a></li></ul>'
        f"<p>© {escape(outlet.name)}. All rights reserved (to nobody — it is sample text).</p>"
        "</footer>"
    )


_COOKIE_BANNER = (
    '<div class="cookie" role="dialog" aria-label="Cookie consent">'
    "We use cookies to personalise content and ads, and to analyse our traffic. "
    "<button>Accept all</button> <button>Manage preferences</button></div>"
)


def _ad(slot: str) -> str:
    return f'<aside class="ad" data-slot="{slot}"><span>Advertisement</span></aside>'


def homepage_html(outlet: SimOutlet, articles: Sequence[SimArticle], base_url: str) -> str:
    """An outlet's front page: masthead, the latest headlines with teasers, footer."""
    items = []
    for article in articles:
        url = f"{base_url}{article.path}"
        items.append(
            '<article class="teaser">'
            f'<p class="kicker">{escape(article.section)}</p>'
            f'<h2><a href="{escape(url)}">{escape(article.title)}</a></h2>'
            f"<p>{escape(article.first_line)}</p>"
            f'<time datetime="{article.published.isoformat()}">'
            f"{escape(_human_date(article.published))}</time>"
            "</article>"
        )
    return (
        f'<!doctype html><html lang="{escape(outlet.language)}">'
        + _head(f"{outlet.name} — {outlet.tagline}", outlet, base_url)
        + "<body>"
        + _masthead(outlet, base_url)
        + '<main><p class="sample-notice"><em>'
        + escape(SAMPLE_FOOTER)
        + "</em></p><h1>Latest news</h1>"
        + _ad("home-top")
        + "".join(items)
        + "</main>"
        + _footer(outlet)
        + _COOKIE_BANNER
        + "</body></html>"
    )


def _json_ld(outlet: SimOutlet, article: SimArticle, base_url: str) -> str:
    canonical = f"{base_url}{article.path}"
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.summary,
        "datePublished": article.published.isoformat(),
        "dateModified": article.published.isoformat(),
        "inLanguage": article.language,
        "articleSection": article.section,
        "mainEntityOfPage": canonical,
        "url": canonical,
        "image": [f"{base_url}/{outlet.slug}/images/{article.slug}.svg"],
        "author": [{"@type": "Person", "name": article.byline}] if article.byline else [],
        "publisher": {
            "@type": "Organization",
            "name": outlet.name,
            "logo": {"@type": "ImageObject", "url": f"{base_url}/{outlet.slug}/logo.svg"},
        },
        "isAccessibleForFree": True,
        "copyrightNotice": SAMPLE_FOOTER,
    }
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def article_html(
    outlet: SimOutlet,
    article: SimArticle,
    others: Sequence[SimArticle],
    base_url: str,
) -> str:
    """A full article page with realistic furniture around the body."""
    canonical = f"{base_url}{article.path}"
    image_url = f"{base_url}/{outlet.slug}/images/{article.slug}.svg"
    home = f"{base_url}/{outlet.slug}/"
    meta = (
        f'<link rel="canonical" href="{escape(canonical)}">'
        f'<meta name="description" content="{escape(article.summary)}">'
        f'<meta name="author" content="{escape(article.byline)}">'
        '<meta property="og:type" content="article">'
        f'<meta property="og:title" content="{escape(article.title)}">'
        f'<meta property="og:description" content="{escape(article.summary)}">'
        f'<meta property="og:url" content="{escape(canonical)}">'
        f'<meta property="og:image" content="{escape(image_url)}">'
        f'<meta property="og:site_name" content="{escape(outlet.name)}">'
        f'<meta property="og:locale" content="{escape(article.language)}">'
        f'<meta property="article:published_time" content="{article.published.isoformat()}">'
        f'<meta property="article:section" content="{escape(article.section)}">'
        + _json_ld(outlet, article, base_url)
    )
    share = (
        '<div class="share" aria-label="Share this article">Share: '
        '<a href="#share-email">Email</a> <a href="#share-social">Social</a> '
        '<a href="#share-copy">Copy link</a> <a href="#print">Print</a></div>'
    )
    body = "".join(f"<p>{escape(p)}</p>" for p in article.paragraphs[:3])
    body += _ad("in-article")
    body += "".join(f"<p>{escape(p)}</p>" for p in article.paragraphs[3:])
    teasers = "".join(
        f'<li><a href="{escape(base_url + o.path)}">{escape(o.title)}</a>'
        f"<p>{escape(o.first_line)}</p></li>"
        for o in others[:5]
    )
    related = "".join(
        f'<li><a href="{escape(base_url + o.path)}">{escape(o.title)}</a></li>' for o in others[5:8]
    )
    byline = escape(article.byline) if article.byline else f"{escape(outlet.name)} staff"
    return (
        f'<!doctype html><html lang="{escape(article.language)}">'
        + _head(f"{article.title} | {outlet.name}", outlet, base_url, meta)
        + "<body>"
        + _masthead(outlet, base_url)
        + _ad("leaderboard")
        + '<main><nav class="breadcrumb" aria-label="Breadcrumb">'
        + f'<a href="{escape(home)}">Home</a> › '
        + f'<a href="{escape(home)}{article.section_slug}/">{escape(article.section)}</a></nav>'
        + '<article class="story">'
        + f'<p class="kicker">{escape(article.section)}</p>'
        + f"<h1>{escape(article.title)}</h1>"
        + f'<p class="byline">By <a rel="author" href="#author">{byline}</a></p>'
        + f'<p class="meta"><span class="dateline">{escape(article.dateline)}</span> · '
        + f'<time datetime="{article.published.isoformat()}">'
        + f"Published {escape(_human_date(article.published))}</time></p>"
        + share
        + f'<figure class="lead"><img src="{escape(image_url)}" alt="{escape(article.image_alt)}" '
        + 'width="1200" height="675">'
        + f"<figcaption>{escape(article.image_caption)} "
        + f'<span class="credit">Photograph: {escape(article.image_credit)}</span>'
        + "</figcaption></figure>"
        + f'<div class="article-body">{body}</div>'
        + '<p class="sample-notice"><em>'
        + escape(SAMPLE_FOOTER)
        + "</em></p>"
        + share
        + '<section class="author-bio" id="author">'
        + f"<h2>About the author</h2><p>{byline} writes for {escape(outlet.name)}, "
        + "a fictional outlet. Follow for more sample reporting.</p></section>"
        + "</article>"
        + '<aside class="newsletter" id="subscribe"><h2>Get the morning briefing</h2>'
        + "<p>The day's top stories in your inbox before breakfast. Free, every weekday.</p>"
        + '<form><input type="email" placeholder="Your email address">'
        + "<button>Sign up</button></form></aside>"
        + _ad("sidebar")
        + f'<section class="more-stories"><h2>More stories</h2><ul>{teasers}</ul></section>'
        + f'<section class="related"><h2>Related</h2><ul>{related}</ul></section>'
        + '<section class="comments"><h2>Comments</h2>'
        + "<p>Comments are closed on this sample article.</p></section>"
        + "</main>"
        + _footer(outlet)
        + _COOKIE_BANNER
        + "</body></html>"
    )


def index_html(outlets: Sequence[SimOutlet], base_url: str) -> str:
    """The simulator's root page listing every outlet and its feeds."""
    rows = "".join(
        f'<li><a href="{escape(base_url)}/{o.slug}/">{escape(o.name)}</a> — '
        f'<a href="{escape(base_url)}/{o.slug}/feed.rss">RSS</a> · '
        f'<a href="{escape(base_url)}/{o.slug}/feed.atom">Atom</a></li>'
        for o in outlets
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Tidings publisher simulator</title></head><body>"
        "<h1>Tidings publisher simulator</h1>"
        f"<p>{escape(SAMPLE_FOOTER)}</p><ul>{rows}</ul></body></html>"
    )


ROBOTS_TXT = (
    "# Sample content for the Tidings demo — fictional outlets.\n"
    "User-agent: *\n"
    "Disallow: /private/\n"
    "Allow: /\n"
)
