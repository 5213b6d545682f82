"""Template helpers: the comment thread and comment counts on cards.

``{% load community %}``

- ``{% comments_for target %}`` renders the whole comment section;
- ``{{ article|comment_count }}`` is the number of published comments
  (one query, unless the counts were prefetched);
- ``{% age comment.created_at %}`` is ``<time data-rel>`` with the relative age;
- ``{% prefetch_comment_counts articles %}`` fetches the counts of a whole
  list in one query, before a loop that uses ``comment_count``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from tidings.community import _thread, services
from tidings.community.models import Comment
from tidings.core.reltime import time_element
from tidings.news.models import Article, Story

register = template.Library()
_ATTR = _thread.COUNT_ATTR


@register.simple_tag(takes_context=True)
def comments_for(context: template.Context, target: Article | Story) -> SafeString:
    request = context["request"]
    ctx = _thread.thread_context(request, target)
    ctx["csrf_token"] = context.get("csrf_token")
    return render_to_string("community/_thread.html", ctx, request=request)


@register.simple_tag
def age(when: Any) -> SafeString:
    """A comment's age as ``<time data-rel>``: recomputed when a stored page is served."""
    if when is None:
        return mark_safe("")
    return mark_safe(time_element(when, timezone.now(), timezone.get_current_timezone()))


@register.filter
def comment_count(target: Any) -> int:
    cached = getattr(target, _ATTR, None)
    if cached is not None:
        return int(cached)
    if not isinstance(target, Article | Story):
        return 0
    count = services.published_count(target)
    setattr(target, _ATTR, count)
    return count


@register.simple_tag
def prefetch_comment_counts(items: Iterable[Any]) -> str:
    objs = [o for o in items if isinstance(o, Article | Story)]
    for model, field in ((Article, "article"), (Story, "story")):
        group = [o for o in objs if isinstance(o, model)]
        if not group:
            continue
        rows = (
            Comment.objects.filter(
                **{f"{field}__in": [o.pk for o in group]}, status=Comment.Status.PUBLISHED
            )
            .values(field)
            .annotate(n=Count("id"))
        )
        counts = {row[field]: row["n"] for row in rows}
        for obj in group:
            setattr(obj, _ATTR, counts.get(obj.pk, 0))
    return ""
