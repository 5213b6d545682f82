"""First-run set-up of the site: the offline demo publisher and the starter feeds."""

from __future__ import annotations

import logging
from typing import Any

from tidings.core import config
from tidings.core.errors import ConfigError, TidingsError
from tidings.news.models import Source

log = logging.getLogger("tidings")

# A small starter set of real public feeds, polled when the machine has internet.
STARTER_FEEDS: tuple[tuple[str, str], ...] = (
    ("BBC News", "https://feeds.bbci.co.uk/news/world/rss.xml"),
    ("NPR", "https://feeds.npr.org/1001/rss.xml"),
    ("The Guardian", "https://www.theguardian.com/world/rss"),
    ("Al Jazeera", "https://www.aljazeera.com/xml/rss/all.xml"),
    ("Deutsche Welle", "https://rss.dw.com/rdf/rss-en-all"),
    ("France 24", "https://www.france24.com/en/rss"),
)

_simulator: Any = None


def demo_base_url() -> str:
    return f"http://127.0.0.1:{config.read('DEMO_PORT')}"


def start_demo_publisher() -> Any:
    """Serve the bundled sample corpus on 127.0.0.1 (the fictional outlets' websites)."""
    global _simulator
    if _simulator is not None:
        return _simulator
    from tidings.core.simulator import SimCorpus, Simulator

    port = config.read("DEMO_PORT")
    sim = Simulator(SimCorpus.from_demo(), host="127.0.0.1", port=port)
    try:
        sim.start()
    except OSError as exc:
        raise ConfigError(
            f"the sample publisher cannot listen on 127.0.0.1:{port} ({exc.strerror}); "
            "set TIDINGS_DEMO_PORT to a free port, or TIDINGS_DEMO=false"
        ) from exc
    _simulator = sim
    return sim


def prepare_site(console: Any = None) -> None:
    """Start the demo publisher and subscribe to it and to the starter feeds on first run."""
    from tidings import services
    from tidings.news import pipeline

    has_sources = Source.objects.exists()
    sample = Source.objects.filter(is_sample=True).exists()
    if config.read("DEMO") and (sample or not has_sources):
        sim = start_demo_publisher()
        services.allow_demo_publisher(sim.base_url)
        if not sample:
            for homepage in sim.homepage_urls():
                try:
                    sub = pipeline.add(homepage)
                except TidingsError as exc:
                    log.warning("demo outlet %s: %s", homepage, exc)
                    continue
                Source.objects.filter(pk=sub.source.pk).update(is_sample=True)
            if console is not None:
                console.print(
                    f"Subscribed to {len(sim.homepage_urls())} fictional sample outlets "
                    f"served at {sim.base_url} (sample content)."
                )
    if config.read("STARTER_FEEDS") and not has_sources:
        for name, url in STARTER_FEEDS:
            try:
                pipeline.subscribe_without_fetch(url, title=name)
            except TidingsError as exc:
                log.warning("starter feed %s: %s", url, exc)


def allow_sample_publisher() -> bool:
    """In a worker of its own (``tidings serve --no-worker`` beside ``tidings worker``):
    let it reach the sample publisher the site process serves, exactly its host and
    port, when the site has sample outlets. True when allowed."""
    from tidings import services

    if not config.read("DEMO") or not Source.objects.filter(is_sample=True).exists():
        return False
    services.allow_demo_publisher(demo_base_url())
    return True


def shutdown() -> None:
    global _simulator
    if _simulator is not None:
        _simulator.stop()
        _simulator = None
