"""Keyword full-text search over article titles and text.

One small :class:`SearchBackend` protocol, two engines chosen by the database
in use (:func:`get_backend`):

- SQLite (embedded default): an FTS5 table (porter stemming, diacritics
  folded) kept in sync with ``news_article`` by SQL triggers, so every write
  path — ``save()``, ``bulk_create()``, ``update()``, raw SQL — is indexed.
  The triggers are (re)created after every ``migrate`` when missing or not
  the current ones (a table rebuild by a later migration drops them); the
  index is then rebuilt.
- PostgreSQL: a partial GIN expression index over a weighted ``tsvector`` of
  title (A) and text (B); the database keeps it current, ``index_article``
  and ``remove`` have nothing to do.

Syndicated duplicates (``duplicate_of`` set) are never searched, so neither
engine indexes them: a copy costs no index work when it is stored (on SQLite
the FTS insert is most of an article insert), and an article that stops being
a duplicate (its original deleted) is indexed then.

Results are ranked by relevance damped by age (a month-old article needs
about twice the relevance of today's), syndicated duplicates are left out,
and snippets come back as safe HTML with the matched words in ``<mark>``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Protocol

from django.db import DatabaseError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.html import escape

from tidings.core.errors import ConfigError, SearchError
from tidings.news.models import Article

__all__ = [
    "PAGE_SIZE",
    "Hit",
    "PostgresBackend",
    "Results",
    "SearchBackend",
    "SqliteBackend",
    "ensure_schema",
    "get_backend",
]

PAGE_SIZE = 20
MAX_QUERY_CHARS = 200
_MAX_TERMS = 12
# Private-use characters mark highlights inside the engine's output; the text is
# escaped first and only balanced pairs become <mark> elements.
_START, _STOP = "\ue000", "\ue001"
_MARKED = re.compile(f"{_START}(.*?){_STOP}", re.S)
_TERM = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Hit:
    article_id: str
    title_html: str
    snippet_html: str
    rank: float


@dataclass(frozen=True)
class Results:
    query: str
    hits: list[Hit]
    total: int
    page: int
    #: No article has every word: these have some of them (the page says so).
    any_word: bool = False

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / PAGE_SIZE))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


class SearchBackend(Protocol):
    """A full-text index of articles.

    Every method raises :class:`~tidings.core.errors.SearchError` when the
    index cannot be read or written.
    """

    def index_article(self, article: Article) -> None:
        """Add or refresh one article (idempotent)."""

    def remove(self, article_id: str) -> None:
        """Drop one article from the index (no error if absent)."""

    def search(self, q: str, page: int = 1) -> Results:
        """The ``page``-th page (1-based) of hits for the reader's query ``q``."""


def _highlight(raw: str | None) -> str:
    text: str = escape(raw or "")
    text = _MARKED.sub(r"<mark>\1</mark>", text)
    return text.replace(_START, "").replace(_STOP, "")


def _terms(q: str) -> list[str]:
    return _TERM.findall(q[:MAX_QUERY_CHARS].replace(_START, " ").replace(_STOP, " "))[:_MAX_TERMS]


# --- SQLite FTS5 ------------------------------------------------------------------

