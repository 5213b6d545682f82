"""Every Tidings setting, declared once: name, default, type and help.

Settings are read from ``TIDINGS_<NAME>`` environment variables. The Django
settings module, the ``tidings config`` command and the docs are all
generated from :data:`SETTINGS`; nothing else reads the environment.
"""

from __future__ import annotations

import math
import os
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tidings.core.errors import ConfigError


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected a boolean (true/false), got {raw!r}")


def _whole(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"expected a whole number, got {raw!r}") from None


def _at_least(minimum: int) -> Callable[[str], int]:
    """A whole number no smaller than ``minimum``."""

    def parse(raw: str) -> int:
        value = _whole(raw)
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, not {value}")
        return value

    return parse


_count = _at_least(1)
_zero_or_more = _at_least(0)


def _port(raw: str) -> int:
    value = _whole(raw)
    if not 1 <= value <= 65535:
        raise ValueError(f"must be a port number from 1 to 65535, not {value}")
    return value


def _number(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"expected a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {raw!r}")
    return value


def _seconds(raw: str) -> float:
    """A length of time in seconds that must be more than none (a timeout, a deadline)."""
    value = _number(raw)
    if value <= 0:
        raise ValueError(f"must be more than 0 seconds, not {raw.strip()}")
    return value


def _pause(raw: str) -> float:
    """A length of time in seconds that may be none."""
    value = _number(raw)
    if value < 0:
        raise ValueError(f"must be 0 seconds or more, not {raw.strip()}")
    return value


def _list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _choice(*options: str) -> Callable[[str], str]:
    """One of ``options`` (any case, surrounding spaces ignored)."""

    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ValueError(f"must be {_or(options)}, not {raw!r}")
        return value

    return parse


def _or(options: tuple[str, ...]) -> str:
    return ", ".join(options[:-1]) + f" or {options[-1]}" if len(options) > 1 else options[0]


def split_rate(raw: str) -> tuple[int, float]:
    """``COUNT/SECONDS`` (e.g. ``5/60``), both more than 0: the one reading of every rate
    setting, for the limiters too. Raises ValueError."""
    count, slash, seconds = raw.partition("/")
    try:
        value = (int(count), float(seconds))
        ok = bool(slash) and value[0] >= 1 and 0 < value[1] < math.inf
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"expected COUNT/SECONDS with both more than 0 (e.g. 5/60), got {raw!r}")
    return value


def _rate(raw: str) -> str:
    """A rate setting, checked and kept as written (the limiters read it with
    :func:`split_rate`)."""
    split_rate(raw)
    return raw.strip()


def _time_zone(raw: str) -> str:
    value = raw.strip()
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # "Europe": a directory
        raise ValueError(
            f"unknown time zone {raw!r} (expected a name such as UTC or Europe/Paris)"
        ) from None
    return value


def _embedder(raw: str) -> str:
    value = raw.strip()
    if value in ("", "builtin", "minilm", "openai", "none") or value.startswith("openai:"):
        return value
    if value.startswith("sentence-transformers:") and value.partition(":")[2].strip():
        return value
    raise ValueError(
        "must be builtin, minilm, sentence-transformers:PATH, openai, openai:MODEL or none, "
        f"not {raw!r}"
    )


def _endpoint(raw: str) -> str:
    """Empty, or the http(s) URL of an endpoint (an error does not repeat it: a URL may
    hold a key)."""
    value = raw.strip()
    if value:
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "expected an http:// or https:// URL such as http://localhost:11434/v1"
            )
    return value


_EMAIL_SCHEMES = ("console", "file", "smtp", "smtps", "locmem")


def _email_url(raw: str) -> str:
    value = raw.strip()
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme not in _EMAIL_SCHEMES:
        raise ValueError(
            "expected console:, file:PATH or smtp://USER:PASSWORD@HOST:PORT "
            f"(or smtps://), not {scheme + ':' if scheme else 'that'}"
        )
    if scheme in ("smtp", "smtps") and not parts.hostname:
        raise ValueError(f"no host in the {scheme}:// URL")
    return value


_DATABASE_SCHEMES = ("postgres", "postgresql", "pgsql", "sqlite")


