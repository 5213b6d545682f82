"""What readers and moderators can do to comments; every change is audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from tidings.community import _spam, markup, ratelimit
from tidings.community.accounts import profile_for
from tidings.community.models import Comment, CommentVote, ModerationAction, Profile, Report
from tidings.community.policy import policy
from tidings.core.errors import (
    CommentError,
    CommentTooLongError,
    PostingNotAllowedError,
    RateLimitedError,
)
from tidings.news.models import Article, Story

S = Comment.Status
Target = Article | Story


def target_filter(target: Target) -> Q:
    return Q(article=target) if isinstance(target, Article) else Q(story=target)


def visible_q(user: Any) -> Q:
    """Comments ``user`` may see in full (besides placeholders for removed ones)."""
    if user.is_authenticated and user.is_staff:
        return Q(status__in=[S.PUBLISHED, S.PENDING, S.HIDDEN])
    if user.is_authenticated:
        return Q(status=S.PUBLISHED) | Q(author=user, status__in=[S.PENDING, S.HIDDEN])
    return Q(status=S.PUBLISHED)


def shown_to(user: Any, base: QuerySet[Comment]) -> QuerySet[Comment]:
    """Visible comments plus gone ones that still hold visible replies (shown as a stub)."""
    live_reply = Comment.objects.filter(parent=OuterRef("pk"), status=S.PUBLISHED)
    return base.alias(has_replies=Exists(live_reply)).filter(
        visible_q(user) | Q(status__in=[S.DELETED, S.REMOVED], has_replies=True)
    )


def get_for(user: Any, comment_id: int) -> Comment:
    """A comment the user may see, or ``Comment.DoesNotExist`` (a 404: no hint it exists)."""
    return Comment.objects.select_related("author__profile").get(visible_q(user), pk=comment_id)


def get_own(user: Any, comment_id: int) -> Comment:
    """The user's own comment, or ``Comment.DoesNotExist`` for anyone else's."""
    if not user.is_authenticated:
        raise Comment.DoesNotExist
    return Comment.objects.get(
        pk=comment_id, author=user, status__in=[S.PUBLISHED, S.PENDING, S.HIDDEN]
    )


def published_count(target: Target) -> int:
    return Comment.objects.filter(target_filter(target), status=S.PUBLISHED).count()


def _check_body(body: str) -> str:
    body = markup.without_bidi_controls(body.replace("\r\n", "\n")).strip()
    limit = policy().max_chars
    if not body:
        raise CommentError("Please write something first.")
    if len(body) > limit:
        raise CommentTooLongError(
            f"Comments are limited to {limit:,} characters; yours has {len(body):,}. "
            "Please shorten it."
        )
    return body


def _check_author(author: User) -> None:
    if profile_for(author).is_banned:
        raise PostingNotAllowedError("This account can no longer post comments.")


def _audit(
    kind: str,
    *,
    actor: Any = None,
    comment: Comment | None = None,
    subject: Any = None,
    reason: str = "",
) -> ModerationAction:
    return ModerationAction.objects.create(
        kind=kind,
        actor=actor,
        comment=comment,
        subject=subject if subject is not None else (comment.author if comment else None),
        reason=reason[:500],
    )


def _hold_reason(author: User, body: str, *, exclude: int | None = None) -> str:
    since = timezone.now() - timedelta(days=1)
    recent = Comment.objects.filter(author=author, created_at__gte=since)
    if exclude is not None:
        recent = recent.exclude(pk=exclude)
    reason = _spam.spam_reason(body, recent.values_list("body", flat=True)[:50])
    if reason or author.is_staff:
        return reason
    approved = Comment.objects.filter(author=author, status__in=[S.PUBLISHED, S.DELETED]).count()
    if approved < policy().hold_first:
        return "a new reader's first comment"
    return ""


def _check_rates(author: User, ip: str) -> None:
    """The new account's daily cap first: a post it refuses is not counted against the
    short-term limits (whose "wait a moment" would not be true)."""
    pol = policy()
    now = timezone.now()
    day = timedelta(days=1)
    if author.date_joined > now - day and not author.is_staff:
        recent = Comment.objects.filter(author=author, created_at__gt=now - day)
        if recent.count() >= pol.new_account_daily:
            oldest = recent.order_by("created_at").values_list("created_at", flat=True).first()
            wait = ((oldest or now) + day - now).total_seconds()
            raise RateLimitedError(
                f"New accounts may post {pol.new_account_daily} comments on their first day.",
                retry_after=max(wait, 1.0),
            )
    ratelimit.hit(ratelimit.bucket_key("comment-user", str(author.pk)), pol.comment_rate)
    ratelimit.hit(ratelimit.bucket_key("comment-ip", ip), pol.comment_ip_rate)


def post(
    *, author: User, target: Target, body: str, ip: str, parent_id: int | None = None
) -> Comment:
    """Store a new comment (published, or pending with the reason audited).

    Raises CommentError (and subclasses) for refused input and
    RateLimitedError for floods; nothing is stored in either case.
    """
    _check_author(author)
    body = _check_body(body)
    parent = None
    if parent_id is not None:
        parent = (
            Comment.objects.filter(target_filter(target), pk=parent_id, status=S.PUBLISHED)
            .select_related("parent")
            .first()
        )
        if parent is None:
            raise CommentError("The comment you replied to is no longer available.")
        if parent.parent_id is not None:  # one level of replies: answer the thread's root
            parent = parent.parent
    with transaction.atomic():
        # One post of a reader's at a time (the profile's row locked; SQLite's write
        # transaction is one at a time already): a form sent twice at once is seen.
        Profile.objects.select_for_update().filter(user=author).first()
        if (same := _just_posted(author, target, parent, body)) is not None:
            return same  # a form sent twice (a double click, a retried request)
        _check_rates(author, ip)
        reason = _hold_reason(author, body)
        comment = Comment.objects.create(
            article=target if isinstance(target, Article) else None,
            story=target if isinstance(target, Story) else None,
            parent=parent,
            author=author,
            body=body,
            body_html=markup.render(body),
            status=S.PENDING if reason else S.PUBLISHED,
            hold_reason=reason,
        )
        if reason:
            _audit(ModerationAction.Kind.HOLD, comment=comment, reason=reason)
    return comment


# A comment sent again within this long, word for word, is the same comment.
RESENT_SECONDS = 120


def _just_posted(author: User, target: Target, parent: Comment | None, body: str) -> Comment | None:
    """The author's comment of this very text in the same place, posted a moment ago."""
    since = timezone.now() - timedelta(seconds=RESENT_SECONDS)
    return (
        Comment.objects.filter(
            target_filter(target),
            author=author,
            parent=parent,
            body=body,
            created_at__gte=since,
            status__in=[S.PUBLISHED, S.PENDING],
        )
        .order_by("-created_at")
        .first()
    )


