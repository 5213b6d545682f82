"""The serialized stage after extraction: near-duplicate folding, stories, topics, related cards.

Articles are stored by many workers in parallel; this stage visits them one
at a time in arrival order under a lease, so "the first copy" of a wire story
and the story a new article joins are decided exactly once, whatever the
number of workers. Its in-memory engine is a cache of the database, rebuilt
from the stored evidence when another process held the lease meanwhile.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Max, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from tidings import services
from tidings.core.dedupe import NearDuplicateIndex
from tidings.core.entities import WORD, Entity, extract_entities
from tidings.core.errors import BusyError
from tidings.core.stories import Assignment, StoryEngine, StoryInput, shared_reason
from tidings.news.models import (
    Article,
    ArticleTopic,
    Lease,
    RelatedLink,
    Story,
    Topic,
)
from tidings.news.pipeline import UNTITLED
from tidings.news.worker_id import heartbeat

log = logging.getLogger("tidings.stories")

LEASE_NAME = "assign"
LEASE_TTL = timedelta(minutes=2)
NEAR_DUPLICATE_THRESHOLD = 0.8
RELATED_CARDS = 10  # kept per article; pages show the first few
HEADLINE_LOOKBACK = 8  # latest reports read for one that stands for the story
REFRESH_RELATED_OF = 12  # same-story articles whose cards are refreshed when one arrives


def acquire(name: str, holder: str, ttl: timedelta = LEASE_TTL) -> bool:
    """Take or renew the named lease; False when another live holder has it."""
    from tidings.news.pipeline import live_worker_ids

    now = timezone.now()
    Lease.objects.get_or_create(name=name)
    live = live_worker_ids()
    won = (
        Lease.objects.filter(name=name)
        .filter(Q(holder="") | Q(holder=holder) | Q(until__lt=now) | ~Q(holder__in=live))
        .update(holder=holder, until=now + ttl)
    )
    return bool(won)


def release(name: str, holder: str) -> None:
    Lease.objects.filter(name=name, holder=holder).update(holder="", until=None)


class _State:
    """Per-process cache: the story engine and the near-duplicate index."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.synced_seq = -1
        self.dupes = NearDuplicateIndex()
        self._engine: StoryEngine | None = None
        self.warned = False  # about stories put together by another model

    @property
    def engine(self) -> StoryEngine:
        # Made on first use: the embedding backend is loaded then, not at import.
        if self._engine is None:
            self._engine = StoryEngine(embedder=services.embedder())
        return self._engine

    def sync(self) -> None:
        last = Article.objects.aggregate(m=Max("story_seq"))["m"]
        last = -1 if last is None else int(last)
        if last == self.synced_seq:
            return
        # Another process assigned articles (or the database was reset): rebuild.
        rows = (
            Article.objects.filter(story_seq__isnull=False)
            .order_by("story_seq")
            .values_list("id", "signature", "story_evidence", "story_id", "duplicate_of_id")
        )
        dupes = NearDuplicateIndex()
        records: list[tuple[bytes, str]] = []
        for aid, sig, evidence, story_id, dup in rows.iterator(chunk_size=2000):
            if sig and dup is None:
                dupes.add(aid, bytes(sig))
            if evidence and story_id:
                records.append((bytes(evidence), story_id))
        self._engine = StoryEngine.restore(records, embedder=services.embedder())
        self.dupes = dupes
        self.synced_seq = last
        # Counted until the warning is given: a later rebuild need not read them again.
        stale = 0 if self.warned else self._engine.assigned_by_other_models()
        if stale:
            self.warned = True
            log.warning(
                "%d articles were put in stories by another story model than this version "
                "ships; new articles join those stories as they stand. `tidings recluster` "
                "rebuilds every story with this model.",
                stale,
            )


_state = _State()


def reset_cache() -> None:
    global _state
    _state = _State()