_DOC = "site_search_doc"
_FTS = "site_search_fts"
_TRIGGERS = ("site_search_ai", "site_search_au", "site_search_ad")
# Index the new row unless it is a duplicate (the WHERE of each statement).
_REINDEX_NEW = f"""
  INSERT OR IGNORE INTO {_DOC}(article_id) SELECT new.id WHERE new.duplicate_of_id IS NULL;
  DELETE FROM {_FTS} WHERE rowid = (SELECT docid FROM {_DOC} WHERE article_id = new.id);
  INSERT INTO {_FTS}(rowid, title, body)
    SELECT docid, new.title, new.text FROM {_DOC}
    WHERE article_id = new.id AND new.duplicate_of_id IS NULL;
"""
_UNINDEX_OLD = (
    f"DELETE FROM {_FTS} WHERE rowid = (SELECT docid FROM {_DOC} WHERE article_id = old.id);"
    f" DELETE FROM {_DOC} WHERE article_id = old.id;"
)
_SQLITE_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {_DOC} ("
    " docid INTEGER PRIMARY KEY AUTOINCREMENT, article_id VARCHAR(32) NOT NULL UNIQUE)",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {_FTS} USING fts5("
    " title, body, tokenize = 'porter unicode61 remove_diacritics 2')",
)
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER site_search_ai AFTER INSERT ON news_article"
    f" WHEN new.duplicate_of_id IS NULL BEGIN {_REINDEX_NEW} END",
    # A save names columns whether or not they change (the story stage saves
    # duplicate_of with every assignment): reindex only on a real change.
    "CREATE TRIGGER site_search_au"
    " AFTER UPDATE OF id, title, text, duplicate_of_id ON news_article"
    " WHEN old.id IS NOT new.id OR old.title IS NOT new.title OR old.text IS NOT new.text"
    " OR (old.duplicate_of_id IS NULL) IS NOT (new.duplicate_of_id IS NULL)"
    f" BEGIN {_UNINDEX_OLD} {_REINDEX_NEW} END",
    f"CREATE TRIGGER site_search_ad AFTER DELETE ON news_article BEGIN {_UNINDEX_OLD} END",
)
_SQLITE_REBUILD = (
    f"DELETE FROM {_FTS}",
    f"DELETE FROM {_DOC} WHERE article_id NOT IN"
    " (SELECT id FROM news_article WHERE duplicate_of_id IS NULL)",
    f"INSERT OR IGNORE INTO {_DOC}(article_id)"
    " SELECT id FROM news_article WHERE duplicate_of_id IS NULL",
    f"INSERT INTO {_FTS}(rowid, title, body) SELECT d.docid, a.title, a.text"
    f" FROM news_article a JOIN {_DOC} d ON d.article_id = a.id",
)
# Relevance (bm25: lower is better, title weighs 8x the body) damped by age in days.
_SQLITE_MATCH = f"""
  FROM {_FTS} JOIN {_DOC} d ON d.docid = {_FTS}.rowid
  JOIN news_article a ON a.id = d.article_id
  WHERE {_FTS} MATCH %s AND a.duplicate_of_id IS NULL
"""
_SQLITE_SEARCH = f"""
  SELECT d.article_id,
         highlight({_FTS}, 0, %s, %s),
         snippet({_FTS}, 1, %s, %s, '…', 30),
         bm25({_FTS}, 8.0, 1.0) / (1.0 + max(0.0,
             julianday('now') - julianday(coalesce(a.published_at, a.fetched_at))) / 30.0) AS rank
  {_SQLITE_MATCH}
  ORDER BY rank LIMIT %s OFFSET %s
"""


