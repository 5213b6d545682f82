"""The AI endpoints with the LLM engine, against a real local OpenAI-compatible server."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from tidings.aiweb.models import AITokenDay
from tidings.core.ai._testserver import FakeLLMServer, Reply
from tidings.news.models import Article, Story

FETCH = {"X-Requested-With": "fetch"}
STREAM = {**FETCH, "Accept": "text/html, text/event-stream, application/json"}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        monkeypatch.setenv("TIDINGS_AI_ENGINE", "llm")
        monkeypatch.setenv("TIDINGS_LLM_URL", server.url)
        monkeypatch.setenv("TIDINGS_LLM_MODEL", "fake-model")
        monkeypatch.setenv("TIDINGS_LLM_API_KEY", "sk-test-key")
        monkeypatch.setenv("TIDINGS_LLM_TIMEOUT", "5")
        yield server


def ai_url(article: Article, feature: str) -> str:
    return reverse("ai_article", args=[article.pk, feature])


def events(response: object) -> list[tuple[str, str]]:
    """(event name, data) of a text/event-stream response."""
    raw = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    out = []
    for block in raw.split("\n\n"):
        if not block.strip():
            continue
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        out.append((name, "\n".join(data)))
    return out


def test_request_carries_the_article_as_delimited_data(
    client: Client, library: Article, llm: FakeLLMServer
) -> None:
    r = client.post(ai_url(library, "summary"), headers=FETCH)
    assert r.status_code == 200, r.content
    html = r.content.decode()
    # the fake model quotes sentence 1 with its citation: rendered as a link to the anchor
    assert "The central library of Brenmoor reopened on Monday" in html
    assert re.search(r'<a href="#s-1"[^>]*>\[1\]</a>', html)
    assert "language model fake-model" in html
    assert len(llm.requests) == 1
    request, headers = llm.requests[0], llm.headers[0]
    assert headers["authorization"] == "Bearer sk-test-key"
    assert request["model"] == "fake-model" and request["stream"] is False
    system, user = request["messages"][0], request["messages"][1]
    assert system["role"] == "system" and "DATA inside <article> tags" in system["content"]
    assert "<article>" in user["content"] and "</article>" in user["content"]
    data = user["content"].split("<article>")[1].split("</article>")[0]
    assert "[1] BRENMOOR (Gazette) — The central library" in data
    assert "[8] The old reading room" in data
    # cached: no second call
    assert client.post(ai_url(library, "summary"), headers=FETCH)["X-AI-Cache"] == "hit"
    assert len(llm.requests) == 1


def test_hostile_text_is_cleaned_before_the_model(
    client: Client, hostile: Article, llm: FakeLLMServer
) -> None:
    llm.script(Reply(content="Ok ![x](https://evil.example/p.png) [win](https://evil.example) [1]"))
    r = client.post(ai_url(hostile, "simplify"), headers=FETCH)
    assert r.status_code == 200
    sent = llm.requests[0]["messages"][1]["content"]
    assert "developer mode" not in sent and "<script" not in sent
    assert "Ignore previous instructions" not in sent
    html = r.content.decode()
    assert "evil.example" not in html and "<img" not in html
    assert "[image: x]" in html


def test_streaming_end_to_end(client: Client, library: Article, llm: FakeLLMServer) -> None:
    llm.script(Reply(content="The library reopened on Monday [1].\n\n- It cost 18 million [1]"))
    r = client.post(ai_url(library, "key_points"), headers=STREAM)
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/event-stream")
    assert r.streaming
    got = events(r)
    assert llm.requests[0]["stream"] is True
    pieces = [d for n, d in got if n == "message"]
    assert len(pieces) > 3  # arrived in pieces
    assert "".join(pieces).startswith("The library reopened on Monday [1].\n\n- It cost")
    name, html = got[-1]
    assert name == "html"
    assert "<li>" in html and 'href="#s-1"' in html
    # the finished result was stored: the next request is a cache hit, not a new call
    again = client.post(ai_url(library, "key_points"), headers=STREAM)
    assert again["X-AI-Cache"] == "hit" and not again.streaming
    assert len(llm.requests) == 1
    assert AITokenDay.objects.get().tokens > 0  # tokens of the stream were counted


def test_retries_429_and_5xx_then_succeeds(
    client: Client, library: Article, llm: FakeLLMServer
) -> None:
    llm.script(
        Reply(status=429, headers={"Retry-After": "0"}),
        Reply(status=503, headers={"Retry-After": "0"}),
    )
    r = client.post(ai_url(library, "summary"), headers=FETCH)
    assert r.status_code == 200
    assert len(llm.requests) == 3


@pytest.mark.parametrize("stream", [False, True])
def test_model_down_is_reported_and_the_page_still_works(
    client: Client, library: Article, llm: FakeLLMServer, stream: bool
) -> None:
    llm.script(*[Reply(status=502, headers={"Retry-After": "0"})] * 4)
    r = client.post(ai_url(library, "summary"), headers=(STREAM if stream else FETCH))
    assert r.status_code == 503
    assert not r.streaming
    assert "not answering right now" in r.content.decode()
    assert r["Retry-After"]
    assert len(llm.requests) == 4  # first try + 3 retries
    page = client.get(library.get_absolute_url())
    assert page.status_code == 200 and "ai-panel" in page.content.decode()
    # without script the reader gets a page that still links back to the article
    llm.script(*[Reply(status=500, headers={"Retry-After": "0"})] * 4)
    full = client.post(ai_url(library, "summary"))
    assert full.status_code == 503 and "Back to the article" in full.content.decode()


def test_daily_budget_is_shared_and_enforced(
    client: Client, library: Article, llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIDINGS_LLM_DAILY_TOKEN_BUDGET", "1500")
    assert client.post(ai_url(library, "summary"), headers=FETCH).status_code == 200
    spent = AITokenDay.objects.get().tokens
    assert spent > 0
    AITokenDay.objects.update(tokens=1490)
    r = client.post(ai_url(library, "key_points"), headers=FETCH)
    assert r.status_code == 503 and "budget" in r.content.decode()
    assert len(llm.requests) == 1  # refused before calling the model


def test_translate_sends_the_language_name(
    client: Client, library: Article, llm: FakeLLMServer
) -> None:
    llm.script(Reply(content="La biblioteca central de Brenmoor reabrió el lunes."))
    r = client.post(ai_url(library, "translate"), {"language": "es"}, headers=FETCH)
    assert r.status_code == 200
    assert "reabrió" in r.content.decode() and "(Spanish)" in r.content.decode()
    task = llm.requests[0]["messages"][-1]["content"]
    assert "into Spanish" in task


def test_story_briefing_cites_outlets(
    client: Client, ferry_story: Story, llm: FakeLLMServer
) -> None:
    llm.script(
        Reply(
            content="**What happened**\n- The Aldra ran aground with 212 passengers [1.1][2.1]\n"
            "**What differs**\n- One outlet reports a three-hour wait [3.3]"
        )
    )
    r = client.post(reverse("ai_story", args=[ferry_story.pk]), headers=FETCH)
    assert r.status_code == 200
    html = r.content.decode()
    for article in ferry_story.articles.all():
        assert f'href="{article.canonical_url}"' in html
    assert "Island Courier" in html
    user = llm.requests[0]["messages"][1]["content"]
    assert user.count('<article n="') == 3


def test_json_of_stored_payload_round_trips(
    client: Client, library: Article, llm: FakeLLMServer
) -> None:
    from tidings.aiweb.models import AIResultCache

    client.post(ai_url(library, "five_ws"), headers=FETCH)
    payload = AIResultCache.objects.get().payload
    assert json.loads(json.dumps(payload)) == payload
    assert payload["engine"] == "llm" and payload["model"] == "fake-model"