def engine() -> StoryEngine:
    """The story engine of this process, synchronised with the database."""
    with _state.lock:
        _state.sync()
        return _state.engine


def assign_pending(holder: str, limit: int | None = None) -> int:
    """Fold near-duplicates and assign stories for stored articles, in order. Returns how many."""
    if not acquire(LEASE_NAME, holder):
        return 0
    done = 0
    try:
        with _state.lock:
            _state.sync()
            while limit is None or done < limit:
                batch = list(
                    Article.objects.filter(story_state=Article.StoryState.PENDING)
                    .select_related("source")
                    # What is waiting is visited in publication order: a backfill of many
                    # feeds then reads like the news did, not outlet by outlet.
                    .order_by(Coalesce("published_at", "fetched_at"), "id")[:50]
                )
                if not batch:
                    break
                heartbeat()
                for article in batch:
                    try:
                        _assign_one(article)
                    except Exception:
                        # Leave it pending for the next round, but never block the rest.
                        log.exception("story assignment failed for %s", article.pk)
                        _state.synced_seq = -2  # force a rebuild from the database
                        raise
                    done += 1
                acquire(LEASE_NAME, holder)
    finally:
        release(LEASE_NAME, holder)
    return done


def _assign_one(article: Article) -> None:
    if article.pk in _state.engine or (
        article.duplicate_of_id is not None
        and Article.objects.filter(pk=article.pk, story_seq__isnull=False).exists()
    ):
        return  # assigned already, ahead of its turn (an original its copy needed)
    if article.duplicate_of_id is not None and article.duplicate_of_id not in _state.engine:
        # A copy met before its original (publication order can put it first): the
        # original is assigned now, so the copy folds onto it instead of standing alone.
        first = (
            Article.objects.filter(pk=article.duplicate_of_id, story_seq__isnull=True)
            .select_related("source")
            .first()
        )
        if first is not None:
            _assign_one(first)
    seq = _state.synced_seq + 1
    first_visit = article.story_seq is None  # no topics or cards stored for it yet
    sig = bytes(article.signature) if article.signature else b""
    if article.duplicate_of_id is None and sig:
        matches = [
            (k, s)
            for k, s in _state.dupes.query(sig, threshold=NEAR_DUPLICATE_THRESHOLD)
            if k != article.pk
        ]
        if matches:
            original, score = max(matches, key=lambda m: (m[1], m[0]))
            article.duplicate_of_id = original
            article.duplicate_score = score
    eng = _state.engine
    if article.duplicate_of_id is not None and article.duplicate_of_id in eng:
        # A copy joins its original's story and is never a card of its own: the engine
        # needs no evidence of it (and its words must not count twice in the statistics).
        result = Assignment(article.pk, eng.story_of(article.duplicate_of_id), False, 1.0, ())
        evidence = b""
    else:
        result = eng.add(
            StoryInput(
                id=article.pk,
                # A placeholder title would make every untitled article look alike.
                title="" if article.title == UNTITLED else article.title,
                text=article.text,
                source=article.source.name,
                # The pair model reads the time between two reports against how far
                # apart this installation's candidates usually are: hours apart says
                # much in an archive, little in a live window where all are recent.
                published=article.published_at,
                language=article.language or None,
            )
        )
        evidence = eng.article_state(article.pk)
        if article.duplicate_of_id is not None:
            # Its original is unknown to the engine (deleted meanwhile): treat it as original.
            article.duplicate_of_id = None
            article.duplicate_score = None
    # The topics shown: names read in whole sentences (the engine's evidence is read
    # as its model was fitted, see extract_entities). Copies show their original's.
    topics = (
        extract_entities(article.title, article.text, article.language or None)
        if article.duplicate_of_id is None
        else []
    )
    # One write transaction per article, taken after the engine's work: the database
    # lock is held for writes only, so other workers storing pages wait little.
    with transaction.atomic():
        story, fresh = _persist_story(article, result)
        article.story = story
        article.story_seq = seq
        article.story_state = Article.StoryState.ASSIGNED
        article.story_evidence = evidence
        article.changed_at = timezone.now()
        article.save(
            update_fields=[
                "duplicate_of",
                "duplicate_score",
                "story",
                "story_seq",
                "story_state",
                "story_evidence",
                "changed_at",
            ]
        )
        if article.duplicate_of_id is not None:
            # The original's page now lists this copy under "Also published by".
            Article.objects.filter(pk=article.duplicate_of_id).update(changed_at=timezone.now())
        if article.duplicate_of_id is None:
            _persist_topics(article, topics, first_visit=first_visit)
        if not fresh:
            _refresh_story(
                story, only_count=article.duplicate_of_id is not None and not result.merged
            )
        _refresh_related(article, story, alone=fresh, first_visit=first_visit)
    if article.duplicate_of_id is None and sig:
        _state.dupes.add(article.pk, sig)
    _state.synced_seq = seq


