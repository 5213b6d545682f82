"""Posting, replying, editing, deleting, liking, ordering and counting comments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from tidings.community.models import Comment, ModerationAction

pytestmark = pytest.mark.django_db
S = Comment.Status


def post(client, target, body, *, kind="article", parent=None, fragment=False, next_url="/x"):
    data = {"kind": kind, "target": target.pk, "body": body, "next": next_url}
    if parent is not None:
        data["parent"] = parent.pk
    headers = {"X-Tidings-Fragment": "1"} if fragment else {}
    return client.post("/comments/post/", data, headers=headers)


def thread_html(client, target, kind="article", query=""):
    response = client.get(f"/comments/{kind}/{target.pk}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_post_without_js_redirects_to_the_comment(client_for, reader, article):
    response = post(client_for(reader), article, "First *thought*.", next_url="/article/x/y?z=1")
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/article/x/y?z=1#comment-{comment.pk}"
    assert comment.status == S.PUBLISHED
    assert comment.body_html == "<p>First <em>thought</em>.</p>"


def test_post_with_fetch_returns_the_rendered_comment(client_for, reader, article):
    response = post(client_for(reader), article, "Hello there", fragment=True)
    comment = Comment.objects.get()
    assert response.status_code == 201
    html = response.content.decode()
    assert html.startswith(f'<li class="cm-item cm-status-published" id="comment-{comment.pk}"')
    assert "Hello there" in html and "Ada" in html


def test_comment_on_story(client_for, reader, story):
    post(client_for(reader), story, "On the whole story", kind="story")
    comment = Comment.objects.get()
    assert comment.story == story and comment.article is None
    assert "On the whole story" in thread_html(client_for(None), story, "story")


def test_one_level_of_replies(client_for, reader, other, article):
    post(client_for(reader), article, "Root")
    root = Comment.objects.get()
    post(client_for(other), article, "Reply", parent=root)
    reply = Comment.objects.get(body="Reply")
    post(client_for(reader), article, "Reply to reply", parent=reply)
    deeper = Comment.objects.get(body="Reply to reply")
    assert reply.parent == root and deeper.parent == root
    html = thread_html(client_for(None), article)
    assert html.index("Root") < html.index(f'id="replies-{root.pk}"') < html.index("Reply to reply")


def test_reply_must_belong_to_the_same_target(client_for, reader, article, story):
    post(client_for(reader), story, "On the story", kind="story")
    root = Comment.objects.get()
    response = post(client_for(reader), article, "Cross-target reply", parent=root)
    assert response.status_code == 400
    assert Comment.objects.count() == 1


def test_edit_within_window_and_not_after(client_for, reader, article):
    client = client_for(reader)
    post(client, article, "Tpyo")
    comment = Comment.objects.get()
    response = client.post(f"/comments/{comment.pk}/edit/", {"body": "Typo fixed", "next": "/x"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Typo fixed" and comment.edited_at is not None
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    response = client.post(f"/comments/{comment.pk}/edit/", {"body": "Too late"})
    assert response.status_code == 400
    assert b"15 minutes" in response.content
    comment.refresh_from_db()
    assert comment.body == "Typo fixed"
    assert ModerationAction.objects.filter(kind="edit", actor=reader).count() == 1


def test_delete_own_keeps_replies_under_a_stub(client_for, reader, other, article):
    post(client_for(reader), article, "Soon gone")
    root = Comment.objects.get()
    post(client_for(other), article, "A reply that stays", parent=root)
    response = client_for(reader).post(f"/comments/{root.pk}/delete/", {"next": "/x"})
    assert response.status_code == 302
    root.refresh_from_db()
    assert root.status == S.DELETED
    html = thread_html(client_for(None), article)
    assert "Soon gone" not in html
    assert "[deleted by its author]" in html and "A reply that stays" in html
    assert ModerationAction.objects.filter(kind="delete", comment=root, actor=reader).exists()


def test_idor_edit_delete_others_is_404(client_for, reader, other, article):
    post(client_for(reader), article, "Mine")
    comment = Comment.objects.get()
    intruder = client_for(other)
    assert intruder.post(f"/comments/{comment.pk}/edit/", {"body": "pwned"}).status_code == 404
    assert intruder.post(f"/comments/{comment.pk}/delete/").status_code == 404
    assert client_for(None).post(f"/comments/{comment.pk}/delete/").status_code == 404
    comment.refresh_from_db()
    assert comment.body == "Mine" and comment.status == S.PUBLISHED


def test_idor_hidden_and_pending_are_404_for_others(client_for, reader, other, staff, article):
    post(client_for(reader), article, "Will be hidden")
    comment = Comment.objects.get()
    Comment.objects.filter(pk=comment.pk).update(status=S.HIDDEN)
    for viewer in (other, None):
        client = client_for(viewer)
        assert client.get(f"/comments/{comment.pk}/").status_code == 404
        assert "Will be hidden" not in thread_html(client, article)
        assert client.post(f"/comments/{comment.pk}/like/").status_code in (302, 404)
    assert client_for(other).post(f"/comments/{comment.pk}/like/").status_code == 404
    assert (
        client_for(other).post(f"/comments/{comment.pk}/report/", {"reason": "spam"}).status_code
        == 404
    )
    # the author and staff still see it, marked
    assert "Hidden by a moderator" in thread_html(client_for(reader), article)
    assert client_for(staff).get(f"/comments/{comment.pk}/").status_code == 302
    # the profile page does not leak it either
    profile = client_for(other).get(f"/accounts/people/{reader.username}/").content.decode()
    assert "Will be hidden" not in profile


def test_counts_exclude_unpublished(client_for, reader, other, article):
    post(client_for(reader), article, "one")
    post(client_for(reader), article, "two")
    post(client_for(other), article, "three")
    Comment.objects.filter(body="three").update(status=S.PENDING)
    rendered = Template("{% load community %}{{ a|comment_count }}").render(Context({"a": article}))
    assert rendered == "2"
    listing = Template(
        "{% load community %}{% prefetch_comment_counts items %}"
        "{% for a in items %}{{ a|comment_count }}{% endfor %}"
    )
    assert listing.render(Context({"items": [article]})) == "2"
    assert '<span class="cm-count" data-comment-count>2</span>' in thread_html(
        client_for(None), article
    )


def test_orderings_and_likes(client_for, reader, other, article):
    client = client_for(reader)
    for body in ("alpha", "bravo", "charlie"):
        post(client, article, body)
    Comment.objects.filter(body="alpha").update(created_at=timezone.now() - timedelta(minutes=3))
    Comment.objects.filter(body="bravo").update(created_at=timezone.now() - timedelta(minutes=2))
    bravo = Comment.objects.get(body="bravo")
    response = client_for(other).post(f"/comments/{bravo.pk}/like/", {"next": "/x"})
    assert response.status_code == 302
    bravo.refresh_from_db()
    assert bravo.score == 1

    def order(q):
        html = thread_html(client_for(None), article, query=q)
        return sorted(("alpha", "bravo", "charlie"), key=html.index)

    assert order("") == ["charlie", "bravo", "alpha"]
    assert order("?comments=oldest") == ["alpha", "bravo", "charlie"]
    assert order("?comments=top") == ["bravo", "charlie", "alpha"]
    client_for(other).post(f"/comments/{bravo.pk}/like/")  # toggles off
    bravo.refresh_from_db()
    assert bravo.score == 0


def test_slot_renders_inside_any_page(rf: RequestFactory, reader, article):
    Comment.objects.create(article=article, author=reader, body="x", body_html="<p>slot body</p>")
    request = rf.get("/article/x/y")
    request.user = AnonymousUser()
    html = Template('{% include "community/_comments_slot.html" with target=article %}').render(
        Context({"article": article, "request": request})
    )
    assert "slot body" in html and "Log in</a> or" in html


def test_oversized_comment_is_refused_with_a_clear_message(client_for, reader, article):
    response = post(client_for(reader), article, "x" * 5001)
    assert response.status_code == 413
    assert "Comments are limited to 5,000 characters; yours has 5,001" in response.content.decode()
    response = post(client_for(reader), article, "y" * 6000, fragment=True)
    assert response.status_code == 413 and b"limited to 5,000" in response.content
    assert not Comment.objects.exists()


def test_huge_request_body_stores_nothing(client_for, reader, article):
    response = post(client_for(reader), article, "z" * 400_000)
    assert response.status_code in (400, 413)
    assert not Comment.objects.exists()


def test_empty_comment_refused(client_for, reader, article):
    assert post(client_for(reader), article, "   ").status_code == 400
    assert not Comment.objects.exists()


def test_anonymous_post_goes_to_login(client_for, article):
    response = post(client_for(None), article, "hi", next_url="/article/x/y")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/article/x/y")
    assert not Comment.objects.exists()


def test_profile_page(client_for, reader, article):
    post(client_for(reader), article, "Visible on my profile")
    html = client_for(None).get(f"/accounts/people/{reader.username}/").content.decode()
    assert "Ada" in html and "Visible on my profile" in html and "1 comment" in html
    assert "Joined" in html


def test_new_user_without_profile_can_post(client_for, article):
    from django.contrib.auth.models import User

    admin = User.objects.create_user("admin", "admin@example.test", is_staff=True)
    response = post(client_for(admin), article, "Staff note")
    assert response.status_code == 302
    assert Comment.objects.get().author.profile.display_name == "admin"


def test_a_reader_cannot_like_their_own_comment(client_for, reader, other, article):
    client = client_for(reader)
    post(client, article, "My own view of the harbour.")
    mine = Comment.objects.get()
    response = client.post(f"/comments/{mine.pk}/like/", {"next": "/x"})
    assert response.status_code == 400
    assert "You cannot like your own comment." in response.content.decode()
    mine.refresh_from_db()
    assert mine.score == 0
    client_for(other).post(f"/comments/{mine.pk}/like/", {"next": "/x"})
    mine_html = thread_html(client, article).split(f'id="comment-{mine.pk}"')[1]
    assert f"/comments/{mine.pk}/like/" not in mine_html and "1 like" in mine_html
    assert f"/comments/{mine.pk}/like/" in thread_html(client_for(other), article)


def test_a_comment_sent_twice_is_stored_once(client_for, reader, article):
    """A double click or a retried request posts the same text again at once."""
    client = client_for(reader)
    first, second = (post(client, article, "Short and sent twice.") for _ in range(2))
    comment = Comment.objects.get()
    assert first["Location"] == second["Location"] == f"/x#comment-{comment.pk}"
    # Later, or elsewhere, the same words are a new comment (or held as a repeat).
    Comment.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    post(client, article, "Short and sent twice.")
    post(client, article, "Reply: short and sent twice.", parent=comment)
    assert Comment.objects.count() == 3
