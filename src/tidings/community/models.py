"""Readers' profiles, comments, reports, votes, the moderation log and rate counters."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from tidings.news.models import Article, Story


class Profile(models.Model):
    """What a reader shows to others, and what moderators decided about them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=50)
    # Lower-cased address: one account per e-mail, enforced by the database.
    email_key = models.CharField(max_length=254, unique=True, null=True, blank=True)
    banned_at = models.DateTimeField(null=True, blank=True)
    banned_reason = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_banned(self) -> bool:
        return self.banned_at is not None

    def get_absolute_url(self) -> str:
        return reverse("community:profile", args=[self.user.get_username()])


class Comment(models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published"
        PENDING = "pending", "Pending review"
        HIDDEN = "hidden", "Hidden by a moderator"
        DELETED = "deleted", "Deleted by its author"
        REMOVED = "removed", "Removed by a moderator"

    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    story = models.ForeignKey(
        Story, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    body = models.TextField(help_text="markdown source as typed")
    body_html = models.TextField(help_text="sanitised rendering of the body")
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PUBLISHED, db_index=True
    )
    hold_reason = models.CharField(max_length=200, blank=True)
    score = models.IntegerField(default=0, help_text="number of likes")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(article__isnull=False, story__isnull=True))
                | (Q(article__isnull=True, story__isnull=False)),
                name="comment_has_one_target",
            )
        ]
        # A thread's comments in order, and everything its stamp (``_thread.stamp_query``,
        # read on every logged-out view of a page) aggregates, from the index alone.
        indexes = [
            models.Index(fields=["article", "status", "created_at", "edited_at", "score"]),
            models.Index(fields=["story", "status", "created_at", "edited_at", "score"]),
            models.Index(fields=["author", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} by {self.author_id}"

    @property
    def target(self) -> Article | Story:
        target = self.article if self.article_id else self.story
        assert target is not None
        return target

    @property
    def anchor(self) -> str:
        return f"comment-{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("community:permalink", args=[self.pk])

    def is_visible_to_all(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def editable_until(self, minutes: int) -> datetime:
        return self.created_at + timedelta(minutes=minutes)


class CommentVote(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="comment_vote_once")
        ]


class Report(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        ABUSE = "abuse", "Harassment or hate"
        OFF_TOPIC = "off_topic", "Off topic"
        OTHER = "other", "Something else"

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=12, choices=Reason.choices, default=Reason.OTHER)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["comment", "reporter"], name="report_once_per_reader")
        ]

    def __str__(self) -> str:
        return f"report on #{self.comment_id}: {self.reason}"


class ModerationAction(models.Model):
    """The audit log: who did what to which comment or reader, when and why.

    ``actor`` is empty when the system acted (a comment held by the spam rules).
    """

    class Kind(models.TextChoices):
        HOLD = "hold", "Held for review"
        APPROVE = "approve", "Approved"
        HIDE = "hide", "Hidden"
        RESTORE = "restore", "Restored"
        REMOVE = "remove", "Removed"
        BAN = "ban", "Banned reader"
        UNBAN = "unban", "Lifted ban"
        REPORT = "report", "Reported"
        DISMISS = "dismiss", "Dismissed reports"
        EDIT = "edit", "Edited by author"
        DELETE = "delete", "Deleted by author"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_actions",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the reader the action concerns",
    )
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor_id or 'system'}"


class RateBucket(models.Model):
    """One rate-limit key's state (GCRA: the theoretical arrival time), shared by all processes."""

    key = models.CharField(max_length=200, unique=True)
    tat = models.FloatField(help_text="theoretical arrival time, Unix seconds")

    def __str__(self) -> str:
        return self.key
