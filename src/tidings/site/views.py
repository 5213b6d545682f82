"""Reader pages: home, article, story, source, topic and search.

Pages only read what the pipeline stored (stories, related links, topics,
duplicates); an empty list shows nothing rather than invented content.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache, caches
from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connections, router
from django.db.models import Count, DateTimeField, F, Field, Model, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.safestring import mark_safe

from tidings.core.ai import offered_features
from tidings.news.models import Article, Feed, RelatedLink, Source, Story, Topic, article_slug
from tidings.news.pagehealth import page_health
from tidings.site import _pgchanges, _walversion
from tidings.site import search as search_backend
from tidings.site._csrf import TOKEN_USED, csrf_token
from tidings.site._health import FeedHealth, feed_health
from tidings.site._pagestore import CSRF_SLOT, ORIGIN_SLOT, serve_stored, stored_form
from tidings.site.prerender import RENDERING
from tidings.site.templatetags.tidings_site import snippet

PAGE_SIZE = 20
TOP_STORIES = 8
TOP_STORY_WINDOW = timedelta(days=3)
MAX_RELATED = 8
# Heavy columns never needed by list views (cards use `teaser`, a prefix of the text).
_HEAVY = ("text", "html", "signature")
_MESSAGE_COOKIE = CookieStorage.cookie_name
_CSRF_VALUE = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')

AI_FEATURES: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("key_points", "Key points"),
    ("ask", "Ask this article"),
    ("simplify", "Simpler version"),
    ("translate", "Translate"),
)

View = Callable[..., HttpResponseBase]


def _cacheable(max_age: int) -> Callable[[View], View]:
    """Cache-Control + a content ETag (answering 304 to a matching If-None-Match).

    The masked CSRF token differs on every render while staying valid for the
    same cookie, so it is left out of the ETag; ``Vary: Cookie`` keeps one
    reader's page out of another's cache.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            return _cache_headers(request, view(request, *args, **kwargs), max_age)

        return wrapper

    return decorate


def _cache_headers(
    request: HttpRequest, response: HttpResponseBase, max_age: int
) -> HttpResponseBase:
    """What :func:`_cacheable` does to a view's response."""
    if response.status_code != 200 or not isinstance(response, HttpResponse):
        return response
    personal = (
        _signed_in(request)
        or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        or request.META.get(TOKEN_USED)
    )
    patch_vary_headers(response, ["Cookie"])
    if personal:
        patch_cache_control(response, private=True, max_age=max_age)
    else:
        patch_cache_control(response, public=True, max_age=max_age)
    if not response.has_header("ETag"):  # a stored page comes with its own
        digest = hashlib.md5(_CSRF_VALUE.sub(b"", response.content), usedforsecurity=False)
        response["ETag"] = f'W/"{digest.hexdigest()}"'
    conditional = get_conditional_response(request, etag=response["ETag"], response=response)
    return conditional if conditional is not None else response


#: How long a public page is kept at most while the database does not change: a
#: ranking of top stories also moves with time alone.
KEPT_PAGE_SECONDS = 30.0
# The query parameters of the pages kept (each value its own page; at most
# _PAGES_AT_MOST kept per connection).
_LIST_PARAMS = frozenset({"page", "category"})


