from django.contrib import admin

from tidings.aiweb.models import AIResultCache, AITokenDay


@admin.register(AIResultCache)
class AIResultCacheAdmin(admin.ModelAdmin[AIResultCache]):
    list_display = ("feature", "subject", "engine", "model", "prompt_version", "created_at")
    list_filter = ("feature", "engine")
    search_fields = ("subject", "key")
    readonly_fields = ("key", "content_hash", "payload", "created_at")


@admin.register(AITokenDay)
class AITokenDayAdmin(admin.ModelAdmin[AITokenDay]):
    list_display = ("day", "tokens")
    ordering = ("-day",)
