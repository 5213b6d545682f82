"""The pairwise "same story?" model: features of two articles -> probability.

Coefficients are learnt by :mod:`tidings.core.stories.train` and shipped as
``data/pair_model.json``; inference is plain numpy so nothing heavier is needed at run time.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

FEATURES: tuple[str, ...] = (
    "cos_full",
    "cos_title",
    "cos_lead",
    "cos_cross",
    "cos_entities",
    "shared_rare_entities",
    "shared_numbers",
    "log_gap_days",
    "gap_unknown",
    "same_source",
    "cos_full_sq",
    "cos_title_x_entities",
)


@dataclass(frozen=True)
class PairModel:
    """Logistic regression over :data:`FEATURES` plus the story-level thresholds."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    assign_threshold: float = 0.5
    merge_threshold: float = 0.8
    related_floor: float = 0.12
    extra: dict[str, float] = field(default_factory=dict)

    def probability(self, features: np.ndarray) -> np.ndarray:
        """P(same story) for each row of ``features`` (shape ``(n, len(FEATURES))``)."""
        z = (features - np.asarray(self.mean)) / np.asarray(self.scale)
        logits = z @ np.asarray(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))

    def to_json(self) -> str:
        return json.dumps(
            {
                "features": list(FEATURES),
                "mean": list(self.mean),
                "scale": list(self.scale),
                "coef": list(self.coef),
                "intercept": self.intercept,
                "assign_threshold": self.assign_threshold,
                "merge_threshold": self.merge_threshold,
                "related_floor": self.related_floor,
                "extra": self.extra,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> PairModel:
        data = json.loads(text)
        if list(data["features"]) != list(FEATURES):
            raise ValueError("pair model was trained on different features")
        return cls(
            mean=tuple(data["mean"]),
            scale=tuple(data["scale"]),
            coef=tuple(data["coef"]),
            intercept=float(data["intercept"]),
            assign_threshold=float(data["assign_threshold"]),
            merge_threshold=float(data["merge_threshold"]),
            related_floor=float(data["related_floor"]),
            extra={k: float(v) for k, v in data.get("extra", {}).items()},
        )

    @classmethod
    def load(cls, path: str | Path | None = None) -> PairModel:
        """The shipped model, or the one at ``path``."""
        if path is not None:
            return cls.from_json(Path(path).read_text(encoding="utf-8"))
        text = (
            resources.files("tidings.core.stories")
            .joinpath("data/pair_model.json")
            .read_text(encoding="utf-8")
        )
        return cls.from_json(text)


def untrained() -> PairModel:
    """A hand-set fallback used only to bootstrap training (cosine-driven)."""
    n = len(FEATURES)
    coef = [0.0] * n
    coef[0], coef[1], coef[4] = 6.0, 2.0, 2.0
    return PairModel(
        mean=(0.0,) * n, scale=(1.0,) * n, coef=tuple(coef), intercept=-3.0, extra={"k": math.e}
    )
