"""The whole pipeline over real HTTP: homepage → autodiscovery → feed → page → article."""

from __future__ import annotations

from tidings.core.simulator import Simulator
from tidings.demo import load_corpus
from tidings.news import pipeline, worker
from tidings.news.models import Article, Entry, Feed, FetchAttempt

# Page furniture the simulator wraps around every article (must never reach the text).
JUNK = (
    "Advertisement",
    "Get the morning briefing",
    "in your inbox",
    "Sign up",
    "More stories",
    "Related",
    "About the author",
    "Comments are closed",
    "Share:",
    "Copy link",
    "cookies",
)


def subscribe_all(sim: Simulator) -> None:
    for home in sim.homepage_urls():
        result = pipeline.add(home)
        assert result.created
        assert result.feeds[0].url.startswith(home), "the homepage advertises its own feed"


def test_demo_publishers_end_to_end(ingest, sim):
    corpus = load_corpus()
    subscribe_all(sim)
    assert Feed.objects.count() == len(corpus.outlets)

    worker.poll_once()

    articles = {a.canonical_url: a for a in Article.objects.all()}
    expected = {sim.article_url(a.outlet, a.slug): a for a in corpus.articles}
    assert set(articles) == set(expected), "every article stored, each exactly once"
    assert Article.objects.count() == len(corpus.articles)
    assert not Entry.objects.exclude(state=Entry.State.DONE).exists()

    teasers = {a.paragraphs[0] for a in corpus.articles}
    for url, article in articles.items():
        source = expected[url]
        assert "utm_" not in url and "?" not in url
        assert article.title == source.title
        assert article.language == source.language, url
        lines = [line for line in article.text.split("\n") if line.strip()]
        paragraphs = set(source.paragraphs)
        # Every paragraph of the article is kept, and nothing but them.
        assert paragraphs <= set(lines), url
        extra = [line for line in lines if line not in paragraphs]
        assert not extra, f"{url}: junk kept: {extra}"
        for junk in JUNK:
            assert junk not in article.text, f"{url}: {junk!r}"
        # No teaser line of another article glued on.
        assert not (teasers - paragraphs) & set(lines)

    # Syndicated copies fold onto one original of their group; nothing else is folded.
    groups = corpus.syndicated_groups()
    folded = 0
    for members in groups.values():
        stored = [articles[sim.article_url(m.outlet, m.slug)] for m in members]
        originals = [a for a in stored if a.duplicate_of_id is None]
        assert len(originals) == 1, [a.canonical_url for a in stored]
        for copy in stored:
            if copy is not originals[0]:
                assert copy.duplicate_of_id == originals[0].pk
                folded += 1
    assert Article.objects.filter(duplicate_of__isnull=False).count() == folded > 0
    assert {a.language for a in articles.values()} >= {"en", "fr"}

    # Second poll: every feed answers 304, no page is fetched again, nothing is added.
    sim.clear_log()
    FetchAttempt.objects.all().delete()
    worker.poll_once()
    assert Article.objects.count() == len(corpus.articles)
    assert Entry.objects.count() == len(corpus.articles)
    feed_codes = list(FetchAttempt.objects.filter(kind="feed").values_list("code", flat=True))
    assert feed_codes == ["not_modified"] * len(corpus.outlets)
    assert not FetchAttempt.objects.filter(kind="page").exists()
    requested = [r.path for r in sim.request_log]
    assert len(requested) == len(corpus.outlets)
    assert all(r.status == 304 for r in sim.request_log)
    for feed in Feed.objects.all():
        assert feed.last_error_code == ""
        assert feed.next_poll_at > feed.last_polled_at


def test_atom_and_rss_of_one_outlet_store_each_article_once(ingest, sim):
    outlet = load_corpus().outlets[0].slug
    pipeline.add(f"{sim.base_url}/{outlet}/feed.rss")
    pipeline.add(f"{sim.base_url}/{outlet}/feed.atom")
    worker.poll_once()
    n = len(load_corpus().articles_of(outlet))
    assert Article.objects.count() == n
    assert Entry.objects.count() == 2 * n
    assert Entry.objects.filter(state=Entry.State.DUPLICATE).count() == n