def _persist_story(article: Article, result: Assignment) -> tuple[Story, bool]:
    """The article's story row; True when it was created for this article alone.

    A story created for one original article is written complete at once (what
    :func:`_refresh_story` would compute from its single member), saving its queries.
    """
    defaults: dict[str, object] = {"headline": article.title[:1000], "lead_article": article}
    alone = result.new_story and not result.merged and article.duplicate_of_id is None
    if alone:
        now = timezone.now()
        published = article.published_at
        recent = int(published is not None and published >= now - timedelta(hours=6))
        defaults.update(
            article_count=1,
            outlet_count=1,
            first_published_at=published,
            last_updated_at=published or article.fetched_at,
            score=_score(1, published, recent, now),
        )
    story, created = Story.objects.get_or_create(id=result.story_id, defaults=defaults)
    if result.merged:
        Article.objects.filter(story_id__in=result.merged).update(story=story)
        Story.objects.filter(id__in=result.merged).update(merged_into=story, article_count=0)
        log.info("stories %s merged into %s", ", ".join(result.merged), story.id)
    return story, created and alone


def _refresh_story(story: Story, *, only_count: bool = False) -> None:
    """Recompute a story's counts, headline, lead and score from its articles.

    ``only_count``: the new article is a copy of one already in the story, so only the
    article count moves (headline, outlets, lead and score are unchanged).
    """
    if only_count:
        Story.objects.filter(pk=story.pk).update(article_count=F("article_count") + 1)
        return
    now = timezone.now()
    members = Article.objects.filter(story=story)
    originals = members.filter(duplicate_of__isnull=True)
    agg = members.aggregate(
        n=Count("id"),
        first=Min("published_at"),
        last=Max("published_at"),
        fetched=Max("fetched_at"),
        outlets=Count("source", distinct=True, filter=Q(duplicate_of__isnull=True)),
        recent=Count("id", filter=Q(published_at__gte=now - timedelta(hours=6))),
    )
    story.article_count = agg["n"]
    story.outlet_count = agg["outlets"]
    story.first_published_at = agg["first"]
    story.last_updated_at = agg["last"] or agg["fetched"]
    # The headline is the latest report's: a developing story reads as it stands now
    # ("toll rises to 214", where the first report said "at least 12 dead"). An
    # explainer, an opinion or a question does not stand for the story: then the latest
    # report that does, else the first. The lead image is the latest one there is.
    first = originals.order_by("published_at", "fetched_at").only("id", "title").first()
    latest = originals.order_by(F("published_at").desc(nulls_last=True), "-fetched_at", "-pk")
    lead = next(
        (a for a in latest.only("id", "title")[:HEADLINE_LOOKBACK] if reports_news(a.title)),
        first,
    )
    if lead is not None:
        story.headline = lead.title[:1000]
    with_image = originals.exclude(lead_image="").order_by("-published_at").only("id").first()
    story.lead_article = with_image or first
    story.score = _score(story.outlet_count, agg["last"], agg["recent"], now)
    story.merged_into = None
    story.save()


