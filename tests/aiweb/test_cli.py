"""``tidings ai``: summarize, keypoints, ask and brief, plain and --json."""

from __future__ import annotations

import json

import pytest

from tidings import cli
from tidings.aiweb.cli import main
from tidings.news.models import Article, Story

pytestmark = pytest.mark.django_db


def test_summarize_json(library: Article, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ai", "summarize", library.pk, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["subject"] == "article" and data["subject_id"] == library.pk
    assert data["feature"] == "summary" and data["engine"] == "builtin"
    assert data["citations"] and all(c["sentence"] >= 1 for c in data["citations"])
    assert "reopened on Monday" in data["text"]
    assert data["cached"] is False
    assert main(["summarize", library.pk, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cached"] is True


def test_ask_plain_and_json(library: Article, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", library.pk, "How many books are in the collection?"]) == 0
    out = capsys.readouterr().out
    assert "310,000 books" in out and "Cited sentences:" in out
    assert main(["ask", library.pk, "What is the capital of Mars?", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["answered"] is False and data["feature"] == "ask"


def test_keypoints(library: Article, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keypoints", library.pk, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["feature"] == "key_points" and len(data["points"]) >= 3


def test_brief_json(ferry_story: Story, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["brief", ferry_story.pk, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["subject"] == "story" and data["subject_id"] == ferry_story.pk
    ids = set(ferry_story.articles.values_list("id", flat=True))
    assert data["citations"] and {c["article_id"] for c in data["citations"]} <= ids
    assert main(["brief", ferry_story.pk]) == 0
    assert "212 passengers" in capsys.readouterr().out


def test_unknown_ids_and_failures(
    library: Article, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["summarize", "0" * 32, "--json"]) == 1
    assert "no article with id" in capsys.readouterr().err
    assert main(["brief", "nope"]) == 1
    assert "no story with id" in capsys.readouterr().err
    monkeypatch.setenv("TIDINGS_AI_ENGINE", "llm")
    assert main(["summarize", library.pk]) == 1
    assert "TIDINGS_LLM_URL" in capsys.readouterr().err
