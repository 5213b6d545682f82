"""Test settings: the product's settings, with a throw-away data directory."""

import os
import tempfile

os.environ.setdefault("TIDINGS_DATA_DIR", tempfile.mkdtemp(prefix="tidings-test-"))
os.environ.setdefault("TIDINGS_DEMO", "false")
os.environ.setdefault("TIDINGS_STARTER_FEEDS", "false")

from tidings.web.settings import *  # noqa: F403
