"""Building the comment thread shown under an article or a story."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.core.paginator import Paginator
from django.db import connections, models, router
from django.db.models import Q
from django.http import HttpRequest
from django.template.loader import select_template
from django.urls import reverse

from tidings.community import services
from tidings.community.models import Comment, CommentVote
from tidings.community.policy import policy
from tidings.news.models import Article, Story

ORDERS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "top": ("-score", "-created_at", "-id"),
}
PAGE_SIZE = 50
# Threads of up to this many shown comments are read in one query.
WHOLE_THREAD = 200
_GONE = (Comment.Status.DELETED, Comment.Status.REMOVED)
# The comment columns a thread's stamp aggregates.
_STAMPED = ("id", "status", "edited_at", "score")
# What a thread's stamp mixes each comment's id, status and likes with (``_mixed``): a
# prime below 2**31 and constants below it, so that no product leaves 63 bits.
_MIX_PRIME = 2_147_483_647
_STATUS_WEIGHTS = (1_103_515_245, 1_664_525, 22_695_477, 134_775_813, 1_140_671_485)
_LIKE_WEIGHT, _MIX_OFFSET = 1_812_433_253, 12_345
# A target's published comment count, when already known (see ``thread_stamp``).
COUNT_ATTR = "_tidings_comment_count"


def base_template() -> Any:
    """The site's page frame, or a plain one while the site has none."""
    return select_template(["site/base.html", "community/_fallback_base.html"])


def target_kind(target: Article | Story) -> str:
    return "article" if isinstance(target, Article) else "story"


def thread_page_url(target: Article | Story) -> str:
    return reverse("community:thread", args=[target_kind(target), target.pk])


def thread_context(request: HttpRequest, target: Article | Story) -> dict[str, Any]:
    user = request.user
    order = request.GET.get("comments", "newest")
    if order not in ORDERS:
        order = "newest"
    base = Comment.objects.filter(services.target_filter(target))
    try:
        page_number = max(1, int(request.GET.get("cpage", "1")))
    except ValueError:
        page_number = 1
    # Most threads are small: the whole thread (roots and replies) in one query,
    # paged here; a long one falls back to a page of roots, then their replies.
    whole = list(
        base.filter(services.visible_q(user) | Q(status__in=_GONE))
        .select_related("author__profile")
        .order_by(*ORDERS[order])[: WHOLE_THREAD + 1]
    )
    by_parent: dict[int, list[Comment]] = {}
    if len(whole) <= WHOLE_THREAD:
        # As ``services.shown_to``: a gone comment stays (as a stub) while it
        # holds a published reply -- all of them are in hand here.
        held = {c.parent_id for c in whole if c.status == Comment.Status.PUBLISHED}
        whole = [c for c in whole if c.status not in _GONE or c.pk in held]
        all_roots = [c for c in whole if c.parent_id is None]
        page = Paginator(all_roots, PAGE_SIZE).get_page(page_number)
        root_list = list(page.object_list)
        on_page = {c.pk for c in root_list}
        for reply in sorted(
            (c for c in whole if c.parent_id in on_page), key=lambda c: (c.created_at, c.pk)
        ):
            assert reply.parent_id is not None
            by_parent.setdefault(reply.parent_id, []).append(reply)
    else:
        roots = services.shown_to(user, base.filter(parent__isnull=True))
        ordered = roots.select_related("author__profile").order_by(*ORDERS[order])
        page = Paginator(ordered, PAGE_SIZE).get_page(page_number)
        root_list = list(page.object_list)
        if root_list:
            replies = services.shown_to(
                user, base.filter(parent__in=[c.pk for c in root_list])
            ).select_related("author__profile")
            for reply in replies.order_by("created_at", "id"):
                assert reply.parent_id is not None
                by_parent.setdefault(reply.parent_id, []).append(reply)
    shown = root_list + [r for rs in by_parent.values() for r in rs]
    liked: set[int] = set()
    if user.is_authenticated and shown:
        liked = set(
            CommentVote.objects.filter(user=user, comment__in=shown).values_list(
                "comment_id", flat=True
            )
        )
    pol = policy()
    for comment in shown:
        comment.can_edit = services.can_edit(user, comment)
        comment.liked = comment.pk in liked
    for root in root_list:
        root.reply_list = by_parent.get(root.pk, [])
    banned = False
    if user.is_authenticated:
        from tidings.community.accounts import profile_for

        banned = profile_for(user).is_banned
    return {
        "target": target,
        "target_kind": target_kind(target),
        "comments": root_list,
        "page": page,
        "count": _published_count(target),
        "order": order,
        "orders": list(ORDERS),
        "next": request.get_full_path(),
        "max_chars": pol.max_chars,
        "edit_minutes": pol.edit_minutes,
        "banned": banned,
        "request": request,
        "user": user,
    }


