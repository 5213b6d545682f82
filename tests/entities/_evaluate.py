"""Kind accuracy and junk rate of the topics shown, against hand-made labels.

``data/entity_labels.jsonl`` holds one labelled name a line: ``set`` is ``demo`` (every
topic shown for the demo corpus, labelled by name) or ``events-dev`` (a seeded sample of
the topics shown for the labelled news corpus, with the article's id). ``kind`` is the
true kind, ``a|b`` when either reading is right, ``junk`` (no name, or nothing worth a
tag) or ``mangled`` (a name cut or glued wrong). Rows that are not names keep only a key
of their slug.

Run ``python -m tests.entities._evaluate`` for the figures.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tidings.core.entities import WORD, Entity, extract_entities, slugify

LABELS = Path(__file__).with_name("data") / "entity_labels.jsonl"
EVENTS_DEV = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "corpora"
    / "stories"
    / "events-dev.jsonl"
)
if not EVENTS_DEV.exists():
    EVENTS_DEV = Path("/work/shared/corpora/stories/events-dev.jsonl")
BAD = {"junk", "mangled"}
SHOWN = 12  # as many as an article shows (news.assign._persist_topics)


def shown(title: str, text: str, language: str | None = None) -> list[Entity]:
    """The topics an article's page shows, as ``_persist_topics`` picks them."""
    out: list[Entity] = []
    seen: set[str] = set()
    for entity in [e for e in extract_entities(title, text, language) if e.kind != WORD][:SHOWN]:
        slug = entity.slug[:120]
        if slug and slug not in seen:
            seen.add(slug)
            out.append(entity)
    return out


def key(slug: str) -> str:
    return hashlib.sha1(slug.encode()).hexdigest()[:16]


def labels(which: str) -> list[dict[str, str]]:
    with LABELS.open(encoding="utf-8") as f:
        return [row for row in map(json.loads, f) if row["set"] == which]


def _right(kind: str, label: str) -> bool:
    return label not in BAD and kind in label.split("|")


def demo_figures() -> dict[str, Any]:
    """Every topic shown for the demo corpus, each (article, topic) counted once."""
    from tidings.demo import load_corpus

    by_slug = {slugify(row["name"]): row["kind"] for row in labels("demo")}
    tally: Counter[str] = Counter()
    unlabelled: list[str] = []
    wrong: list[tuple[str, str, str]] = []
    for article in load_corpus():
        for entity in shown(article.title, article.text, article.language):
            label = by_slug.get(entity.slug)
            if label is None:
                unlabelled.append(entity.name)
                continue
            tally["shown"] += 1
            if label in BAD:
                tally["bad"] += 1
                wrong.append((entity.name, entity.kind, label))
            else:
                tally["real"] += 1
                if _right(entity.kind, label):
                    tally["right"] += 1
                else:
                    wrong.append((entity.name, entity.kind, label))
    return {
        "shown": tally["shown"],
        "kind_accuracy": round(tally["right"] / max(1, tally["real"]), 4),
        "junk_rate": round(tally["bad"] / max(1, tally["shown"]), 4),
        "right": tally["right"],
        "real": tally["real"],
        "bad": tally["bad"],
        "unlabelled": sorted(set(unlabelled)),
        "wrong": sorted(set(wrong)),
    }


def _events() -> Iterator[dict[str, str]]:
    with EVENTS_DEV.open(encoding="utf-8") as f:
        yield from map(json.loads, f)


def events_figures() -> dict[str, Any]:
    """The labelled sample: real names shown with the right kind (a real name no longer
    shown counts as wrong), and the share of junk among the sampled topics still shown."""
    rows = labels("events-dev")
    wanted = {row["article"] for row in rows}
    articles = {a["id"]: a for a in _events() if a["id"] in wanted}
    tally: Counter[str] = Counter()
    wrong: list[tuple[str, str, str]] = []
    cache: dict[str, dict[str, Entity]] = {}
    for row in rows:
        if row["article"] not in cache:
            article = articles[row["article"]]
            cache[row["article"]] = {
                key(e.slug): e for e in shown(article["title"], article["text"])
            }
        found = cache[row["article"]].get(
            key(slugify(row["name"])) if "name" in row else row["key"]
        )
        label = row["kind"]
        if label in BAD:
            tally["bad"] += 1
            if found is not None:
                tally["bad_shown"] += 1
                tally["shown"] += 1
            continue
        tally["real"] += 1
        if found is None:
            tally["real_hidden"] += 1
            wrong.append((row["name"], "-", label))
            continue
        tally["shown"] += 1
        if _right(found.kind, label):
            tally["right"] += 1
        else:
            wrong.append((row["name"], found.kind, label))
    return {
        "sampled": len(rows),
        "kind_accuracy": round(tally["right"] / max(1, tally["real"]), 4),
        "junk_rate": round(tally["bad_shown"] / max(1, tally["shown"]), 4),
        "right": tally["right"],
        "real": tally["real"],
        "real_hidden": tally["real_hidden"],
        "bad_labelled": tally["bad"],
        "bad_still_shown": tally["bad_shown"],
        "shown": tally["shown"],
        "wrong": sorted(set(wrong)),
    }


if __name__ == "__main__":
    import sys

    verbose = "-v" in sys.argv
    for name, figures in (("demo", demo_figures()), ("events-dev", events_figures())):
        if not verbose:
            figures = {k: v for k, v in figures.items() if k not in ("wrong",)}
        print(name, json.dumps(figures, ensure_ascii=False, indent=None))
