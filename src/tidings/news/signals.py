"""Signals the news app sends to the rest of the site."""

from django.dispatch import Signal

# Sent by a worker with nothing queued, once per tick: receivers may use up to
# ``budget`` seconds for work that can wait (the site pre-renders pages).
worker_idle = Signal()
