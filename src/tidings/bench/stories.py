"""``tidings bench stories``: story clustering and related-article quality and speed.

    tidings bench stories CORPUS.jsonl [--json] [--in-memory] [--embedder SPEC]
    tidings bench stories --synthetic 100000 [--embedder SPEC]

With a corpus, articles are added online in file order, through the same storage and
assignment code as ingested articles, into a fresh temporary database (``--in-memory``
runs the story engine alone). ``--json`` prints only
``{"stories": {id: story_id}, "related": {id: [id, ... top 10]}}``; otherwise a table of
pairwise F1, B-cubed F1, hit@1 and P@5 is printed when the rows carry an ``event`` (or
``topic``) label: with ``topic`` labels (``topics-dev.jsonl``) hit@1 and P@5 measure
related articles by topic. ``--synthetic N`` streams N generated articles and prints
throughput, assignment latency percentiles, related-query p99 and peak memory.
``--embedder SPEC`` sets the ``EMBEDDER`` setting for the run (``builtin``, ``minilm``,
``openai:MODEL``, ...; ``none`` runs without embeddings), to compare backends side by side.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from tidings.core.stories import (
    Embedder,
    StoryEngine,
    StoryInput,
    evaluate,
    evaluate_related,
    evaluate_related_by_label,
)
from tidings.core.stories.train import load_jsonl, to_input


def run_corpus_db(
    path: str,
) -> tuple[dict[str, str], dict[str, list[str]], list[dict[str, object]]]:
    """The product path: a fresh temporary database, articles stored and assigned as ingested."""
    import os
    import tempfile

    rows = load_jsonl(path)
    with tempfile.TemporaryDirectory(prefix="tidings-bench-stories-") as data_dir:
        os.environ["TIDINGS_DATA_DIR"] = data_dir
        os.environ["TIDINGS_DATABASE_URL"] = ""
        os.environ["DJANGO_SETTINGS_MODULE"] = "tidings.web.settings"
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", interactive=False, verbosity=0)
        from django.db import connections

        from tidings.news import corpus

        ids = corpus.ingest_records(rows)
        out = corpus.results(ids)
        connections.close_all()
    return out["stories"], out["related"], rows


def _embedder() -> Embedder | None:
    from tidings import services

    return services.embedder()


def run_corpus(path: str) -> tuple[dict[str, str], dict[str, list[str]], list[dict[str, object]]]:
    rows = load_jsonl(path)
    engine = StoryEngine(embedder=_embedder())
    for row in rows:
        engine.add(to_input(row))
    stories = engine.stories()
    related = {
        str(row["id"]): [item.article_id for item in engine.related(str(row["id"]), k=10)]
        for row in rows
    }
    return stories, related, rows


def _syllables(rng: np.random.Generator, count: int) -> list[str]:
    consonants = list("bcdfghjklmnprstvz")
    vowels = list("aeiou")
    words: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        n = int(rng.integers(2, 4))
        word = "".join(str(rng.choice(consonants)) + str(rng.choice(vowels)) for _ in range(n))
        if word not in words:
            words.add(word)
            out.append(word)
    return out


def synthetic_stream(n: int, seed: int = 7) -> Iterator[StoryInput]:
    """``n`` generated articles: events of 1-12 articles over a Zipf background vocabulary."""
    rng = np.random.default_rng(seed)
    vocab = _syllables(rng, 30_000)
    zipf = 1.0 / np.arange(1, len(vocab) + 1)
    zipf /= zipf.sum()
    names = [w.capitalize() for w in _syllables(rng, 20_000)]
    outlets = [f"outlet{i}.example" for i in range(300)]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    active: list[tuple[list[str], list[str], int]] = []
    produced = 0
    while produced < n:
        if not active or rng.random() < 0.25:
            topic = [vocab[int(i)] for i in rng.integers(2000, len(vocab), 10)]
            people = [
                f"{names[int(rng.integers(len(names)))]} {names[int(rng.integers(len(names)))]}"
                for _ in range(3)
            ]
            active.append((topic, people, int(rng.integers(1, 13))))
            if len(active) > 40:
                active.pop(0)
        slot = int(rng.integers(len(active)))
        topic, people, left = active[slot]
        background = [vocab[int(i)] for i in rng.choice(len(vocab), 160, p=zipf)]
        event_words = [topic[int(i)] for i in rng.integers(0, len(topic), 40)]
        body = background + event_words
        order = rng.permutation(len(body))
        words = [body[int(i)] for i in order]
        sentences = [" ".join(words[i : i + 20]) for i in range(0, len(words), 20)]
        sentences = [f"{s.capitalize()}, said {people[j % 3]}." for j, s in enumerate(sentences)]
        title = f"{people[0]} " + " ".join(topic[int(i)] for i in rng.integers(0, 10, 5))
        yield StoryInput(
            id=f"s{produced}",
            title=title,
            text=" ".join(sentences),
            source=outlets[int(rng.integers(len(outlets)))],
            published=start + timedelta(minutes=3 * produced),
        )
        produced += 1
        if left <= 1:
            active.pop(slot)
        else:
            active[slot] = (topic, people, left - 1)


def run_synthetic(n: int) -> dict[str, float]:
    engine = StoryEngine(embedder=_embedder())
    latencies = np.zeros(n)
    began = time.perf_counter()
    for i, article in enumerate(synthetic_stream(n)):
        t0 = time.perf_counter()
        engine.add(article)
        latencies[i] = time.perf_counter() - t0
        if (i + 1) % 10_000 == 0:
            print(
                f"  {i + 1} articles, last-10k p50 "
                f"{np.percentile(latencies[i - 9999 : i + 1], 50) * 1000:.1f} ms",
                file=sys.stderr,
            )
    elapsed = time.perf_counter() - began
    rng = np.random.default_rng(11)
    related_lat = []
    for idx in rng.integers(0, n, 1000):
        t0 = time.perf_counter()
        engine.related(f"s{int(idx)}", k=10)
        related_lat.append(time.perf_counter() - t0)
    tail = latencies[max(0, n - 10_000) :]
    return {
        "articles": float(n),
        "throughput_per_s": n / elapsed,
        "assign_p50_ms": float(np.percentile(latencies, 50) * 1000),
        "assign_p99_ms": float(np.percentile(latencies, 99) * 1000),
        "assign_last10k_p50_ms": float(np.percentile(tail, 50) * 1000),
        "assign_last10k_p99_ms": float(np.percentile(tail, 99) * 1000),
        "related_p50_ms": float(np.percentile(related_lat, 50) * 1000),
        "related_p99_ms": float(np.percentile(related_lat, 99) * 1000),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tidings bench stories", description=__doc__.splitlines()[0]
    )
    parser.add_argument("corpus", nargs="?", help="JSONL articles (id, title, text, source, ...)")
    parser.add_argument("--json", action="store_true", help="print only stories and related ids")
    parser.add_argument("--synthetic", type=int, metavar="N", help="stream N generated articles")
    parser.add_argument(
        "--in-memory",
        action="store_true",
        help="run the story engine alone instead of the database path the product uses",
    )
    parser.add_argument(
        "--embedder",
        metavar="SPEC",
        help="EMBEDDER for this run: builtin, minilm, openai:MODEL, ... or none",
    )
    args = parser.parse_args(argv)
    if args.embedder:
        import os

        from tidings import services

        os.environ["TIDINGS_EMBEDDER"] = args.embedder
        services.reset()
    if args.synthetic:
        result = run_synthetic(args.synthetic)
        if args.json:
            print(json.dumps(result))
        else:
            for key, value in result.items():
                print(f"{key:24} {value:12.2f}")
        return 0
    if not args.corpus:
        parser.error("give a CORPUS.jsonl or --synthetic N")
    runner = run_corpus if args.in_memory else run_corpus_db
    stories, related, rows = runner(args.corpus)
    if args.json:
        print(json.dumps({"stories": stories, "related": related}))
        return 0
    label_key = next((k for k in ("event", "topic") if rows and k in rows[0]), None)
    print(f"articles {len(rows)}  stories {len(set(stories.values()))}")
    if label_key is None:
        return 0
    labels = {str(r["id"]): str(r[label_key]) for r in rows}
    figures = evaluate(stories, labels) if label_key == "event" else {}
    figures.update(evaluate_related(related, labels))
    for key, value in figures.items():
        print(f"{key:20} {value:8.3f}")
    if label_key == "topic":
        print(f"\n{'by topic':32}{'articles':>9}{'hit@1':>8}{'P@5':>8}")
        for label, row in evaluate_related_by_label(related, labels).items():
            print(
                f"{label[:32]:32}{int(row['queries']):>9}"
                f"{row['hit_at_1']:>8.3f}{row['p_at_5']:>8.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
