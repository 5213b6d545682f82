from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tidings.core.errors import InvalidURLError
from tidings.core.urls import article_id, canonical_url, slugify


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM:443/a/b?utm_source=x&b=2&a=1#frag", "https://example.com/a/b?a=1&b=2"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com/x?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ocid=5&cmpid=6", "https://example.com/x"),
        ("https://example.com/x?_ga=1&igshid=2&ref=3&ref_src=4&UTM_Campaign=5", "https://example.com/x"),
        ("https://example.com/x?id=7&ref=home", "https://example.com/x?id=7"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/%7euser/%c3%a9", "https://example.com/~user/%C3%A9"),
        ("https://example.com/caf\u00e9 bar", "https://example.com/caf%C3%A9%20bar"),
        ("https://user:pw@Example.com/", "https://example.com/"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("  https://example.com/x  ", "https://example.com/x"),
        ("https://example.com/x?q=a+b&empty=", "https://example.com/x?empty=&q=a%20b"),
        ("https://[::1]:8443/x", "https://[::1]:8443/x"),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
    ],
)  # fmt: skip
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_is_idempotent_and_resolves_base() -> None:
    once = canonical_url("../b?utm_medium=rss&z=1&a=2", base="https://Ex.com/a/c/")
    assert once == "https://ex.com/a/b?a=2&z=1"
    assert canonical_url(once) == once


@pytest.mark.parametrize("url", ["/relative/path", "https://example.com:99999/", "http:///x"])
def test_canonical_url_errors(url: str) -> None:
    with pytest.raises(InvalidURLError):
        canonical_url(url)


def test_article_id() -> None:
    a = article_id("https://example.com/a")
    assert re.fullmatch(r"[0-9a-f]{32}", a)
    assert a == article_id("https://example.com/a")
    assert a != article_id("https://example.com/b")
    assert a == "2dce0a4c50441bfccfa9caf4b58c3cba"  # stored ids must never change
    assert article_id(canonical_url("HTTPS://EXAMPLE.com/a?utm_source=x")) == a


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, World!", "hello-world"),
        ("Café au lait — à Paris", "cafe-au-lait-a-paris"),
        ("  --Multiple   spaces__and_underscores--  ", "multiple-spaces-and-underscores"),
        ("Новости дня", "новости-дня"),
        ("!!!", ""),
        ("", ""),
    ],
)
def test_slugify(text: str, expected: str) -> None:
    assert slugify(text) == expected


@given(st.text(alphabet=st.characters(max_codepoint=127), min_size=1))
def test_slugify_of_ascii_text_matches_the_folding_path(text: str) -> None:
    # A combining accent after an ASCII character is dropped by the folding path,
    # so the same text plus one takes the general path.
    assert slugify(text) == slugify(text + "\u0301")


def test_slugify_cuts_at_word_boundary() -> None:
    slug = slugify("word " * 40, max_length=22)
    assert slug == "word-word-word-word"
    assert len(slugify("x" * 200, max_length=10)) == 10
