"""A persistent extraction process, killed and replaced when a page takes too long."""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
from collections import deque
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
                [sys.executable, "-c", _CHILD, str(to_child_r), str(from_child_w)],
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
        # The process first: a caller blocked writing a page to it then gets a broken
        # pipe (and sends the page again), rather than a connection closed under it.
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)
        for conn in (self.requests, self.replies):
            conn.close()


#: Pages handed to the extraction process at once: the one it works on and the next,
#: already in its pipe, so it starts on that the moment it answers. One at a time, it
#: waited while the caller woke up for the answer and sent the next page, and a thread
#: of a busy worker can wait milliseconds for the interpreter lock.
QUEUED = 2


class _Call:
    """One page sent to ``worker`` (its place in ``_queue``)."""

    __slots__ = ("worker",)

    def __init__(self, worker: _Worker) -> None:
        self.worker = worker


_state = threading.Condition()
_worker: _Worker | None = None
_queue: deque[_Call] = deque()  # pages sent to ``_worker``, in the order it answers
_free = threading.Semaphore(QUEUED)
_sending = threading.Lock()


def _shutdown() -> None:
    with _state:
        _retire()


def _retire() -> None:
    """Kill the worker; the pages it still held are sent again by their callers."""
    global _worker
    if _worker is not None:
        _worker.stop()
        _worker = None
    _queue.clear()
    _state.notify_all()


atexit.register(_shutdown)


def run(html: str | bytes, url: str | None, timeout: float) -> Any:
    """Extract in the worker process; kill and replace it once a page has had it for
    ``timeout`` seconds (a page waiting behind another is sent again to the new one)."""
    with _free:
        reply = _extract(html, url, timeout)
    if reply[0] == "ok":
        return reply[1]
    _, name, message, err_url = reply
    cls = getattr(errors, name, errors.ExtractionError)
    if not (isinstance(cls, type) and issubclass(cls, errors.ExtractionError)):
        cls = errors.ExtractionError
    raise cls(message, url=err_url)


#: Times a page is sent to a new extraction process after the one holding it went away
#: for another page's sake (a timeout, a crash while this page waited behind it).
RESENDS = 2


def _extract(html: str | bytes, url: str | None, timeout: float) -> tuple[Any, ...]:
    global _worker
    for _ in range(RESENDS + 1):
        with _sending:
            with _state:
                if _worker is None or not _worker.alive():
                    _retire()
                    _worker = _Worker()
                call = _Call(_worker)
                _queue.append(call)
            try:
                call.worker.requests.send((html, url))
            except (OSError, TypeError, ValueError):
                # A broken pipe or a connection closed by a retirement: the process
                # is gone before it read this page, which is sent again.
                with _state:
                    if call.worker is _worker:
                        _retire()
                continue
        with _state:
            # Answers come in the order pages were sent: the caller whose page is
            # first in line reads the next one; the others wait for their turn.
            while _queue and _queue[0] is not call and call.worker is _worker:
                _state.wait()
            if call.worker is not _worker:
                continue  # the worker was replaced while this page waited: send it again
        try:
            ready = call.worker.replies.poll(timeout)
            reply = call.worker.replies.recv() if ready else None
        except (EOFError, OSError, TypeError, ValueError) as exc:
            with _state:
                if call.worker is not _worker:
                    continue  # retired for another page's sake while this one was read
                _retire()  # it died on this page
            raise errors.ExtractionError("extraction worker died", url=url) from exc
        with _state:
            if reply is None:
                if call.worker is _worker:
                    _retire()
                raise errors.ExtractionTimeoutError(
                    f"extraction took longer than {timeout:g}s", url=url
                )
            if _queue and _queue[0] is call:
                _queue.popleft()
            _state.notify_all()
        return reply
    raise errors.ExtractionError("extraction worker died", url=url)


def child_main(argv: list[str]) -> None:
    """The child's entry point: ``argv`` holds the two pipe descriptors."""
    _serve(Connection(int(argv[0]), writable=False), Connection(int(argv[1]), readable=False))


# Started with -c rather than -m: the package imports this module, so running it as
# __main__ would load it a second time (runpy warns about it).
_CHILD = f"import sys; from {__name__} import child_main; child_main(sys.argv[1:])"
