"""Tidings: a self-hostable AI news aggregator."""

__version__ = "0.1.0"
USER_AGENT = (
    f"Tidings/{__version__} (+https://github.com/tidings-news/tidings; self-hosted news reader)"
)
