"""Every Tidings setting, declared once: name, default, type and help.

Settings are read from ``TIDINGS_<NAME>`` environment variables. The Django
settings module, the ``tidings config`` command and the docs are all
generated from :data:`SETTINGS`; nothing else reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tidings.core.errors import ConfigError


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected a boolean (true/false), got {raw!r}")


def _count(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(f"must be at least 1, not {value}")
    return value


def _list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str
    secret: bool = False

    @property
    def env(self) -> str:
        return f"TIDINGS_{self.name}"


SETTINGS: tuple[Setting, ...] = (
    # --- storage ---------------------------------------------------------
    Setting("DATA_DIR", "./data", "Directory for the SQLite database, indexes and caches.", str),
    Setting(
        "DATABASE_URL",
        "",
        "Database URL. Empty means SQLite in DATA_DIR; postgres://user@host/db switches to PostgreSQL.",
        str,
        secret=True,
    ),
    Setting(
        "SQLITE_BUSY_TIMEOUT_MS", 20000, "How long a SQLite writer waits for the lock (ms).", int
    ),
    Setting(
        "SQLITE_MMAP_MB",
        1024,
        "How much of the SQLite database each connection reads through a memory map "
        "(MB; 0: none). A page not in memory is then read with its neighbours, not "
        "alone; only address space is reserved.",
        int,
    ),
    # --- web ---------------------------------------------------------------
    Setting(
        "SECRET_KEY",
        "",
        "Django secret key. Empty: generated once and kept in DATA_DIR.",
        str,
        secret=True,
    ),
    Setting("DEBUG", False, "Django debug mode. Never enable on a public site.", _bool),
    Setting(
        "ALLOWED_HOSTS",
        "localhost,127.0.0.1,[::1]",
        "Host names the site answers to (comma-separated).",
        _list,
    ),
    Setting("SITE_NAME", "Tidings", "Name shown in the page header.", str),
    Setting("HOST", "127.0.0.1", "Address `tidings serve` listens on.", str),
    Setting("PORT", 8000, "Port `tidings serve` listens on.", int),
    Setting("TIME_ZONE", "UTC", "Default time zone for exact times shown to readers.", str),
    Setting(
        "PAGE_CACHE",
        "file",
        "Where rendered article pages are kept: file (DATA_DIR, shared by the processes of one "
        "machine), db (the database, shared by every machine), memory (per process) or none.",
        str,
    ),
    Setting(
        "PG_CHANGE_NOTICES",
        True,
        "PostgreSQL: each web process listens for the database's change notices (LISTEN), so "
        "a logged-out view of an unchanged article needs no query. Turn off behind a "
        "connection pooler that cannot listen (PgBouncer in transaction mode).",
        _bool,
    ),
    Setting(
        "PAGE_WARM_HOURS",
        48,
        "The worker pre-renders, while idle, the pages of articles changed in the last N hours "
        "(0: never).",
        int,
    ),
    Setting(
        "WEB_THREADS",
        1,
        "Threads per web process serving page reads (GET): Python work under one lock, "
        "fastest on one thread; add processes to use more cores.",
        _count,
    ),
    Setting(
        "WEB_WAIT_THREADS",
        16,
        "Threads per web process for requests that may wait: AI requests (a model, a "
        "stream) and posts (the database's write lock). At most this many at once.",
        _count,
    ),
    Setting(
        "EMAIL_URL",
        "console:",
        "Where mail goes: console:, file:PATH or smtp://user:pass@host:port.",
        str,
        secret=True,
    ),
    # --- community ---------------------------------------------------------
    Setting("COMMENT_MAX_CHARS", 5000, "Longest comment accepted (characters).", int),
    Setting("COMMENT_EDIT_MINUTES", 15, "How long an author may edit a comment (minutes).", int),
    Setting("COMMENT_RATE_LIMIT", "5/60", "Comments allowed per reader: COUNT/SECONDS.", str),
    Setting("COMMENT_IP_RATE_LIMIT", "20/60", "Comments per client address: COUNT/SECONDS.", str),
    Setting("NEW_ACCOUNT_DAILY_COMMENTS", 10, "Comments a new account may post on day one.", int),
    Setting("COMMENT_HOLD_FIRST", 1, "A new reader's first N comments wait for a moderator.", int),
    Setting("LOGIN_RATE_LIMIT", "5/300", "Log-ins per account+address: COUNT/SECONDS.", str),
    Setting(
        "ACCOUNT_EMAIL_RATE_LIMIT", "5/3600", "Account e-mails per address: COUNT/SECONDS.", str
    ),
    # --- fetching ----------------------------------------------------------
    Setting(
        "ALLOW_HOSTS",
        "",
        "Hosts or addresses exempt from the private-address guard (comma-separated), e.g. 127.0.0.1.",
        _list,
    ),
    Setting(
        "MAX_BODY_BYTES",
        10 * 1024 * 1024,
        "Largest response body accepted, after decompression.",
        int,
    ),
    Setting("CONNECT_TIMEOUT", 10.0, "Seconds to wait for a connection.", float),
    Setting(
        "FETCH_DEADLINE", 30.0, "Overall seconds allowed for one fetch, redirects included.", float
    ),
    Setting("MAX_REDIRECTS", 5, "Redirect hops followed per fetch.", int),
    Setting("FETCH_RETRIES", 2, "Retries on 5xx/429/connection errors.", int),
    Setting("PER_HOST_CONCURRENCY", 2, "Simultaneous requests to one host.", int),
    Setting("PER_HOST_DELAY", 0.5, "Seconds between two requests to the same host.", float),
    Setting("RESPECT_ROBOTS", True, "Obey robots.txt for article pages.", _bool),
    # --- worker --------------------------------------------------------------
    Setting("POLL_MIN_INTERVAL", 300, "Shortest interval between polls of one feed (s).", int),
    Setting("POLL_MAX_INTERVAL", 86400, "Longest interval between polls of one feed (s).", int),
    Setting("POLL_DEFAULT_INTERVAL", 1800, "Interval for a new feed (s).", int),
    Setting(
        "WORKER_IN_SERVE", True, "Run the worker beside the web server in `tidings serve`.", _bool
    ),
    Setting(
        "EXTRACT_TIMEOUT",
        10.0,
        "Seconds allowed to extract one page before it is recorded as failed.",
        float,
    ),
    Setting(
        "DEMO",
        True,
        "Serve and ingest the bundled sample corpus (fictional outlets) when the database has no sources.",
        _bool,
    ),
    Setting(
        "DEMO_PORT",
        8765,
        "Port of the local sample publisher used by the demo (127.0.0.1 only).",
        int,
    ),
    Setting(
        "STARTER_FEEDS",
        True,
        "Also subscribe to a small starter set of real public feeds on first run (needs internet).",
        _bool,
    ),
    # --- AI ----------------------------------------------------------------------
    Setting("AI_ENGINE", "builtin", "AI engine: builtin (offline, extractive) or llm.", str),
    Setting(
        "LLM_URL", "", "OpenAI-compatible endpoint base URL, e.g. http://localhost:11434/v1.", str
    ),
    Setting("LLM_MODEL", "", "Model name sent to the LLM endpoint.", str),
    Setting("LLM_API_KEY", "", "API key for the LLM endpoint.", str, secret=True),
    Setting("LLM_TIMEOUT", 60.0, "Seconds allowed for one LLM call.", float),
    Setting(
        "LLM_DAILY_TOKEN_BUDGET",
        2_000_000,
        "Tokens the LLM may spend per day before AI features pause.",
        int,
    ),
    Setting("AI_RATE_LIMIT", "20/600", "AI requests allowed per client: COUNT/SECONDS.", str),
    Setting(
        "EMBEDDER",
        "builtin",
        "Embedding backend for stories: builtin (no model), minilm (the minilm extra), "
        "sentence-transformers:PATH, openai or openai:MODEL (an embeddings endpoint), none.",
        str,
    ),
    Setting(
        "EMBEDDING_URL",
        "",
        "OpenAI-compatible endpoint base URL for EMBEDDER=openai. Empty: LLM_URL.",
        str,
    ),
    Setting("EMBEDDING_MODEL", "", "Model name sent to the embeddings endpoint.", str),
    Setting(
        "EMBEDDING_API_KEY",
        "",
        "API key for the embeddings endpoint. Empty with EMBEDDING_URL empty: LLM_API_KEY.",
        str,
        secret=True,
    ),
    Setting("EMBEDDING_TIMEOUT", 30.0, "Seconds allowed for one embeddings call.", float),
    Setting("EMBEDDING_BATCH", 64, "Texts sent per embeddings call.", int),
)

_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    try:
        return _BY_NAME[name]
    except KeyError as exc:
        raise ConfigError(f"unknown setting {name!r}") from exc


def read(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """The value of one setting: from ``TIDINGS_<NAME>`` if set, else its default."""
    env = os.environ if environ is None else environ
    spec = setting(name)
    raw = env.get(spec.env)
    if raw is None:
        if isinstance(spec.default, str) and spec.parse is not str:
            return spec.parse(spec.default)
        return spec.default
    try:
        return spec.parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{spec.env}: {exc}") from exc


def read_all(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {s.name: read(s.name, environ) for s in SETTINGS}


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    path = Path(read("DATA_DIR", environ)).expanduser().resolve()
    return path
