from __future__ import annotations

import re

import pytest

from tidings.core.ai import render_output

ALLOWED = ["https://www.courier.example/news/1", "/articles/42"]


def _hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def test_citations_link_into_the_page() -> None:
    html = render_output("The bridge opened [1]. It cost a lot [2][3].")
    assert _hrefs(html) == ["#s-1", "#s-2", "#s-3"]
    assert ">[1]</a>" in html


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src="https://evil.example/x.png">',
        "<a href='https://evil.example'>x</a>",
        '<iframe src="https://evil.example"></iframe>',
        "<div onclick=alert(1)>x</div>",
        "<!-- comment --><style>body{}</style>",
    ],
)
def test_raw_html_is_shown_escaped(text: str) -> None:
    html = render_output(text)
    assert "<script" not in html and "<img" not in html and "<iframe" not in html
    assert "<div" not in html and "<style" not in html and "<!--" not in html
    assert _hrefs(html) == []


def test_images_never_load() -> None:
    html = render_output("Look ![chart](https://evil.example/q?secret=1) and ![](data:x)")
    assert "<img" not in html
    assert "[image: chart]" in html
    assert "evil.example" not in html


@pytest.mark.parametrize(
    "link",
    [
        "[x](https://evil.example/login)",
        "[x](javascript:alert(1))",
        "[x](data:text/html,hi)",
        "<https://evil.example/auto>",
        "[x][r]\n\n[r]: https://evil.example/ref",
        "[x](https://user:pw@courier.example/)",
        "[x](//evil.example/proto-relative)",
    ],
)
def test_foreign_links_lose_their_link(link: str) -> None:
    html = render_output(link, allowed_links=ALLOWED)
    assert _hrefs(html) == []


def test_links_to_the_articles_own_sources_survive() -> None:
    text = "Said [Courier](https://courier.example/news/1) and [here](/articles/42)."
    html = render_output(text, allowed_links=ALLOWED)
    assert _hrefs(html) == ["https://courier.example/news/1", "/articles/42"]
    assert 'rel="nofollow noopener noreferrer"' in html


def test_limited_markdown() -> None:
    html = render_output("**What happened**\n\n- one *a*\n- two\n\n> quote\n\n# Not a heading")
    assert "<strong>What happened</strong>" in html
    assert "<ul>" in html and "<li>one <em>a</em></li>" in html
    assert "<blockquote>" in html
    assert "<h1>" not in html and "# Not a heading" in html
