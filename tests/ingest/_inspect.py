"""Print the stored articles, entries and feeds as JSON (run with the product's settings)."""

from __future__ import annotations

import json
import sys

import django


def main() -> int:
    django.setup()
    from tidings.news.models import Article, Entry, Feed

    data = {
        "articles": list(Article.objects.values("id", "canonical_url", "duplicate_of_id", "text")),
        "entries": list(Entry.objects.values("id", "url", "state", "article_id", "error_code")),
        "feeds": list(Feed.objects.values("url", "last_error_code", "polling_since")),
    }
    json.dump(data, sys.stdout, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
