"""Ingestion glue: feeds → entries → articles.

The functions here persist what the pure core computes. They never raise on
a bad feed or page: the failure is recorded (stable code + human message) on
the feed or entry and in :class:`FetchAttempt`, and the next source goes on.
"""

from __future__ import annotations

import itertools
import logging
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tidings import services
from tidings.core import config
from tidings.core.dedupe import fingerprint
from tidings.core.discover import discover_feeds
from tidings.core.errors import (
    ExtractionError,
    FeedError,
    FetchError,
    NotAFeedError,
    TidingsError,
)
from tidings.core.extract import ExtractedArticle, extract_with_timeout
from tidings.core.feeds import ParsedFeed, looks_like_feed, parse_feed
from tidings.core.fetch import FetchResult, check_url
from tidings.core.lang import detect_language
from tidings.core.textutil import decode_bytes
from tidings.core.urls import article_id, canonical_url, slugify
from tidings.news.icons import refresh_icon
from tidings.news.models import Article, Entry, Feed, FetchAttempt, Source, WorkerProcess

log = logging.getLogger("tidings.ingest")

ENTRY_LEASE = timedelta(minutes=3)
MAX_ENTRY_ATTEMPTS = 3


# --- subscribing -------------------------------------------------------------------


@dataclass(frozen=True)
class Subscribed:
    source: Source
    feeds: list[Feed]
    created: bool


def allow_hosts() -> list[str]:
    return services.allow_hosts()


def add(url: str, *, name: str | None = None, category: str | None = None) -> Subscribed:
    """Subscribe to a feed URL, or to the feeds a homepage advertises.

    Raises InvalidURLError/BlockedURLError before any connection for a URL
    we refuse, FetchError when it cannot be fetched, NotAFeedError when
    neither a feed nor a page advertising one is found there.
    """
    url = url.strip()
    check_url(url, allow_hosts=allow_hosts())
    fetcher = services.fetcher()
    result = fetcher.fetch(url, kind="feed")
    feeds: list[tuple[str, ParsedFeed]] = []
    if looks_like_feed(result.content, result.content_type):
        feeds.append((result.url, _parse(result)))
    else:
        html = decode_bytes(result.content, result.encoding)
        found = discover_feeds(html, result.url)
        if not found:
            raise NotAFeedError("no feed found: the page advertises no RSS/Atom/JSON feed", url=url)
        # Prefer one feed per homepage: the first advertised is the main one.
        first = found[0]
        feed_result = fetcher.fetch(first.url, kind="feed")
        feeds.append((feed_result.url, _parse(feed_result)))
    feed_url, parsed = feeds[0]
    homepage = parsed.homepage or _origin(feed_url)
    return _subscribe(feed_url, parsed, homepage=homepage, name=name)


