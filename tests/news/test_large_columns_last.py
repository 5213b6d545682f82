"""Migration 0005: the article's large columns come last in its SQLite table, and a
database migrated with articles in it keeps them, searchable."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tidings.news.models import Article
from tidings.site import search

pytestmark = pytest.mark.django_db(transaction=True)

LARGE = ["description", "signature", "story_evidence", "text", "html"]


def _columns() -> list[str]:
    with connection.cursor() as cursor:
        return [
            c.name for c in connection.introspection.get_table_description(cursor, "news_article")
        ]


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL keeps large values out of the row"
)
def test_the_large_columns_come_last() -> None:
    columns = _columns()
    assert columns[-len(LARGE) :] == LARGE
    assert "duplicate_of_id" in columns[: -len(LARGE)]


def test_articles_stored_before_the_migration_keep_their_values() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("news", "0004_article_changed_at")])
    old = executor.loader.project_state([("news", "0004_article_changed_at")]).apps
    source = old.get_model("news", "Source").objects.create(
        slug="skerrow-post", name="Skerrow Post (sample)", homepage="http://skerrow.example/"
    )
    kept = old.get_model("news", "Article").objects.create(
        id="a" * 32,
        canonical_url="http://skerrow.example/lamp",
        source=source,
        title="Skerrow lamp relit (sample)",
        description="The old lamp shines again.",
        text="Keepers relit the lamp on the headland of Skerrow after ten dark years.",
        html="<p>Keepers relit the lamp.</p>",
        content_hash="h" * 64,
        signature=b"\x01\x02",
        story_evidence=b"\x03",
    )
    old.get_model("news", "Article").objects.create(
        id="b" * 32,
        canonical_url="http://skerrow.example/lamp-copy",
        source=source,
        title="Skerrow lamp relit (copy, sample)",
        text="Keepers relit the lamp on the headland of Skerrow after ten dark years.",
        content_hash="h" * 64,
        duplicate_of=kept,
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    search.ensure_schema(connection)  # what migrating runs afterwards (post_migrate)

    article = Article.objects.get(pk="a" * 32)
    assert article.text.startswith("Keepers relit the lamp on the headland")
    assert (article.description, article.html) == (
        "The old lamp shines again.",
        "<p>Keepers relit the lamp.</p>",
    )
    assert (bytes(article.signature), bytes(article.story_evidence)) == (b"\x01\x02", b"\x03")
    assert Article.objects.get(pk="b" * 32).duplicate_of_id == article.pk
    assert [hit.article_id for hit in search.get_backend().search("headland").hits] == [article.pk]
