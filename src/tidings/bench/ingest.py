"""``tidings bench ingest [--pages DIR] [--count N] [--json]``: end-to-end ingestion throughput.

The publisher simulator serves the article-extraction benchmark pages
(``DIR/html/*.html.gz``), repeated under distinct URLs up to ``--count``
articles spread over ``--feeds`` RSS feeds, all on one local host. Tidings
then subscribes (OPML import), polls, fetches, extracts, de-duplicates and
stores them on a fresh SQLite database in a temporary data directory, with
``tidings poll --once`` run by 1 and then by 2 worker processes at the same
time (they claim entries, so they split the work). Repeated pages carry the
same text, so every copy after the first is folded as a duplicate.

Printed: articles/s for each run, the 2-vs-1 ratio, and the ratio of the
1-process run to extraction alone (``extract_with_timeout`` over the same
pages, in this process, timed right before and right after the 1-process run;
their mean). Targets: end to end at
least 0.8x extraction alone with one process; two processes at least 1.6x
one.

"End to end" is ingestion as far as storage: from the start of the pollers to
the moment the last entry was stored, folded or failed (the entries' own
``updated_at``). The pollers go on to the story stage (clustering, topics,
related cards: serialized under a lease, timed by ``tidings bench stories``)
before they exit; that later time is printed too, as articles/s "through
the story stage".

The simulator is a single host, so the politeness limits are lifted for the
run: ``TIDINGS_PER_HOST_DELAY=0`` and a high ``TIDINGS_PER_HOST_CONCURRENCY``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tidings.core.errors import ExtractionError
from tidings.core.textutil import decode_bytes

HOST_CONCURRENCY = 64
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def default_pages() -> Path:
    """The benchmark folder next to the repository (``../shared/corpora/extraction``)."""
    return Path(__file__).resolve().parents[3].parent / "shared" / "corpora" / "extraction"


@dataclass(frozen=True)
class Run:
    workers: int
    seconds: float
    processed: int
    stored: int
    duplicates: int
    failed: int
    pending: int
    #: CPU seconds used by the worker processes and their extraction processes.
    cpu_seconds: float = 0.0
    #: Seconds until the last entry was stored, folded or failed (``seconds`` runs on
    #: through the story stage, until the pollers exit).
    stored_seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Entries per second until all were stored."""
        return self.processed / self.stored_seconds if self.stored_seconds else 0.0

    @property
    def rate_with_stories(self) -> float:
        return self.processed / self.seconds if self.seconds else 0.0


def load_pages(folder: Path) -> list[tuple[str, str]]:
    """``(id, html)`` of every ``*.html.gz`` page in ``folder`` or ``folder/html``."""
    html_dir = folder / "html" if (folder / "html").is_dir() else folder
    pages = []
    for path in sorted(html_dir.glob("*.html.gz")):
        raw = gzip.decompress(path.read_bytes())
        pages.append((path.name.removesuffix(".html.gz"), decode_bytes(raw)))
    return pages


def _title(html: str, fallback: str) -> str:
    match = _TITLE.search(html[:20000])
    title = re.sub(r"\s+", " ", match.group(1)).strip() if match else ""
    return title[:200] or fallback


def records(pages: Sequence[tuple[str, str]], count: int, feeds: int) -> list[dict[str, Any]]:
    """``count`` simulator records cycling over ``pages``, dealt round-robin to ``feeds`` outlets."""
    out = []
    for k in range(count):
        page_id, html = pages[k % len(pages)]
        out.append(
            {
                "outlet": f"bench-{k % feeds:02d}",
                "slug": f"page-{k:05d}-{page_id[:12]}",
                "title": _title(html, f"Benchmark page {page_id[:12]}"),
                "html": html,
                "section": "News",
                "age_minutes": k,
            }
        )
    return out


