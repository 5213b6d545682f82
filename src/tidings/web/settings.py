"""Django settings, derived entirely from :mod:`tidings.core.config`.

No value here is read from the environment directly: every knob is a
``TIDINGS_*`` setting declared once in the config table.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import dj_database_url

from tidings.community.mailconfig import email_settings
from tidings.core import config
from tidings.core.errors import ConfigError
from tidings.site._pagestore import page_cache

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = config.data_dir()


def _unusable_data_dir(exc: OSError) -> ConfigError:
    where = exc.filename or DATA_DIR
    return ConfigError(
        f"TIDINGS_DATA_DIR: cannot use {where} ({exc.strerror or exc}): "
        "set TIDINGS_DATA_DIR to a directory this user can write"
    )


def _make_data_dir() -> None:
    try:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unusable_data_dir(exc) from exc


def _secret_key() -> str:
    configured: str = config.read("SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    try:
        try:
            return key_file.read_text().strip()
        except FileNotFoundError:
            _make_data_dir()
            key = secrets.token_urlsafe(50)
            key_file.write_text(key)
            key_file.chmod(0o600)
            return key
    except OSError as exc:
        raise _unusable_data_dir(exc) from exc


def _databases() -> dict[str, Any]:
    url: str = config.read("DATABASE_URL")
    if url:
        db = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        db.setdefault("TEST", {})
        if db["ENGINE"] == "django.db.backends.postgresql":
            # Parameters sent apart from the query, so that psycopg prepares a query
            # the connection has run a few times: the server then plans it once per
            # connection (the article page's key query: 0.36 ms of planning for
            # 0.14 ms of work, 606 -> 114 us a query with it).
            # (Django turns psycopg's preparing off unless asked. Behind a pooler in
            # transaction mode, add ?server_side_binding=false to the database URL.)
            options = db.setdefault("OPTIONS", {})
            options.setdefault("server_side_binding", True)
            options.setdefault("prepare_threshold", 5)
        return {"default": db}
    _make_data_dir()
    busy_ms: int = config.read("SQLITE_BUSY_TIMEOUT_MS")
    mmap_bytes = max(0, config.read("SQLITE_MMAP_MB")) << 20
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "tidings.sqlite3"),
            # Keep each thread's connection: opening one and running the PRAGMAs costs ~1.6 ms.
            "CONN_MAX_AGE": 600,
            "OPTIONS": {
                # BEGIN IMMEDIATE: a writer takes the lock up front, so two writers never
                # deadlock on a read->write upgrade; busy_timeout makes them queue instead
                # of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": busy_ms / 1000,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    f"PRAGMA busy_timeout={busy_ms};"
                    "PRAGMA foreign_keys=ON;"
                    # Reads through a memory map: no copy from the system's cache, and a
                    # page read from disk brings its neighbours (a first view of an
                    # article whose pages the system had dropped: 780-800 -> 620-740 us
                    # in process, bench web's data).
                    f"PRAGMA mmap_size={mmap_bytes};"
                ),
            },
        }
    }


SECRET_KEY = _secret_key()
DEBUG: bool = config.read("DEBUG")
ALLOWED_HOSTS: list[str] = config.read("ALLOWED_HOSTS")
SITE_NAME: str = config.read("SITE_NAME")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "tidings.news",
    "tidings.site",
    "tidings.community",
    "tidings.aiweb",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tidings.web.urls"
WSGI_APPLICATION = "tidings.web.wsgi.application"
ASGI_APPLICATION = "tidings.web.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tidings.web.context.site",
            ],
        },
    }
]

DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "stories"],
    }
}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["tidings.community.accounts.EmailBackend"]
# Mail (password reset, sign-up confirmation) goes where EMAIL_URL says.
globals().update(email_settings(config.read("EMAIL_URL"), DATA_DIR))
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en"
TIME_ZONE: str = config.read("TIME_ZONE")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Static files are served by WhiteNoise straight from the apps (no collectstatic step).
STATIC_ROOT = None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "tidings",
        # Room for the page fragments of a few thousand articles per process.
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
    "pages": page_cache(config.read("PAGE_CACHE"), DATA_DIR),
}
PG_CHANGE_NOTICES: bool = config.read("PG_CHANGE_NOTICES")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "tidings": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # A server error's traceback (Django's own default shows it only with DEBUG on).
        "django": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django_tasks": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