class SqliteBackend:
    """SQLite FTS5 (see the module docstring)."""

    def __init__(self, conn: BaseDatabaseWrapper = connection) -> None:
        self._conn = conn

    def index_article(self, article: Article) -> None:
        if article.duplicate_of_id is not None:  # never searched: not indexed
            self.remove(article.pk)
            return
        try:
            with self._conn.cursor() as cur:
                cur.execute(f"INSERT OR IGNORE INTO {_DOC}(article_id) VALUES (%s)", [article.pk])
                cur.execute(f"SELECT docid FROM {_DOC} WHERE article_id = %s", [article.pk])
                (docid,) = cur.fetchone()
                cur.execute(f"DELETE FROM {_FTS} WHERE rowid = %s", [docid])
                cur.execute(
                    f"INSERT INTO {_FTS}(rowid, title, body) VALUES (%s, %s, %s)",
                    [docid, article.title, article.text],
                )
        except DatabaseError as exc:
            raise SearchError(f"cannot index article {article.pk}: {exc}") from exc

    def remove(self, article_id: str) -> None:
        try:
            with self._conn.cursor() as cur:
                cur.execute(
                    f"DELETE FROM {_FTS} WHERE rowid ="
                    f" (SELECT docid FROM {_DOC} WHERE article_id = %s)",
                    [article_id],
                )
                cur.execute(f"DELETE FROM {_DOC} WHERE article_id = %s", [article_id])
        except DatabaseError as exc:
            raise SearchError(f"cannot remove article {article_id} from the index: {exc}") from exc

    def search(self, q: str, page: int = 1) -> Results:
        terms = _terms(q)
        page = max(1, page)
        if not terms:
            return Results(q, [], 0, page)
        quoted = ['"' + t + '"' for t in terms]
        results = self._run(q, " ".join(quoted), page)
        if results.total == 0 and len(quoted) > 1:
            # No article has every word: fall back to any of them, best first.
            results = replace(self._run(q, " OR ".join(quoted), page), any_word=True)
        return results

    def _run(self, q: str, match: str, page: int) -> Results:
        try:
            with self._conn.cursor() as cur:
                cur.execute(f"SELECT count(*) {_SQLITE_MATCH}", [match])
                (total,) = cur.fetchone()
                if not total:
                    return Results(q, [], 0, page)
                cur.execute(
                    _SQLITE_SEARCH,
                    [_START, _STOP, _START, _STOP, match, PAGE_SIZE, (page - 1) * PAGE_SIZE],
                )
                rows = cur.fetchall()
        except DatabaseError as exc:
            raise SearchError(f"search failed for {q!r}: {exc}") from exc
        hits = [Hit(r[0], _highlight(r[1]), _highlight(r[2]), float(r[3])) for r in rows]
        return Results(q, hits, int(total), page)


# --- PostgreSQL -------------------------------------------------------------------

_PG_VECTOR = (
    "(setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(text, '')), 'B'))"
)
_PG_INDEX_NAME = "site_article_search_originals"
_PG_OLD_INDEX = "site_article_search"  # covered duplicates too
_PG_INDEX = (
    f"CREATE INDEX IF NOT EXISTS {_PG_INDEX_NAME} ON news_article USING gin ({_PG_VECTOR})"
    " WHERE duplicate_of_id IS NULL"
)
_PG_SEARCH = f"""
  WITH q AS (SELECT websearch_to_tsquery('english', %s) AS query),
  top AS (
    SELECT a.id, ts_rank_cd({_PG_VECTOR}, q.query)
             / (1.0 + greatest(0.0, extract(epoch FROM now()
                 - coalesce(a.published_at, a.fetched_at)) / 86400.0) / 30.0) AS rank
    FROM news_article a, q
    WHERE {_PG_VECTOR} @@ q.query AND a.duplicate_of_id IS NULL
    ORDER BY rank DESC, a.id LIMIT %s OFFSET %s
  )
  SELECT a.id,
         ts_headline('english', a.title, q.query,
                     'HighlightAll=true, StartSel=' || %s || ', StopSel=' || %s),
         ts_headline('english', left(a.text, 20000), q.query,
                     'MaxFragments=2, MaxWords=32, MinWords=12, FragmentDelimiter=" … ", StartSel='
                     || %s || ', StopSel=' || %s),
         top.rank
  FROM top JOIN news_article a ON a.id = top.id, q
  ORDER BY top.rank DESC, a.id
"""
_PG_COUNT = f"""
  SELECT count(*) FROM news_article
  WHERE {_PG_VECTOR} @@ websearch_to_tsquery('english', %s) AND duplicate_of_id IS NULL
"""


