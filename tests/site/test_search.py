"""Full-text search, on whichever engine the test database uses (SQLite FTS5 or PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tidings.news.models import Article
from tidings.site import search
from tidings.site.search import PAGE_SIZE, get_backend

from .factories import make_article, make_source

pytestmark = pytest.mark.django_db


def ids(results) -> list[str]:
    return [h.article_id for h in results.hits]


def test_backend_matches_the_database():
    name = type(get_backend()).__name__
    assert name == {"sqlite": "SqliteBackend", "postgresql": "PostgresBackend"}[connection.vendor]


def test_finds_words_in_title_and_text_with_highlights():
    a = make_article(title="Lighthouse keepers strike", text="Keepers walked out over pay.")
    b = make_article(title="Harbour news", text="The lighthouse on the point was repainted in red.")
    make_article(title="Unrelated", text="Nothing to see here.")
    results = get_backend().search("lighthouse")
    assert set(ids(results)) == {a.pk, b.pk}
    assert results.total == 2
    # The title match ranks first.
    assert ids(results)[0] == a.pk
    assert "<mark>Lighthouse</mark>" in results.hits[0].title_html
    assert "<mark>lighthouse</mark>" in results.hits[1].snippet_html


def test_stemming_and_all_words():
    a = make_article(title="Ferries halted", text="Ferry crossings were halted by the storm.")
    make_article(title="Storm warning", text="A storm is coming.")
    assert ids(get_backend().search("ferry storm")) == [a.pk]
    assert a.pk in ids(get_backend().search("halting"))


def test_falls_back_to_any_word_when_no_article_has_all():
    a = make_article(title="Copper rises", text="Copper prices rose.")
    b = make_article(title="Zinc falls", text="Zinc prices fell.")
    results = get_backend().search("copper zinc")
    assert set(ids(results)) == {a.pk, b.pk} and results.any_word
    assert not get_backend().search("copper prices").any_word


def test_recent_articles_rank_higher_at_equal_relevance():
    now = timezone.now()
    old = make_article(title="Tidal report", text="Tides.", published_at=now - timedelta(days=200))
    new = make_article(title="Tidal report", text="Tides.", published_at=now - timedelta(hours=1))
    assert ids(get_backend().search("tidal")) == [new.pk, old.pk]


def test_duplicates_are_left_out():
    a = make_article(title="Dam opened", text="The new dam opened.")
    make_article(title="Dam opened", text="The new dam opened.", duplicate_of=a)
    assert ids(get_backend().search("dam")) == [a.pk]


def _indexed(article_id: str) -> bool:
    """Whether the article has rows in the index (SQLite; PostgreSQL's partial index
    cannot be asked, its rows follow its WHERE)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM site_search_fts f JOIN site_search_doc d ON d.docid = f.rowid"
            " WHERE d.article_id = %s",
            [article_id],
        )
        (rows,) = cur.fetchone()
        cur.execute("SELECT count(*) FROM site_search_doc WHERE article_id = %s", [article_id])
        (docs,) = cur.fetchone()
        return bool(rows or docs)


def test_duplicates_are_not_indexed_until_they_stop_being_duplicates():
    original = make_article(title="Ferry service resumes", text="The ferry sails again.")
    copy = make_article(
        title="Ferry service resumes",
        text="The ferry sails again. Quayside.",
        duplicate_of=original,
    )
    other = make_article(title="Ferry timetable", text="New ferry times. Quayside.")
    assert ids(get_backend().search("quayside")) == [other.pk]
    # Becoming a duplicate later takes an article out of the index...
    Article.objects.filter(pk=other.pk).update(duplicate_of=original)
    assert ids(get_backend().search("quayside")) == []
    if connection.vendor == "sqlite":
        assert _indexed(original.pk)
        assert not _indexed(copy.pk) and not _indexed(other.pk)
    # ...and an original deleted leaves its copies searchable (duplicate_of set to NULL).
    original.delete()
    assert sorted(ids(get_backend().search("quayside"))) == sorted([copy.pk, other.pk])
    if connection.vendor == "sqlite":
        assert _indexed(copy.pk) and _indexed(other.pk)
    # An explicit reindex of a duplicate takes it out.
    copy.refresh_from_db()
    copy.duplicate_of = make_article(title="Ferry", text="Ferry news.")
    copy.save(update_fields=["duplicate_of"])
    get_backend().index_article(copy)
    assert ids(get_backend().search("quayside")) == [other.pk]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index's own rows")
def test_a_save_that_changes_nothing_searched_does_not_reindex():
    def docid(article_id: str) -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT docid FROM site_search_doc WHERE article_id = %s", [article_id])
            return int(cur.fetchone()[0])

    a = make_article(title="Tram line extended", text="Trams run further.")
    first = docid(a.pk)
    a.save(update_fields=["duplicate_of", "title", "text"])  # named, not changed
    assert docid(a.pk) == first
    a.title = "Tram line extended again"
    a.save(update_fields=["title"])
    assert docid(a.pk) != first
    assert ids(get_backend().search("again")) == [a.pk]


