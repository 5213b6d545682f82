"""The comment thread costs a fixed number of queries, whatever its size."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.test import RequestFactory

from tidings.community import _thread, services
from tidings.community.models import Comment

from .conftest import make_user

pytestmark = pytest.mark.django_db


def _request(rf: RequestFactory, user=None, **params: str):
    request = rf.get("/article/x/y", params)
    request.user = user or AnonymousUser()
    return request


def _fill(article, authors, roots: int, replies_each: int = 1) -> None:
    for i in range(roots):
        root = Comment.objects.create(
            article=article, author=authors[i % len(authors)], body=f"c{i}", body_html=f"c{i}"
        )
        for j in range(replies_each):
            Comment.objects.create(
                article=article,
                parent=root,
                author=authors[j % len(authors)],
                body="r",
                body_html="r",
            )


def test_empty_thread(rf, article, django_assert_num_queries):
    with django_assert_num_queries(2):  # the thread, published count
        ctx = _thread.thread_context(_request(rf), article)
    assert ctx["comments"] == [] and ctx["count"] == 0


@pytest.mark.parametrize("roots", [1, 12, _thread.PAGE_SIZE])
def test_one_page_thread_costs_two_queries(rf, article, reader, other, roots,
                                             django_assert_num_queries):  # fmt: skip
    _fill(article, [reader, other], roots, replies_each=2)
    with django_assert_num_queries(2):  # roots and replies (with authors), published count
        ctx = _thread.thread_context(_request(rf), article)
        names = {c.author.profile.display_name for c in ctx["comments"]}
        names |= {r.author.profile.display_name for c in ctx["comments"] for r in c.reply_list}
    assert names == {"Ada", "Grace"}
    assert len(ctx["comments"]) == roots and ctx["count"] == roots * 3
    assert ctx["page"].paginator.num_pages == 1


def test_long_thread_is_paged_from_the_same_query(rf, article, reader,
                                                  django_assert_num_queries):  # fmt: skip
    _fill(article, [reader], _thread.PAGE_SIZE + 3)
    with django_assert_num_queries(2):  # the whole thread, published count
        ctx = _thread.thread_context(_request(rf), article)
    assert len(ctx["comments"]) == _thread.PAGE_SIZE
    assert all(len(c.reply_list) == 1 for c in ctx["comments"])
    assert ctx["page"].paginator.num_pages == 2 and ctx["page"].has_next()
    with django_assert_num_queries(2):
        ctx = _thread.thread_context(_request(rf, cpage="2"), article)
    assert len(ctx["comments"]) == 3 and ctx["page"].number == 2
    assert all(len(c.reply_list) == 1 for c in ctx["comments"])


def test_very_long_thread_reads_one_page_of_roots(rf, article, reader,
                                                  django_assert_num_queries):  # fmt: skip
    _fill(article, [reader], _thread.WHOLE_THREAD // 2 + 1)
    # the capped thread, root count, page of roots, their replies, published count
    with django_assert_num_queries(5):
        ctx = _thread.thread_context(_request(rf), article)
    assert len(ctx["comments"]) == _thread.PAGE_SIZE
    assert all(len(c.reply_list) == 1 for c in ctx["comments"])
    newest = Comment.objects.filter(article=article, parent=None).order_by("-created_at", "-id")
    last = _thread.thread_context(_request(rf, cpage="3"), article)["comments"]
    assert [c.pk for c in last] == [c.pk for c in newest][2 * _thread.PAGE_SIZE :]


def test_same_roots_as_a_plain_paginated_query(rf, article, reader, other):
    _fill(article, [reader, other], _thread.PAGE_SIZE + 5, replies_each=0)
    newest = Comment.objects.filter(article=article).order_by("-created_at", "-id")
    first = _thread.thread_context(_request(rf), article)["comments"]
    second = _thread.thread_context(_request(rf, cpage="2"), article)["comments"]
    assert [c.pk for c in first + second] == [c.pk for c in newest]


def test_logged_in_reader_adds_likes_and_ban_check(rf, article, reader, other,
                                                   django_assert_num_queries):  # fmt: skip
    _fill(article, [reader, other], 10)
    user = User.objects.get(pk=make_user("Linus").pk)  # as a request loads it
    with django_assert_num_queries(4):  # + the reader's likes, + the reader's profile
        _thread.thread_context(_request(rf, user), article)


def test_stamp_follows_every_visible_change(article, reader, other):
    stamps = [_thread.thread_stamp(article)]
    c = Comment.objects.create(article=article, author=reader, body="a", body_html="a")
    stamps.append(_thread.thread_stamp(article))
    Comment.objects.filter(pk=c.pk).update(status=Comment.Status.HIDDEN)
    stamps.append(_thread.thread_stamp(article))
    Comment.objects.filter(pk=c.pk).update(status=Comment.Status.REMOVED)
    stamps.append(_thread.thread_stamp(article))
    Comment.objects.filter(pk=c.pk).update(score=1)
    stamps.append(_thread.thread_stamp(article))
    Comment.objects.create(article=article, author=other, body="b", body_html="b", parent=c)
    stamps.append(_thread.thread_stamp(article))
    assert len(set(stamps)) == len(stamps)
    assert _thread.thread_stamp(article) == stamps[-1]  # stable while nothing changes


def test_stamp_follows_changes_that_balance_out(article, reader, other):
    """Changes a sum of linear terms misses: a like moved between comments whose ids are
    in proportion (ids 10k and 15k: 3 likes on one -> 2 on the other), and two comments
    swapping statuses where id times (2 likes + 1) is the same (ids 3k and k)."""
    k = 1_000_003

    def comment(pk: int, author, score: int, status: str) -> Comment:
        return Comment.objects.create(
            pk=pk, article=article, author=author, body="c", body_html="c", score=score,
            status=status,
        )  # fmt: skip

    a = comment(10 * k, reader, 3, Comment.Status.PUBLISHED)
    b = comment(15 * k, other, 0, Comment.Status.PUBLISHED)
    stamps = [_thread.thread_stamp(article)]
    Comment.objects.filter(pk=a.pk).update(score=0)
    Comment.objects.filter(pk=b.pk).update(score=2)
    stamps.append(_thread.thread_stamp(article))
    c = comment(3 * k, reader, 0, Comment.Status.PUBLISHED)
    d = comment(k, other, 1, Comment.Status.HIDDEN)
    stamps.append(_thread.thread_stamp(article))
    Comment.objects.filter(pk=c.pk).update(status=Comment.Status.HIDDEN)
    Comment.objects.filter(pk=d.pk).update(status=Comment.Status.PUBLISHED)
    stamps.append(_thread.thread_stamp(article))
    assert len(set(stamps)) == len(stamps)
    # Changed back: the thread shows what it showed, and its stamp is the same again.
    Comment.objects.filter(pk=c.pk).update(status=Comment.Status.PUBLISHED)
    Comment.objects.filter(pk=d.pk).update(status=Comment.Status.HIDDEN)
    assert _thread.thread_stamp(article) == stamps[2]


def test_stamp_gives_the_thread_its_count(rf, article, reader, other, django_assert_num_queries):
    _fill(article, [reader, other], 4)
    Comment.objects.filter(body="c0").update(status=Comment.Status.HIDDEN)
    _thread.thread_stamp(article)
    with django_assert_num_queries(1):  # the thread
        ctx = _thread.thread_context(_request(rf), article)
    assert ctx["count"] == 7 == Comment.objects.filter(status=Comment.Status.PUBLISHED).count()


def test_thread_shows_what_shown_to_allows(rf, article, reader, other):
    """Stubs for gone comments only while they hold a published reply, per reader."""
    S = Comment.Status

    def add(status: str, parent: Comment | None = None, author: User = reader) -> Comment:
        return Comment.objects.create(
            article=article, author=author, body="x", body_html="x", status=status, parent=parent
        )

    add(S.PUBLISHED)
    add(S.PUBLISHED, add(S.DELETED))  # a stub that holds a reply
    add(S.DELETED)  # gone, nothing under it
    add(S.HIDDEN, add(S.REMOVED))  # its only reply is hidden
    add(S.PUBLISHED, add(S.REMOVED), author=other)
    add(S.PENDING, add(S.PUBLISHED))
    add(S.DELETED, add(S.PUBLISHED))
    staff = User.objects.get(pk=make_user("Moderator").pk)
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    staff.refresh_from_db()
    for user in (None, reader, other, staff):
        request = _request(rf, user)
        ctx = _thread.thread_context(request, article)
        got = {c.pk for c in ctx["comments"]} | {
            r.pk for c in ctx["comments"] for r in c.reply_list
        }
        shown = services.shown_to(request.user, Comment.objects.filter(article=article))
        roots = {c.pk for c in shown if c.parent_id is None}
        expected = roots | {c.pk for c in shown if c.parent_id in roots}
        assert got == expected and len(roots) >= 3