def can_edit(user: Any, comment: Comment) -> bool:
    if not user.is_authenticated or comment.author_id != user.pk:
        return False
    if comment.status not in (S.PUBLISHED, S.PENDING):
        return False
    return timezone.now() <= comment.created_at + timedelta(minutes=policy().edit_minutes)


def edit(*, user: User, comment_id: int, body: str) -> Comment:
    comment = get_own(user, comment_id)
    _check_author(user)
    if not can_edit(user, comment):
        raise PostingNotAllowedError(
            f"Comments can be edited for {policy().edit_minutes} minutes after posting."
        )
    body = _check_body(body)
    reason = _spam.spam_reason(body) if comment.status == S.PUBLISHED else ""
    with transaction.atomic():
        comment.body = body
        comment.body_html = markup.render(body)
        comment.edited_at = timezone.now()
        if reason:
            comment.status = S.PENDING
            comment.hold_reason = reason
        comment.save()
        _audit(ModerationAction.Kind.EDIT, actor=user, comment=comment)
        if reason:
            _audit(ModerationAction.Kind.HOLD, comment=comment, reason=reason)
    return comment


def delete_own(*, user: User, comment_id: int) -> Comment:
    comment = get_own(user, comment_id)
    with transaction.atomic():
        comment.status = S.DELETED
        comment.save(update_fields=["status"])
        _audit(ModerationAction.Kind.DELETE, actor=user, comment=comment)
    return comment