def extraction_only(pages: Sequence[tuple[str, str]], min_seconds: float = 10.0) -> float:
    """Pages per second through ``extract_with_timeout`` in this process (failures count)."""
    from tidings import services
    from tidings.core.extract import extract_with_timeout

    timeout = services.extract_timeout()
    for _, html in pages[:5]:  # warm-up: start the extraction process, load modules
        with contextlib.suppress(ExtractionError):
            extract_with_timeout(html, "http://127.0.0.1/warm-up", timeout=timeout)
    done = 0
    started = time.perf_counter()
    while True:
        for page_id, html in pages:
            with contextlib.suppress(ExtractionError):
                extract_with_timeout(html, f"http://127.0.0.1/{page_id}", timeout=timeout)
            done += 1
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            return done / elapsed


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        {
            "TIDINGS_DATA_DIR": str(data_dir),
            "TIDINGS_DATABASE_URL": "",
            "TIDINGS_DEMO": "false",
            "TIDINGS_STARTER_FEEDS": "false",
            "TIDINGS_ALLOW_HOSTS": "127.0.0.1",
            "TIDINGS_PER_HOST_DELAY": "0",
            "TIDINGS_PER_HOST_CONCURRENCY": str(HOST_CONCURRENCY),
        }
    )
    src = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return env


def _tidings(*args: str, profile: Path | None = None) -> list[str]:
    if profile is not None:
        return [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "tidings.cli", *args]
    return [sys.executable, "-m", "tidings.cli", *args]


