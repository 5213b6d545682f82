"""Golden pairs on sample pages written for this suite (fictional outlets and stories)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from tidings.core.extract import ExtractionError, extract

DATA = Path(__file__).parent / "data"
PAGES = sorted(p.name.removesuffix(".html") for p in DATA.glob("*.html"))


@pytest.mark.parametrize("name", PAGES)
def test_text_matches_golden(name: str) -> None:
    article = extract((DATA / f"{name}.html").read_bytes(), f"https://{name}.example/story")
    expected = (DATA / f"{name}.expected.txt").read_text(encoding="utf-8").strip()
    assert article.text == expected
    assert article.word_count == len(re.findall(r"\w+", article.text))


@pytest.mark.parametrize("name", PAGES)
def test_metadata_matches_golden(name: str) -> None:
    expected = json.loads((DATA / f"{name}.expected.json").read_text(encoding="utf-8"))
    article = extract((DATA / f"{name}.html").read_bytes(), expected.pop("page_url"))
    for field, value in expected.items():
        got = getattr(article, field)
        if isinstance(got, datetime):
            assert got.tzinfo is not None
            assert got == datetime.fromisoformat(value), field
        else:
            assert got == value, field


def test_html_is_sanitized_and_structured() -> None:
    article = extract((DATA / "harbour-wire.html").read_bytes(), "https://ledger.example/x")
    assert article.html.startswith("<p>PORT MERIDIAN")
    assert "<h2>Backlog to clear by April</h2>" in article.html
    for junk in ("<script", "<figure", "Advertisement", "cookie", "newsletter", "Sign up"):
        assert junk not in article.html


def test_page_without_article_raises() -> None:
    page = b"<html><body><nav><a href='/'>Home</a> <a href='/a'>About</a></nav></body></html>"
    with pytest.raises(ExtractionError) as info:
        extract(page, "https://empty.example/")
    assert info.value.code == "extraction"
    assert info.value.url == "https://empty.example/"


@pytest.mark.parametrize("page", [b"", b"   ", "\x00\x00"])
def test_empty_input_raises(page: bytes | str) -> None:
    with pytest.raises(ExtractionError):
        extract(page)


def test_bytes_in_declared_charset() -> None:
    body = "<p>" + "Le café du port rouvre ses portes après l'été, annonce la mairie. " * 4 + "</p>"
    page = f'<html><head><meta charset="iso-8859-1"></head><body>{body}</body></html>'
    article = extract(page.encode("iso-8859-1"))
    assert "Le café du port" in article.text


def _page(head: str, body: str) -> bytes:
    paragraph = "<p>" + "Ferries sailed again from the north quay on Tuesday morning. " * 6 + "</p>"
    return f"<html><head>{head}</head><body><article>{body}{paragraph}</article></body></html>".encode()


def test_lead_image_words_come_from_its_tags_or_its_figure() -> None:
    url = "https://ledger.example/news/ferries"
    # The page shows the picture in another size than its OpenGraph tag names.
    sized = extract(
        _page(
            '<meta property="og:image" content="https://cdn.example/1200/ferry-quay-1200x675.jpg">',
            '<img src="/logo.png" alt="The Ledger"><figure><div><img '
            'src="https://cdn.example/640/ferry-quay-640x360.jpg?w=640" alt="A ferry at the quay">'
            "</div><figcaption>The 7.40 sailing leaves the north quay.\n"
            "<span>Photo: Ledger Pictures</span></figcaption></figure>",
        ),
        url,
    )
    assert sized.lead_image_alt == "A ferry at the quay"
    assert (
        sized.lead_image_caption == "The 7.40 sailing leaves the north quay. Photo: Ledger Pictures"
    )
    # Its tags say it first; a file name is no description; none found is None.
    tagged = extract(
        _page(
            '<meta property="og:image" content="/img/ferry.jpg">'
            '<meta property="og:image:alt" content="Passengers board a ferry">',
            '<img src="/img/ferry.jpg" alt="ferry.jpg">',
        ),
        url,
    )
    assert tagged.lead_image_alt == "Passengers board a ferry"
    assert tagged.lead_image_caption is None
    bare = extract(
        _page('<meta property="og:image" content="/img/ferry.jpg">', '<img src="/img/ferry.jpg">'),
        url,
    )
    assert bare.lead_image_alt is None and bare.lead_image_caption is None
    # JSON-LD's image caption; a very long description is cut at a word.
    ld = json.dumps(
        {
            "@type": "NewsArticle",
            "headline": "Ferries sail again",
            "image": {"@type": "ImageObject", "url": "/img/f.jpg", "caption": "Ferries, " * 80},
        }
    )
    long = extract(
        _page(
            f'<script type="application/ld+json">{ld}</script>'
            f'<meta property="og:image:alt" content="{"a ferry " * 60}">',
            "",
        ),
        url,
    )
    assert long.lead_image_caption is not None and long.lead_image_caption.endswith("Ferries,…")
    assert len(long.lead_image_caption) <= 500
    assert long.lead_image_alt is not None and len(long.lead_image_alt) <= 300