def _published_count(target: Article | Story) -> int:
    known = getattr(target, COUNT_ATTR, None)
    return int(known) if known is not None else services.published_count(target)


def thread_stamp(target: Article | Story) -> str:
    """``stamp_of`` the target's thread; its published count is kept on the target."""
    stamp, published = stamp_of(target_kind(target), str(target.pk))
    setattr(target, COUNT_ATTR, published)  # saves the thread its count query
    return stamp


def stamp_of(kind: str, pk: str) -> tuple[str, int]:
    """A value that changes whenever what a logged-out reader sees of the thread of
    ``kind`` ("article" or "story") ``pk`` does, and its published comment count."""
    db = router.db_for_read(Comment)
    with connections[db].cursor() as cursor:
        cursor.execute(stamp_query(kind, db), {"target": pk})
        row = cursor.fetchone()
    return thread_stamp_from(row)


def _mixed(col: dict[str, str]) -> str:
    """SQL for one comment's number in the thread stamp: ``y**3 mod p`` of ``y = id * w +
    likes * k + c mod p`` (``w`` by status). The cube leaves no change that cancels
    another by its form: a sum of linear terms did (a comment's like moved to one with
    a proportional id; two comments swapping statuses), so a thread changed back and
    forth could show an earlier page. Two states of a thread share a sum only by chance.
    (``%%``: the query is formatted with its parameter.)"""
    p = _MIX_PRIME
    weight = " ".join(
        f"WHEN '{status.value}' THEN {w}"
        for status, w in zip(Comment.Status, _STATUS_WEIGHTS, strict=True)
    )
    ident = f"(CAST({col['id']} AS BIGINT) %% {p}) * (CASE {col['status']} {weight} ELSE 1 END)"
    likes = f"(CAST({col['score']} AS BIGINT) %% {p}) * {_LIKE_WEIGHT}"
    y = f"(({ident} %% {p}) + ({likes} %% {p}) + {_MIX_OFFSET}) %% {p}"
    return f"{y} * {y} %% {p} * {y} %% {p}"


def thread_stamp_from(row: Sequence[Any]) -> tuple[str, int]:
    """The stamp and published count of a ``stamp_query`` row."""
    return repr(tuple(row)), int(row[0] or 0)


@functools.cache
def stamp_query(kind: str, db: str) -> str:
    """One row aggregating the thread of one ``kind`` target (its id: ``%(target)s``).

    The published count (first), the number of comments, the newest id, the latest
    edit, and a sum over the comments of a number made from each one's id, status and
    likes (:func:`_mixed`): a new comment, an edit, or a like, a publishing, hiding,
    deleting or removing changes it. Columns are named ``cs0``, ``cs1``... so that the
    site can join the row to its own (the page key of an article is one query). A
    renamed or newly banned author is not part of it: a page cached under this stamp
    must also expire (the page's own max-age is enough).

    Per status, a count, an id sum, the newest id, the latest post and edit and a
    like total (30 aggregates) took longer to read (the article page's key query on
    bench web's database, the three forms interleaved: 148 us; a linear sum 84 us;
    this 90 us) and missed a like moved from one comment to another.
    """
    # Plain SQL: building this query through the ORM costs ten times more than
    # running it, and it runs on every logged-out view of an article.
    quote = connections[db].ops.quote_name
    field = Comment._meta.get_field(kind)
    assert isinstance(field, models.ForeignKey)
    col = {name: quote(Comment._meta.get_field(name).column) for name in _STAMPED}  # type: ignore[union-attr, arg-type]
    published = Comment.Status.PUBLISHED.value
    aggregates = [
        f"COUNT(CASE WHEN {col['status']} = '{published}' THEN 1 END)",
        "COUNT(*)",
        f"MAX({col['id']})",
        f"MAX({col['edited_at']})",
        f"SUM({_mixed(col)})",
    ]
    named = ", ".join(f"{expr} AS cs{i}" for i, expr in enumerate(aggregates))
    return f"SELECT {named} FROM {quote(Comment._meta.db_table)} WHERE {quote(field.column)} = %(target)s"
