"""Fixtures shared by every test."""

from collections.abc import Iterator

import pytest

from tests.ingest._proc import BACKENDS, fresh_postgres


@pytest.fixture(autouse=True)
def _fresh_heartbeats() -> None:
    """A worker registers again in every test (each test starts with an empty table)."""
    from tidings.news import worker_id

    worker_id._last_beat.clear()


@pytest.fixture(autouse=True)
def _fresh_page_store() -> Iterator[None]:
    """Rendered pages never carry over from one test to the next."""
    from django.core.cache import caches

    caches["pages"].clear()
    yield
    caches["pages"].clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: object) -> Iterator[None]:
    """The test database, dropped at the end even when a server thread still holds a
    connection to it (the browser tests' live server answers a page's last requests
    while the browser closes): PostgreSQL refuses to drop a database in use, and each
    refused drop left a ``test_tidings_*`` database behind on the server."""
    yield
    from django.db import connection

    from tidings.site import _pgchanges

    if connection.vendor != "postgresql":
        return
    _pgchanges.stop_all(wait=5.0)
    with django_db_blocker.unblock(), connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A product process's empty database (tests that run ``tidings`` itself): ""
    (SQLite in its data directory), or a new PostgreSQL database when the suite runs on
    one."""
    if request.param == "sqlite":
        yield ""
        return
    with fresh_postgres() as url:
        yield url