_QUESTION_WORDS = {"what", "why", "how", "who", "when", "where", "which"}
# Words that open a headline standing for a piece about the news rather than the news.
_NOT_NEWS_OPENERS = _QUESTION_WORDS | {
    "whom", "whose", "is", "are", "was", "were", "can", "could", "should", "would", "will",
    "does", "do", "did", "analysis", "opinion", "comment", "commentary", "explainer",
    "explained", "review", "editorial", "letters", "letter", "podcast", "watch", "video",
    "live", "quiz", "obituary",
}  # fmt: skip
# "Tomasz Wren, the keeper who did his homework": a portrait, not the news.
_PORTRAIT = re.compile(r"^[^,:]{2,60}, the [^,:]*\b(?:who|that|whose)\b", re.IGNORECASE)


def reports_news(title: str) -> bool:
    """Whether a headline reports the news ("Veland quake toll rises to 214") rather
    than asks, explains, looks back or comments ("Why the Korrin Fault ruptured",
    "Analysis: ...", "Who owns The Salt Orchard?", "Six days without transit: what
    Northgate learned", "Tomasz Wren, the keeper who did his homework")."""
    title = title.strip()
    words = title.split()
    if not words or title.endswith("?") or _PORTRAIT.match(title):
        return False
    if words[0].strip("‘’'\"“”:").lower() in _NOT_NEWS_OPENERS:
        return False
    _, colon, after = title.partition(": ")
    return not (colon and after.split()[0].strip("‘’'\"“”").lower() in _QUESTION_WORDS)


def _score(outlets: int, newest: datetime | None, recent: int, now: datetime) -> float:
    if newest is None:
        return round(math.log1p(outlets) * 2.0 * math.exp(-2.0), 6)
    age_hours = max((now - newest).total_seconds() / 3600.0, 0.0)
    return round((math.log1p(outlets) * 2.0 + math.log1p(recent)) * math.exp(-age_hours / 24.0), 6)


def story_score(outlets: int, published: Iterable[datetime | None]) -> float:
    """Breadth, velocity and recency (same formula as the engine's top stories)."""
    now = timezone.now()
    times = [t for t in published if t is not None]
    newest = max(times) if times else None
    recent = sum(1 for t in times if (now - t).total_seconds() <= 6 * 3600)
    return _score(outlets, newest, recent, now)


def _persist_topics(
    article: Article, entities: Sequence[Entity], *, first_visit: bool = False
) -> None:
    """The article's people, places, organisations and subjects, in a handful of queries.

    ``first_visit``: the article was never assigned, so it has no topics to replace.
    """

    wanted: dict[str, tuple[str, str, float]] = {}
    read: set[str] = set()  # slugs whose kind this article read
    for entity in [e for e in entities if e.kind != WORD][:12]:
        slug = entity.slug[:120]
        if slug and slug not in wanted:
            wanted[slug] = (entity.name[:200], entity.kind, float(entity.weight))
            if entity.kind_read:
                read.add(slug)
    previous = (
        set()
        if first_visit
        else set(ArticleTopic.objects.filter(article=article).values_list("topic__slug", flat=True))
    )
    if previous:
        ArticleTopic.objects.filter(article=article).delete()
        Topic.objects.filter(slug__in=previous).update(article_count=F("article_count") - 1)
    if not wanted:
        return
    Topic.objects.bulk_create(
        [
            Topic(slug=slug, name=name, kind=kind, kind_read=slug in read)
            for slug, (name, kind, _) in wanted.items()
        ],
        ignore_conflicts=True,
    )
    # The first kind read wins over kinds guessed from the name's shape by the topic's
    # earlier articles ("Millbrook and Ashgrove": a subject; "the hamlet of Ashgrove": a
    # place). One query finds them (usually none); each kind is then one update.
    guessed = Topic.objects.filter(slug__in=read, kind_read=False).values_list("slug", flat=True)
    by_kind: dict[str, list[str]] = {}
    for slug in guessed:
        by_kind.setdefault(wanted[slug][1], []).append(slug)
    for kind, slugs in by_kind.items():
        Topic.objects.filter(slug__in=slugs, kind_read=False).update(kind=kind, kind_read=True)
    topics = dict(Topic.objects.filter(slug__in=list(wanted)).values_list("slug", "pk"))
    ArticleTopic.objects.bulk_create(
        [
            ArticleTopic(article=article, topic_id=topics[slug], weight=weight)
            for slug, (_, _, weight) in wanted.items()
            if slug in topics
        ],
        ignore_conflicts=True,
    )
    Topic.objects.filter(pk__in=list(topics.values())).update(article_count=F("article_count") + 1)


