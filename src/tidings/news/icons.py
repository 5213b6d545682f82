"""Publisher favicons, fetched through the guarded fetcher and served from our origin."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import lxml.html
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from tidings import services
from tidings.core.errors import TidingsError
from tidings.core.textutil import decode_bytes
from tidings.news.models import Source

log = logging.getLogger("tidings.ingest")

MAX_ICON_BYTES = 256 * 1024
RECHECK = timedelta(days=7)
_IMAGE_TYPES = {
    "image/png",
    "image/x-icon",
    "image/vnd.microsoft.icon",
    "image/gif",
    "image/jpeg",
    "image/webp",
    "image/svg+xml",
}
_REL_ORDER = ("icon", "shortcut icon", "apple-touch-icon")


def icon_candidates(html: str, base_url: str) -> list[str]:
    """Icon URLs a homepage advertises, best first, then the conventional /favicon.ico."""
    found: list[tuple[int, str]] = []
    try:
        doc = lxml.html.document_fromstring(html or "<html></html>")
    except (ValueError, lxml.etree.ParserError):
        doc = None
    if doc is not None:
        for link in doc.iter("link"):
            rel = " ".join((link.get("rel") or "").lower().split())
            href = (link.get("href") or "").strip()
            if rel in _REL_ORDER and href:
                url = urljoin(base_url, href)
                if urlsplit(url).scheme in {"http", "https"}:
                    found.append((_REL_ORDER.index(rel), url))
    found.sort(key=lambda item: item[0])
    urls = [url for _, url in found]
    parts = urlsplit(base_url)
    urls.append(f"{parts.scheme}://{parts.netloc}/favicon.ico")
    return list(dict.fromkeys(urls))


def refresh_icon(source: Source, *, force: bool = False) -> bool:
    """Fetch the source's favicon if it is due; True when one was stored. Never raises."""
    now = timezone.now()
    if not force and source.icon_checked_at and now - source.icon_checked_at < RECHECK:
        return False
    Source.objects.filter(pk=source.pk).update(icon_checked_at=now)
    if not source.homepage:
        return False
    fetcher = services.fetcher()
    try:
        page = fetcher.fetch(source.homepage, kind="page")
        html = decode_bytes(page.content, page.encoding)
        base = page.url
    except TidingsError as exc:
        log.info("icon discovery for %s: %s", source.name, exc)
        html, base = "", source.homepage
    for url in icon_candidates(html, base)[:4]:
        try:
            got = fetcher.fetch(url, kind="icon")
        except TidingsError:
            continue
        kind = got.content_type.lower()
        if kind not in _IMAGE_TYPES or not got.content or len(got.content) > MAX_ICON_BYTES:
            continue
        Source.objects.filter(pk=source.pk).update(
            icon=got.content,
            icon_type=kind,
            favicon_url=reverse("source_icon", args=[source.slug]),
        )
        return True
    return False


def serve_icon(request: HttpRequest, slug: str) -> HttpResponse:
    source = get_object_or_404(
        Source.objects.only("icon", "icon_type", "icon_checked_at"), slug=slug
    )
    if not source.icon:
        raise Http404("no icon")
    response = HttpResponse(bytes(source.icon), content_type=source.icon_type or "image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    # An SVG from a publisher must never run script on our origin, even opened directly.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    if source.icon_checked_at:
        response["Last-Modified"] = http_date(source.icon_checked_at.timestamp())
    return response
