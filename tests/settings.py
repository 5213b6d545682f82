"""Test settings: the product's settings, with a throw-away data directory."""

import os
import tempfile
import uuid

os.environ.setdefault("TIDINGS_DATA_DIR", tempfile.mkdtemp(prefix="tidings-test-"))
os.environ.setdefault("TIDINGS_DEMO", "false")
os.environ.setdefault("TIDINGS_STARTER_FEEDS", "false")

from tidings.web.settings import *  # noqa: F403

# Concurrent runs against one PostgreSQL server must not share a test database.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_tidings_{uuid.uuid4().hex[:10]}"  # noqa: F405

# Page keys are read afresh on every view (the tests of the change notices turn them on):
# a notice reaches the listener a moment after its commit, and a test reads at once.
PG_CHANGE_NOTICES = False