class PostgresBackend:
    """PostgreSQL full-text search over a GIN expression index."""

    def __init__(self, conn: BaseDatabaseWrapper = connection) -> None:
        self._conn = conn

    def index_article(self, article: Article) -> None:
        """Nothing to do: the expression index follows every write."""

    def remove(self, article_id: str) -> None:
        """Nothing to do: the expression index follows every delete."""

    def search(self, q: str, page: int = 1) -> Results:
        terms = _terms(q)
        page = max(1, page)
        if not terms:
            return Results(q, [], 0, page)
        # websearch syntax (quotes, OR, -word) is kept, minus characters we use as markers.
        text = q[:MAX_QUERY_CHARS].replace(_START, " ").replace(_STOP, " ")
        results = self._run(q, text, page)
        if results.total == 0 and len(terms) > 1:
            results = replace(self._run(q, " or ".join(terms), page), any_word=True)
        return results

    def _run(self, q: str, text: str, page: int) -> Results:
        try:
            with self._conn.cursor() as cur:
                cur.execute(_PG_COUNT, [text])
                (total,) = cur.fetchone()
                if not total:
                    return Results(q, [], 0, page)
                cur.execute(
                    _PG_SEARCH,
                    [text, PAGE_SIZE, (page - 1) * PAGE_SIZE, _START, _STOP, _START, _STOP],
                )
                rows = cur.fetchall()
        except DatabaseError as exc:
            raise SearchError(f"search failed for {q!r}: {exc}") from exc
        hits = [Hit(r[0], _highlight(r[1]), _highlight(r[2]), float(r[3])) for r in rows]
        return Results(q, hits, int(total), page)


def get_backend(conn: BaseDatabaseWrapper = connection) -> SearchBackend:
    """The search engine for the database in use."""
    if conn.vendor == "sqlite":
        return SqliteBackend(conn)
    if conn.vendor == "postgresql":
        return PostgresBackend(conn)
    raise ConfigError(f"full-text search is not available on {conn.vendor}")


def ensure_schema(conn: BaseDatabaseWrapper = connection) -> None:
    """Create the index structures if missing or out of date (idempotent; run after
    migrations).

    On SQLite, when any sync trigger was missing (first run, or the article table was
    rebuilt by a migration) or is not the current definition, the triggers are replaced
    and the FTS index is rebuilt from scratch. On PostgreSQL the index that also covered
    duplicates (before they were left out) is replaced by the partial one.
    """
    with conn.cursor() as cur:
        if conn.vendor == "sqlite":
            for statement in _SQLITE_SCHEMA:
                cur.execute(statement)
            cur.execute(
                "SELECT name, sql FROM sqlite_master"
                " WHERE type = 'trigger' AND name IN (%s, %s, %s)",
                list(_TRIGGERS),
            )
            present = dict(cur.fetchall())
            if [present.get(name) for name in _TRIGGERS] != list(_SQLITE_TRIGGERS):
                for name in _TRIGGERS:
                    cur.execute(f"DROP TRIGGER IF EXISTS {name}")
                for statement in _SQLITE_TRIGGERS:
                    cur.execute(statement)
                for statement in _SQLITE_REBUILD:
                    cur.execute(statement)
        elif conn.vendor == "postgresql":
            # Only what is missing is created or dropped: inside a transaction with
            # pending constraint checks PostgreSQL refuses index statements on the
            # table, even those that would do nothing.
            cur.execute(
                "SELECT indexname FROM pg_indexes WHERE indexname IN (%s, %s)",
                [_PG_OLD_INDEX, _PG_INDEX_NAME],
            )
            indexes = {row[0] for row in cur.fetchall()}
            if _PG_OLD_INDEX in indexes:
                cur.execute(f"DROP INDEX {_PG_OLD_INDEX}")
            if _PG_INDEX_NAME not in indexes:
                cur.execute(_PG_INDEX)


def drop_schema(conn: BaseDatabaseWrapper = connection) -> None:
    """Remove the index structures (migration rollback)."""
    with conn.cursor() as cur:
        if conn.vendor == "sqlite":
            for name in _TRIGGERS:
                cur.execute(f"DROP TRIGGER IF EXISTS {name}")
            cur.execute(f"DROP TABLE IF EXISTS {_FTS}")
            cur.execute(f"DROP TABLE IF EXISTS {_DOC}")
        elif conn.vendor == "postgresql":
            cur.execute(f"DROP INDEX IF EXISTS {_PG_INDEX_NAME}")
            cur.execute(f"DROP INDEX IF EXISTS {_PG_OLD_INDEX}")