def _kept_while_unchanged(view: View) -> View:
    """A logged-out reader's page, rendered once and served again from this process's
    memory while nothing is committed to the database (:func:`_memo`), for
    :data:`KEPT_PAGE_SECONDS` at most. Its ages are made again for each request, and its
    CSRF token for each reader (as a stored article page's).

    The home page made four queries and a long template (about 20 ms at 10,000
    articles) for every view, however many readers came between two commits (bench
    web's database, one reader: home 21 -> 0.6 ms; 8 connections: 47 -> 1,460-2,120
    requests/s; story, topic and source pages alike). On PostgreSQL the change notices
    come from the tables of articles, stories, sources and comments: a feed's health or
    a topic's name shows up to :data:`KEPT_PAGE_SECONDS` late.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        db = router.db_for_read(Article)
        # Not inside a transaction: a page read there may show what is rolled back.
        if connections[db].in_atomic_block or not _is_public(request, _LIST_PARAMS):
            return view(request, *args, **kwargs)
        if (memo := _memo(db)) is None:
            return view(request, *args, **kwargs)
        origin = f"{request.scheme}://{request.get_host()}"
        key = (origin, request.get_full_path())
        now = time.monotonic()
        kept = memo.pages.get(key)
        if kept is None or kept[0] < now:
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or not isinstance(response, HttpResponse):
                return response
            if (stored := _public_form(response)) is None:
                return response
            # Served as it will be from memory: the same page and ETag for the next reader.
            kept = memo.pages[key] = (now + KEPT_PAGE_SECONDS, stored)
        # The version and the time it was kept: a page kept again after its time, with
        # nothing committed, may still differ (a ranking moves with time alone).
        tag = repr((memo.version, key, kept[0]))
        tag = hashlib.md5(tag.encode(), usedforsecurity=False).hexdigest()
        return _serve_public(request, kept[1], tag, origin)

    return wrapper


def _public_form(response: HttpResponse) -> bytes | None:
    """A page rendered for every logged-out reader, in the form it is kept: its CSRF
    token and its ages slots (``_pagestore.stored_form``); None when it cannot be."""
    return stored_form(_CSRF_VALUE.sub(_CSRF_SLOT, response.content))


def _serve_public(request: HttpRequest, stored: bytes, key: str, origin: str) -> HttpResponse:
    """A kept public page filled for this request: this reader's token (only where the
    page holds one: a page without is no reader's own), the origin and the ages."""
    token = csrf_token(request) if CSRF_SLOT in stored else ""
    page, etag = serve_stored(stored, key, csrf_token=token, origin=origin)
    return HttpResponse(page, headers={"ETag": etag})


# No list has this many pages (a million articles are 50,000 of them); a bigger number
# would only overflow the database's offset.
MAX_PAGE = 1_000_000


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    try:
        number = int(raw)
    except ValueError:
        raise Http404("no such page") from None
    if not 1 <= number <= MAX_PAGE:
        raise Http404("no such page")
    return number


def _paginate(qs: QuerySet[Any], request: HttpRequest, per_page: int = PAGE_SIZE) -> Page[Any]:
    paginator = Paginator(qs, per_page)
    try:
        return paginator.page(_page_number(request))
    except EmptyPage as exc:
        raise Http404("no such page") from exc


def _cards() -> QuerySet[Article]:
    """Articles for cards: with their source, without the heavy columns."""
    return (
        Article.objects.select_related("source")
        .defer(*_HEAVY)
        .annotate(teaser=Substr("text", 1, 400))
        .order_by(F("published_at").desc(nulls_last=True), "-fetched_at")
    )


#: How many categories the section navigation shows.
CATEGORIES = 10


def categories() -> list[tuple[str, int]]:
    """The most used article categories with their counts (cached: see below)."""
    return _categories()


def _categories() -> list[tuple[str, int]]:
    def compute() -> list[tuple[str, int]]:
        rows = (
            Article.objects.exclude(category="")
            .values_list("category")
            # COUNT(*) is answered from the category index alone; counting a column
            # read every article's row (22 ms at 10,000 articles with the pages in
            # memory, seconds when they are not).
            .annotate(n=Count("*"))
            .order_by("-n", "category")[:CATEGORIES]
        )
        return [(name, n) for name, n in rows]

    result = cache.get("site:categories")
    if result is None:
        result = compute()
        # A site still filling up (the first minutes of a new one) changes its sections
        # often: its list is kept for seconds, a full one for five minutes.
        cache.set("site:categories", result, 300 if len(result) >= CATEGORIES else 20)
    return list(result)


@dataclass
class StoryCard:
    story: Story
    headline: str
    url: str
    image: str = ""
    sources: list[Source] = field(default_factory=list)
    lead: Article | None = None
    is_sample: bool = False
    outlets: int = 0
    articles: int = 0

    @property
    def more_sources(self) -> int:
        return max(0, self.outlets - len(self.sources))


