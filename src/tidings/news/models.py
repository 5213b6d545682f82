"""The data model: publishers, their feeds, fetched articles and stories.

Every failure on a feed or page is kept as a stable ``code`` plus a human
``message`` (see :mod:`tidings.core.errors`), both on the object itself
(latest state, for the operator's overview) and in :class:`FetchAttempt`
(the history).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone


class Source(models.Model):
    """A publisher."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    homepage = models.URLField(max_length=2000, blank=True)
    favicon_url = models.URLField(max_length=2000, blank=True)
    logo_url = models.URLField(max_length=2000, blank=True)
    language = models.CharField(max_length=16, blank=True)
    country = models.CharField(max_length=2, blank=True)
    is_sample = models.BooleanField(default=False, help_text="Fictional demo outlet.")
    # The favicon, fetched through the guarded fetcher and served from our own origin
    # so readers' browsers never contact the publisher just to draw a list.
    icon = models.BinaryField(blank=True, default=b"", editable=False)
    icon_type = models.CharField(max_length=100, blank=True)
    icon_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("source", args=[self.slug])


class Feed(models.Model):
    class Kind(models.TextChoices):
        UNKNOWN = "unknown"
        RSS = "rss"
        ATOM = "atom"
        RDF = "rdf"
        JSON = "json"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="feeds")
    url = models.URLField(max_length=2000, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.UNKNOWN)
    title = models.CharField(max_length=500, blank=True)
    is_active = models.BooleanField(default=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    next_poll_at = models.DateTimeField(default=timezone.now, db_index=True)
    interval_seconds = models.PositiveIntegerField(default=1800)
    # Lease: set while one poll job owns the feed; a stale lease (crashed worker) expires.
    polling_since = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_new_entry_at = models.DateTimeField(null=True, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    last_error_code = models.CharField(max_length=64, blank=True)
    last_error_message = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    LEASE = timedelta(minutes=10)

    class Meta:
        ordering = ["url"]

    def __str__(self) -> str:
        return self.url

    @property
    def healthy(self) -> bool:
        return not self.last_error_code


class FetchAttempt(models.Model):
    """One outbound request made for a feed or a page, kept for the operator."""

    feed = models.ForeignKey(
        Feed, null=True, blank=True, on_delete=models.CASCADE, related_name="attempts"
    )
    url = models.URLField(max_length=2000)
    kind = models.CharField(max_length=16)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    duration_ms = models.PositiveIntegerField(default=0)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    code = models.CharField(max_length=64, help_text="ok, not_modified, or a stable error code")
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["feed", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.url}: {self.code}"


class Entry(models.Model):
    """A feed item waiting to become an article (the durable work list).

    The poll job writes entries in one transaction; each entry is then turned
    into an article by its own job. The entry's state, not the queue, is the
    truth: a worker killed mid-way leaves the entry pending and it is picked
    up again, and the article's unique id makes the redo harmless.
    """

    class State(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"
        DUPLICATE = "duplicate"

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="entries")
    key = models.CharField(max_length=64, help_text="article id of the entry's canonical link")
    guid = models.CharField(max_length=2000, blank=True)
    url = models.URLField(max_length=2000)
    title = models.CharField(max_length=1000, blank=True)
    summary = models.TextField(blank=True)
    category = models.CharField(max_length=100, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        max_length=12, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    article = models.ForeignKey(
        "Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    # Claim: the worker process currently turning this entry into an article.
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feed", "key"], name="entry_unique_per_feed")
        ]
        indexes = [models.Index(fields=["state", "claimed_until"])]

    def __str__(self) -> str:
        return self.url


class Story(models.Model):
    """Every outlet's coverage of one event."""

    id = models.CharField(primary_key=True, max_length=32)
    headline = models.CharField(max_length=1000, blank=True)
    lead_article = models.ForeignKey(
        "Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_published_at = models.DateTimeField(null=True, blank=True)
    last_updated_at = models.DateTimeField(null=True, blank=True, db_index=True)
    article_count = models.PositiveIntegerField(default=0)
    outlet_count = models.PositiveIntegerField(default=0, db_index=True)
    score = models.FloatField(default=0.0, db_index=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "stories"

    def __str__(self) -> str:
        return self.headline or self.id

    def get_absolute_url(self) -> str:
        return reverse("story", args=[self.id])


def article_slug(title: str) -> str:
    """The slug of an article's URL, from its title."""
    from tidings.core.urls import slugify

    return slugify(title) or "article"


class Article(models.Model):
    class StoryState(models.TextChoices):
        PENDING = "pending"
        ASSIGNED = "assigned"

    id = models.CharField(
        primary_key=True, max_length=32, help_text="derived from the canonical URL"
    )
    canonical_url = models.URLField(max_length=2000, unique=True)
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="articles")
    feed = models.ForeignKey(
        Feed, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    title = models.CharField(max_length=1000)
    byline = models.CharField(max_length=500, blank=True)
    dateline = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=100, blank=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now, db_index=True)
    language = models.CharField(max_length=16, blank=True)
    lead_image = models.URLField(max_length=2000, blank=True)
    lead_image_alt = models.CharField(max_length=300, blank=True)
    lead_image_caption = models.CharField(max_length=500, blank=True)
    word_count = models.PositiveIntegerField(default=0)
    paywalled = models.BooleanField(default=False)
    content_hash = models.CharField(max_length=64, db_index=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    duplicate_score = models.FloatField(null=True, blank=True)
    story = models.ForeignKey(
        Story, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    story_state = models.CharField(
        max_length=10, choices=StoryState.choices, default=StoryState.PENDING, db_index=True
    )
    # Monotonic order in which articles were assigned to stories (recluster replays it).
    story_seq = models.BigIntegerField(null=True, blank=True, db_index=True)
    related_stale = models.BooleanField(
        default=False, db_index=True, help_text="related cards wait for a refresh"
    )
    # When what the article's page shows last changed here (its story, topics,
    # related cards or copies): part of the rendered page's cache key, and the
    # order in which the worker pre-renders pages.
    changed_at = models.DateTimeField(default=timezone.now, db_default=Now(), db_index=True)
    is_sample = models.BooleanField(default=False)
    # The large columns come last (migration 0005): SQLite stores a row's columns in
    # this order, and reading any column after the text and HTML means reading
    # through them -- on every page key, duplicate check and story query.
    description = models.TextField(blank=True)
    signature = models.BinaryField(blank=True, default=b"", help_text="near-duplicate signature")
    story_evidence = models.BinaryField(
        blank=True, default=b"", help_text="the story engine's compact evidence for this article"
    )
    text = models.TextField()
    html = models.TextField(blank=True, help_text="sanitized article HTML")

    class Meta:
        ordering = ["-published_at"]
        indexes = [models.Index(fields=["source", "-published_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def slug(self) -> str:
        return article_slug(self.title)

    @property
    def sort_time(self):  # type: ignore[no-untyped-def]
        return self.published_at or self.fetched_at

    def get_absolute_url(self) -> str:
        return reverse("article", args=[self.id, self.slug])


class Topic(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        PLACE = "place", "Place"
        ORG = "org", "Organisation"
        TOPIC = "topic", "Subject"

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TOPIC)
    #: The kind was read from what an article says of the name ("in Millbrook", "the
    #: charity Open Hands"); a kind only guessed from the name's shape gives way to it.
    kind_read = models.BooleanField(default=False)
    article_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("topic", args=[self.slug])


class ArticleTopic(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="article_topics")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="article_topics")
    weight = models.FloatField(default=1.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "topic"], name="article_topic_unique")
        ]


class RelatedLink(models.Model):
    """Precomputed related-article cards (refreshed when coverage changes)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    same_story = models.BooleanField(default=False)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["article", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["article", "related"], name="related_unique")
        ]


class WorkerProcess(models.Model):
    """A running worker, so that work claimed by a dead one is taken over at once."""

    id = models.CharField(primary_key=True, max_length=64)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid}"


class Lease(models.Model):
    """A named, expiring lock held by one worker (e.g. the story assigner)."""

    name = models.CharField(primary_key=True, max_length=64)
    holder = models.CharField(max_length=64, blank=True)
    until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