def ingest(feed_urls: Sequence[str], workers: int, *, profile_dir: Path | None = None) -> Run:
    """Subscribe a fresh data directory to ``feed_urls`` and time ``workers`` pollers over it."""
    from tidings.core.opml import Outline, write_opml

    with tempfile.TemporaryDirectory(prefix="tidings-bench-ingest-") as tmp:
        data_dir = Path(tmp)
        env = _env(data_dir)
        opml = data_dir / "feeds.opml"
        opml.write_bytes(
            write_opml(
                [Outline(title=u, xml_url=u, html_url=None, category=None) for u in feed_urls]
            )
        )
        subprocess.run(_tidings("import-opml", str(opml)), env=env, check=True, capture_output=True)
        cpu_before = _children_cpu()
        started = time.perf_counter()
        started_at = datetime.now(UTC)
        procs = [
            subprocess.Popen(
                _tidings(
                    "poll",
                    "--once",
                    profile=profile_dir / f"worker-{workers}-{n}.prof" if profile_dir else None,
                ),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(workers)
        ]
        errors = []
        for proc in procs:
            _, err = proc.communicate()
            if proc.returncode != 0:
                errors.append(err[-2000:])
        seconds = time.perf_counter() - started
        cpu = _children_cpu() - cpu_before
        if errors:
            raise RuntimeError("a worker failed:\n" + "\n".join(errors))
        return _figures(data_dir / "tidings.sqlite3", workers, seconds, cpu, started_at)


def _children_cpu() -> float:
    """User + system CPU seconds of the waited-for child processes (and theirs) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _figures(
    db: Path, workers: int, seconds: float, cpu: float = 0.0, started_at: datetime | None = None
) -> Run:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        states = dict(conn.execute("SELECT state, COUNT(*) FROM news_entry GROUP BY state"))
        last = conn.execute("SELECT MAX(updated_at) FROM news_entry").fetchone()[0]
        stored = conn.execute("SELECT COUNT(*) FROM news_article").fetchone()[0]
        duplicates = conn.execute(
            "SELECT COUNT(*) FROM news_article WHERE duplicate_of_id IS NOT NULL"
        ).fetchone()[0]
    processed = sum(n for state, n in states.items() if state != "pending")
    return Run(
        workers=workers,
        seconds=round(seconds, 2),
        processed=processed,
        stored=stored,
        duplicates=duplicates,
        failed=states.get("failed", 0),
        pending=states.get("pending", 0),
        cpu_seconds=round(cpu, 2),
        stored_seconds=round(_since(started_at, last) if started_at else seconds, 2),
    )


def _since(started_at: datetime, last: str | None) -> float:
    """Seconds from ``started_at`` to a stored UTC time stamp (SQLite text)."""
    if not last:
        return 0.0
    when = datetime.fromisoformat(last)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - started_at).total_seconds(), 0.0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tidings bench ingest", description=__doc__)
    parser.add_argument(
        "--pages", type=Path, default=None, help="benchmark folder (html/*.html.gz)"
    )
    parser.add_argument("--count", type=int, default=2000, help="articles to serve (default 2000)")
    parser.add_argument("--feeds", type=int, default=20, help="feeds to spread them over")
    parser.add_argument(
        "--workers", default="1,2", help="worker process counts to time (default 1,2)"
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile file per worker here")
    parser.add_argument(
        "--extract-seconds",
        type=float,
        default=10.0,
        help="how long to time extraction alone (default 10)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(list(argv) if argv is not None else None)

    folder = args.pages or default_pages()
    pages = load_pages(folder) if folder.is_dir() else []
    if not pages:
        print(
            f"tidings bench ingest: no benchmark pages (*.html.gz) in {folder}; "
            "pass --pages DIR. Skipped.",
            file=sys.stderr,
        )
        return 0
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    from tidings.core.simulator import SimCorpus, Simulator

    say = (lambda *_: None) if args.json else (lambda msg: print(msg, flush=True))
    corpus = SimCorpus.from_records(records(pages, args.count, args.feeds))
    with Simulator(corpus) as sim:
        say(
            f"{args.count} articles ({len(pages)} benchmark pages repeated under distinct URLs) "
            f"in {len(corpus.outlets)} RSS feeds, served by the simulator at {sim.base_url}/"
        )
        say(
            f"settings: TIDINGS_PER_HOST_DELAY=0, TIDINGS_PER_HOST_CONCURRENCY={HOST_CONCURRENCY} "
            "(the simulator is one host); SQLite in a fresh temporary data directory per run"
        )
        # Extraction alone is timed right before and right after the 1-process run it
        # is compared with, and their mean is used: this machine's speed drifts.
        extract_rates = [extraction_only(pages, args.extract_seconds)]
        say(f"extraction only (extract_with_timeout, 1 process): {extract_rates[0]:8.1f} pages/s")
        runs: list[Run] = []
        for n in counts:
            run = ingest(sim.feed_urls(), n, profile_dir=args.profile)
            runs.append(run)
            if n == 1:
                extract_rates.append(extraction_only(pages, args.extract_seconds))
                say(
                    "extraction only, again after it:                 "
                    f"{extract_rates[1]:8.1f} pages/s"
                )
            cpu_ms = 1000 * run.cpu_seconds / run.processed if run.processed else 0.0
            say(
                f"end to end, {n} worker process{'es' if n > 1 else ''}: {run.rate:8.1f} articles/s"
                f"  ({run.processed} entries in {run.stored_seconds:.1f}s: {run.stored} articles "
                f"stored, {run.duplicates} folded as duplicates, {run.failed} failed, "
                f"{run.pending} left pending)"
            )
            say(
                f"  through the story stage: {run.rate_with_stories:8.1f} articles/s "
                f"({run.seconds:.1f}s until the pollers exit; CPU {cpu_ms:.0f} ms per entry)"
            )
    by_workers = {r.workers: r for r in runs}
    one = by_workers.get(1)
    two = by_workers.get(2)
    extract_rate = sum(extract_rates) / len(extract_rates)
    vs_extract = one.rate / extract_rate if one and extract_rate else None
    scaling = two.rate / one.rate if one and two and one.rate else None
    if vs_extract is not None:
        say(
            f"1 process end to end / extraction only: {vs_extract:.2f}x (target >= 0.8x; "
            f"extraction only taken as the mean, {extract_rate:.1f} pages/s)"
        )
    if scaling is not None:
        say(f"2 processes / 1 process:                 {scaling:.2f}x (target >= 1.6x)")
    if args.json:
        print(
            json.dumps(
                {
                    "articles": args.count,
                    "pages": len(pages),
                    "feeds": len(corpus.outlets),
                    "extraction_only_pages_per_s": round(extract_rate, 2),
                    "extraction_only_each": [round(r, 2) for r in extract_rates],
                    "runs": [
                        {
                            **asdict(r),
                            "articles_per_s": round(r.rate, 2),
                            "articles_per_s_through_stories": round(r.rate_with_stories, 2),
                        }
                        for r in runs
                    ],
                    "one_process_vs_extraction": round(vs_extract, 3) if vs_extract else None,
                    "two_vs_one_process": round(scaling, 3) if scaling else None,
                    "settings": {
                        "TIDINGS_PER_HOST_DELAY": 0,
                        "TIDINGS_PER_HOST_CONCURRENCY": HOST_CONCURRENCY,
                        "database": "sqlite",
                    },
                },
                indent=2,
            )
        )
    return 0