def _story_cards(stories: list[Story], max_sources: int = 4) -> list[StoryCard]:
    if not stories:
        return []
    by_story: dict[str, list[Article]] = {s.pk: [] for s in stories}
    rows = (
        Article.objects.filter(story_id__in=list(by_story))
        .select_related("source")
        .only(
            "id", "title", "story_id", "lead_image", "published_at", "fetched_at", "is_sample",
            "duplicate_of_id", "source__id", "source__name", "source__slug", "source__favicon_url",
            "source__logo_url", "source__is_sample",
        )
        .order_by("published_at", "fetched_at")
    )  # fmt: skip
    for art in rows:
        by_story[str(art.story_id)].append(art)
    cards = []
    for story in stories:
        arts = by_story[story.pk]
        lead = story.lead_article or (arts[0] if arts else None)
        sources: list[Source] = []
        seen: set[int] = set()
        for art in arts:
            if art.source_id not in seen:
                seen.add(art.source_id)
                sources.append(art.source)
        image = (lead.lead_image if lead else "") or next(
            (a.lead_image for a in arts if a.lead_image), ""
        )
        cards.append(
            StoryCard(
                story=story,
                headline=story.headline or (lead.title if lead else story.pk),
                url=story.get_absolute_url(),
                image=image,
                sources=sources[:max_sources],
                lead=lead,
                is_sample=any(a.is_sample or a.source.is_sample for a in arts),
                outlets=max(story.outlet_count, len(seen)),
                articles=max(story.article_count, len(arts)),
            )
        )
    return cards


def _top_stories(limit: int = TOP_STORIES) -> list[StoryCard]:
    """Stories ranked by the pipeline's score, then breadth of coverage, then recency."""
    base = Story.objects.filter(merged_into__isnull=True, article_count__gt=0).select_related(
        "lead_article"
    )
    order = ("-score", "-outlet_count", F("last_updated_at").desc(nulls_last=True))
    since = timezone.now() - TOP_STORY_WINDOW
    stories = list(base.filter(last_updated_at__gte=since).order_by(*order)[:limit])
    if len(stories) < limit:
        # A quiet spell (or an old demo corpus): fill with the best older stories.
        older = base.exclude(pk__in=[s.pk for s in stories]).order_by(*order)
        stories += list(older[: limit - len(stories)])
    return _story_cards(stories)