def test_out_of_date_index_structures_are_replaced():
    sqlite = connection.vendor == "sqlite"
    if not sqlite:  # before any row is written: PostgreSQL indexes no table with pending triggers
        with connection.cursor() as cur:
            cur.execute(
                "CREATE INDEX site_article_search ON news_article USING gin"
                " (to_tsvector('english'::regconfig, coalesce(title, '')))"
            )
        search.ensure_schema(connection)
    a = make_article(title="Canal reopens", text="Barges pass the lock.")
    b = make_article(title="Canal reopens", text="Barges pass the lock.", duplicate_of=a)
    with connection.cursor() as cur:
        if sqlite:
            # An earlier definition: every article indexed, duplicates included.
            cur.execute("DROP TRIGGER site_search_ai")
            cur.execute(
                "CREATE TRIGGER site_search_ai AFTER INSERT ON news_article BEGIN"
                " INSERT OR IGNORE INTO site_search_doc(article_id) VALUES (new.id); END"
            )
            cur.execute("INSERT OR IGNORE INTO site_search_doc(article_id) VALUES (%s)", [b.pk])
            search.ensure_schema(connection)
            cur.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'site_search_%'"
            )
            assert sorted(r[0] for r in cur.fetchall()) == sorted(search._SQLITE_TRIGGERS)
            assert _indexed(a.pk) and not _indexed(b.pk)
        else:
            cur.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'site_article%'")
            assert [r[0] for r in cur.fetchall()] == ["site_article_search_originals"]
    assert ids(get_backend().search("barges")) == [a.pk]
    if sqlite:
        search.ensure_schema(connection)  # idempotent
        assert ids(get_backend().search("barges")) == [a.pk]


def test_index_follows_updates_deletes_and_bulk_inserts():
    a = make_article(title="Orchard harvest", text="Apples.")
    assert ids(get_backend().search("orchard")) == [a.pk]
    a.title = "Vineyard harvest"
    a.save()
    assert ids(get_backend().search("orchard")) == []
    assert ids(get_backend().search("vineyard")) == [a.pk]
    Article.objects.filter(pk=a.pk).update(text="Grapes and quinces.")
    assert ids(get_backend().search("quinces")) == [a.pk]
    a.delete()
    assert ids(get_backend().search("vineyard")) == []
    src = make_source()
    Article.objects.bulk_create(
        [
            Article(
                id=f"{i:032x}", canonical_url=f"https://bulk.example/{i}", source=src,
                title=f"Bulk meadow {i}", text="Meadow text.", content_hash=str(i),
            )
            for i in range(3)
        ]
    )  # fmt: skip
    assert get_backend().search("meadow").total == 3


def test_explicit_index_and_remove_are_idempotent():
    a = make_article(title="Glacier retreat", text="Ice.")
    backend = get_backend()
    backend.index_article(a)
    backend.index_article(a)
    assert ids(backend.search("glacier")) == [a.pk]
    backend.remove(a.pk)
    backend.remove(a.pk)
    if connection.vendor == "sqlite":
        assert ids(backend.search("glacier")) == []


def test_pagination():
    src = make_source()
    for i in range(PAGE_SIZE + 3):
        make_article(
            src, f"Estuary survey {i}", "Birds.", published_at=timezone.now() - timedelta(hours=i)
        )
    first = get_backend().search("estuary", 1)
    second = get_backend().search("estuary", 2)
    assert first.total == PAGE_SIZE + 3 and first.pages == 2 and first.has_next
    assert len(first.hits) == PAGE_SIZE and len(second.hits) == 3
    assert not set(ids(first)) & set(ids(second))


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "AND OR NOT",
        "NEAR(",
        "title:x",
        "a*",
        "-",
        "'; DROP TABLE news_article; --",
        "\x00",
        "\ue000",
    ],
)
def test_odd_queries_are_safe(query):
    make_article(title="Anything", text="Something.")
    results = get_backend().search(query)
    assert results.total >= 0


def test_snippets_are_escaped():
    make_article(
        title="Bridge <script>alert(1)</script>",
        text="The bridge <img src=x onerror=alert(1)> reopened.",
    )
    hit = get_backend().search("bridge").hits[0]
    assert "<script>" not in hit.title_html and "&lt;script&gt;" in hit.title_html
    assert "<img" not in hit.snippet_html and "<mark>" in hit.snippet_html


def test_search_page(client):
    a = make_article(title="Lighthouse keepers strike", text="Keepers walked out.")
    r = client.get("/search", {"q": "lighthouse"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "1 result for “lighthouse”" in html
    assert a.get_absolute_url() in html and "<mark>Lighthouse</mark>" in html
    assert "Nothing matches" in client.get("/search", {"q": "zeppelin"}).content.decode()
    # Some of the words, not all: said so.
    some = client.get("/search", {"q": "lighthouse zeppelin"}).content.decode()
    assert "1 result for" in some and "No article has all of these words" in some
    assert "No article has all" not in html
    assert client.get("/search").status_code == 200
    assert client.get("/search", {"q": "lighthouse", "page": 5}).status_code == 404
    # Past what the database's offset holds: no such page, not a server error.
    for page in ("1000000000000000000", "99999999999999999999", "1" * 5000):
        assert client.get("/search", {"q": "lighthouse", "page": page}).status_code == 404


def test_a_server_error_is_logged(monkeypatch):
    """The error page says the problem has been logged: its traceback reaches the log."""
    import io
    import logging

    from django.test import Client

    class Broken:
        def search(self, q: str, page: int = 1) -> search.Results:
            raise RuntimeError("the index is gone")

    monkeypatch.setattr(search, "get_backend", lambda: Broken())
    handler = next(h for h in logging.getLogger("django").handlers if h.name == "console")
    out = io.StringIO()
    monkeypatch.setattr(handler, "stream", out)
    response = Client(raise_request_exception=False).get("/search", {"q": "lighthouse"})
    assert response.status_code == 500
    logged = out.getvalue()
    assert "ERROR django.request: Internal Server Error: /search" in logged
    assert "RuntimeError: the index is gone" in logged
