"""AI features on the site and in the CLI: the Django side of :mod:`tidings.core.ai`."""
