"""The story engine's reading (``whole_sentences=False``) of every article of a corpus.

Dump it with one checkout's ``src`` first on ``PYTHONPATH`` and compare with another's:

    PYTHONPATH=old/src:. python -m tests.entities._engine_reading dump old.json
    PYTHONPATH=new/src:. python -m tests.entities._engine_reading dump new.json
    python -m tests.entities._engine_reading compare old.json new.json

The engine's fitted model depends on exactly that reading: any difference is a failure.
Articles are read as English (no language given): an article in another language is
read past its own sentence starters, which the model, fitted on English, never saw.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.entities._evaluate import EVENTS_DEV


def dump(corpus: Path, out: Path) -> int:
    from tidings.core.entities import extract_entities
    from tidings.demo import load_corpus

    readings: dict[str, list[list[object]]] = {}
    with corpus.open(encoding="utf-8") as f:
        for article in map(json.loads, f):
            readings[article["id"]] = [
                [e.name, e.kind, e.slug, e.weight]
                for e in extract_entities(article["title"], article["text"], whole_sentences=False)
            ]
    for demo in load_corpus():
        readings["demo:" + demo.key] = [
            [e.name, e.kind, e.slug, e.weight]
            for e in extract_entities(demo.title, demo.text, None, whole_sentences=False)
        ]
    out.write_text(json.dumps(readings, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    print(f"{len(readings)} articles, {sum(map(len, readings.values()))} entities -> {out}")
    return 0


def compare(old: Path, new: Path) -> int:
    a = json.loads(old.read_text(encoding="utf-8"))
    b = json.loads(new.read_text(encoding="utf-8"))
    differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    for k in differ[:10]:
        print("differs:", k)
    print(f"{len(a)} articles compared, {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        sys.exit(dump(Path(sys.argv[3]) if len(sys.argv) > 3 else EVENTS_DEV, Path(sys.argv[2])))
    sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
