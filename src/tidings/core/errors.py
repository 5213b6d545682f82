"""The single exception tree of Tidings.

Every failure the product records carries a stable ``code`` (shown to the
operator, stored in the database, never renamed) and a human ``message``.
Errors are always chained (``raise ... from exc``) and carry the URL or id
they concern when there is one.
"""

from __future__ import annotations


class TidingsError(Exception):
    """Root of every error Tidings raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, *, url: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        if self.url:
            return f"{self.message} ({self.url})"
        return self.message


class ConfigError(TidingsError):
    """A setting has an invalid value."""

    code = "config"


# --- storage and files ----------------------------------------------------


class DatabaseUnavailableError(TidingsError):
    """The database cannot be opened: no server at that address, an unknown database or
    role, a connection option the driver refuses, a SQLite file that cannot be made."""

    code = "database_unavailable"


class DatabaseNotMigratedError(TidingsError):
    """The database has no tables yet, or not those of this version: ``tidings migrate``."""

    code = "database_not_migrated"


class FileAccessError(TidingsError):
    """A file named on the command line cannot be read or written."""

    code = "file"


# --- fetching -------------------------------------------------------------


class FetchError(TidingsError):
    """Anything that went wrong while fetching a URL."""

    code = "fetch"


class BlockedURLError(FetchError):
    """The URL points to a scheme or address we refuse to contact (SSRF guard)."""

    code = "blocked_url"


class InvalidURLError(FetchError):
    """The URL cannot be parsed or has an unsupported scheme."""

    code = "invalid_url"


class DNSError(FetchError):
    """The host name does not resolve."""

    code = "dns"


class ConnectError(FetchError):
    """The TCP/TLS connection failed."""

    code = "connect"


class TimeoutError_(FetchError):
    """The connect timeout or the overall deadline was exceeded."""

    code = "timeout"


class TooManyRedirectsError(FetchError):
    code = "too_many_redirects"


class BodyTooLargeError(FetchError):
    """The (decompressed) body exceeded the configured cap."""

    code = "body_too_large"


class HTTPStatusError(FetchError):
    """The server answered with an error status after retries."""

    code = "http_status"

    def __init__(self, message: str, *, status: int, url: str | None = None) -> None:
        super().__init__(message, url=url, code=f"http_{status}")
        self.status = status


class RobotsDisallowedError(FetchError):
    code = "robots_disallowed"


# --- parsing / extraction -------------------------------------------------


class FeedError(TidingsError):
    """The document is not a feed we can parse."""

    code = "feed_parse"


class NotAFeedError(FeedError):
    code = "not_a_feed"


class OPMLError(TidingsError):
    code = "opml_parse"


class OPMLOutlineError(OPMLError):
    """One outline of an OPML file is skipped and the others imported: it gives no
    feed address (``opml_no_url``), or the address of an outline listed earlier in
    the file (``opml_duplicate``). An address that is no absolute http(s) URL is
    skipped as :class:`InvalidURLError` (``invalid_url``)."""

    code = "opml_outline"


class ExtractionError(TidingsError):
    """No article could be extracted from a page."""

    code = "extraction"


class ExtractionTimeoutError(ExtractionError):
    code = "extraction_timeout"


# --- AI -------------------------------------------------------------------


class AIError(TidingsError):
    code = "ai"


class LLMNotConfiguredError(AIError):
    code = "llm_not_configured"


class LLMUnavailableError(AIError):
    """The LLM endpoint failed (timeouts, 429, 5xx) after retries."""

    code = "llm_unavailable"


class LLMResponseError(AIError):
    """The LLM endpoint answered with something that is not a chat completion."""

    code = "llm_bad_response"


class AIBudgetExceededError(AIError):
    """The daily LLM token budget is spent; AI features pause until tomorrow."""

    code = "ai_budget_exceeded"


# --- embeddings -----------------------------------------------------------


class EmbeddingError(TidingsError):
    """An embedding backend could not turn texts into vectors."""

    code = "embedding"


class EmbeddingUnavailableError(EmbeddingError):
    """The embeddings endpoint failed (timeouts, connection, 429, 5xx) after retries,
    or refused the request."""

    code = "embedding_unavailable"


class EmbeddingResponseError(EmbeddingError):
    """The embeddings endpoint answered with something that is not a list of vectors."""

    code = "embedding_bad_response"


# --- corpora --------------------------------------------------------------


class CorpusError(TidingsError):
    """A labelled JSONL corpus (``tidings bench stories``, training) cannot be read as
    one article record per line: the code says how (``corpus_unreadable``,
    ``corpus_bad_line``, ``corpus_bad_record``, ``corpus_duplicate_id``)."""

    code = "corpus"


class BusyError(TidingsError):
    """Work that one process at a time may do is being done by another (a story
    rebuild while a worker assigns stories)."""

    code = "busy"


class SearchError(TidingsError):
    """The full-text search index could not answer a query."""

    code = "search"


class RateLimitedError(TidingsError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float, url: str | None = None) -> None:
        super().__init__(message, url=url)
        self.retry_after = retry_after


# --- community ------------------------------------------------------------


class CommentError(TidingsError):
    """A comment or a comment action was refused; ``message`` is shown to the reader."""

    code = "comment"


class CommentTooLongError(CommentError):
    code = "comment_too_long"


class PostingNotAllowedError(CommentError):
    """The reader may not post (banned, or the action is not open to them)."""

    code = "posting_not_allowed"
