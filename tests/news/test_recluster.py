"""``tidings recluster``: every story rebuilt, the same way each time; a setting it
cannot use, or another process assigning stories, leaves the stories as they are."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tidings import cli, services
from tidings.core.errors import BusyError, ConfigError
from tidings.demo import load_corpus
from tidings.news import assign, corpus, stories
from tidings.news.models import Article, Lease, RelatedLink, Story, WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
STORIES = ("kestrel-pay-outage", "northgate-transit-strike", "sable-ridge-wildfire")


@pytest.fixture
def ingested() -> Iterator[dict[str, str]]:
    """Three stories of the (fictional) demo corpus, stored and assigned in order."""
    assign.reset_cache()
    demo = [a for a in load_corpus().articles if a.story in STORIES]
    demo.sort(key=lambda a: (-a.age_minutes, a.key))
    records = [
        {
            "id": a.key,
            "source": a.outlet,
            "title": a.title,
            "text": a.text,
            "published": (NOW - timedelta(minutes=a.age_minutes)).isoformat(),
            "language": a.language,
        }
        for a in demo
    ]
    ids = corpus.ingest_records(records)
    # As a worker leaves them: the cards of stories that gained reports refreshed.
    while assign.refresh_stale_related("test-worker"):
        pass
    yield ids
    assign.reset_cache()


def _state() -> tuple[dict[str, str], set[tuple[str, str]]]:
    """Each article's story and every related card."""
    placed = dict(Article.objects.values_list("id", "story_id"))
    cards = set(RelatedLink.objects.values_list("article_id", "related_id"))
    return placed, cards


def test_recluster_rebuilds_the_same_stories(ingested: dict[str, str]) -> None:
    placed, cards = _state()
    assert len(set(placed.values())) >= 3 and cards
    assert stories.recluster() == len(ingested)
    rebuilt = _state()
    assert rebuilt[0] == placed  # the same stories, under the same ids
    assert {a for a, _ in rebuilt[1]} == {a for a, _ in cards}  # every one has cards again
    assert stories.recluster() == len(ingested)  # and again: deterministic
    assert _state() == rebuilt
    assert not Article.objects.filter(story__isnull=True).exists()
    assert not Article.objects.filter(related_stale=True).exists()


def test_readers_comments_on_a_story_outlive_the_rebuild(ingested: dict[str, str]) -> None:
    from django.contrib.auth.models import User

    from tidings.community.models import Comment

    placed, _ = _state()
    story = Story.objects.get(pk=next(iter(placed.values())))
    reader = User.objects.create_user("reader", "reader@example.test", "x")
    said = Comment.objects.create(story=story, author=reader, body="Sample.", body_html="<p>x</p>")
    lone = Story.objects.create(id="e" * 32, headline="No longer a story (sample)")
    kept = Comment.objects.create(story=lone, author=reader, body="Kept.", body_html="<p>k</p>")
    stories.recluster()
    said.refresh_from_db()
    assert said.story_id == story.pk and Story.objects.get(pk=story.pk).article_count > 0
    # A commented story the rebuild does not make again stays, empty, with its comments.
    kept.refresh_from_db()
    assert Story.objects.get(pk=lone.pk).article_count == 0
    assert _state()[0] == placed
    assert (
        Story.objects.filter(article_count=0)
        .exclude(pk=lone.pk)
        .filter(merged_into__isnull=True)
        .count()
        == 0
    )


def test_a_setting_recluster_cannot_use_leaves_the_stories(
    ingested: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before, kept = _state(), Story.objects.count()
    monkeypatch.setenv("TIDINGS_EMBEDDER", "no-such-embedder")
    services.reset()
    with pytest.raises(ConfigError):
        stories.recluster()
    services.reset()
    assert _state() == before
    assert Story.objects.count() == kept
    assert not Lease.objects.exclude(holder="").exists()  # the lease is given back


def test_recluster_while_another_worker_assigns_is_refused_plainly(
    ingested: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = _state()
    WorkerProcess.objects.create(id="other-worker", hostname="elsewhere", pid=1)
    Lease.objects.update_or_create(
        name=assign.LEASE_NAME,
        defaults={"holder": "other-worker", "until": timezone.now() + timedelta(minutes=5)},
    )
    with pytest.raises(BusyError) as info:
        stories.recluster()
    assert info.value.code == "assignment_busy"
    assert cli.main(["recluster"]) == 1
    err = capsys.readouterr().err
    assert "tidings: error: another worker is assigning stories" in err
    assert "[assignment_busy]" in err and "Traceback" not in err
    assert _state() == before