@_cacheable(60)
@_kept_while_unchanged
def home(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category", "").strip()[:100]
    latest = _cards().filter(duplicate_of__isnull=True)
    if category:
        latest = latest.filter(category=category)
    page = _paginate(latest, request)
    if category and not page.paginator.count:
        raise Http404("no such section")
    top = _top_stories() if page.number == 1 and not category else []
    context = {
        "top_stories": top,
        "page": page,
        "category": category,
        "page_query": urlencode({"category": category}) + "&" if category else "",
    }
    return render(request, "site/home.html", context)


def article_redirect(request: HttpRequest, article_id: str) -> HttpResponse:
    art = get_object_or_404(Article.objects.only("id", "title"), pk=article_id)
    return redirect(art.get_absolute_url(), permanent=True)


def _ai_tools(article_id: str) -> list[tuple[str, str, str]]:
    """(feature, label, URL) for the AI panel: the features the configured engine does
    (no language model, no simpler or translated version), or [] while the AI views
    are not installed."""
    offered = offered_features()
    try:
        return [
            (name, label, reverse("ai_article", args=[article_id, name]))
            for name, label in AI_FEATURES
            if name in offered
        ]
    except NoReverseMatch:
        return []


def _ai_brief_url(story_id: str) -> str:
    try:
        return reverse("ai_story", args=[story_id])
    except NoReverseMatch:
        return ""


# What a related card shows (fewer columns: a cheaper query and lighter rows).
_CARD_LINK_FIELDS = (
    "rank", "same_story", "reason", "related_id", "related__id", "related__title",
    "related__description", "related__published_at", "related__fetched_at",
    "related__duplicate_of_id", "related__is_sample", "related__source_id",
    "related__source__name", "related__source__slug", "related__source__favicon_url",
    "related__source__logo_url", "related__source__is_sample",
)  # fmt: skip


def _related(art: Article) -> list[RelatedLink]:
    """Precomputed related cards, minus anything that is really a copy of this article."""
    root = art.duplicate_of_id or art.pk
    links = list(
        # A syndicated copy shows its original's cards.
        RelatedLink.objects.filter(article_id=root)
        .select_related("related__source")
        .only(*_CARD_LINK_FIELDS)
        .annotate(teaser=Substr("related__text", 1, 400))
        .order_by("rank")[: MAX_RELATED + 4]
    )
    shown: list[RelatedLink] = []
    for link in links:
        other = link.related
        if other.pk == art.pk or other.pk == root or other.duplicate_of_id == root:
            continue
        other.teaser = link.teaser  # type: ignore[attr-defined]
        shown.append(link)
    return shown[:MAX_RELATED]


def _copies(art: Article) -> list[Article]:
    """Other publications of the same text (syndicated copies), original first."""
    root = art.duplicate_of_id or art.pk
    copies = (
        Article.objects.filter(Q(pk=root) | Q(duplicate_of_id=root))
        .exclude(pk=art.pk)
        .select_related("source")
        .only("id", "title", "canonical_url", "published_at", "duplicate_of_id", "source__name",
              "source__slug", "source__favicon_url", "source__logo_url", "source__is_sample")
        .order_by(F("published_at").asc(nulls_last=True))
    )  # fmt: skip
    return sorted(copies, key=lambda a: a.pk != root)


ARTICLE_FRAGMENT_SECONDS = 60
# Query parameters an article page understands; any other keeps it out of the page store.
_PAGE_PARAMS = frozenset({"comments", "cpage"})
_CSRF_SLOT = b'name="csrfmiddlewaretoken" value="' + CSRF_SLOT + b'"'
# What the page key needs: every column the page shows that can change, of the
# article (``changed_at`` moves with its story, topics, cards and copies), of its
# story (counts, headline, a merge) and of its source (name, icons).
_STAMP_COLUMNS = (
    ("a", Article, ("title", "fetched_at", "updated_at", "changed_at", "story", "duplicate_of")),
    ("so", Source, ("name", "favicon_url", "logo_url")),
    ("st", Story, ("headline", "article_count", "outlet_count", "last_updated_at", "merged_into")),
)


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return field


@functools.cache
def _stamp_sql(db: str, with_thread: bool) -> str:
    """One plain query for the page key's columns (the ORM would cost more to build it
    than the database takes to run it, on every logged-out view of an article), with
    the comment thread's stamp row joined when the comments app is installed."""
    quote = connections[db].ops.quote_name

    def column(alias: str, field: Field[Any, Any]) -> str:
        name = f"{alias}.{quote(field.column)}"
        # As text: only compared, never shown, and SQLite's driver would parse each.
        return f"CAST({name} AS TEXT)" if isinstance(field, DateTimeField) else name

    names = [
        column(alias, _field(model, name))
        for alias, model, fields in _STAMP_COLUMNS
        for name in fields
    ]
    article, source, story = (quote(m._meta.db_table) for _, m, _ in _STAMP_COLUMNS)
    story_fk, source_fk = (
        quote(_field(Article, "story").column),
        quote(_field(Article, "source").column),
    )
    thread = ""
    if with_thread:
        from tidings.community._thread import stamp_query

        names.append("c.*")
        thread = f" CROSS JOIN ({stamp_query('article', db)}) c"
    return (
        f"SELECT {', '.join(names)} FROM {article} a "
        f"JOIN {source} so ON so.id = a.{source_fk} "
        f"LEFT JOIN {story} st ON st.id = a.{story_fk}{thread} WHERE a.id = %(target)s"
    )


_STAMP_WIDTH = sum(len(fields) for _, _, fields in _STAMP_COLUMNS)


@dataclass(frozen=True)
class _PageStamp:
    slug: str  # the article's canonical slug (from its title)
    stamp: str  # the article's, its story's and its source's columns
    thread: str  # the comment thread's ("" without the comments app)
    comment_count: int | None  # published comments, when known


@dataclass
class _Memo:
    """What one connection read since its database last changed: page-key stamps by
    article, public pages (:func:`_kept_while_unchanged`) by origin and path, and the
    section names."""

    owner: Any
    version: tuple[Any, ...]
    stamps: dict[str, _PageStamp] = field(default_factory=dict)
    pages: dict[tuple[str, str], tuple[float, bytes]] = field(default_factory=dict)
    nav: tuple[float, str] | None = None  # the section names and until when (``_section_names``)


_REMEMBERED: weakref.WeakKeyDictionary[Any, _Memo] = weakref.WeakKeyDictionary()
_REMEMBER_AT_MOST = 4096
_PAGES_AT_MOST = 64


def _remembered(db: str) -> dict[str, _PageStamp] | None:
    """The stamps still true on this thread's connection to ``db``."""
    memo = _memo(db)
    return None if memo is None else memo.stamps


def _memo(db: str) -> _Memo | None:
    """What is still true of what this thread's connection to ``db`` read.

    SQLite: the WAL index's header (``_walversion``, read without a query) or else
    ``PRAGMA data_version`` moves whenever another connection, of this process or of
    another, commits a change; ``total_changes`` whenever this connection writes
    itself. While neither moves, nothing a stamp is made of can have changed. A
    rolled-back write does not move them back, so what is read inside a transaction
    or savepoint is kept only until it ends, whichever way.

    PostgreSQL: the process's change listener (``_pgchanges``) moves its version on
    every notice of a change to those tables; none is kept inside a transaction (its
    own writes send their notice only when it commits), while the listener is not
    connected or with ``PG_CHANGE_NOTICES`` off.
    """
    connection = connections[db]
    if connection.vendor == "postgresql":
        if connection.in_atomic_block or not settings.PG_CHANGE_NOTICES:
            return None
        owner: Any = _pgchanges.changes(db)
        if not owner.live:
            return None
        version: tuple[Any, ...] = (owner.version,)
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        owner = raw = connection.connection
        with connection.wrap_database_errors:
            changes = _walversion.header(connection)
            version = (
                changes or raw.execute("PRAGMA data_version").fetchone()[0],
                raw.total_changes,
                connection.in_atomic_block,
                tuple(connection.savepoint_ids),
            )
    else:
        return None
    known = _REMEMBERED.get(connection)
    if known is None or known.owner is not owner or known.version != version:
        known = _REMEMBERED[connection] = _Memo(owner, version)
    else:
        if len(known.stamps) >= _REMEMBER_AT_MOST:
            known.stamps.clear()
        if len(known.pages) >= _PAGES_AT_MOST:
            known.pages.clear()
    return known


def _page_stamp(article_id: str, remember: bool = True) -> _PageStamp | None:
    """What the page key of an article needs, in one query (none when the database
    has not changed since it was last read and ``remember``); None for an unknown
    article."""
    db = router.db_for_read(Article)
    remembered = _remembered(db) if remember else None
    if remembered is not None and (found := remembered.get(article_id)) is not None:
        return found
    found = _read_page_stamp(db, article_id)
    if remembered is not None and found is not None:
        remembered[article_id] = found
    return found


@functools.cache
def _driver_stamp_sql(db: str, with_thread: bool) -> str:
    """``_stamp_sql`` as SQLite's driver takes it (named parameters as ``:name``)."""
    return _stamp_sql(db, with_thread) % {"target": ":target"}


def _read_page_stamp(db: str, article_id: str) -> _PageStamp | None:
    with_thread = apps.is_installed("tidings.community")
    connection = connections[db]
    params = {"target": article_id}
    if connection.vendor == "sqlite" and not connection.queries_logged:
        # The driver's own execute: Django's cursor (a wrapper object, its checks,
        # the query rewritten for the driver on every call) cost as much as the
        # query itself. Where queries are logged (DEBUG, query-counting tests) the
        # query goes through Django as any other.
        connection.ensure_connection()
        with connection.wrap_database_errors:
            row = connection.connection.execute(
                _driver_stamp_sql(db, with_thread), params
            ).fetchone()
    else:
        with connection.cursor() as cursor:
            # Named: Django's SQLite backend converts a named query with one string
            # format, a positional one with a regular expression over its 3 KB.
            cursor.execute(_stamp_sql(db, with_thread), params)
            row = cursor.fetchone()
    if row is None:
        return None
    stamp = "|".join(map(str, row[:_STAMP_WIDTH]))
    if not with_thread:
        return _PageStamp(article_slug(row[0]), stamp, "", None)
    from tidings.community._thread import thread_stamp_from

    thread, count = thread_stamp_from(row[_STAMP_WIDTH:])
    return _PageStamp(article_slug(row[0]), stamp, thread, count)


def _stamp(art: Article) -> str:
    """The same columns as ``_page_stamp``, read off a loaded article."""
    owners = {"a": art, "so": art.source, "st": art.story}
    return "|".join(
        str(getattr(owners[alias], _field(model, name).attname, None))
        for alias, model, fields in _STAMP_COLUMNS
        for name in fields
    )


def _with_comment_count(art: Article, count: int | None) -> Article:
    """``art``, told its published comment count (saving the thread its count query)."""
    if count is not None:
        from tidings.community._thread import COUNT_ATTR

        setattr(art, COUNT_ATTR, count)
    return art


def _signed_in(request: HttpRequest) -> bool:
    """Whether the reader is logged in; without a session cookie there is no session
    to load (the lazy user would otherwise read the empty session to find out)."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    return bool(request.user.is_authenticated)


def _is_public(request: HttpRequest, params: frozenset[str] = _PAGE_PARAMS) -> bool:
    """Whether this reader gets the page every logged-out reader gets (with no query
    parameters but ``params``)."""
    if not set(request.GET) <= params or _signed_in(request):
        return False
    # Messages live in their cookie or in the session: with neither there are none.
    if settings.SESSION_COOKIE_NAME in request.COOKIES or _MESSAGE_COOKIE in request.COOKIES:
        return not len(messages.get_messages(request))
    return True


def public_page_key(article_id: str, full_path: str) -> str:
    """The key of the stored page every logged-out reader gets (tests, tools)."""
    found = _page_stamp(article_id) or _PageStamp("", "", "", None)
    return _page_key(article_id, found.stamp, found.thread, full_path)


def _page_key(
    article_id: str, stamp: str, thread: str, full_path: str, remember: bool = True
) -> str:
    """The key holds everything the page shows that can change: the article's stamp
    (body, story, copies, related cards, source), the comment thread's, the path
    with its comment order and page, the section navigation and the AI features offered. Nothing
    reader-specific is stored: the
    CSRF token, the site's origin and the ages are put back per request.
    """
    nav = _section_names(remember)  # the section links every page shows
    ai = ",".join(sorted(offered_features()))  # the AI panel's buttons
    parts = f"{article_id}|{stamp}|{thread}|{full_path}|{nav}|{ai}"
    return "article-page:" + hashlib.md5(parts.encode(), usedforsecurity=False).hexdigest()


def _section_names(remember: bool = True) -> str:
    """The sections' names as a page key holds them; kept with the stamps while the
    database does not change, for :data:`KEPT_PAGE_SECONDS` at most (the shared cache
    keeps a list for minutes: a quiet database would keep it for ever), when
    ``remember`` (reading the shared cache cost a fifth of a stored page's key)."""
    memo = _memo(router.db_for_read(Article)) if remember else None
    now = time.monotonic()
    if memo is not None and memo.nav is not None and memo.nav[0] > now:
        return memo.nav[1]
    nav = "|".join(name for name, _ in categories())
    if memo is not None:
        memo.nav = (now + KEPT_PAGE_SECONDS, nav)
    return nav


def _storable(request: HttpRequest) -> bool:
    """Whether this public page goes to the page store: the page itself or a comment
    order, never an arbitrary query (any value would make a key, flooding the store)."""
    if not request.GET:
        return True
    if not apps.is_installed("tidings.community") or list(request.GET) != ["comments"]:
        return False
    from tidings.community._thread import ORDERS

    return request.GET["comments"] in ORDERS


def _full_article(with_body: bool = False) -> QuerySet[Article]:
    body = () if with_body else ("text", "html")
    return Article.objects.select_related("source", "story").defer(
        "signature", "story_evidence", *body
    )


ARTICLE_MAX_AGE = 60


@_cacheable(ARTICLE_MAX_AGE)
def article(request: HttpRequest, article_id: str, slug: str) -> HttpResponse:
    if not (_is_public(request) and _storable(request)):
        art = get_object_or_404(_full_article(), pk=article_id)
        if slug != art.slug:
            return redirect(art.get_absolute_url(), permanent=True)
        return _render_article(request, art, f"{request.scheme}://{request.get_host()}")
    # A logged-out reader's page usually comes from the page store: its key needs
    # one row: a few columns and the comment thread's stamp.
    # A page rendered ahead of readers keeps nothing (see ``_memo``): a worker renders
    # each page once, and on PostgreSQL remembering would start a change listener.
    remember = RENDERING not in request.META
    if (found := _page_stamp(article_id, remember)) is None:
        raise Http404("No article with that id")
    if slug != (canonical := found.slug):
        return redirect("article", article_id, canonical, permanent=True)
    page_key, origin, stored = _public_page(request, article_id, found, remember)
    if stored is None:
        # Rendered once for every logged-out reader: the origin stays a slot.
        full = _with_comment_count(
            get_object_or_404(_full_article(with_body=True), pk=article_id), found.comment_count
        )
        response = _render_article(request, full, ORIGIN_SLOT)
        stored = _public_form(response)
        if stored is None:  # not storable: this reader's page, as any other view's
            return _render_article(request, full, origin)
        caches["pages"].set(page_key, stored)
    return _serve_public(request, stored, page_key, origin)


def _public_page(
    request: HttpRequest, article_id: str, found: _PageStamp, remember: bool = True
) -> tuple[str, str, bytes | None]:
    """A public article page's key, the request's origin and the page as stored (None
    when the store does not hold it)."""
    full_path = request.get_full_path()
    page_key = _page_key(article_id, found.stamp, found.thread, full_path, remember)
    stored: bytes | None = caches["pages"].get(page_key)
    return page_key, f"{request.scheme}://{request.get_host()}", stored


def stored_article(request: HttpRequest, article_id: str, slug: str) -> HttpResponse | None:
    """The response :func:`article` gives ``request`` when that is a stored public page
    (with the same cache headers, or a 304); None for any other answer (a reader's own
    page, a redirect, a 404, a page to render), which only the view gives."""
    if not (_is_public(request) and _storable(request)):
        return None
    if (found := _page_stamp(article_id)) is None or slug != found.slug:
        return None
    page_key, origin, stored = _public_page(request, article_id, found)
    if stored is None:
        return None
    response = _cache_headers(
        request, _serve_public(request, stored, page_key, origin), ARTICLE_MAX_AGE
    )
    assert isinstance(response, HttpResponse)  # the page, or its 304
    return response


def _render_article(request: HttpRequest, art: Article, origin: str) -> HttpResponse:
    share_url = origin + art.get_absolute_url()
    # The reader-independent parts (body, tags, related cards, copies) are kept
    # for as long as the page's own max-age; comments and forms are always fresh.
    key = "site:article:" + hashlib.md5(f"{art.pk}|{_stamp(art)}|{share_url}".encode()).hexdigest()
    parts: tuple[str, str, str] | None = cache.get(key)
    if parts is None:
        parts = _article_parts(art, share_url)
        cache.set(key, parts, ARTICLE_FRAGMENT_SECONDS)
    main_html, aside_html, description = parts
    context = {
        "article": art,
        "source": art.source,
        "main_html": mark_safe(main_html),  # rendered by our own autoescaping templates
        "aside_html": mark_safe(aside_html),
        "description": description,
        "ai_tools": _ai_tools(art.pk),
        "share_url": share_url,
    }
    return render(request, "site/article.html", context)


def _article_parts(art: Article, share_url: str) -> tuple[str, str, str]:
    if {"text", "html"} & art.get_deferred_fields():
        art.refresh_from_db(fields=["text", "html"])
    topics = list(
        Topic.objects.filter(article_topics__article=art).order_by(
            "-article_topics__weight", "name"
        )[:12]
    )
    story = art.story
    if story is not None and story.merged_into_id:
        story = Story.objects.filter(pk=story.merged_into_id).first()
    if story is not None and story.article_count <= 1:
        story = None  # no other report: no Full coverage box
    # Every outlet that carried it, copies' too, as its card and its page count them
    # (the stored count, which ranks stories, is of the outlets that reported it).
    outlets = (
        Article.objects.filter(story=story).values("source_id").distinct().count()
        if story is not None
        else 0
    )
    context = {
        "article": art,
        "source": art.source,
        "topics": topics,
        "related": _related(art),
        "copies": _copies(art),
        "story": story,
        "story_outlets": outlets,
        "show_lead_image": bool(art.lead_image) and art.lead_image not in art.html,
        "is_sample": art.is_sample or art.source.is_sample,
        "share_url": share_url,
    }
    main_html = render_to_string("site/_article_main.html", context)
    aside_html = render_to_string("site/_article_aside.html", context)
    return main_html, aside_html, snippet(art, 160)


@dataclass
class OutletGroup:
    source: Source
    articles: list[Article]


@_cacheable(60)
@_kept_while_unchanged
def story(request: HttpRequest, story_id: str) -> HttpResponseBase:
    st = get_object_or_404(Story.objects.select_related("lead_article"), pk=story_id)
    if st.merged_into_id:
        return redirect("story", st.merged_into_id, permanent=True)
    arts = list(
        _cards().filter(story=st).order_by(F("published_at").asc(nulls_last=True), "fetched_at")
    )
    if not arts:
        raise Http404("story has no articles")
    groups: dict[int, OutletGroup] = {}
    for art in arts:
        groups.setdefault(art.source_id, OutletGroup(art.source, [])).articles.append(art)
    # Outlets with the most coverage first, then by who reported first.
    outlets = sorted(groups.values(), key=lambda g: -len(g.articles))
    lead = st.lead_article or arts[0]
    image = lead.lead_image or next((a.lead_image for a in arts if a.lead_image), "")
    context = {
        "story": st,
        "headline": st.headline or lead.title,
        "lead": lead,
        "image": image,
        "outlets": outlets,
        "timeline": arts,
        "outlet_count": len(groups),
        "is_sample": any(a.is_sample or a.source.is_sample for a in arts),
        "ai_brief_url": _ai_brief_url(st.pk),
    }
    return render(request, "site/story.html", context)


@_cacheable(60)
@_kept_while_unchanged
def source(request: HttpRequest, slug: str) -> HttpResponse:
    src = get_object_or_404(Source, slug=slug)
    feeds: list[Feed] = list(src.feeds.all().order_by("url"))
    pages = page_health(f.pk for f in feeds)
    health: list[FeedHealth] = [feed_health(f, timezone.now(), pages.get(f.pk)) for f in feeds]
    page = _paginate(_cards().filter(source=src), request)
    context = {"source": src, "feeds": health, "page": page}
    return render(request, "site/source.html", context)


@_cacheable(60)
@_kept_while_unchanged
def topic(request: HttpRequest, slug: str) -> HttpResponse:
    tp = get_object_or_404(Topic, slug=slug)
    arts = _cards().filter(article_topics__topic=tp, duplicate_of__isnull=True)
    page = _paginate(arts, request)
    stories: list[StoryCard] = []
    if page.number == 1:
        story_ids = (
            Article.objects.filter(article_topics__topic=tp, story__isnull=False)
            .values("story_id")
            .annotate(n=Count("id"))
            .order_by("-n")[:40]
        )
        candidates = Story.objects.filter(
            pk__in=[r["story_id"] for r in story_ids], merged_into__isnull=True, article_count__gt=1
        ).select_related("lead_article")
        ranked = sorted(
            candidates,
            key=lambda s: s.last_updated_at or datetime.min.replace(tzinfo=UTC),
            reverse=True,
        )
        stories = _story_cards(ranked[:6])
    context = {"topic": tp, "page": page, "stories": stories}
    return render(request, "site/topic.html", context)


@_cacheable(60)
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[: search_backend.MAX_QUERY_CHARS]
    results = None
    hits: list[tuple[search_backend.Hit, Article]] = []
    if q:
        results = search_backend.get_backend().search(q, _page_number(request))
        if results.total and not results.hits:
            raise Http404("no such page")
        found = {a.pk: a for a in _cards().filter(pk__in=[h.article_id for h in results.hits])}
        hits = [(h, found[h.article_id]) for h in results.hits if h.article_id in found]
    context = {"q": q, "results": results, "hits": hits, "page_query": urlencode({"q": q}) + "&"}
    return render(request, "site/search.html", context)
