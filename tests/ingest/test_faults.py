"""Misbehaving publishers: each failure recorded with a stable code, the rest ingested."""

from __future__ import annotations

import itertools
import json
import statistics
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tidings.cli import main
from tidings.core import config
from tidings.core.simulator import Fault, Simulator
from tidings.demo import load_corpus
from tidings.news import pipeline, worker
from tidings.news.models import Article, Entry, Feed, FetchAttempt

from .conftest import DATA

FEED_FILES = Path(__file__).parents[1] / "feeds" / "data"
CORPUS = load_corpus()
FIRST, SECOND, THIRD = (o.slug for o in CORPUS.outlets[:3])


def subscribe(sim: Simulator, *outlets: str) -> dict[str, Feed]:
    return {o: pipeline.add(f"{sim.base_url}/{o}/feed.rss").feeds[0] for o in outlets}


def wait_for_status(sim: Simulator) -> list:
    """The request log once the simulator has recorded every answer's status."""
    deadline = time.monotonic() + 5
    while any(r.status == 0 for r in sim.request_log) and time.monotonic() < deadline:
        time.sleep(0.01)
    return sim.request_log


def stored_of(outlet: str) -> int:
    return Article.objects.filter(source__feeds__url__contains=f"/{outlet}/").count()


def expected_of(outlet: str) -> int:
    return len(CORPUS.articles_of(outlet))


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (Fault.server_error(503), 503),
        (Fault.server_error(500), 500),
        (Fault.too_many_requests(1), 429),
    ],
)
def test_failing_feed_is_recorded_and_others_ingested(ingest, sim, fault, status):
    feeds = subscribe(sim, FIRST, SECOND, THIRD)
    sim.set_fault(f"/{SECOND}/feed.rss", fault)
    sim.clear_log()
    before = timezone.now()

    worker.poll_once()

    bad = Feed.objects.get(pk=feeds[SECOND].pk)
    assert bad.last_error_code == f"http_{status}"
    assert str(status) in bad.last_error_message
    assert bad.error_count == 1
    assert bad.last_success_at is None
    attempts = FetchAttempt.objects.filter(feed=bad, kind="feed")
    assert [(a.code, a.status) for a in attempts] == [(f"http_{status}", status)]
    # One retry was made before giving up (FETCH_RETRIES=1), no more.
    hits = [r for r in sim.request_log if r.path == f"/{SECOND}/feed.rss"]
    assert len(hits) == 2
    # Error backoff: twice the interval for the first error.
    assert bad.next_poll_at >= before + timedelta(seconds=2 * bad.interval_seconds)
    assert bad.polling_since is None
    for outlet in (FIRST, THIRD):
        assert stored_of(outlet) == expected_of(outlet)
        assert Feed.objects.get(pk=feeds[outlet].pk).last_error_code == ""
    assert stored_of(SECOND) == 0


