"""Pathological pages are bounded: they fail as ExtractionError, never hang the caller."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tidings.core.extract import (
    ExtractionError,
    ExtractionTimeoutError,
    _worker,
    extract_with_timeout,
)

DATA = Path(__file__).parent / "data"
WORDS = "The quick council report was read aloud to the assembled crowd. " * 5


def _million_rows() -> str:
    return (
        f"<html><body><p>{WORDS}</p><table>"
        + "<tr><td>x</td></tr>" * 1_000_000
        + "</table></body></html>"
    )


def _huge_colspan() -> str:
    return (
        f"<html><body><p>{WORDS}</p><table><tr>"
        "<td colspan=9007199254740991>a</td><td rowspan=9007199254740991>b</td>"
        "</tr><tr><td>c</td></tr></table></body></html>"
    )


def _deep_nesting() -> str:
    return (
        "<html><body>"
        + "<div>" * 100_000
        + f"<p>{WORDS}</p>"
        + "</div>" * 100_000
        + "</body></html>"
    )


def _deep_unclosed() -> str:
    return "<html><body>" + "<span><b>" * 60_000 + f"<p>{WORDS}"


@pytest.mark.slow
@pytest.mark.parametrize("build", [_million_rows, _deep_nesting, _deep_unclosed])
def test_pathological_pages_fail_cleanly(build) -> None:
    with pytest.raises(ExtractionError):
        extract_with_timeout(build(), "https://patho.example/", timeout=20)


@pytest.mark.slow
def test_huge_colspan_is_harmless() -> None:
    try:
        article = extract_with_timeout(_huge_colspan(), "https://patho.example/", timeout=20)
    except ExtractionTimeoutError:
        pytest.fail("a huge colspan must not make extraction hang")
    except ExtractionError:
        return
    assert "council report" in article.text


def test_timeout_kills_and_replaces_the_worker() -> None:
    page = (DATA / "harbour-wire.html").read_bytes()
    # A page that takes far longer than the limit even on an idle machine (a small
    # page under a zero limit can be answered before the reply is first polled).
    slow = "<html><body><table>" + "<tr><td>sample cell</td></tr>" * 30_000 + "</table>"
    with pytest.raises(ExtractionTimeoutError) as info:
        extract_with_timeout(slow, "https://ledger.example/slow", timeout=0.05)
    assert info.value.code == "extraction_timeout"
    # The next call gets a fresh worker and succeeds.
    article = extract_with_timeout(page, "https://ledger.example/x", timeout=30)
    assert article.title == "Harbour cranes return to Port Meridian after strike ends"


def test_errors_cross_the_process_boundary() -> None:
    with pytest.raises(ExtractionError) as info:
        extract_with_timeout(b"<html><body><p>too short</p></body></html>", "https://a.example/")
    assert not isinstance(info.value, ExtractionTimeoutError)
    assert info.value.url == "https://a.example/"


def test_pages_from_several_threads_get_their_own_answers() -> None:
    """Two pages are with the extraction process at once; each answer reaches its caller."""
    pages = sorted(DATA.glob("*.html"))[:4]
    alone = {
        p.name: extract_with_timeout(p.read_bytes(), f"https://x.example/{p.name}") for p in pages
    }
    got: dict[str, list[str]] = {p.name: [] for p in pages}
    failures: list[BaseException] = []

    def read(page: Path) -> None:
        try:
            for _ in range(5):
                got[page.name].append(
                    extract_with_timeout(page.read_bytes(), f"https://x.example/{page.name}").text
                )
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=read, args=(p,)) for p in pages]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    for name, texts in got.items():
        assert texts == [alone[name].text] * 5


def test_a_page_waiting_behind_a_stuck_one_is_sent_again() -> None:
    slow = "<html><body><table>" + "<tr><td>sample cell</td></tr>" * 30_000 + "</table>"
    # Larger than a pipe's buffer: its sender is still writing it when the worker goes.
    page = (DATA / "harbour-wire.html").read_bytes() + b"<!-- " + b"padding " * 40_000 + b"-->"
    outcome: dict[str, object] = {}

    def stuck() -> None:
        try:
            extract_with_timeout(slow, "https://ledger.example/slow", timeout=0.05)
        except ExtractionError as exc:
            outcome["stuck"] = exc

    first = threading.Thread(target=stuck)
    first.start()
    while not _worker._queue and first.is_alive():  # the slow page is with the worker
        time.sleep(0.001)
    # Queued behind it: when the slow page times out, the worker is replaced and this
    # page goes to the new one.
    article = extract_with_timeout(page, "https://ledger.example/x", timeout=30)
    first.join()
    assert isinstance(outcome["stuck"], ExtractionTimeoutError)
    assert article.title == "Harbour cranes return to Port Meridian after strike ends"
