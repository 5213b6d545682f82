"""Stored AI results and the shared daily token count."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class AIResultCache(models.Model):
    """One computed AI result. ``key`` is :func:`tidings.core.ai.cache_key`: it covers the
    subject, feature, engine, model, prompt version, the content hash of what was read and
    the question or language, so an edited article or a story with new coverage misses."""

    key = models.CharField(max_length=64, unique=True)
    feature = models.CharField(max_length=20)
    engine = models.CharField(max_length=20)
    model = models.CharField(max_length=200, blank=True)
    prompt_version = models.CharField(max_length=40, blank=True)
    subject = models.CharField(
        max_length=64, db_index=True, help_text="article id, or story: + story id"
    )
    content_hash = models.CharField(max_length=64)
    payload = models.JSONField(help_text="AIResult.to_dict()")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "AI result"

    def __str__(self) -> str:
        return f"{self.feature} of {self.subject} ({self.engine})"


class AITokenDay(models.Model):
    """LLM tokens spent on one UTC day, shared by every process."""

    day = models.CharField(max_length=10, unique=True, help_text="YYYY-MM-DD (UTC)")
    tokens = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "AI token day"

    def __str__(self) -> str:
        return f"{self.day}: {self.tokens} tokens"
