"""Article extraction: clean text, sanitized HTML and metadata from a news page.

``extract`` runs in the calling process; ``extract_with_timeout`` runs it in a
persistent worker process that is replaced when a page takes too long, so a
pathological page is recorded as failed instead of hanging the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from tidings.core.errors import ExtractionError, ExtractionTimeoutError
from tidings.core.extract._body import extract_blocks
from tidings.core.extract._clean import clean
from tidings.core.extract._meta import extract_meta
from tidings.core.extract._parse import decode, parse
from tidings.core.extract._text import find_dateline, paywall_line, render_html, render_text
from tidings.core.extract._worker import QUEUED as PAGES_AT_ONCE

__all__ = [
    "PAGES_AT_ONCE",
    "ExtractedArticle",
    "ExtractionError",
    "ExtractionTimeoutError",
    "extract",
    "extract_with_timeout",
]


@dataclass(frozen=True)
class ExtractedArticle:
    """What Tidings keeps of an article page."""

    title: str | None
    byline: str | None
    dateline: str | None
    published: datetime | None
    updated: datetime | None
    lead_image: str | None
    language: str | None
    site_name: str | None
    description: str | None
    canonical_url: str | None
    text: str
    html: str
    paywalled: bool
    word_count: int
    #: What the lead image shows (alt text), and its caption with the credit.
    lead_image_alt: str | None = None
    lead_image_caption: str | None = None

    @classmethod
    def from_text(
        cls,
        text: str,
        *,
        title: str | None,
        published: datetime | None = None,
        language: str | None = None,
    ) -> ExtractedArticle:
        """An article known only by its plain text (paragraphs apart on blank or single
        lines), as a corpus or a test gives it: its HTML is those paragraphs."""
        paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
        return cls(
            title=title,
            byline=None,
            dateline=None,
            published=published,
            updated=None,
            lead_image=None,
            language=language,
            site_name=None,
            description=None,
            canonical_url=None,
            text="\n\n".join(paragraphs),
            html="".join(f"<p>{p}</p>" for p in paragraphs),
            paywalled=False,
            word_count=len(text.split()),
        )


_WORD = re.compile(r"\w+")
MIN_WORDS = 20
#: A text this short on a page with paywall markup is taken as truncated.
SHORT_WORDS = 250


def _language(declared: str | None, text: str) -> str | None:
    if declared and re.fullmatch(r"[a-z]{2,3}", declared):
        return declared
    if not text:
        return None
    import py3langid

    lang, _ = py3langid.classify(text[:2000])
    return str(lang)


def extract(html: str | bytes, url: str | None = None) -> ExtractedArticle:
    """Extract the article of one page.

    Raises:
        ExtractionError: the page is empty, unparseable, absurdly large, or holds no article text.
    """
    try:
        tree = parse(decode(html), url)
        meta = extract_meta(tree, url)
        paywall_hint = clean(tree)
        blocks = extract_blocks(tree, url, meta.title)
    except ExtractionError:
        raise
    except (ValueError, TypeError, RecursionError, MemoryError) as exc:
        raise ExtractionError(f"extraction failed: {exc.__class__.__name__}", url=url) from exc
    paywalled = meta.accessible_for_free is False
    while blocks and paywall_line(blocks[-1].text):
        blocks.pop()
        paywalled = True
    text = render_text(blocks)
    words = len(_WORD.findall(text))
    if paywall_hint and words < SHORT_WORDS:
        paywalled = True
    if words < MIN_WORDS and not (paywalled and words):
        raise ExtractionError("no article text found", url=url)
    return ExtractedArticle(
        title=meta.title,
        byline=meta.byline,
        dateline=find_dateline(text),
        published=meta.published,
        updated=meta.updated,
        lead_image=meta.lead_image,
        lead_image_alt=meta.lead_image_alt,
        lead_image_caption=meta.lead_image_caption,
        language=_language(meta.language, text),
        site_name=meta.site_name,
        description=meta.description,
        canonical_url=meta.canonical_url,
        text=text,
        html=render_html(blocks),
        paywalled=paywalled,
        word_count=words,
    )


def extract_with_timeout(
    html: str | bytes, url: str | None = None, timeout: float = 10.0
) -> ExtractedArticle:
    """Like :func:`extract`, bounded by ``timeout`` seconds.

    Raises:
        ExtractionTimeoutError: the page took longer than ``timeout`` (the worker is replaced).
        ExtractionError: as :func:`extract`.
    """
    from tidings.core.extract._worker import run

    return run(html, url, timeout)
