"""Golden files for feed parsing: ``<fixture>.expected.json`` beside each fixture.

Regenerate (then review the diff) with ``python -m tests.feeds._golden``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from tidings.core.feeds import ParsedFeed, parse_feed

DATA = Path(__file__).parent / "data"
FEED_URL = "https://feeds.example/dir/feed"
SUFFIXES = (".xml", ".rdf", ".json", ".atom")


def fixtures() -> list[Path]:
    return sorted(
        p
        for p in DATA.iterdir()
        if p.suffix in SUFFIXES and not p.name.endswith(".expected.json") and p.name[0] != "_"
    )


def as_json(feed: ParsedFeed) -> dict[str, Any]:
    def default(value: Any) -> str:
        return value.isoformat()

    result: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(feed), default=default))
    return result


def expected_path(path: Path) -> Path:
    return path.with_name(path.name + ".expected.json")


def main() -> None:
    for path in fixtures():
        feed = parse_feed(path.read_bytes(), url=FEED_URL)
        text = json.dumps(as_json(feed), indent=2, ensure_ascii=False) + "\n"
        expected_path(path).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
