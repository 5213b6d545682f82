"""Story intelligence: online story clustering, related articles and top stories.

The engine is pure Python (numpy) and keeps everything in memory; the Django layer
persists :meth:`StoryEngine.article_state` blobs and story ids and rebuilds an engine with
:meth:`StoryEngine.restore`.
"""

from tidings.core.stories._embed import (
    HashingEmbedder,
    MiniLMEmbedder,
    OpenAIEmbedder,
    SentenceTransformerEmbedder,
    make_embedder,
)
from tidings.core.stories._engine import (
    Assignment,
    Embedder,
    RelatedItem,
    StoryEngine,
    StoryInput,
    shared_reason,
)
from tidings.core.stories._metrics import evaluate, evaluate_related, evaluate_related_by_label
from tidings.core.stories._model import PairModel

__all__ = [
    "Assignment",
    "Embedder",
    "HashingEmbedder",
    "MiniLMEmbedder",
    "OpenAIEmbedder",
    "PairModel",
    "RelatedItem",
    "SentenceTransformerEmbedder",
    "StoryEngine",
    "StoryInput",
    "evaluate",
    "evaluate_related",
    "evaluate_related_by_label",
    "make_embedder",
    "shared_reason",
]
