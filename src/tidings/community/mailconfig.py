"""Django e-mail settings from the ``EMAIL_URL`` setting (no Django import here).

- ``console:`` — print messages on the server's console (the default);
- ``file:PATH`` — write each message to a file in PATH (relative to DATA_DIR);
- ``smtp://user:pass@host:port`` (STARTTLS) or ``smtps://...`` (TLS);
- ``locmem:`` — keep messages in memory (tests).

A ``?from=Name <addr>`` query sets the sender.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tidings.core.errors import ConfigError


def email_settings(url: str, data_dir: Path) -> dict[str, Any]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = parse_qs(parts.query)
    out: dict[str, Any] = {}
    if "from" in query:
        out["DEFAULT_FROM_EMAIL"] = query["from"][0]
    if scheme == "console":
        out["EMAIL_BACKEND"] = "django.core.mail.backends.console.EmailBackend"
    elif scheme == "locmem":
        out["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    elif scheme == "file":
        raw = unquote(parts.netloc + parts.path) or "mail"
        out["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
        out["EMAIL_FILE_PATH"] = str(data_dir / raw)
    elif scheme in {"smtp", "smtps"}:
        if not parts.hostname:
            raise ConfigError(f"EMAIL_URL: no host in {scheme}:// URL")
        out["EMAIL_BACKEND"] = "django.core.mail.backends.smtp.EmailBackend"
        out["EMAIL_HOST"] = parts.hostname
        out["EMAIL_PORT"] = parts.port or (465 if scheme == "smtps" else 587)
        out["EMAIL_HOST_USER"] = unquote(parts.username or "")
        out["EMAIL_HOST_PASSWORD"] = unquote(parts.password or "")
        out["EMAIL_USE_SSL"] = scheme == "smtps"
        out["EMAIL_USE_TLS"] = scheme == "smtp" and query.get("tls", ["1"])[0] != "0"
        out["EMAIL_TIMEOUT"] = 20
    else:
        raise ConfigError(f"EMAIL_URL: unsupported scheme {scheme!r}")
    return out
