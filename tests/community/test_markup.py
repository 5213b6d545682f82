"""Comment markdown: golden renderings and attack inputs that must come out inert."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from tidings.community import _spam, markup

DATA = Path(__file__).parent / "data"
GOLDEN = sorted((DATA / "markup").glob("*.md"))
ATTACKS = sorted((DATA / "xss").glob("*.md"))
ALLOWED = {"p", "br", "em", "strong", "a", "blockquote", "code"}


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def inspect(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Inspector()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    assert markup.render(path.read_text()) == path.with_suffix(".html").read_text().strip()


@pytest.mark.parametrize("path", ATTACKS, ids=lambda p: p.name)
def test_attack_is_inert(path: Path) -> None:
    html = markup.render(path.read_text())
    for tag, attrs in inspect(html):
        assert tag in ALLOWED, html
        for name, value in attrs:
            assert not name.startswith("on"), html
            if tag == "a":
                assert name in {"href", "rel"}, html
            if name == "href":
                assert (value or "").startswith(("http://", "https://", "mailto:")), html
            if name == "rel":
                assert value == markup.LINK_REL


def test_links_get_rel() -> None:
    html = markup.render("see https://example.test and [this](https://example.test/a)")
    tags = [t for t in inspect(html) if t[0] == "a"]
    assert len(tags) == 1  # bare URLs stay text (no linkify); markdown links work
    assert ("rel", "nofollow ugc noopener noreferrer") in tags[0][1]


@pytest.mark.parametrize(
    ("body", "held"),
    [
        ("A calm remark about the harbour reopening.", False),
        (
            "Read [a](https://a.test) [b](https://b.test) [c](https://c.test) [d](https://d.test)",
            True,
        ),
        (f"Hello {_spam.TEST_STRINGS[0]}", True),
        ("buy " * 40, True),
    ],
)
def test_spam_reason(body: str, held: bool) -> None:
    assert bool(_spam.spam_reason(body)) is held


def test_repeated_comment_is_held() -> None:
    text = "This exact sentence was already posted by me a minute ago."
    assert _spam.spam_reason(text, [text.upper()]) != ""
    assert _spam.spam_reason(text, ["something else entirely, really"]) == ""


def test_a_refused_link_keeps_its_text_only() -> None:
    """A relative or unsafe address is dropped; the words stay, not a dead link."""
    html = markup.render("[log out](/accounts/logout/) or [this](https://example.test/a)")
    assert html.startswith("<p>log out or <a href=")
    assert [t[0] for t in inspect(html)].count("a") == 1


def test_text_cannot_be_turned_around() -> None:
    """A right-to-left override would show "gnp.exe" as "exe.png"; marks stay."""
    text = "see \u202egnp.exe\u202c and \u2067isolated\u2069 \u200fmark"
    assert markup.without_bidi_controls(text) == "see gnp.exe and isolated \u200fmark"
    assert "\u202e" not in markup.render(text)
