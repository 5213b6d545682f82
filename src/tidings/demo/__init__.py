"""The Tidings demo corpus: fictional outlets and articles written for the project.

Everything here is sample content. The outlets, people, places, companies and events
are invented; the text was written for Tidings so that the demo, the tests and the
benchmarks have something realistic to chew on without copying any publisher's work.

The corpus is shaped to exercise the whole pipeline:

* one big story (the Port Averly earthquake) covered by many outlets, with a first
  report, follow-ups and figures that change over time;
* several mid-sized stories (3–6 articles) and a handful of single-article stories;
* syndicated duplicates: one wire story republished by two or three outlets with a
  different headline or an added line (they must fold as near-duplicates);
* a loosely related article (``loosely_related``) that shares only broad words with
  the big story and must not be shown as related to it;
* a few articles in French.

Ages are stored as ``age_minutes`` (how long before "now" an article was published),
so the demo always looks fresh. Use :func:`load_corpus`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "DemoArticle",
    "DemoCorpus",
    "DemoOutlet",
    "LeadImage",
    "load_corpus",
]

SAMPLE_NOTICE = "Sample content for the Tidings demo — fictional outlet, people and events."


@dataclass(frozen=True, slots=True)
class DemoOutlet:
    """A fictional publisher."""

    slug: str
    name: str
    homepage_path: str
    language: str
    country: str
    color: str
    tagline: str
    kind: str


@dataclass(frozen=True, slots=True)
class LeadImage:
    """Description of an article's lead image (the picture itself is generated)."""

    alt: str
    caption: str
    credit: str


@dataclass(frozen=True, slots=True)
class DemoArticle:
    """One fictional article.

    ``story`` is the ground-truth story label, for evaluation only: the product must
    find stories by itself. ``syndicated_from`` is ``"outlet/slug"`` of the original
    when the article is a republished wire copy.
    """

    outlet: str
    slug: str
    title: str
    byline: str
    dateline: str
    age_minutes: int
    section: str
    language: str
    lead_image: LeadImage
    paragraphs: tuple[str, ...]
    story: str
    syndicated_from: str | None = None
    sample: bool = True

    @property
    def key(self) -> str:
        """``"outlet/slug"``, unique in the corpus."""
        return f"{self.outlet}/{self.slug}"

    @property
    def text(self) -> str:
        """The body as plain text, paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


@dataclass(frozen=True, slots=True)
class DemoCorpus:
    """All outlets and articles of the demo, plus the evaluation labels."""

    outlets: tuple[DemoOutlet, ...]
    articles: tuple[DemoArticle, ...]
    note: str
    loosely_related: dict[str, str] = field(default_factory=dict)
    """Story label -> label of the story it shares only broad words with."""
    sample: bool = True

    def outlet(self, slug: str) -> DemoOutlet:
        for outlet in self.outlets:
            if outlet.slug == slug:
                return outlet
        raise KeyError(slug)

    def article(self, key: str) -> DemoArticle:
        """Look an article up by ``"outlet/slug"``."""
        for article in self.articles:
            if article.key == key:
                return article
        raise KeyError(key)

    def articles_of(self, outlet_slug: str) -> list[DemoArticle]:
        """An outlet's articles, newest first."""
        found = [a for a in self.articles if a.outlet == outlet_slug]
        return sorted(found, key=lambda a: a.age_minutes)

    def stories(self) -> dict[str, list[DemoArticle]]:
        """Story label -> its articles, oldest first."""
        result: dict[str, list[DemoArticle]] = {}
        for article in sorted(self.articles, key=lambda a: -a.age_minutes):
            result.setdefault(article.story, []).append(article)
        return result

    def syndicated_groups(self) -> dict[str, list[DemoArticle]]:
        """Original key -> the original followed by its republished copies."""
        groups: dict[str, list[DemoArticle]] = {}
        for article in self.articles:
            if article.syndicated_from:
                original = self.article(article.syndicated_from)
                groups.setdefault(original.key, [original]).append(article)
        return groups

    def __iter__(self) -> Iterator[DemoArticle]:
        return iter(self.articles)

    def __len__(self) -> int:
        return len(self.articles)


def _data_files() -> Iterator[tuple[str, str]]:
    """``outlets.json`` then every ``story-*.json`` shipped next to this module."""
    root = resources.files(__name__)
    yield "outlets.json", root.joinpath("outlets.json").read_text(encoding="utf-8")
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.startswith("story-") and entry.name.endswith(".json"):
            yield entry.name, entry.read_text(encoding="utf-8")


def _article(
    raw: dict[str, Any], *, story: str | None, outlets: dict[str, DemoOutlet]
) -> DemoArticle:
    outlet = outlets[raw["outlet"]]
    image = raw["lead_image"]
    return DemoArticle(
        outlet=outlet.slug,
        slug=raw["slug"],
        title=raw["title"],
        byline=raw["byline"],
        dateline=raw["dateline"],
        age_minutes=int(raw["age_minutes"]),
        section=raw["section"],
        language=raw.get("language", outlet.language),
        lead_image=LeadImage(alt=image["alt"], caption=image["caption"], credit=image["credit"]),
        paragraphs=tuple(raw["paragraphs"]),
        story=raw.get("story", story or ""),
        syndicated_from=raw.get("syndicated_from"),
    )


@cache
def load_corpus() -> DemoCorpus:
    """Read the demo corpus shipped inside the package (cached; the result is immutable)."""
    files = dict(_data_files())
    outlets_doc = json.loads(files.pop("outlets.json"))
    outlets = tuple(DemoOutlet(**raw) for raw in outlets_doc["outlets"])
    by_slug = {o.slug: o for o in outlets}
    articles: list[DemoArticle] = []
    loosely: dict[str, str] = {}
    for _name, text in sorted(files.items()):
        doc = json.loads(text)
        story = doc.get("story")
        if story and doc.get("loosely_related_to"):
            loosely[story] = doc["loosely_related_to"]
        articles.extend(_article(raw, story=story, outlets=by_slug) for raw in doc["articles"])
    return DemoCorpus(
        outlets=outlets,
        articles=tuple(articles),
        note=outlets_doc["note"],
        loosely_related=loosely,
    )