def test_failing_feed_shown_by_sources_command(ingest, sim, capsys):
    subscribe(sim, FIRST)
    sim.set_fault(f"/{FIRST}/feed.rss", Fault.server_error(502))
    worker.poll_once()
    capsys.readouterr()
    assert main(["sources", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["error_code"] == "http_502"
    assert "502" in rows[0]["error"]


def test_transient_feed_error_is_retried(ingest, sim):
    feeds = subscribe(sim, FIRST)
    sim.set_fault(f"/{FIRST}/feed.rss", Fault.server_error(503, times=1))
    worker.poll_once()
    feed = Feed.objects.get(pk=feeds[FIRST].pk)
    assert feed.last_error_code == ""
    assert stored_of(FIRST) == expected_of(FIRST)


def test_backoff_grows_with_consecutive_errors_and_resets(ingest, sim):
    feed = subscribe(sim, FIRST)[FIRST]
    sim.set_fault(f"/{FIRST}/feed.rss", Fault.server_error(503))
    gaps = []
    for _ in range(3):
        started = timezone.now()
        pipeline.poll_feed(feed.pk)
        feed.refresh_from_db()
        gaps.append((feed.next_poll_at - started).total_seconds())
    assert feed.error_count == 3
    assert gaps[0] >= 2 * feed.interval_seconds - 1
    assert gaps[1] >= 2 * gaps[0] - 2 and gaps[2] >= 2 * gaps[1] - 2
    assert gaps[2] <= config.read("POLL_MAX_INTERVAL") + 1
    sim.clear_faults()
    pipeline.poll_feed(feed.pk)
    feed.refresh_from_db()
    assert feed.error_count == 0 and feed.last_error_code == ""
    assert (feed.next_poll_at - timezone.now()).total_seconds() <= feed.interval_seconds


def test_broken_xml_salvages_what_it_can_and_the_batch_goes_on(ingest, sim):
    feeds = subscribe(sim, FIRST, SECOND)
    sim.set_fault(f"/{FIRST}/feed.rss", Fault.broken_xml())
    worker.poll_once()
    # The truncated feed's complete items are kept; nothing crashes, nothing is invented.
    salvaged = Entry.objects.filter(feed=feeds[FIRST])
    assert salvaged.count() < expected_of(FIRST)
    assert set(salvaged.values_list("state", flat=True)) <= {Entry.State.DONE}
    assert stored_of(SECOND) == expected_of(SECOND)


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (b'<?xml version="1.0"?>\n<rss', "application/rss+xml", "feed_parse"),
        (
            b"<!doctype html><html><body><p>Sample page, no feed.</p></body></html>",
            "text/html",
            "not_a_feed",
        ),
    ],
)
def test_unparseable_feed_is_recorded(ingest, sim, file_server, body, content_type, code):
    feeds = subscribe(sim, SECOND)
    file_server.pages["/feed.rss"] = (
        "application/rss+xml",
        _minimal_rss(),
    )
    pipeline.add(f"{file_server.base}/feed.rss")
    file_server.pages["/feed.rss"] = (content_type, body)
    worker.poll_once()
    bad = Feed.objects.get(url=f"{file_server.base}/feed.rss")
    assert bad.last_error_code == code
    assert bad.last_error_message
    assert bad.error_count == 1
    assert FetchAttempt.objects.filter(feed=bad, code=code).count() == 1
    assert stored_of(SECOND) == expected_of(SECOND)
    assert Feed.objects.get(pk=feeds[SECOND].pk).last_error_code == ""


