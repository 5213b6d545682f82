"""Atom feeds of the site: the latest articles, of every section or of one.

Each entry links to the article's page here (clean text, its story, related coverage)
and names its outlet; the summary is the article's teaser. Copies of an article that
another outlet published first are left out, as on the home page.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from tidings.news.models import Article
from tidings.site.templatetags.tidings_site import snippet
from tidings.site.views import _cards

#: Entries in a feed (a reader polls it; older ones are on the site).
FEED_ENTRIES = 30


def _with_category(path: str, category: str) -> str:
    return f"{path}?{urlencode({'category': category})}" if category else path


class LatestArticles(Feed):
    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest) -> str:
        category = request.GET.get("category", "").strip()[:100]
        if category and not Article.objects.filter(category=category).exists():
            raise Http404("no such section")
        return category

    def title(self, category: str) -> str:
        name = str(settings.SITE_NAME)
        return f"{name}: {category}" if category else f"{name}: latest articles"

    def subtitle(self, category: str) -> str:
        return "The latest articles from every outlet, each with its story and related coverage."

    def link(self, category: str) -> str:
        return _with_category(reverse("home"), category)

    def feed_url(self, category: str) -> str:
        return _with_category(reverse("feed"), category)

    def items(self, category: str) -> list[Article]:
        latest = _cards().filter(duplicate_of__isnull=True)
        if category:
            latest = latest.filter(category=category)
        return list(latest[:FEED_ENTRIES])

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        return snippet(item, 400)

    def item_link(self, item: Article) -> str:
        return item.get_absolute_url()

    def item_author_name(self, item: Article) -> str:
        return f"{item.byline} ({item.source.name})" if item.byline else item.source.name

    def item_pubdate(self, item: Article) -> datetime:
        return item.published_at or item.fetched_at

    def item_updateddate(self, item: Article) -> datetime:
        return max(d for d in (item.published_at, item.updated_at, item.fetched_at) if d)

    def item_categories(self, item: Article) -> list[str]:
        return [item.category] if item.category else []
