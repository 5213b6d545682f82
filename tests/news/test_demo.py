"""The offline demo: the sample publisher is subscribed and ingested by the real pipeline."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tidings import services
from tidings.core.stories import evaluate
from tidings.demo import load_corpus
from tidings.news import assign, bootstrap, worker
from tidings.news.models import Article, RelatedLink, Source, Story


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def demo_site(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TIDINGS_DEMO", "true")
    monkeypatch.setenv("TIDINGS_STARTER_FEEDS", "false")
    monkeypatch.setenv("TIDINGS_DEMO_PORT", str(_free_port()))
    monkeypatch.delenv("TIDINGS_ALLOW_HOSTS", raising=False)
    services.reset()
    assign.reset_cache()
    try:
        yield
    finally:
        bootstrap.shutdown()
        services.reset()
        services._extra_allow.clear()
        services._host_delays.clear()
        assign.reset_cache()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_demo_is_ingested_through_the_pipeline(demo_site: None) -> None:
    corpus = load_corpus()
    bootstrap.prepare_site()
    assert Source.objects.filter(is_sample=True).count() == len(corpus.outlets)
    worker.poll_once()

    articles = Article.objects.all()
    assert articles.count() == len(corpus.articles)
    assert all(a.is_sample for a in articles)
    # Every syndicated copy is folded onto an original, never shown as its own story.
    copies = [a for a in corpus.articles if a.syndicated_from]
    assert Article.objects.filter(duplicate_of__isnull=False).count() == len(copies)
    for dup in Article.objects.filter(duplicate_of__isnull=False):
        original = dup.duplicate_of
        assert original is not None
        assert dup.story_id == original.story_id
        assert not RelatedLink.objects.filter(article=original, related=dup).exists()
    # Stories: far fewer than articles, and the big story spans many outlets.
    assert Story.objects.filter(merged_into__isnull=True).count() < len(corpus.articles)
    assert Story.objects.order_by("-outlet_count").first().outlet_count >= 4  # type: ignore[union-attr]
    # The first run is a backfill: stories are formed in publication order, and stay pure
    # (measured 0.95 B-cubed precision, 0.885 F1; interleaved outlet order gave 0.80).
    truth = {a.title: a.story for a in corpus.articles}
    stories = {a.pk: str(a.story_id) for a in articles}
    figures = evaluate(stories, {a.pk: truth[a.title] for a in articles})
    assert figures["bcubed_precision"] >= 0.9
    assert figures["bcubed_f1"] >= 0.85


@pytest.mark.django_db(transaction=True)
def test_demo_publisher_is_the_only_local_address_allowed(demo_site: None) -> None:
    from tidings.core.errors import BlockedURLError
    from tidings.core.fetch import check_url

    sim = bootstrap.start_demo_publisher()
    services.allow_demo_publisher(sim.base_url)
    check_url(sim.base_url + "/", allow_hosts=services.allow_hosts())
    other_port = _free_port()
    with pytest.raises(BlockedURLError):
        check_url(f"http://127.0.0.1:{other_port}/", allow_hosts=services.allow_hosts())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_of_its_own_reaches_the_sample_publisher(
    demo_site: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The split shape: ``tidings serve --no-worker`` serves the sample publisher and
    subscribes to it; ``tidings worker``, another process, polls it (it was refused as
    a loopback address, and the site stayed empty)."""
    bootstrap.prepare_site()  # the site process
    services._extra_allow.clear()  # a worker process starts with nothing allowed
    services._host_delays.clear()
    services.reset()
    assert bootstrap.allow_sample_publisher()
    assert services.allow_hosts() == [bootstrap.demo_base_url().removeprefix("http://")]
    worker.poll_once()
    assert Article.objects.count() == len(load_corpus().articles)
    # Without sample outlets, or with the demo off, nothing is let through.
    services._extra_allow.clear()
    monkeypatch.setenv("TIDINGS_DEMO", "false")
    assert not bootstrap.allow_sample_publisher() and services.allow_hosts() == []
