"""What the site adds to the schema is put back by every migrate."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from tidings.site import _pgchanges

pytestmark = pytest.mark.django_db


def _names(sql: str, *params: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's search triggers")
def test_migrate_puts_back_a_dropped_search_trigger() -> None:
    triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s"
    before = _names(triggers, "site_search_%")
    assert len(before) == 3
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER site_search_ai")
    call_command("migrate", verbosity=0)
    assert _names(triggers, "site_search_%") == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's notices")
def test_migrate_puts_back_the_page_key_notices() -> None:
    triggers = (
        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " WHERE t.tgname = %s"
    )
    before = _names(triggers, _pgchanges.TRIGGER)
    assert before == {"news_article", "news_source", "news_story", "community_comment"}
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {_pgchanges.TRIGGER} ON news_story")
    call_command("migrate", verbosity=0)
    assert _names(triggers, _pgchanges.TRIGGER) == before
