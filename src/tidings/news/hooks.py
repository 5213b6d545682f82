"""What happens after an article is stored; each step is isolated so one failure loses nothing."""

from __future__ import annotations

import logging

from tidings.news.models import Article

log = logging.getLogger("tidings.ingest")


def article_saved(article: Article) -> None:
    try:
        from tidings.site import search
    except ImportError:
        return
    index = getattr(search, "index_article", None)
    if index is None:
        return
    try:
        index(article)
    except Exception:
        log.exception("search indexing failed for %s", article.pk)
