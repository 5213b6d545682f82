"""Embedding backends behind the :class:`~tidings.core.stories.Embedder` protocol.

``builtin`` is a hashed bag-of-words projection: no model file, no torch, deterministic.
``sentence-transformers:PATH`` loads a local model directory (the package and the model
are the operator's to install; nothing is downloaded).
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from tidings.core.errors import ConfigError
from tidings.core.stories._engine import Embedder
from tidings.core.stories._text import tokens


class HashingEmbedder:
    """Signed feature hashing of content words and word pairs, L2-normalised."""

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim

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

    def __init__(self, path: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ConfigError("EMBEDDER=sentence-transformers needs sentence-transformers") from exc
        try:
            self._model: Any = SentenceTransformer(path, local_files_only=True)
        except Exception as exc:
            raise ConfigError(f"cannot load sentence-transformers model from {path}") from exc
        self.dim = int(self._model.get_sentence_embedding_dimension())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(list(texts), normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)


def make_embedder(spec: str) -> Embedder:
    """The embedder named by the ``EMBEDDER`` setting.

    ``builtin`` or ``sentence-transformers:PATH``; raises :class:`ConfigError` otherwise.
    """
    if spec in ("", "builtin"):
        return HashingEmbedder()
    if spec.startswith("sentence-transformers:"):
        return SentenceTransformerEmbedder(spec.split(":", 1)[1])
    raise ConfigError(f"unknown embedder {spec!r}")
