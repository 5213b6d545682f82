"""The reference aggregator page's articles, ingested together (read from shared/ at run time).

Reuters' "Kim seen draping coffins" and the Telegraph's "Kim Jong-un weeps" are one
story; "Germany sends navy to Arctic" shares only Russia and must not be related.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tidings.news import assign, corpus
from tidings.news.models import Article, RelatedLink

REFERENCE = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "daily8-article-page.txt"
)


def _records() -> list[dict[str, str]]:
    if not REFERENCE.exists():
        pytest.skip("shared reference page not available")
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip())
    end = next(i for i, line in enumerate(lines) if line.startswith("Try Our AI Features"))
    body = [line for line in lines[start + 1 : end] if line.strip()]
    records = [
        {
            "id": "reuters-kim",
            "source": "Reuters",
            "title": lines[start].strip(),
            "text": "\n".join(body),
        }
    ]
    rest = lines[
        next(i for i, line in enumerate(lines) if line.startswith("Related Articles")) + 1 :
    ]
    blocks: list[list[str]] = []
    for line in rest:
        if line.strip():
            if blocks and not blocks[-1]:
                blocks[-1].append(line.strip())
            elif not blocks:
                blocks.append([line.strip()])
            else:
                blocks[-1].append(line.strip())
        elif blocks and blocks[-1]:
            blocks.append([])
    for n, block in enumerate(b for b in blocks if len(b) >= 5):
        source, _age, _dash, title, *text = block
        records.append(
            {"id": f"card-{n}", "source": source, "title": title, "text": "\n".join(text)}
        )
    return records


@pytest.mark.django_db(transaction=True)
def test_kim_reports_are_one_story_and_the_navy_is_not_related() -> None:
    assign.reset_cache()
    records = _records()
    by_title = {r["title"]: r["id"] for r in records}
    telegraph_kim = next(i for t, i in by_title.items() if "weeps" in t)
    navy = next(i for t, i in by_title.items() if "navy" in t.lower())
    ids = corpus.ingest_records(records)
    kim = Article.objects.get(pk=ids["reuters-kim"])
    other = Article.objects.get(pk=ids[telegraph_kim])
    assert kim.story_id == other.story_id
    related = set(RelatedLink.objects.filter(article=kim).values_list("related_id", flat=True))
    assert ids[telegraph_kim] in related
    assert ids[navy] not in related
    reason = RelatedLink.objects.get(article=kim, related_id=ids[telegraph_kim]).reason
    assert reason == "Same story"
    assign.reset_cache()