def _store_related(article_id: str, eng: StoryEngine, *, replace: bool = True) -> None:
    items = eng.related(article_id, k=RELATED_CARDS)
    named = _reasons_from_topics(article_id, [i.article_id for i in items if not i.same_story])
    with transaction.atomic(savepoint=False):
        if replace:
            RelatedLink.objects.filter(article_id=article_id).delete()
        RelatedLink.objects.bulk_create(
            [
                RelatedLink(
                    article_id=article_id,
                    related_id=item.article_id,
                    rank=rank,
                    score=item.score,
                    same_story=item.same_story,
                    reason=named.get(item.article_id, item.reason)[:300],
                )
                for rank, item in enumerate(items)
            ]
        )


def _reasons_from_topics(article_id: str, others: Sequence[str]) -> dict[str, str]:
    """ "Also about ..." for other stories' articles, named with the topics the pages
    show (read in whole sentences: "Vladimir Putin", where the engine's evidence, read
    as its model was fitted, has "Vladimir"; no "Hospital"). An article sharing none of
    them keeps the engine's reason (what it shares with the story, or none)."""
    if not others:
        return {}
    rows = (
        ArticleTopic.objects.filter(article_id__in=[article_id, *others])
        .order_by("-weight", "topic__slug")
        .values_list("article_id", "topic__name", "topic__kind", "topic__slug")
    )
    mine: list[tuple[str, str, str]] = []
    theirs: dict[str, set[str]] = {other: set() for other in others}
    for owner, name, kind, slug in rows:
        if owner == article_id:
            mine.append((name, kind, slug))
        else:
            theirs[owner].add(slug)
    return {other: reason for other in others if (reason := shared_reason(mine, theirs[other]))}


def _refresh_related(
    article: Article, story: Story, *, alone: bool = False, first_visit: bool = False
) -> None:
    """Cards for the new article now; same-story articles' cards are refreshed in the background.

    ``alone``: the story was created for this article, so it has no other members.
    """
    eng = _state.engine
    if article.duplicate_of_id is not None:
        # A duplicate shows its original's cards; the original's cards are unchanged.
        return
    _store_related(article.pk, eng, replace=not first_visit)
    if alone:
        return
    others = (
        Article.objects.filter(story=story, duplicate_of__isnull=True)
        .exclude(pk=article.pk)
        .order_by("-story_seq")
        .values_list("id", flat=True)[:REFRESH_RELATED_OF]
    )
    Article.objects.filter(pk__in=list(others)).update(related_stale=True)


def refresh_stale_related(holder: str, limit: int = 200) -> int:
    """Recompute the cards of articles whose story gained coverage (under the assignment lease)."""
    if not acquire(LEASE_NAME, holder):
        return 0
    try:
        with _state.lock:
            _state.sync()
            stale = list(
                Article.objects.filter(related_stale=True)
                .order_by("-story_seq")
                .values_list("id", flat=True)[:limit]
            )
            for aid in stale:
                if aid in _state.engine:
                    _store_related(aid, _state.engine)
            Article.objects.filter(pk__in=stale).update(
                related_stale=False, changed_at=timezone.now()
            )
            return len(stale)
    finally:
        release(LEASE_NAME, holder)


