"""The private-address guard on every ingestion path: add, feed entries, redirects, OPML."""

from __future__ import annotations

import time

import pytest

from tidings.cli import main
from tidings.core.simulator import Fault
from tidings.demo import load_corpus
from tidings.news import pipeline, worker
from tidings.news.models import Article, Entry, Feed, FetchAttempt

from .conftest import DATA


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_add_metadata_address_is_refused(ingest, capsys):
    started = time.monotonic()
    code, out, err = run_cli(capsys, "add", "http://169.254.169.254/")
    assert code == 1
    assert out == ""
    assert "tidings: error:" in err and "[blocked_url]" in err
    assert "169.254.169.254" in err
    # Refused before connecting: an unroutable address would take the connect timeout.
    assert time.monotonic() - started < 5
    assert not Feed.objects.exists()
    assert not FetchAttempt.objects.exists()


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "2130706433", "0x7f.1"]
)
def test_add_refused_without_allow_list_makes_no_connection(ingest, sim, capsys, monkeypatch, host):
    monkeypatch.delenv("TIDINGS_ALLOW_HOSTS")
    port = sim.base_url.rsplit(":", 1)[1]
    code, out, err = run_cli(
        capsys, "add", f"http://{host}:{port}/{load_corpus().outlets[0].slug}/"
    )
    assert code == 1, out + err
    assert "[blocked_url]" in err
    assert sim.request_log == [], "the guard refuses before any connection"
    assert not Feed.objects.exists()


def test_add_local_publisher_through_cli(ingest, sim, capsys):
    outlet = load_corpus().outlets[0]
    code, out, err = run_cli(capsys, "add", f"{sim.base_url}/{outlet.slug}/")
    assert code == 0, err
    assert out.startswith("added: ")
    assert f"{sim.base_url}/{outlet.slug}/feed" in out
    # Named again: the publisher keeps the name it has, and the command says so.
    code, out, err = run_cli(capsys, "add", f"{sim.base_url}/{outlet.slug}/", "--name", "Other")
    assert code == 0 and out.startswith("already subscribed: ")
    assert "note: the publisher was already known as" in err and "its name is kept" in err


def test_feed_entry_linking_to_private_address_fails_alone(ingest, sim, file_server):
    mine = load_corpus().articles_of(load_corpus().outlets[0].slug)[:2]
    urls = [sim.article_url(a.outlet, a.slug) for a in mine]
    feed = (DATA / "private-link.rss").read_text(encoding="utf-8")
    feed = feed.replace("{base}", file_server.base)
    for i, (article, url) in enumerate(zip(mine, urls, strict=True)):
        feed = feed.replace(f"{{title{i}}}", article.title).replace(f"{{url{i}}}", url)
    file_server.pages["/feed.rss"] = ("application/rss+xml", feed.encode())
    pipeline.add(f"{file_server.base}/feed.rss")

    worker.poll_once()

    assert set(Article.objects.values_list("canonical_url", flat=True)) == set(urls)
    failed = Entry.objects.filter(state=Entry.State.FAILED)
    assert failed.count() == 2
    assert set(failed.values_list("error_code", flat=True)) == {"blocked_url"}
    assert all(e.attempts == 1 for e in failed), "a refused address is not retried"
    assert FetchAttempt.objects.filter(kind="page", code="blocked_url").count() == 2


def test_article_redirecting_to_private_address_is_refused(ingest, sim):
    outlet = load_corpus().outlets[1].slug
    victim = load_corpus().articles_of(outlet)[0]
    sim.set_fault(f"/{outlet}/*/{victim.slug}", Fault.redirect_private())
    pipeline.add(f"{sim.base_url}/{outlet}/feed.rss")
    worker.poll_once()
    entry = Entry.objects.get(url__contains=f"/{victim.slug}")
    assert entry.state == Entry.State.FAILED
    assert entry.error_code == "blocked_url"
    assert Article.objects.count() == len(load_corpus().articles_of(outlet)) - 1


def test_opml_import_of_private_urls_refused(ingest, capsys, monkeypatch):
    monkeypatch.delenv("TIDINGS_ALLOW_HOSTS")
    code, out, err = run_cli(capsys, "import-opml", str(DATA / "private.opml"))
    assert code == 1
    assert "0 feeds added" in out and "3 skipped" in out
    assert err.count("[blocked_url]") == 3
    assert not Feed.objects.exists()