@pytest.mark.parametrize(
    ("path", "code", "words"),
    [
        (FEED_FILES / "recovery" / "unclosed_title.xml", "feed_parse", "not well-formed XML"),
        (FEED_FILES / "malicious" / "xxe_file.xml", "unsafe_xml", "declares entities"),
        (FEED_FILES / "malicious" / "billion_laughs.xml", "unsafe_xml", "declares entities"),
        (FEED_FILES / "malicious" / "parameter_entity.xml", "unsafe_xml", "declares entities"),
    ],
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_add_and_poll_report_a_broken_feed_alike(ingest, file_server, capsys, path, code, words):
    url = f"{file_server.base}/feed.rss"
    file_server.pages["/feed.rss"] = ("application/rss+xml", path.read_bytes())
    assert main(["add", url]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("tidings: error: ") and words in err and err.endswith(f" [{code}]\n")
    assert not Feed.objects.exists(), "a broken feed is not subscribed"

    # Subscribed while it was fine, the feed turns into the same document: same code, same words.
    file_server.pages["/feed.rss"] = ("application/rss+xml", _minimal_rss())
    assert main(["add", url]) == 0
    file_server.pages["/feed.rss"] = ("application/rss+xml", path.read_bytes())
    worker.poll_once()
    feed = Feed.objects.get(url=url)
    assert feed.last_error_code == code
    assert err == f"tidings: error: {feed.last_error_message} ({url}) [{code}]\n"
    assert feed.last_success_at is None and feed.error_count == 1
    capsys.readouterr()
    assert main(["sources", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["error_code"], row["error"]) == (code, feed.last_error_message)


def _minimal_rss() -> bytes:
    return (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Sample feed (fictional)</title>'
        b"<link>http://127.0.0.1/</link></channel></rss>"
    )


def test_gzip_bomb_page_fails_with_body_too_large(ingest, sim):
    subscribe(sim, FIRST)
    victim = CORPUS.articles_of(FIRST)[0]
    sim.set_fault(f"/{FIRST}/*/{victim.slug}", Fault.gzip_bomb())
    worker.poll_once()
    entry = Entry.objects.get(url__contains=f"/{victim.slug}?")
    assert entry.state == Entry.State.FAILED
    assert entry.error_code == "body_too_large"
    assert entry.attempts == 1, "a body over the cap is not retried"
    assert stored_of(FIRST) == expected_of(FIRST) - 1
    attempt = FetchAttempt.objects.get(kind="page", code="body_too_large")
    assert victim.slug in attempt.url


def test_page_server_error_is_retried_later_then_stored(ingest, sim):
    subscribe(sim, FIRST)
    victim = CORPUS.articles_of(FIRST)[0]
    sim.set_fault(f"/{FIRST}/*/{victim.slug}", Fault.server_error(503, times=2))
    worker.poll_once()
    entry = Entry.objects.get(url__contains=f"/{victim.slug}?")
    assert entry.state == Entry.State.PENDING
    assert entry.error_code == "http_503" and entry.attempts == 1
    assert entry.claimed_until is not None and entry.claimed_until > timezone.now()
    # Once the back-off is over, the next run stores it.
    Entry.objects.filter(pk=entry.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    worker.poll_once()
    entry.refresh_from_db()
    assert entry.state == Entry.State.DONE
    assert stored_of(FIRST) == expected_of(FIRST)


def test_duplicate_guids_make_no_duplicates(ingest, sim):
    subscribe(sim, FIRST)
    sim.set_fault(f"/{FIRST}/feed.rss", Fault.duplicate_guids())
    worker.poll_once()
    assert stored_of(FIRST) == expected_of(FIRST)
    assert Entry.objects.count() == expected_of(FIRST)


def test_changing_guids_make_no_duplicates(ingest, sim):
    feed = subscribe(sim, FIRST)[FIRST]
    worker.poll_once()
    assert stored_of(FIRST) == expected_of(FIRST)
    # The feed now lists everything twice with reshuffled GUIDs (and new validators).
    sim.set_fault(f"/{FIRST}/feed.rss", Fault.duplicate_guids())
    Feed.objects.filter(pk=feed.pk).update(etag="", last_modified="")
    assert pipeline.poll_feed(feed.pk) == 0
    worker.poll_once()
    assert stored_of(FIRST) == expected_of(FIRST)
    assert Entry.objects.count() == expected_of(FIRST)
    assert Feed.objects.get(pk=feed.pk).last_error_code == ""


def test_wrong_charset_feed_is_repaired(ingest, sim):
    subscribe(sim, FIRST)
    sim.set_fault(f"/{FIRST}/feed.rss", Fault.wrong_charset())
    worker.poll_once()
    assert stored_of(FIRST) == expected_of(FIRST)
    for title in Entry.objects.values_list("title", flat=True):
        assert "\ufffd" not in title and "\x00" not in title


def test_forced_304_stores_nothing_and_is_not_an_error(ingest, sim):
    feed = subscribe(sim, FIRST)[FIRST]
    sim.set_fault(f"/{FIRST}/feed.rss", Fault.not_modified())
    worker.poll_once()
    feed.refresh_from_db()
    assert feed.last_error_code == "" and feed.error_count == 0
    assert not Entry.objects.exists()
    assert FetchAttempt.objects.get(feed=feed).code == "not_modified"


def test_conditional_get_sends_validators(ingest, sim):
    feed = subscribe(sim, FIRST)[FIRST]
    worker.poll_once()
    feed.refresh_from_db()
    assert feed.etag and feed.last_modified
    sim.clear_log()
    pipeline.poll_feed(feed.pk)
    (request,) = wait_for_status(sim)
    assert request.headers.get("if-none-match") == feed.etag
    assert request.status == 304


def test_adaptive_interval_follows_publishing_rate(ingest, sim):
    feed = subscribe(sim, FIRST)[FIRST]
    pipeline.poll_feed(feed.pk)
    feed.refresh_from_db()
    times = sorted((a.published for a in sim.corpus.articles_of(FIRST)), reverse=True)
    gaps = [(a - b).total_seconds() for a, b in itertools.pairwise(times)]
    lo, hi = config.read("POLL_MIN_INTERVAL"), config.read("POLL_MAX_INTERVAL")
    median = statistics.median(gaps)
    assert feed.interval_seconds == int(min(max(median / 2, lo), hi))
    # Nothing new: the interval grows.
    first = feed.interval_seconds
    pipeline.poll_feed(feed.pk)
    feed.refresh_from_db()
    assert feed.interval_seconds == min(int(first * 1.5), hi)
    assert (feed.next_poll_at - feed.last_polled_at).total_seconds() == pytest.approx(
        feed.interval_seconds, abs=1
    )


def test_adapt_interval_bounds(ingest):
    now = timezone.now()
    frequent = [now - timedelta(seconds=30 * i) for i in range(10)]
    rare = [now - timedelta(days=3 * i) for i in range(10)]
    lo, hi = config.read("POLL_MIN_INTERVAL"), config.read("POLL_MAX_INTERVAL")
    assert pipeline.adapt_interval(1800, frequent, got_new=True) == lo
    assert pipeline.adapt_interval(1800, rare, got_new=True) == hi
    assert pipeline.adapt_interval(1800, [], got_new=False) == 2700
    assert pipeline.adapt_interval(hi, [], got_new=False) == hi


def test_failing_pages_shown_by_sources_command(ingest, file_server, capsys, monkeypatch):
    feed_url = f"{file_server.base}/feed.rss"
    feed = (DATA / "failing-pages.rss").read_text(encoding="utf-8")
    file_server.pages["/feed.rss"] = (
        "application/rss+xml",
        feed.replace("{base}", file_server.base).encode(),
    )
    file_server.pages["/news/empty-page"] = ("text/html", b"")
    file_server.pages["/files/archive.bin"] = (
        "application/octet-stream",
        bytes(range(256)) * 16,
    )
    pipeline.add(feed_url)

    assert main(["poll", "--once"]) == 0
    assert "0 feeds and 3 pages failed" in capsys.readouterr().err
    failed = Entry.objects.filter(state=Entry.State.FAILED)
    codes = dict(failed.values_list("url", "error_code"))
    assert codes == {
        f"{file_server.base}/news/removed-page": "http_404",
        f"{file_server.base}/news/empty-page": "extraction",
        f"{file_server.base}/files/archive.bin": "extraction",
    }
    latest = failed.order_by("-updated_at", "-id").first()
    assert latest is not None

    assert main(["sources", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["error_code"], row["articles"]) == (None, 0), "the feed itself reads fine"
    assert (row["pages_recent"], row["pages_failed"]) == (3, 3)
    assert row["page_error_code"] == latest.error_code
    assert row["page_error"] == latest.error_message and row["page_error"]
    assert row["page_error_url"] == latest.url

    monkeypatch.setenv("COLUMNS", "200")  # one row per feed, nothing cut
    assert main(["sources"]) == 0
    table = capsys.readouterr().out
    assert "3 of 3" in table
    assert f"page {latest.error_code}: {latest.error_message}" in table
