"""``tidings bench feeds [--runs N] [--items N] [--fixtures DIR]``: feed parser speed and agreement.

Times fastfeedparser and feedparser side by side on a generated RSS 2.0 feed
and a generated Atom 1.0 feed (fictional items): the bare library call, and
the whole :func:`tidings.core.feeds.parse_with` path (decoding, the XML guard,
normalisation to :class:`~tidings.core.feeds.ParsedFeed`). Figures are the
median CPU milliseconds (of this process, so other load on the machine does not
inflate them) per parse over N runs after a warm-up.

With a fixtures directory (default: ``tests/feeds/data`` when present) it
also parses every fixture that has a reviewed ``<name>.expected.json`` with
each engine alone and lists the fields where an engine departs from it.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tidings.core.errors import FeedError
from tidings.core.feeds import Engine, ParsedFeed, parse_feed, parse_with

ENGINES: tuple[Engine, ...] = ("fastfeedparser", "feedparser")
_BASE = "https://bench.example/"


def generated_rss(items: int = 100) -> bytes:
    """A sample RSS 2.0 feed of fictional items."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        "<title>Bench Gazette (sample)</title><link>https://bench.example/</link>\n"
        "<description>Generated sample feed</description><language>en</language>\n",
    ]
    for i in range(items):
        when = (start + timedelta(hours=i)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        parts.append(
            f"<item><title>Sample story number {i} about the harbour &amp; the hills</title>"
            f"<link>https://bench.example/news/{i}?utm_source=rss</link>"
            f'<guid isPermaLink="false">bench-{i}</guid><pubDate>{when}</pubDate>'
            f"<dc:creator>Reporter {i % 7}</dc:creator><category>Section {i % 5}</category>"
            f"<description>&lt;p&gt;Summary of sample story {i}.&lt;/p&gt;</description>"
            f"<content:encoded><![CDATA[<p>Body of sample story {i}, with "
            f'<a href="/related/{i}">a link</a>.</p>' + "<p>Filler paragraph.</p>" * 5 + "]]>"
            "</content:encoded></item>\n"
        )
    parts.append("</channel>\n</rss>\n")
    return "".join(parts).encode("utf-8")


def generated_atom(items: int = 100) -> bytes:
    """A sample Atom 1.0 feed of fictional entries."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        "<title>Bench Journal (sample)</title>"
        '<link rel="alternate" href="https://bench.example/"/>'
        "<id>tag:bench.example,2024:feed</id><updated>2024-01-05T00:00:00Z</updated>\n",
    ]
    for i in range(items):
        when = (start + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        parts.append(
            f"<entry><title>Sample entry {i}</title>"
            f'<link rel="alternate" href="https://bench.example/posts/{i}"/>'
            f"<id>tag:bench.example,2024:{i}</id><published>{when}</published>"
            f"<updated>{when}</updated><author><name>Writer {i % 4}</name></author>"
            f'<category term="topic-{i % 6}"/><summary>Summary of entry {i}.</summary>'
            f'<content type="html">&lt;p&gt;Body of entry {i}.&lt;/p&gt;'
            + "&lt;p&gt;Filler paragraph.&lt;/p&gt;" * 5
            + "</content></entry>\n"
        )
    parts.append("</feed>\n")
    return "".join(parts).encode("utf-8")


def _median_ms(func: Callable[[], object], runs: int) -> float:
    func()  # warm-up (imports, caches)
    times = []
    for _ in range(runs):
        start = time.process_time()
        func()
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


def _raw(engine: Engine, content: bytes) -> Callable[[], object]:
    if engine == "fastfeedparser":
        import fastfeedparser

        return lambda: fastfeedparser.parse(content)
    import feedparser

    return lambda: feedparser.parse(io.BytesIO(content))


def _full(engine: Engine | None, content: bytes) -> Callable[[], object]:
    if engine is None:
        return lambda: parse_feed(content, url=_BASE)
    return lambda: parse_with(content, url=_BASE, engine=engine)


def _as_json(feed: ParsedFeed) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(
        json.dumps(dataclasses.asdict(feed), default=lambda v: v.isoformat())
    )
    return result


def _differences(got: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    fields = [k for k in expected if k != "entries" and got.get(k) != expected[k]]
    got_entries, want_entries = got.get("entries", []), expected.get("entries", [])
    if len(got_entries) != len(want_entries):
        fields.append(f"entries ({len(got_entries)} != {len(want_entries)})")
    for i, (a, b) in enumerate(zip(got_entries, want_entries, strict=False)):
        fields += [f"entries[{i}].{k}" for k in b if a.get(k) != b[k]]
    return fields


def _agreement(directory: Path, url: str) -> int:
    rows = 0
    print(f"\nAgreement with the reviewed expectations in {directory}:")
    for expected_file in sorted(directory.glob("*.expected.json")):
        fixture = expected_file.with_name(expected_file.name.removesuffix(".expected.json"))
        if not fixture.exists():
            continue
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
        cells = []
        for engine in ENGINES:
            try:
                got = _as_json(parse_with(fixture.read_bytes(), url=url, engine=engine))
            except FeedError as exc:
                cells.append(f"{engine}: error {exc.code}")
                continue
            diff = _differences(got, expected)
            cells.append(f"{engine}: " + ("ok" if not diff else "differs in " + ", ".join(diff)))
        print(f"  {fixture.name:36} " + " | ".join(cells))
        rows += 1
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tidings bench feeds", description=__doc__)
    parser.add_argument("--runs", type=int, default=50, help="timed runs per figure (median)")
    parser.add_argument("--items", type=int, default=100, help="items in each generated feed")
    parser.add_argument("--fixtures", type=Path, default=None, help="golden fixtures directory")
    args = parser.parse_args(list(argv) if argv is not None else None)

    feeds = {"RSS 2.0": generated_rss(args.items), "Atom 1.0": generated_atom(args.items)}
    print(f"Median CPU ms per parse of a {args.items}-item feed ({args.runs} runs after a warm-up)")
    print(f"{'feed':10} {'what':26} {'fastfeedparser':>15} {'feedparser':>12} {'ratio':>7}")
    for name, content in feeds.items():
        rows: dict[str, list[float]] = {"library call": [], "parse_with (full path)": []}
        for engine in ENGINES:
            rows["library call"].append(_median_ms(_raw(engine, content), args.runs))
            full = parse_with(content, url=_BASE, engine=engine)
            assert len(full.entries) == args.items
            rows["parse_with (full path)"].append(_median_ms(_full(engine, content), args.runs))
        for what, (fast, slow) in rows.items():
            print(f"{name:10} {what:26} {fast:15.2f} {slow:12.2f} {slow / fast:6.1f}x")
        default = _median_ms(_full(None, content), args.runs)
        print(f"{name:10} {'parse_feed (default)':26} {default:15.2f}")

    fixtures = args.fixtures
    if fixtures is None:
        candidate = Path(__file__).resolve().parents[3] / "tests" / "feeds" / "data"
        fixtures = candidate if candidate.is_dir() else None
    if fixtures is not None:
        _agreement(fixtures, "https://feeds.example/dir/feed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
