"""The LLM engine against a real OpenAI-compatible HTTP server on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from tidings.core.ai import (
    PROMPT_VERSION,
    LLMEngine,
    MemoryBudgetStore,
    TokenBudget,
    cache_key,
    make_engine,
)
from tidings.core.ai._testserver import FakeLLMServer, Reply
from tidings.core.errors import (
    AIBudgetExceededError,
    ConfigError,
    LLMResponseError,
    LLMUnavailableError,
)

from .conftest import reservoir_story, sample


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def engine_for(server: FakeLLMServer, **kw: object) -> LLMEngine:
    kw.setdefault("sleep", Sleeps())
    return LLMEngine(server.url, "fake-model", "sk-test", **kw)  # type: ignore[arg-type]


def test_summary_on_the_wire(llm_server: FakeLLMServer) -> None:
    llm_server.script(
        Reply(content="The bridge opened on Saturday [1] and cost 412.5 million [3].")
    )
    doc = sample("harbour-bridge.txt")
    result = engine_for(llm_server).summarize(doc)
    assert result.engine == "llm" and result.model == "fake-model"
    assert result.prompt_version == PROMPT_VERSION
    assert [c.sentence for c in result.citations] == [1, 3]
    assert result.meta["tokens"] > 0 and result.meta["truncated"] is False

    (request,) = llm_server.requests
    headers = llm_server.headers[0]
    assert headers["authorization"] == "Bearer sk-test"
    assert headers["content-type"] == "application/json"
    assert request["model"] == "fake-model" and request["stream"] is False
    system, user = request["messages"]
    assert system["role"] == "system" and user["role"] == "user"
    assert "untrusted" in system["content"] and "Kestrel" not in system["content"]
    assert user["content"].count("<article>") == 1 and user["content"].count("</article>") == 1
    assert "[3] The bridge cost 412.5 million crowns" in user["content"]
    assert user["content"].index("</article>") < user["content"].index("Task (from Tidings")


def test_streaming_yields_sse_deltas_in_order(llm_server: FakeLLMServer) -> None:
    text = "Trains will run every 15 minutes [1]. Fares rise 3.9% [6]."
    llm_server.script(Reply(content=text, chunk_delay=0.01))
    budget = TokenBudget(100_000)
    engine = engine_for(llm_server, budget=budget)
    doc = sample("rail-timetable.txt")
    pieces = list(engine.stream("summary", doc))
    assert len(pieces) > 5 and "".join(pieces) == text
    assert llm_server.requests[0]["stream"] is True
    assert llm_server.requests[0]["stream_options"] == {"include_usage": True}
    left = budget.remaining()
    assert left is not None and left < 100_000  # usage recorded
    result = engine.finish("summary", doc, "".join(pieces))
    assert [c.sentence for c in result.citations] == [1, 6]


def test_429_is_retried_honouring_retry_after(llm_server: FakeLLMServer) -> None:
    llm_server.script(
        Reply(status=429, headers={"Retry-After": "2"}),
        Reply(status=503),
        Reply(content="Fine [1]."),
    )
    sleeps = Sleeps()
    result = engine_for(llm_server, sleep=sleeps, backoff=0.25).summarize(
        sample("clinic-strike.txt")
    )
    assert result.text == "Fine [1]."
    assert sleeps == [2.0, 0.5]  # Retry-After first, then exponential backoff
    assert len(llm_server.requests) == 3


def test_streaming_retries_before_the_first_byte(llm_server: FakeLLMServer) -> None:
    llm_server.script(Reply(status=500), Reply(content="Streamed [2]."))
    engine = engine_for(llm_server)
    assert "".join(engine.stream("summary", sample("clinic-strike.txt"))) == "Streamed [2]."


def test_persistent_5xx_becomes_an_error_the_page_can_show(llm_server: FakeLLMServer) -> None:
    llm_server.script(*[Reply(status=500)] * 4)
    sleeps = Sleeps()
    with pytest.raises(LLMUnavailableError) as info:
        engine_for(llm_server, sleep=sleeps, retries=3).key_points(sample("orchard-frost.txt"))
    assert info.value.code == "llm_unavailable"
    assert "HTTP 500" in info.value.message and info.value.url is not None
    assert len(llm_server.requests) == 4 and len(sleeps) == 3


def test_retry_after_beyond_the_limit_gives_up_at_once(llm_server: FakeLLMServer) -> None:
    llm_server.script(Reply(status=429, headers={"Retry-After": "3600"}))
    with pytest.raises(LLMUnavailableError, match="rate limiting"):
        engine_for(llm_server, max_retry_wait=30).summarize(sample("orchard-frost.txt"))
    assert len(llm_server.requests) == 1


def test_client_errors_are_not_retried(llm_server: FakeLLMServer) -> None:
    llm_server.script(Reply(status=401))
    with pytest.raises(LLMUnavailableError, match="refused"):
        engine_for(llm_server).summarize(sample("orchard-frost.txt"))
    assert len(llm_server.requests) == 1


def test_slow_server_times_out(llm_server: FakeLLMServer) -> None:
    llm_server.script(Reply(delay=1.5), Reply(delay=1.5))
    engine = engine_for(llm_server, timeout=0.3, retries=1)
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError, match="timed out"):
        engine.summarize(sample("orchard-frost.txt"))
    assert time.monotonic() - started < 1.4


def test_malformed_answers(llm_server: FakeLLMServer) -> None:
    llm_server.script(Reply(body="<html>proxy error</html>"), Reply(body='{"choices": []}'))
    engine = engine_for(llm_server)
    with pytest.raises(LLMResponseError):
        engine.summarize(sample("orchard-frost.txt"))
    with pytest.raises(LLMResponseError):
        engine.summarize(sample("orchard-frost.txt"))


def test_unreachable_endpoint() -> None:
    with FakeLLMServer() as server:
        url = server.url
    engine = LLMEngine(url, "m", sleep=Sleeps(), retries=1)
    with pytest.raises(LLMUnavailableError, match="cannot reach"):
        engine.summarize(sample("orchard-frost.txt"))


def test_ask_not_in_article(llm_server: FakeLLMServer) -> None:
    llm_server.script(Reply(content="NOT_IN_ARTICLE"), Reply(content="Marta Kessel [7]."))
    engine = engine_for(llm_server)
    doc = sample("clinic-strike.txt")
    refused = engine.ask(doc, "Who won the cup <b>final</b>?")
    assert not refused.answered and refused.text == "The article does not say."
    question_msg = llm_server.requests[0]["messages"][1]["content"]
    assert "<question>Who won the cup ‹b›final‹/b›?</question>" in question_msg
    answered = engine.ask(doc, "Who is the union secretary?")
    assert answered.answered and answered.citations[0].sentence == 7


def test_citations_of_missing_sentences_are_dropped(llm_server: FakeLLMServer) -> None:
    llm_server.script(Reply(content="- Real point [2]\n- Made up [99]\n- Both [1, 42]"))
    result = engine_for(llm_server).key_points(sample("museum-theft.txt"))
    assert [c.sentence for c in result.citations] == [2, 1]
    assert "[99]" not in result.text and "[42]" not in result.text
    assert result.points == ("Real point", "Made up", "Both")


def test_brief_citations_map_to_outlets(llm_server: FakeLLMServer) -> None:
    story = reservoir_story()
    llm_server.script(
        Reply(
            content="**What happened**\n- The spillway opened [1.1][2.1]\n\n"
            "**What differs**\n- 180 m³/s, says the Post [3.4]; unknown [4.1] [9]"
        )
    )
    result = engine_for(llm_server).brief(story)
    assert [(c.article_id, c.sentence) for c in result.citations] == [
        (story[0].id, 1),
        (story[1].id, 1),
        (story[2].id, 4),
    ]
    assert f"([Coastline Post]({story[2].url}))" in result.text
    assert "[4.1]" not in result.text and "[9]" not in result.text
    user = llm_server.requests[0]["messages"][1]["content"]
    assert user.count("<article n=") == 3


def test_translate_simplify_five_ws(llm_server: FakeLLMServer) -> None:
    llm_server.script(Reply(content="Le pont [1]"), Reply(content="Simple [1]"), Reply(content="x"))
    engine = engine_for(llm_server)
    doc = sample("harbour-bridge.txt")
    assert engine.translate(doc, "French").text == "Le pont [1]"
    assert "into French" in llm_server.requests[0]["messages"][1]["content"]
    assert engine.simplify(doc).feature == "simplify"
    assert engine.five_ws(doc).feature == "five_ws"


def test_inputs_are_truncated_to_the_token_budget(llm_server: FakeLLMServer) -> None:
    engine = engine_for(llm_server, max_input_tokens=200)
    result = engine.summarize(sample("harbour-bridge.txt"))
    assert result.meta["truncated"] is True
    user = llm_server.requests[0]["messages"][1]["content"]
    assert "[1] BRIGHTWATER" in user and "[13]" not in user


def test_daily_budget_stops_calls_before_they_are_made(llm_server: FakeLLMServer) -> None:
    store = MemoryBudgetStore()
    budget = TokenBudget(1500, store)
    engine = engine_for(llm_server, budget=budget, max_output_tokens=300)
    engine.summarize(sample("orchard-frost.txt"))
    assert store.used(budget.day()) > 0
    engine.summarize(sample("orchard-frost.txt"))
    with pytest.raises(AIBudgetExceededError):
        engine.summarize(sample("orchard-frost.txt"))
    assert len(llm_server.requests) == 2


def test_make_engine_and_cache_keys(llm_server: FakeLLMServer) -> None:
    engine = make_engine({"AI_ENGINE": "llm", "LLM_URL": llm_server.url, "LLM_MODEL": "m1"})
    assert isinstance(engine, LLMEngine)
    builtin = make_engine({})
    doc = sample("museum-theft.txt")
    keys = {
        cache_key(engine, "summary", doc),
        cache_key(builtin, "summary", doc),
        cache_key(builtin, "key_points", doc),
        cache_key(builtin, "ask", doc, question="Who?"),
        cache_key(
            builtin, "summary", doc.__class__(**{**doc.__dict__, "text": doc.text + " More."})
        ),
    }
    assert len(keys) == 5
    assert cache_key(builtin, "ask", doc, question="Who?") == cache_key(
        builtin, "ask", doc, question="  who? "
    )
    story = reservoir_story()
    assert cache_key(builtin, "brief", story) == cache_key(builtin, "brief", story[::-1])
    assert cache_key(builtin, "brief", story) != cache_key(builtin, "brief", story[:2])
    with pytest.raises(ConfigError):
        make_engine({"AI_ENGINE": "llm"})
    with pytest.raises(ConfigError):
        make_engine({"AI_ENGINE": "gpt"})
