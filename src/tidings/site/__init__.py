"""The reader-facing site: server-rendered pages."""
