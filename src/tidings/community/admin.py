from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tidings.community.models import Comment, ModerationAction, Profile, Report


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "email_key", "banned_at"]
    search_fields = ["display_name", "email_key", "user__username"]
    list_filter = ["banned_at"]
    raw_id_fields = ["user"]


class ReportInline(admin.TabularInline):
    model = Report
    extra = 0
    raw_id_fields = ["reporter", "resolved_by"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "author", "status", "hold_reason", "created_at", "article", "story"]
    list_filter = ["status", "created_at"]
    search_fields = ["body", "author__username", "author__profile__display_name"]
    raw_id_fields = ["author", "article", "story", "parent"]
    readonly_fields = ["body_html", "created_at", "edited_at", "score"]
    inlines = [ReportInline]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["comment", "reporter", "reason", "created_at", "resolved_at"]
    list_filter = ["reason", "resolved_at"]
    raw_id_fields = ["comment", "reporter", "resolved_by"]


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """The audit log is read-only: it records, it is not edited."""

    list_display = ["created_at", "kind", "actor", "subject", "comment", "reason"]
    list_filter = ["kind", "created_at"]
    search_fields = ["reason", "actor__username", "subject__username"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