def _parse(result: FetchResult) -> ParsedFeed:
    return parse_feed(
        result.content, url=result.url, content_type=result.content_type, encoding=result.encoding
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _homepage_key(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    return f"{parts.netloc.lower().removeprefix('www.')}{path}"


def _source_for(homepage: str, title: str, language: str | None) -> tuple[Source, bool]:
    """The publisher behind a homepage: one Source per homepage (host and path)."""
    host = urlsplit(homepage).netloc.lower()
    key = _homepage_key(homepage)
    for candidate in Source.objects.filter(homepage__icontains=host.removeprefix("www.")):
        if _homepage_key(candidate.homepage) == key:
            return candidate, False
    base = slugify(title or host) or slugify(host) or "source"
    slug = base
    n = 2
    while Source.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    source = Source.objects.create(
        slug=slug,
        name=(title or host)[:200],
        homepage=homepage,
        language=(language or "")[:16],
    )
    return source, True


def _subscribe(
    feed_url: str, parsed: ParsedFeed | None, *, homepage: str, name: str | None
) -> Subscribed:
    title = name or (parsed.title if parsed else "") or urlsplit(homepage).netloc
    with transaction.atomic():
        existing = Feed.objects.filter(url=feed_url).select_related("source").first()
        if existing:
            return Subscribed(existing.source, [existing], created=False)
        source, _ = _source_for(homepage, title, parsed.language if parsed else None)
        if parsed and parsed.icon and not source.logo_url:
            source.logo_url = parsed.icon
            source.save(update_fields=["logo_url"])
        feed = Feed.objects.create(
            source=source,
            url=feed_url,
            kind=parsed.kind if parsed else Feed.Kind.UNKNOWN,
            title=(parsed.title if parsed else "")[:500],
            interval_seconds=config.read("POLL_DEFAULT_INTERVAL"),
            next_poll_at=timezone.now(),
        )
    return Subscribed(source, [feed], created=True)


def subscribe_without_fetch(
    feed_url: str, *, title: str, homepage: str | None = None
) -> Subscribed:
    """Subscribe to a known feed URL without contacting it (OPML import).

    The URL is still checked by the address guard (without resolving) so a
    private address is refused at import, and re-checked at every poll.
    """
    check_url(feed_url, allow_hosts=allow_hosts(), resolve=False)
    return _subscribe(feed_url, None, homepage=homepage or _origin(feed_url), name=title or None)


# --- polling -------------------------------------------------------------------------


def _attempt(
    feed: Feed | None,
    url: str,
    kind: str,
    started: float,
    *,
    status: int | None,
    code: str,
    message: str = "",
) -> FetchAttempt:
    """A fetch attempt, not yet saved."""
    return FetchAttempt(
        feed=feed,
        url=url[:2000],
        kind=kind,
        duration_ms=int((time.monotonic() - started) * 1000),
        status=status,
        code=code[:64],
        message=message,
    )


def _fail_feed(feed: Feed, exc: TidingsError, started: float) -> None:
    now = timezone.now()
    feed.error_count += 1
    feed.last_error_code = exc.code
    feed.last_error_message = exc.message
    feed.last_error_at = now
    feed.last_polled_at = now
    backoff = min(
        feed.interval_seconds * (2 ** min(feed.error_count, 8)),
        config.read("POLL_MAX_INTERVAL"),
    )
    feed.next_poll_at = now + timedelta(seconds=backoff)
    feed.polling_since = None
    feed.save()
    status = getattr(exc, "status", None)
    _attempt(feed, feed.url, "feed", started, status=status, code=exc.code, message=str(exc)).save()
    log.warning("feed %s failed: %s (%s)", feed.url, exc.message, exc.code)


def adapt_interval(current: int, published: Iterable[datetime | None], got_new: bool) -> int:
    """Next poll interval from how often the feed publishes.

    Half the median gap between recent items, clamped to the configured
    bounds; a feed with nothing new backs off by half again.
    """
    lo: int = config.read("POLL_MIN_INTERVAL")
    hi: int = config.read("POLL_MAX_INTERVAL")
    times = sorted((t for t in published if t is not None), reverse=True)[:20]
    gaps = [(a - b).total_seconds() for a, b in itertools.pairwise(times) if a > b]
    target = statistics.median(gaps) / 2 if gaps else current
    if not got_new:
        target = max(target, current * 1.5)
    return int(min(max(target, lo), hi))


def poll_feed(feed_id: int) -> int:
    """Fetch one feed and store its new entries. Returns how many are new."""
    try:
        feed = Feed.objects.select_related("source").get(pk=feed_id)
    except Feed.DoesNotExist:
        return 0
    started = time.monotonic()
    try:
        result = services.fetcher().fetch(
            feed.url,
            kind="feed",
            etag=feed.etag or None,
            last_modified=feed.last_modified or None,
        )
    except FetchError as exc:
        _fail_feed(feed, exc, started)
        return 0
    now = timezone.now()
    if result.not_modified:
        feed.last_polled_at = now
        feed.last_success_at = now
        feed.error_count = 0
        feed.last_error_code = ""
        feed.last_error_message = ""
        feed.interval_seconds = adapt_interval(feed.interval_seconds, [], got_new=False)
        feed.next_poll_at = now + timedelta(seconds=feed.interval_seconds)
        feed.polling_since = None
        feed.save()
        _attempt(feed, feed.url, "feed", started, status=304, code="not_modified").save()
        return 0
    try:
        parsed = _parse(result)
    except NotAFeedError as exc:
        # A homepage subscribed as a feed (OPML "link" outlines): follow what it advertises.
        switched = _switch_to_advertised_feed(feed, result)
        if switched is None:
            _fail_feed(feed, exc, started)
            return 0
        result, parsed = switched
    except FeedError as exc:
        _fail_feed(feed, exc, started)
        return 0
    new = store_entries(feed, parsed)
    refresh_icon(feed.source)
    feed.kind = parsed.kind
    if parsed.title and not feed.title:
        feed.title = parsed.title[:500]
    feed.etag = (result.etag or "")[:500]
    feed.last_modified = (result.last_modified or "")[:100]
    feed.last_polled_at = now
    feed.last_success_at = now
    if new:
        feed.last_new_entry_at = now
    feed.error_count = 0
    feed.last_error_code = ""
    feed.last_error_message = ""
    feed.interval_seconds = adapt_interval(
        feed.interval_seconds, (e.published for e in parsed.entries), got_new=bool(new)
    )
    feed.next_poll_at = now + timedelta(seconds=feed.interval_seconds)
    feed.polling_since = None
    feed.save()
    _attempt(
        feed,
        result.url,
        "feed",
        started,
        status=result.status,
        code="ok",
        message=f"{len(parsed.entries)} entries, {new} new",
    ).save()
    return new


def _switch_to_advertised_feed(
    feed: Feed, page: FetchResult
) -> tuple[FetchResult, ParsedFeed] | None:
    found = discover_feeds(decode_bytes(page.content, page.encoding), page.url)
    for candidate in found[:3]:
        if Feed.objects.filter(url=candidate.url).exclude(pk=feed.pk).exists():
            continue
        try:
            result = services.fetcher().fetch(candidate.url, kind="feed")
            parsed = _parse(result)
        except TidingsError:
            continue
        log.info("feed %s is a page; switching to its feed %s", feed.url, result.url)
        if not Feed.objects.filter(url=result.url).exclude(pk=feed.pk).exists():
            feed.url = result.url
        return result, parsed
    return None


def store_entries(feed: Feed, parsed: ParsedFeed) -> int:
    """Insert the feed's entries not seen before; duplicate or changing GUIDs are harmless.

    Entries are keyed by the canonical form of their link, so the same item
    listed twice, or re-listed with a new GUID, maps to one row.
    """
    rows: dict[str, Entry] = {}
    for item in parsed.entries:
        if not item.url:
            continue
        try:
            canon = canonical_url(item.url)
        except TidingsError:
            continue
        if urlsplit(canon).scheme not in {"http", "https"}:
            continue
        key = article_id(canon)
        if key in rows:
            continue
        rows[key] = Entry(
            feed=feed,
            key=key,
            guid=(item.guid or "")[:2000],
            url=item.url[:2000],
            title=(item.title or "")[:1000],
            summary=item.summary or "",
            category=(item.tags[0] if item.tags else "")[:100],
            published_at=item.published,
        )
    if not rows:
        return 0
    known = set(Entry.objects.filter(feed=feed, key__in=list(rows)).values_list("key", flat=True))
    fresh = [row for key, row in rows.items() if key not in known]
    # ignore_conflicts: a concurrent poll of the same feed (should not happen
    # thanks to the lease, but a crashed worker's lease may expire) adds nothing twice.
    Entry.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def lease_due_feeds(
    now: datetime | None = None, *, force: bool = False, limit: int = 100
) -> list[int]:
    """Mark due feeds as being polled and return their ids (at most one poll per feed)."""
    now = now or timezone.now()
    stale = now - Feed.LEASE
    due = Feed.objects.filter(is_active=True).filter(
        Q(polling_since__isnull=True) | Q(polling_since__lt=stale)
    )
    if not force:
        due = due.filter(next_poll_at__lte=now)
    leased: list[int] = []
    for feed_id in list(due.order_by("next_poll_at").values_list("id", flat=True)[:limit]):
        # Compare-and-set: only one scheduler wins each feed.
        won = (
            Feed.objects.filter(pk=feed_id)
            .filter(Q(polling_since__isnull=True) | Q(polling_since__lt=stale))
            .update(polling_since=now)
        )
        if won:
            leased.append(feed_id)
    return leased


# --- articles --------------------------------------------------------------------------


def live_worker_ids() -> list[str]:
    return list(WorkerProcess.objects.values_list("id", flat=True))


def _claimable(now: datetime) -> Q:
    live = live_worker_ids()
    return Q(state=Entry.State.PENDING) & (
        Q(claimed_until__isnull=True)
        | Q(claimed_until__lt=now)
        | (~Q(claimed_by="") & ~Q(claimed_by__in=live))
    )


#: Seconds between two heartbeats sent while claiming (a worker is taken for dead
#: after ``HEARTBEAT_STALE``, a minute): one write less per claim in between.
BEAT_EVERY = 5.0


def claim_entries(worker_id: str, batch: int = 8) -> list[Entry]:
    """Claim pending entries for this worker: unclaimed, expired, or held by a dead worker.

    An entry waiting out a retry back-off (no holder, ``claimed_until`` in the
    future) is not claimable until then.
    """
    from tidings.news.worker_id import heartbeat

    heartbeat(worker_id, unless_within=BEAT_EVERY)
    now = timezone.now()
    with transaction.atomic():
        qs = Entry.objects.filter(_claimable(now))
        if transaction.get_connection().features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        ids = list(qs.order_by("id").values_list("id", flat=True)[:batch])
        if not ids:
            return []
        Entry.objects.filter(pk__in=ids).update(
            claimed_by=worker_id, claimed_until=now + ENTRY_LEASE
        )
    return list(
        Entry.objects.filter(pk__in=ids).select_related("feed", "feed__source").order_by("id")
    )


def has_claimable_entries() -> bool:
    return Entry.objects.filter(_claimable(timezone.now())).exists()


def _fail_entry(
    entry: Entry,
    exc: TidingsError,
    *,
    url: str,
    started: float,
    attempts: list[FetchAttempt] | None = None,
) -> None:
    """Record an entry's failure; its fetch attempt is saved, or added to ``attempts``."""
    entry.attempts += 1
    entry.error_code = exc.code
    entry.error_message = exc.message
    entry.updated_at = timezone.now()
    entry.claimed_by = ""
    permanent = not _retryable(exc)
    if permanent or entry.attempts >= MAX_ENTRY_ATTEMPTS:
        entry.state = Entry.State.FAILED
        entry.claimed_until = None
    else:
        entry.claimed_until = timezone.now() + timedelta(seconds=60 * 2**entry.attempts)
    entry.save()
    attempt = _attempt(
        entry.feed,
        url,
        "page",
        started,
        status=getattr(exc, "status", None),
        code=exc.code,
        message=str(exc),
    )
    if attempts is None:
        attempt.save()
    else:
        attempts.append(attempt)
    log.warning("entry %s failed: %s (%s)", url, exc.message, exc.code)


def _retryable(exc: TidingsError) -> bool:
    status = getattr(exc, "status", None)
    if status is not None:
        return status >= 500 or status == 429
    return exc.code in {"timeout", "connect", "dns", "fetch", STORE_FAILED}


#: The error code of an entry whose article could not be written (retried like a
#: transient fetch failure, at most ``MAX_ENTRY_ATTEMPTS`` times).
STORE_FAILED = "store"


def _pick_canonical(extracted: ExtractedArticle, final_url: str) -> str:
    """The page's own canonical URL when it is plausible, else the URL we fetched."""
    fetched = canonical_url(final_url)
    claimed = extracted.canonical_url
    if not claimed:
        return fetched
    try:
        claimed = canonical_url(claimed, base=final_url)
    except TidingsError:
        return fetched
    a, b = urlsplit(claimed), urlsplit(fetched)
    same_site = a.netloc.removeprefix("www.") == b.netloc.removeprefix("www.")
    # A canonical pointing at a homepage or section front is a CMS bug, not the article.
    if not same_site or a.path in {"", "/"} or a.scheme not in {"http", "https"}:
        return fetched
    return claimed


@dataclass(frozen=True)
class Download:
    """What fetching and extracting one entry's page gave (no database involved)."""

    started: float
    url: str
    status: int | None = None
    extracted: ExtractedArticle | None = None
    error: TidingsError | None = None
    fingerprints: Fingerprints | None = None


@dataclass(frozen=True)
class Fingerprints:
    """What duplicate detection needs of a text, computed away from the database."""

    content_hash: str
    signature: bytes
    language: str | None

    @classmethod
    def of(cls, extracted: ExtractedArticle) -> Fingerprints:
        text = extracted.text
        chash, sig = fingerprint(text)
        return cls(chash, sig, extracted.language or detect_language(text))


def download(entry: Entry) -> Download:
    """Fetch and extract the page behind an entry. Touches no database, so it may run in
    another thread while the caller stores earlier results. Never raises TidingsError."""
    started = time.monotonic()
    try:
        result = services.fetcher().fetch(entry.url, kind="page")
    except FetchError as exc:
        return Download(started, entry.url, error=exc)
    try:
        # The extraction process, which bounds a worker's throughput, only extracts:
        # decoding and fingerprints run here, beside it (bench ingest: 1 process
        # 33 -> 35 articles/s, 2 processes 53 -> 62, measured A/B in turn).
        html = decode_bytes(result.content, result.encoding)
        extracted = extract_with_timeout(html, result.url, timeout=services.extract_timeout())
    except ExtractionError as exc:
        return Download(started, result.url, status=result.status, error=exc)
    return Download(
        started,
        result.url,
        status=result.status,
        extracted=extracted,
        fingerprints=Fingerprints.of(extracted),
    )


def skip_stored(entries: list[Entry]) -> list[Entry]:
    """Finish the entries whose article is already stored (one query); return the others."""
    if not entries:
        return []
    stored = set(
        Article.objects.filter(pk__in=[e.key for e in entries]).values_list("pk", flat=True)
    )
    left = []
    for entry in entries:
        if entry.key in stored:
            _finish(entry, Article(pk=entry.key), Entry.State.DUPLICATE)
        else:
            left.append(entry)
    return left


def already_stored(entry: Entry) -> bool:
    """Finish an entry whose article is already stored (same link seen in another feed)."""
    existing = Article.objects.filter(pk=entry.key).only("pk").first()
    if existing is None:
        return False
    _finish(entry, existing, Entry.State.DUPLICATE)
    return True


def finish_download(entry: Entry, done: Download) -> Article | None:
    """Record a download's outcome: the stored article, or the entry's failure."""
    return finish_downloads([(entry, done)])[0]


def finish_downloads(done: Sequence[tuple[Entry, Download]]) -> list[Article | None]:
    """Record several downloads' outcomes, in order, in one write transaction: one database
    lock and one commit for all, the exact-duplicate lookup and the fetch attempts in one
    query each. Every entry is written under its own savepoint: one whose article cannot be
    stored is recorded as failed (code ``STORE_FAILED``, retried later) and the others are
    kept."""
    if not done:
        return []
    prints = [
        (d.fingerprints or Fingerprints.of(d.extracted)) if d.extracted is not None else None
        for _, d in done
    ]
    with transaction.atomic():
        originals = _Originals([p.content_hash for p in prints if p is not None])
        attempts: list[FetchAttempt] = []
        stored = [
            _finish_one(entry, d, p, originals, attempts)
            for (entry, d), p in zip(done, prints, strict=True)
        ]
        FetchAttempt.objects.bulk_create(attempts)
    return stored


def _finish_one(
    entry: Entry,
    done: Download,
    prints: Fingerprints | None,
    originals: _Originals,
    attempts: list[FetchAttempt],
) -> Article | None:
    if done.error is not None or done.extracted is None:
        error = done.error or ExtractionError("no article extracted", url=done.url)
        _fail_entry(entry, error, url=done.url, started=done.started, attempts=attempts)
        return None
    try:
        # No savepoint of its own needed: store_article writes only under its own.
        article = store_article(
            entry, done.extracted, done.url, fingerprints=prints, originals=originals
        )
    except Exception as exc:  # one entry's failure must not lose the batch
        log.exception("storing %s failed", done.url)
        entry.state = Entry.State.PENDING
        entry.article = None
        failure = TidingsError(f"storing failed: {exc!r}", url=done.url, code=STORE_FAILED)
        _fail_entry(entry, failure, url=done.url, started=done.started, attempts=attempts)
        return None
    attempts.append(
        _attempt(entry.feed, done.url, "page", done.started, status=done.status, code="ok")
    )
    return article


class _Originals:
    """What an exact copy is folded onto, by content hash: the earliest fetched article
    with that hash that is no duplicate itself. Read in one query for a batch of pages,
    and kept up to date as the batch stores its own."""

    def __init__(self, hashes: Iterable[str]) -> None:
        self._by_hash: dict[str, list[tuple[datetime, str]]] = {}
        wanted = set(hashes)
        if not wanted:
            return
        rows = (
            Article.objects.filter(content_hash__in=wanted, duplicate_of__isnull=True)
            .order_by()
            .values_list("content_hash", "fetched_at", "pk")
        )
        for chash, fetched_at, pk in rows:
            self._by_hash.setdefault(chash, []).append((fetched_at, pk))

    def first(self, chash: str, *, other_than: str) -> str | None:
        found = [c for c in self._by_hash.get(chash, ()) if c[1] != other_than]
        return min(found)[1] if found else None

    def add(self, article: Article) -> None:
        if article.duplicate_of_id is None:
            self._by_hash.setdefault(article.content_hash, []).append(
                (article.fetched_at, article.pk)
            )


def process_entry(entry: Entry) -> Article | None:
    """Fetch, extract and store the article behind one entry. Never raises TidingsError."""
    if already_stored(entry):
        return entry.article
    return finish_download(entry, download(entry))


def store_article(
    entry: Entry,
    extracted: ExtractedArticle,
    final_url: str,
    *,
    fingerprints: Fingerprints | None = None,
    originals: _Originals | None = None,
) -> Article:
    """Store the article behind an entry and finish the entry (``DONE``, or ``DUPLICATE``
    when the same canonical URL is stored already). ``originals``: exact copies looked up
    for a batch (see :func:`finish_downloads`), else one query here.

    Every write is made under a savepoint of its own: when this raises, nothing of it is
    left in the caller's transaction, which can go on."""
    canon = _pick_canonical(extracted, final_url)
    aid = article_id(canon)
    text = extracted.text
    prints = fingerprints or Fingerprints.of(extracted)
    chash = prints.content_hash
    title = (extracted.title or entry.title or UNTITLED).strip()[:1000]
    language = prints.language or entry.feed.source.language or ""
    source = entry.feed.source
    if originals is None:
        originals = _Originals([chash])
    exact = originals.first(chash, other_than=aid)
    article = Article(
        id=aid,
        canonical_url=canon[:2000],
        source=source,
        feed=entry.feed,
        title=title,
        byline=(extracted.byline or "")[:500],
        dateline=(extracted.dateline or "")[:200],
        description=extracted.description or entry.summary[:1000],
        category=_category(entry),
        published_at=extracted.published or entry.published_at,
        updated_at=extracted.updated,
        language=language[:16],
        text=text,
        html=extracted.html,
        lead_image=(extracted.lead_image or "")[:2000],
        lead_image_alt=extracted.lead_image_alt or "",
        lead_image_caption=extracted.lead_image_caption or "",
        word_count=extracted.word_count,
        paywalled=extracted.paywalled,
        content_hash=chash,
        signature=prints.signature,
        duplicate_of_id=exact,
        duplicate_score=1.0 if exact else None,
        is_sample=source.is_sample,
    )
    try:
        with transaction.atomic():
            article.save(force_insert=True)
            _finish(entry, article, Entry.State.DONE)
        originals.add(article)
    except IntegrityError:
        # Same canonical URL stored meanwhile (another feed, another worker): link to it.
        with transaction.atomic():
            stored = Article.objects.filter(Q(pk=aid) | Q(canonical_url=canon)).first()
            if stored is None:
                raise
            _finish(entry, stored, Entry.State.DUPLICATE)
        return stored
    return article


#: The title shown for an article that has none (it is no evidence of what it is about).
UNTITLED = "Untitled"


def _category(entry: Entry) -> str:
    if entry.category:
        return entry.category.strip().title()[:100]
    # Fall back on the first path segment when it names a section (/world/..., /sport/...).
    first = urlsplit(entry.url).path.strip("/").split("/")[0].lower()
    return first.title() if first in _SECTIONS else ""


_SECTIONS = {
    "world",
    "politics",
    "business",
    "economy",
    "technology",
    "tech",
    "science",
    "health",
    "sport",
    "sports",
    "culture",
    "arts",
    "climate",
    "environment",
    "opinion",
    "europe",
    "asia",
    "africa",
    "americas",
    "uk",
    "us",
    "money",
    "markets",
    "entertainment",
}


def _finish(entry: Entry, article: Article, state: str) -> None:
    entry.state = state
    entry.article = article
    entry.claimed_by = ""
    entry.claimed_until = None
    entry.error_code = ""
    entry.error_message = ""
    entry.updated_at = timezone.now()
    entry.save(update_fields=_FINISHED_FIELDS)


_FINISHED_FIELDS = [
    "state",
    "article",
    "claimed_by",
    "claimed_until",
    "error_code",
    "error_message",
    "updated_at",
]
