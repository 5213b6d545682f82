from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tidings.bench.ai import load_sample_article
from tidings.core.ai import ArticleDoc
from tidings.core.ai._testserver import FakeLLMServer

DATA = Path(__file__).parent / "data"


def sample(name: str) -> ArticleDoc:
    return load_sample_article(DATA / "articles" / name)


def reservoir_story() -> list[ArticleDoc]:
    return [load_sample_article(p) for p in sorted((DATA / "story-reservoir").glob("*.txt"))]


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server
