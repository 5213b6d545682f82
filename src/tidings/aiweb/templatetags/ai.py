"""``{% load ai %}``: the article body with sentence anchors for AI citations.

``{{ article|ai_body }}`` (or ``{% ai_body article %}``) renders the article with an
anchor ``id="s-N"`` at the start of every sentence, numbered exactly as
:func:`tidings.core.ai.article_sentences` numbers them, so a citation ``[N]`` links
to ``#s-N``. When the article has clean HTML, the anchors are placed into it (the
site's sanitised body) by finding each sentence in its text (one that cannot be
found is anchored at the next one that can); when none can be found, or there is no
HTML, the plain text is shown as paragraphs of ``<span class="s" id="s-N">``
sentences. Everything is escaped or sanitised.
"""

from __future__ import annotations

import bisect
import re

import lxml.html
from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from lxml import etree

from tidings.core.ai import clean_untrusted, split_sentences
from tidings.news.models import Article
from tidings.site.templatetags.tidings_site import article_body

register = template.Library()


def anchored_paragraphs(text: str) -> list[list[tuple[int, str]]]:
    """Paragraphs of (sentence number, sentence) of untrusted article text."""
    paragraphs: list[list[tuple[int, str]]] = []
    n = 0
    for line in clean_untrusted(text).split("\n"):
        sentences = split_sentences(line)
        if not sentences:
            continue
        paragraphs.append([(n + s.index, s.text) for s in sentences])
        n += len(sentences)
    return paragraphs


def render_anchored_text(text: str) -> SafeString:
    """Paragraphs of ``<span class="s" id="s-N">`` sentences, escaped."""
    html = []
    for par in anchored_paragraphs(text):
        spans = " ".join(f'<span class="s" id="s-{i}">{escape(s)}</span>' for i, s in par)
        html.append(f"<p>{spans}</p>")
    return mark_safe("\n".join(html))


# Whitespace that collapsing changes: runs, and any single one but a plain space.
_SPACES = re.compile(r"\s{2,}|[^\S ]")


class _Collapsed:
    """Text with every whitespace run made one space, and where its characters were."""

    def __init__(self, text: str) -> None:
        out: list[str] = []
        # Pieces of the collapsed text: where each starts, there and in ``text``.
        self._starts: list[int] = []
        self._origins: list[int] = []
        last = size = 0
        for m in _SPACES.finditer(text):
            if m.start() > last:
                out.append(text[last : m.start()])
                self._starts.append(size)
                self._origins.append(last)
                size += m.start() - last
            out.append(" ")
            self._starts.append(size)
            self._origins.append(m.start())
            size += 1
            last = m.end()
        if last < len(text):
            out.append(text[last:])
            self._starts.append(size)
            self._origins.append(last)
        self.text = "".join(out)

    def origin(self, at: int) -> int:
        """Where the collapsed text's character ``at`` was in the original."""
        i = bisect.bisect_right(self._starts, at) - 1
        return self._origins[i] + (at - self._starts[i])


def anchor_html(html: str, text: str) -> str | None:
    """``html`` (already sanitised) with an empty ``<span id="s-N">`` before each
    sentence of ``text``; None when no sentence at all is found in it."""
    sentences = [s for par in anchored_paragraphs(text) for s in par]
    if not sentences or not html.strip():
        return None
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    # Every text slot in document order: (element, "text" | "tail", start offset).
    slots: list[tuple[etree._Element, str, int]] = []
    flat: list[str] = []
    size = 0
    for action, el in etree.iterwalk(root, events=("start", "end")):
        if not isinstance(el.tag, str):
            continue
        attr = "text" if action == "start" else "tail"
        if el is root and attr == "tail":
            continue
        value = getattr(el, attr)
        if value:
            slots.append((el, attr, size))
            flat.append(value)
            size += len(value)
    collapsed = _Collapsed("".join(flat))
    whole = collapsed.text
    places: list[tuple[int, int]] = []  # (offset, sentence number)
    pos = 0
    for number, sentence in sentences:
        key = " ".join(sentence.split()[:12])
        at = whole.find(key, pos) if key else -1
        if at < 0:
            continue
        places.append((collapsed.origin(at), number))
        pos = at + len(key)
    if not places:
        return None
    # A sentence not found in the HTML gets its anchor where the next found one
    # starts (or where the last found one starts), so every citation lands nearby.
    found = {number for _, number in places}
    for number, _ in sentences:
        if number not in found:
            later = [o for o, n in places if n > number]
            places.append((min(later) if later else max(o for o, _ in places), number))
    places.sort(key=lambda p: (p[0], -p[1]))
    # Insert from the end so earlier offsets stay valid; slots kept sorted by start.
    slots.sort(key=lambda s: s[2])
    starts = [s[2] for s in slots]
    for offset, number in reversed(places):
        i = bisect.bisect_right(starts, offset) - 1
        slot = slots[i]
        el, attr, start = slot
        value = getattr(el, attr)
        cut = offset - start
        before, after = value[:cut], value[cut:]
        anchor = etree.Element("span", {"class": "s", "id": f"s-{number}"})
        anchor.tail = after
        setattr(el, attr, before)
        if attr == "text":
            el.insert(0, anchor)
        else:
            parent = el.getparent()
            assert parent is not None
            parent.insert(parent.index(el) + 1, anchor)
        del slots[i], starts[i]
        fresh = [(anchor, "tail", offset)]
        if before:
            fresh.append((el, attr, start))
        for item in fresh:
            j = bisect.bisect_right(starts, item[2])
            starts.insert(j, item[2])
            slots.insert(j, item)
    inner = (root.text and escape(root.text)) or ""
    return inner + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in root
    )


def ai_body_html(article: Article) -> SafeString:
    if article.html.strip():
        anchored = anchor_html(str(article_body(article)), article.text)
        if anchored is not None:
            return mark_safe(anchored)
    return render_anchored_text(article.text)


@register.simple_tag(name="ai_body")
def ai_body_tag(article: Article) -> SafeString:
    return ai_body_html(article)


@register.filter(name="ai_body")
def ai_body_filter(article: Article) -> SafeString:
    return ai_body_html(article)