def rescore_recent(hours: int = 72) -> int:
    """Recompute the ranking score of recently active stories (recency decays with time)."""
    since = timezone.now() - timedelta(hours=hours)
    count = 0
    stories = Story.objects.filter(merged_into__isnull=True, last_updated_at__gte=since)
    for story in stories.iterator():
        published = Article.objects.filter(story=story).values_list("published_at", flat=True)
        score = story_score(story.outlet_count, published)
        if score != story.score:
            Story.objects.filter(pk=story.pk).update(score=score)
            count += 1
    return count


def refresh_related(article_ids: Iterable[str]) -> int:
    """Recompute the stored related cards of these articles from the current engine."""
    eng = engine()
    done = 0
    for aid in article_ids:
        if aid in eng:
            _store_related(aid, eng)
            done += 1
    return done


def _stories_held_elsewhere() -> set[str]:
    """Stories that rows of other parts of the site point to (readers' comments)."""
    held: set[str] = set()
    for rel in Story._meta.related_objects:
        model = rel.related_model
        if isinstance(model, str) or model._meta.app_label == Story._meta.app_label:
            continue
        rows = model._default_manager.filter(**{f"{rel.field.name}__isnull": False})
        held.update(rows.values_list(rel.field.attname, flat=True).distinct())
    return held


def recluster(holder: str) -> int:
    """Forget every story and assign all articles again, in their original arrival order.

    The new engine (its model, the embedder the settings name) is made before anything
    is forgotten: a setting that cannot be used fails here with the stories intact.
    Raises :class:`BusyError` while another process holds the assignment lease.
    """
    if not acquire(LEASE_NAME, holder, ttl=timedelta(hours=1)):
        raise BusyError(
            "another worker is assigning stories; run this again when it is idle",
            code="assignment_busy",
        )
    try:
        fresh = StoryEngine(embedder=services.embedder())
        with transaction.atomic():
            order = list(
                Article.objects.order_by("story_seq", "fetched_at", "id").values_list(
                    "id", flat=True
                )
            )
            RelatedLink.objects.all().delete()
            ArticleTopic.objects.all().delete()
            Article.objects.update(
                story=None,
                story_seq=None,
                story_state=Article.StoryState.PENDING,
                story_evidence=b"",
                duplicate_of=None,
                duplicate_score=None,
                changed_at=timezone.now(),
            )
            # A story readers commented on keeps its row (emptied), and its comments with
            # it: rebuilt stories take the id of their first article, so it comes back
            # under the same id with its members; the others are deleted.
            kept = _stories_held_elsewhere()
            Story.objects.exclude(pk__in=kept).delete()
            Story.objects.filter(pk__in=kept).update(
                article_count=0, outlet_count=0, score=0.0, merged_into=None, lead_article=None
            )
            Topic.objects.all().delete()
        with _state.lock:
            _state.__init__()  # type: ignore[misc]
            _state._engine = fresh
            _state.synced_seq = -1
            for aid in order:
                art = Article.objects.select_related("source").get(pk=aid)
                _assign_one(art)
                if len(order) > 100:
                    acquire(LEASE_NAME, holder, ttl=timedelta(hours=1))
            # The cards of articles whose story gained reports later, as a worker would
            # refresh them: the rebuild ends as the stories would stand had they
            # arrived one by one.
            stale = Article.objects.filter(related_stale=True).order_by("-story_seq")
            for n, aid in enumerate(stale.values_list("id", flat=True).iterator()):
                if aid in _state.engine:
                    _store_related(aid, _state.engine)
                if n % 500 == 499:
                    acquire(LEASE_NAME, holder, ttl=timedelta(hours=1))
            Article.objects.filter(related_stale=True).update(
                related_stale=False, changed_at=timezone.now()
            )
        return len(order)
    finally:
        release(LEASE_NAME, holder)
