"""A persistent extraction process, killed and replaced when a page takes too long."""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from typing import Any

from tidings.core import errors


def _serve(requests: Connection, replies: Connection) -> None:
    """Child loop: extract every page received, answer with the result or the error."""
    from tidings.core.extract import extract

    while True:
        try:
            html, url = requests.recv()
        except (EOFError, OSError):
            return
        reply: tuple[Any, ...]
        try:
            reply = ("ok", extract(html, url))
        except errors.TidingsError as exc:
            reply = ("error", type(exc).__name__, exc.message, exc.url)
        except Exception as exc:  # the worker must answer, whatever went wrong
            reply = ("error", "ExtractionError", f"extraction failed: {exc!r}", url)
        replies.send(reply)


class _Worker:
    """A child interpreter running :func:`_serve`, spoken to over a pair of pipes.

    A plain subprocess (not multiprocessing) so the caller's ``__main__`` is never re-imported.
    """

    def __init__(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
                close_fds=True,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.requests = Connection(to_child_w, readable=False)
        self.replies = Connection(from_child_r, writable=False)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        for conn in (self.requests, self.replies):
            conn.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)


_lock = threading.Lock()
_worker: _Worker | None = None


def _shutdown() -> None:
    global _worker
    if _worker is not None:
        _worker.stop()
        _worker = None


atexit.register(_shutdown)


def run(html: str | bytes, url: str | None, timeout: float) -> Any:
    """Extract in the worker process; kill and replace it after ``timeout`` seconds."""
    global _worker
    with _lock:
        if _worker is None or not _worker.alive():
            _worker = _Worker()
        worker = _worker
        try:
            worker.requests.send((html, url))
            ready = worker.replies.poll(timeout)
            reply = worker.replies.recv() if ready else None
        except (EOFError, OSError, BrokenPipeError) as exc:
            _shutdown()
            raise errors.ExtractionError("extraction worker died", url=url) from exc
        if reply is None:
            _shutdown()
            raise errors.ExtractionTimeoutError(
                f"extraction took longer than {timeout:g}s", url=url
            )
    if reply[0] == "ok":
        return reply[1]
    _, name, message, err_url = reply
    cls = getattr(errors, name, errors.ExtractionError)
    if not (isinstance(cls, type) and issubclass(cls, errors.ExtractionError)):
        cls = errors.ExtractionError
    raise cls(message, url=err_url)


if __name__ == "__main__":
    _serve(
        Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False)
    )
