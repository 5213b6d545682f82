"""Favicons come through the guarded fetcher and are served from our own origin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from tidings import services
from tidings.core.simulator import SimCorpus, Simulator
from tidings.news.icons import icon_candidates, refresh_icon
from tidings.news.models import Source


def test_candidates_prefer_declared_icons_then_favicon_ico() -> None:
    html = """<html><head>
      <link rel="apple-touch-icon" href="/touch.png">
      <link rel="icon" href="img/fav.svg">
      <link rel="icon" href="javascript:alert(1)">
    </head></html>"""
    assert icon_candidates(html, "https://news.example/world/") == [
        "https://news.example/world/img/fav.svg",
        "https://news.example/touch.png",
        "https://news.example/favicon.ico",
    ]


def test_candidates_survive_garbage() -> None:
    assert icon_candidates("\x00<<<", "https://x.example/") == ["https://x.example/favicon.ico"]


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    with Simulator(SimCorpus.from_demo()) as simulator:
        monkeypatch.setenv("TIDINGS_ALLOW_HOSTS", "127.0.0.1")
        services.reset()
        yield simulator
    services.reset()


@pytest.mark.django_db
def test_icon_is_fetched_stored_and_served_inertly(sim: Simulator) -> None:
    homepage = sim.homepage_urls()[0]
    source = Source.objects.create(slug="sample-outlet", name="Sample", homepage=homepage)
    assert refresh_icon(source)
    source.refresh_from_db()
    assert source.icon_type.startswith("image/")
    assert source.favicon_url == "/icons/sample-outlet"
    response = Client().get("/icons/sample-outlet")
    assert response.status_code == 200
    assert response["Content-Type"] == source.icon_type
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    # Checked recently: no second fetch until the re-check period has passed.
    sim.clear_log()
    assert not refresh_icon(source)
    assert not sim.request_log


@pytest.mark.django_db
def test_icon_refused_for_private_address_without_allowance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TIDINGS_ALLOW_HOSTS", raising=False)
    services.reset()
    source = Source.objects.create(slug="private", name="P", homepage="http://127.0.0.1:9/")
    assert not refresh_icon(source)
    source.refresh_from_db()
    assert not source.icon
    assert Client().get("/icons/private").status_code == 404