def report(*, user: User, comment_id: int, reason: str, note: str = "") -> bool:
    """File a report; ``False`` when this reader had already reported the comment."""
    comment = Comment.objects.get(pk=comment_id, status=S.PUBLISHED)
    if comment.author_id == user.pk:
        raise CommentError("You cannot report your own comment.")
    try:
        with transaction.atomic():
            Report.objects.create(comment=comment, reporter=user, reason=reason, note=note)
            _audit(ModerationAction.Kind.REPORT, actor=user, comment=comment, reason=reason)
    except IntegrityError:
        return False
    return True


def toggle_like(*, user: User, comment_id: int) -> Comment:
    """Like a published comment, or take the like back; one's own counts for nothing
    (a like ranks comments in the "Top" order)."""
    comment = Comment.objects.get(pk=comment_id, status=S.PUBLISHED)
    if comment.author_id == user.pk:
        raise CommentError("You cannot like your own comment.")
    with transaction.atomic():
        deleted, _ = CommentVote.objects.filter(comment=comment, user=user).delete()
        if not deleted:
            CommentVote.objects.create(comment=comment, user=user)
        comment.score = CommentVote.objects.filter(comment=comment).count()
        comment.save(update_fields=["score"])
    return comment


# --- moderation ---------------------------------------------------------------

_TRANSITIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    ModerationAction.Kind.APPROVE: (S.PUBLISHED, (S.PENDING,)),
    ModerationAction.Kind.HIDE: (S.HIDDEN, (S.PUBLISHED, S.PENDING)),
    ModerationAction.Kind.RESTORE: (S.PUBLISHED, (S.HIDDEN, S.REMOVED)),
    ModerationAction.Kind.REMOVE: (S.REMOVED, (S.PUBLISHED, S.PENDING, S.HIDDEN)),
    ModerationAction.Kind.DISMISS: ("", ()),
}
MODERATION_KINDS = tuple(_TRANSITIONS)


def moderate(*, moderator: User, comment_id: int, kind: str, reason: str = "") -> Comment:
    if not moderator.is_staff:
        raise Comment.DoesNotExist
    new_status, allowed_from = _TRANSITIONS[kind]
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=comment_id)
        if new_status:
            if comment.status not in allowed_from:
                raise CommentError(
                    f"Cannot {kind} a comment that is {comment.get_status_display().lower()}."
                )
            comment.status = new_status
            if new_status == S.PUBLISHED:
                comment.hold_reason = ""
            comment.save(update_fields=["status", "hold_reason"])
        if kind != ModerationAction.Kind.RESTORE:
            comment.reports.filter(resolved_at__isnull=True).update(
                resolved_at=timezone.now(), resolved_by=moderator
            )
        _audit(kind, actor=moderator, comment=comment, reason=reason)
    return comment


def ban(*, moderator: User, user_id: int, reason: str, hide_comments: bool = False) -> User:
    if not moderator.is_staff:
        raise User.DoesNotExist
    with transaction.atomic():
        user = User.objects.get(pk=user_id)
        if user.is_staff:
            raise CommentError("Staff accounts cannot be banned here; use the admin.")
        profile = profile_for(user)
        profile.banned_at = timezone.now()
        profile.banned_reason = reason[:500]
        profile.save(update_fields=["banned_at", "banned_reason"])
        if hide_comments:
            Comment.objects.filter(author=user, status__in=[S.PUBLISHED, S.PENDING]).update(
                status=S.HIDDEN
            )
        _audit(ModerationAction.Kind.BAN, actor=moderator, subject=user, reason=reason)
    return user


def unban(*, moderator: User, user_id: int, reason: str = "") -> User:
    if not moderator.is_staff:
        raise User.DoesNotExist
    with transaction.atomic():
        user = User.objects.get(pk=user_id)
        profile = profile_for(user)
        profile.banned_at = None
        profile.banned_reason = ""
        profile.save(update_fields=["banned_at", "banned_reason"])
        _audit(ModerationAction.Kind.UNBAN, actor=moderator, subject=user, reason=reason)
    return user
