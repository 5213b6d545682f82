"""OPML in and out through the CLI, including an outline that points at a homepage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tidings import cli, services
from tidings.core.opml import Outline, parse_opml, write_opml
from tidings.core.simulator import SimCorpus, Simulator
from tidings.news import assign, worker
from tidings.news.models import Article, Feed


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
    assert "2 feeds added" in out.out and "1 refused" in out.out
    assert "169.254.169.254" in out.err and "link-local" in out.err
    assert not Feed.objects.filter(url__contains="169.254").exists()

    worker.poll_once()
    second = Feed.objects.get(source__name="Second outlet")
    assert second.url.endswith("/feed.rss") and not second.last_error_code
    assert Article.objects.filter(feed=second).exists()
    assert Article.objects.filter(source__name="First outlet").exists()

    export = tmp_path / "out.opml"
    assert cli.main(["export-opml", "-o", str(export)]) == 0
    exported = {o.xml_url for o in parse_opml(export.read_bytes())}
    assert exported == set(Feed.objects.values_list("url", flat=True))
