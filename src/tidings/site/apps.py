from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _ensure_search_schema(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # A later migration that rebuilds the article table (SQLite) drops the FTS
    # sync triggers with it; put them back and reindex after every migrate.
    from tidings.site.search import ensure_schema

    ensure_schema(connections[using])


def _ensure_page_key_notices(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # PostgreSQL: the tables a stored page's key is read from announce their changes
    # (see ``_pgchanges``); the comments' table too when the comments app is installed.
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    from django.apps import apps

    from tidings.site import _pgchanges

    models = [apps.get_model("news", name) for name in ("Article", "Source", "Story")]
    if apps.is_installed("tidings.community"):
        models.append(apps.get_model("community", "Comment"))
    _pgchanges.install(connection, [m._meta.db_table for m in models])


class SiteConfig(AppConfig):
    name = "tidings.site"
    label = "site"
    verbose_name = "Reader site"

    def ready(self) -> None:
        # Django signals the end of a migrate only to apps with models, which this one
        # has none of: the article table's app carries the signal (sent once the whole
        # plan is applied, every table in place).
        from django.apps import apps

        news = apps.get_app_config("news")
        post_migrate.connect(_ensure_search_schema, sender=news)
        post_migrate.connect(_ensure_page_key_notices, sender=news)
        from tidings.news.signals import worker_idle
        from tidings.site.prerender import on_worker_idle

        worker_idle.connect(on_worker_idle, dispatch_uid="tidings.site.prerender")
