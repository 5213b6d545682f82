"""Operator's view: sources, feeds (with their errors), articles, entries and fetch history."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from tidings.news.models import (
    Article,
    Entry,
    Feed,
    FetchAttempt,
    Source,
    Story,
    Topic,
)


class FeedInline(admin.TabularInline):
    model = Feed
    extra = 0
    fields = (
        "url",
        "kind",
        "is_active",
        "last_success_at",
        "last_error_code",
        "last_error_message",
    )
    readonly_fields = ("kind", "last_success_at", "last_error_code", "last_error_message")
    show_change_link = True


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "homepage", "language", "country", "is_sample", "feed_status")
    search_fields = ("name", "homepage", "slug")
    list_filter = ("is_sample", "language")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [FeedInline]

    @admin.display(description="feeds")
    def feed_status(self, obj: Source) -> str:
        failing = [f for f in obj.feeds.all() if f.last_error_code]
        if failing:
            return format_html('<span style="color:#b00">{} failing</span>', len(failing))
        return "ok"


class ErrorFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("error", "Failing"), ("ok", "Healthy")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Feed]) -> QuerySet[Feed]:
        if self.value() == "error":
            return queryset.exclude(last_error_code="")
        if self.value() == "ok":
            return queryset.filter(last_error_code="")
        return queryset


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    list_display = (
        "url",
        "source",
        "kind",
        "is_active",
        "last_success_at",
        "next_poll_at",
        "interval_seconds",
        "error_count",
        "error",
    )
    list_filter = (ErrorFilter, "kind", "is_active")
    search_fields = ("url", "source__name", "title")
    readonly_fields = (
        "etag",
        "last_modified",
        "last_polled_at",
        "last_success_at",
        "last_new_entry_at",
        "error_count",
        "last_error_code",
        "last_error_message",
        "last_error_at",
        "polling_since",
    )
    actions = ["poll_now"]

    @admin.display(description="last error")
    def error(self, obj: Feed) -> str:
        if not obj.last_error_code:
            return ""
        return format_html("<b>{}</b>: {}", obj.last_error_code, obj.last_error_message)

    @admin.action(description="Poll selected feeds at the next worker tick")
    def poll_now(self, request: HttpRequest, queryset: QuerySet[Feed]) -> None:
        queryset.update(next_poll_at=timezone.now())


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "source",
        "published_at",
        "language",
        "word_count",
        "duplicate_of",
        "story",
    )
    list_filter = ("language", "source", "is_sample", "paywalled")
    search_fields = ("title", "canonical_url", "id")
    date_hierarchy = "published_at"
    raw_id_fields = ("duplicate_of", "story", "feed")
    readonly_fields = ("id", "content_hash", "fetched_at", "story_seq")
    exclude = ("signature",)


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ("url", "feed", "state", "attempts", "error_code", "updated_at")
    list_filter = ("state", "error_code")
    search_fields = ("url", "title", "guid")
    raw_id_fields = ("article", "feed")


@admin.register(FetchAttempt)
class FetchAttemptAdmin(admin.ModelAdmin):
    list_display = ("started_at", "kind", "url", "status", "code", "duration_ms", "message")
    list_filter = ("code", "kind")
    search_fields = ("url", "message")
    raw_id_fields = ("feed",)


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    list_display = ("headline", "outlet_count", "article_count", "last_updated_at", "score")
    search_fields = ("headline", "id")
    raw_id_fields = ("lead_article", "merged_into")


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "article_count")
    list_filter = ("kind",)
    search_fields = ("name", "slug")
