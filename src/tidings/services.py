"""The one place that wires settings to backends.

Everything that needs the fetcher, the story engine, the search backend or the
AI engine asks here; nothing else reads settings to build a backend. Objects
are created lazily, once per process.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from tidings.core import config

if TYPE_CHECKING:
    from tidings.core.fetch import Fetcher
    from tidings.core.stories import Embedder

_lock = threading.Lock()
_instances: dict[str, Any] = {}


def _get(name: str, factory: Any) -> Any:
    with _lock:
        if name not in _instances:
            _instances[name] = factory()
        return _instances[name]


_extra_allow: list[str] = []
_host_delays: dict[str, float] = {}


def fetcher() -> Fetcher:
    from tidings.core.fetch import Fetcher

    def make() -> Fetcher:
        return Fetcher.from_config(extra_allow=_extra_allow, host_delays=_host_delays)

    result: Fetcher = _get("fetcher", make)
    return result


def allow_hosts() -> list[str]:
    """Hosts exempt from the private-address guard: the setting plus the demo publisher."""
    configured: list[str] = config.read("ALLOW_HOSTS")
    return [*configured, *_extra_allow]


def allow_demo_publisher(base_url: str) -> None:
    """Let the fetcher reach the bundled sample publisher (exactly its host and port)."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    netloc = parts.netloc
    if netloc not in _extra_allow:
        _extra_allow.append(netloc)
        # Our own local publisher needs no politeness delay.
        _host_delays[parts.hostname or ""] = 0.0
        with _lock:
            old = _instances.pop("fetcher", None)
        if old is not None:
            old.close()


def reset() -> None:
    """Forget every backend (tests change settings between cases)."""
    with _lock:
        for obj in _instances.values():
            close = getattr(obj, "close", None)
            if callable(close):
                close()
        _instances.clear()


def extract_timeout() -> float:
    return float(config.read("EXTRACT_TIMEOUT"))


def embedder() -> Embedder | None:
    """The embedding backend named by ``EMBEDDER`` (``none``: no embeddings). An embeddings
    endpoint's URL and key fall back to the LLM endpoint's when ``EMBEDDING_URL`` is empty."""
    from tidings.core.stories import make_embedder

    def make() -> Embedder | None:
        spec = str(config.read("EMBEDDER"))
        if spec == "none":
            return None
        url = str(config.read("EMBEDDING_URL"))
        api_key = str(config.read("EMBEDDING_API_KEY"))
        if not url:
            url = str(config.read("LLM_URL"))
            api_key = api_key or str(config.read("LLM_API_KEY"))
        return make_embedder(
            spec,
            url=url,
            model=str(config.read("EMBEDDING_MODEL")),
            api_key=api_key,
            timeout=float(config.read("EMBEDDING_TIMEOUT")),
            batch=int(config.read("EMBEDDING_BATCH")),
        )

    result: Embedder | None = _get("embedder", make)
    return result
