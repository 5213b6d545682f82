from __future__ import annotations

from pathlib import Path

import pytest

from tidings.core.ai import ArticleDoc, article_sentences, split_sentences

DATA = Path(__file__).parent / "data" / "sentences"


@pytest.mark.parametrize("name", sorted(p.stem for p in DATA.glob("*.txt")))
def test_golden_sentences(name: str) -> None:
    text = (DATA / f"{name}.txt").read_text(encoding="utf-8")
    expected = (DATA / f"{name}.expected").read_text(encoding="utf-8").splitlines()
    got = split_sentences(text)
    assert [s.text for s in got] == expected
    assert [s.index for s in got] == list(range(1, len(expected) + 1))


def test_empty_and_blank_lines() -> None:
    assert split_sentences("") == []
    assert [s.text for s in split_sentences("One.\n\n\nTwo.")] == ["One.", "Two."]


def test_article_sentences_drop_hidden_text_but_keep_numbering_stable() -> None:
    doc = ArticleDoc(
        id="x",
        title="t",
        text="<p>First one.</p><div style='display: none'>Hidden order.</div><p>Second one.</p>",
        source="s",
        url="https://s.example/x",
    )
    assert [(s.index, s.text) for s in article_sentences(doc)] == [
        (1, "First one."),
        (2, "Second one."),
    ]
