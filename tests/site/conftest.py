from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from tidings.news.models import Article

from .factories import make_article, make_related, make_source, make_story


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def page() -> Article:
    """An article a logged-out reader opens: a story with another outlet's report, which
    is also its related card (the page store's and the front's tests; a module may have
    its own)."""
    wire, herald = make_source("Meridian Wire"), make_source("Harbour Herald")
    art = make_article(
        wire,
        "Lighthouse keepers return to Skerrow (sample)",
        published_at=timezone.now() - timedelta(minutes=10),
    )
    other = make_article(herald, "Skerrow light relit after ten years (sample)")
    make_story([art, other])
    make_related(art, other, 0)
    return art
