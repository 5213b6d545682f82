from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _ensure_search_schema(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # A later migration that rebuilds the article table (SQLite) drops the FTS
    # sync triggers with it; put them back and reindex after every migrate.
    from tidings.site.search import ensure_schema

    ensure_schema(connections[using])


class SiteConfig(AppConfig):
    name = "tidings.site"
    label = "site"
    verbose_name = "Reader site"

    def ready(self) -> None:
        post_migrate.connect(_ensure_search_schema, sender=self)
        from tidings.news.signals import worker_idle
        from tidings.site.prerender import on_worker_idle

        worker_idle.connect(on_worker_idle, dispatch_uid="tidings.site.prerender")