def _database_url(raw: str) -> str:
    """Empty (SQLite in DATA_DIR) or a PostgreSQL URL. The URL may hold a password: an
    error names its scheme only."""
    value = raw.strip()
    if not value:
        return value
    parts = urlsplit(value)
    if not parts.scheme or "://" not in value:
        raise ValueError(
            "expected postgres://USER@HOST:PORT/DATABASE (or nothing, for SQLite in DATA_DIR), "
            "got something that is not a URL"
        )
    scheme = parts.scheme.lower()
    if scheme not in _DATABASE_SCHEMES:
        raise ValueError(
            f"Tidings stores its data in PostgreSQL (postgres://USER@HOST:PORT/DATABASE) or "
            f"SQLite, not {scheme}"
        )
    # A libpq service (postgres:///?service=NAME, pg_service.conf) may name the database.
    named_by_service = "service" in parse_qs(parts.query)
    if scheme != "sqlite" and not parts.path.strip("/") and not named_by_service:
        raise ValueError("names no database: expected postgres://USER@HOST:PORT/DATABASE")
    return value


def _directory(raw: str) -> str:
    """A directory, or a path where one can be made: not a file, nor under one."""
    path = Path(raw).expanduser()
    for place in (path, *path.parents):
        try:
            is_dir = place.is_dir()
            if not is_dir and not place.exists():
                continue
        except OSError:  # not ours to look into: making the directory will say
            break
        if not is_dir:
            what = "is" if place == path else f"is under {place}, which is"
            raise ValueError(f"{raw!r} {what} a file, not a directory")
        break
    return raw


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
    Setting(
        "DATA_DIR", "./data", "Directory for the SQLite database, indexes and caches.", _directory
    ),
    Setting(
        "DATABASE_URL",
        "",
        "Database URL. Empty means SQLite in DATA_DIR; postgres://user@host/db switches to PostgreSQL.",
        _database_url,
        secret=True,
    ),
    Setting(
        "SQLITE_BUSY_TIMEOUT_MS",
        20000,
        "How long a SQLite writer waits for the lock (ms).",
        _zero_or_more,
    ),
    Setting(
        "SQLITE_MMAP_MB",
        1024,
        "How much of the SQLite database each connection reads through a memory map "
        "(MB; 0: none). A page not in memory is then read with its neighbours, not "
        "alone; only address space is reserved.",
        _zero_or_more,
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
    Setting("PORT", 8000, "Port `tidings serve` listens on.", _port),
    Setting(
        "TIME_ZONE",
        "UTC",
        "Default time zone for exact times shown to readers (a name such as Europe/Paris).",
        _time_zone,
    ),
    Setting(
        "PAGE_CACHE",
        "file",
        "Where rendered article pages are kept: file (DATA_DIR, shared by the processes of one "
        "machine), db (the database, shared by every machine), memory (per process) or none.",
        _choice("file", "db", "memory", "none"),
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
        _zero_or_more,
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
        _email_url,
        secret=True,
    ),
    # --- community ---------------------------------------------------------
    Setting("COMMENT_MAX_CHARS", 5000, "Longest comment accepted (characters).", _count),
    Setting(
        "COMMENT_EDIT_MINUTES",
        15,
        "How long an author may edit a comment (minutes).",
        _zero_or_more,
    ),
    Setting("COMMENT_RATE_LIMIT", "5/60", "Comments allowed per reader: COUNT/SECONDS.", _rate),
    Setting("COMMENT_IP_RATE_LIMIT", "20/60", "Comments per client address: COUNT/SECONDS.", _rate),
    Setting(
        "NEW_ACCOUNT_DAILY_COMMENTS",
        10,
        "Comments a new account may post on day one.",
        _zero_or_more,
    ),
    Setting(
        "COMMENT_HOLD_FIRST",
        1,
        "A new reader's first N comments wait for a moderator.",
        _zero_or_more,
    ),
    Setting("LOGIN_RATE_LIMIT", "5/300", "Log-ins per account+address: COUNT/SECONDS.", _rate),
    Setting(
        "ACCOUNT_EMAIL_RATE_LIMIT", "5/3600", "Account e-mails per address: COUNT/SECONDS.", _rate
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
        "Largest response body accepted, after decompression (bytes).",
        _count,
    ),
    Setting("CONNECT_TIMEOUT", 10.0, "Seconds to wait for a connection.", _seconds),
    Setting(
        "FETCH_DEADLINE",
        30.0,
        "Overall seconds allowed for one fetch, redirects included.",
        _seconds,
    ),
    Setting("MAX_REDIRECTS", 5, "Redirect hops followed per fetch.", _zero_or_more),
    Setting("FETCH_RETRIES", 2, "Retries on 5xx/429/connection errors.", _zero_or_more),
    Setting("PER_HOST_CONCURRENCY", 2, "Simultaneous requests to one host.", _count),
    Setting("PER_HOST_DELAY", 0.5, "Seconds between two requests to the same host.", _pause),
    Setting("RESPECT_ROBOTS", True, "Obey robots.txt for article pages.", _bool),
    # --- worker --------------------------------------------------------------
    Setting("POLL_MIN_INTERVAL", 300, "Shortest interval between polls of one feed (s).", _count),
    Setting("POLL_MAX_INTERVAL", 86400, "Longest interval between polls of one feed (s).", _count),
    Setting("POLL_DEFAULT_INTERVAL", 1800, "Interval for a new feed (s).", _count),
    Setting(
        "WORKER_IN_SERVE", True, "Run the worker beside the web server in `tidings serve`.", _bool
    ),
    Setting(
        "EXTRACT_TIMEOUT",
        10.0,
        "Seconds allowed to extract one page before it is recorded as failed.",
        _seconds,
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
        _port,
    ),
    Setting(
        "STARTER_FEEDS",
        True,
        "Also subscribe to a small starter set of real public feeds on first run (needs internet).",
        _bool,
    ),
    # --- AI ----------------------------------------------------------------------
    Setting(
        "AI_ENGINE",
        "builtin",
        "AI engine: builtin (offline, extractive) or llm.",
        _choice("builtin", "llm"),
    ),
    Setting(
        "LLM_URL",
        "",
        "OpenAI-compatible endpoint base URL, e.g. http://localhost:11434/v1.",
        _endpoint,
    ),
    Setting("LLM_MODEL", "", "Model name sent to the LLM endpoint.", str),
    Setting("LLM_API_KEY", "", "API key for the LLM endpoint.", str, secret=True),
    Setting("LLM_TIMEOUT", 60.0, "Seconds allowed for one LLM call.", _seconds),
    Setting(
        "LLM_DAILY_TOKEN_BUDGET",
        2_000_000,
        "Tokens the LLM may spend per day before AI features pause (0: no cap).",
        _zero_or_more,
    ),
    Setting("AI_RATE_LIMIT", "20/600", "AI requests allowed per client: COUNT/SECONDS.", _rate),
    Setting(
        "EMBEDDER",
        "builtin",
        "Embedding backend for stories: builtin (no model), minilm (the minilm extra), "
        "sentence-transformers:PATH, openai or openai:MODEL (an embeddings endpoint), none.",
        _embedder,
    ),
    Setting(
        "EMBEDDING_URL",
        "",
        "OpenAI-compatible endpoint base URL for EMBEDDER=openai. Empty: LLM_URL.",
        _endpoint,
    ),
    Setting("EMBEDDING_MODEL", "", "Model name sent to the embeddings endpoint.", str),
    Setting(
        "EMBEDDING_API_KEY",
        "",
        "API key for the embeddings endpoint. Empty with EMBEDDING_URL empty: LLM_API_KEY.",
        str,
        secret=True,
    ),
    Setting("EMBEDDING_TIMEOUT", 30.0, "Seconds allowed for one embeddings call.", _seconds),
    Setting("EMBEDDING_BATCH", 64, "Texts sent per embeddings call.", _count),
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
    if raw is None and not (isinstance(spec.default, str) and spec.parse is not str):
        return spec.default
    try:
        return spec.parse(spec.default if raw is None else raw)
    except ValueError as exc:
        raise ConfigError(f"{spec.env}: {exc}") from exc


def read_all(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {s.name: read(s.name, environ) for s in SETTINGS}


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    path = Path(read("DATA_DIR", environ)).expanduser().resolve()
    return path
