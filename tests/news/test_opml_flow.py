"""OPML in and out through the CLI, including an outline that points at a homepage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tidings import cli, services
from tidings.core.opml import Outline, parse_opml, write_opml
from tidings.core.simulator import SimCorpus, Simulator
from tidings.news import assign, worker
from tidings.news.models import Article, Feed, Source


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    monkeypatch.setenv("TIDINGS_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("TIDINGS_PER_HOST_DELAY", "0")
    services.reset()
    assign.reset_cache()
    with Simulator(SimCorpus.from_demo()) as simulator:
        yield simulator
    services.reset()
    assign.reset_cache()


@pytest.mark.django_db(transaction=True)
def test_import_poll_export(
    sim: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feeds = sim.feed_urls()
    homepage = sim.homepage_urls()[1]
    outlines = [
        Outline(title="First outlet", xml_url=feeds[0], html_url=None, category="News"),
        # A "link" outline: a homepage, not a feed; the poll follows its advertised feed.
        Outline(title="Second outlet", xml_url=homepage, html_url=homepage, category=None),
        Outline(
            title="Metadata", xml_url="http://169.254.169.254/latest/", html_url=None, category=None
        ),
    ]
    opml = tmp_path / "subs.opml"
    opml.write_bytes(write_opml(outlines))

    assert cli.main(["import-opml", str(opml)]) == 0
    out = capsys.readouterr()
    assert "2 feeds added" in out.out and "1 skipped" in out.out
    assert "169.254.169.254" in out.err and "link-local" in out.err
    assert not Feed.objects.filter(url__contains="169.254").exists()

    worker.poll_once()
    second = Feed.objects.get(source__name="Second outlet")
    assert second.url.endswith("/feed.rss") and not second.last_error_code
    assert Article.objects.filter(feed=second).exists()
    assert Article.objects.filter(source__name="First outlet").exists()

    # Publishers keep their names through a round trip (each outline is named by its
    # publisher, not by its feed's own title); sample outlets are left out.
    sample = Source.objects.create(slug="sample-gazette", name="Sample Gazette", is_sample=True)
    Feed.objects.create(source=sample, url="http://127.0.0.1:8765/sample-gazette/feed.rss")
    export = tmp_path / "out.opml"
    capsys.readouterr()
    assert cli.main(["export-opml", "-o", str(export)]) == 0
    assert "left out 1 feeds of the sample outlets" in capsys.readouterr().err
    exported = {o.xml_url: o.title for o in parse_opml(export.read_bytes())}
    assert exported == dict(
        Feed.objects.filter(source__is_sample=False).values_list("url", "source__name")
    )
    assert {"First outlet", "Second outlet"} <= set(exported.values())


@pytest.mark.django_db(transaction=True)
def test_import_names_every_skipped_outline(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIDINGS_ALLOW_HOSTS", raising=False)
    services.reset()
    opml = Path(__file__).parents[1] / "feeds" / "data" / "opml" / "skipped.opml"
    assert cli.main(["import-opml", str(opml)]) == 0
    out = capsys.readouterr()
    assert out.out == "2 feeds added, 0 already subscribed, 9 skipped\n"
    lines = out.err.splitlines()
    assert lines == [
        "  skipped “Archive over FTP” ftp://files.harbour-gazette.example/feed.xml: unsupported"
        " URL scheme 'ftp': only http and https feeds can be subscribed [invalid_url]",
        "  skipped “Relative feed” feeds/news.xml: relative address: an outline must give the"
        " feed's full address (http:// or https://) [invalid_url]",
        "  skipped “Feed without an address”: the outline gives no feed address (xmlUrl)"
        " [opml_no_url]",
        "  skipped “Homepage only”: the outline gives no feed address (xmlUrl), only a homepage"
        " (https://lighthouse-news.example/) [opml_no_url]",
        "  skipped “Empty folder”: the outline gives no feed address (xmlUrl) [opml_no_url]",
        "  skipped “Gazette again” https://harbour-gazette.example/feed.xml: the same feed address"
        " as an outline earlier in the file (“Harbour Gazette”) [opml_duplicate]",
        "  skipped “Mail link” mailto:editor@harbour-gazette.example: unsupported URL scheme"
        " 'mailto': only http and https feeds can be subscribed [invalid_url]",
        "  skipped “No host” https:///feed.xml: the address has no host [invalid_url]",
        "  skipped “Private” http://10.0.0.5/feed.xml: refused: 10.0.0.5 is a private address"
        " (set TIDINGS_ALLOW_HOSTS to allow it) [blocked_url]",
    ]
    assert sorted(Feed.objects.values_list("url", flat=True)) == [
        "https://harbour-gazette.example/feed.xml",
        "https://sailing-weekly.example/rss",
    ]
    # Imported again: nothing new, the same outlines skipped, still not a failure.
    assert cli.main(["import-opml", str(opml)]) == 0
    assert capsys.readouterr().out == "0 feeds added, 2 already subscribed, 9 skipped\n"
