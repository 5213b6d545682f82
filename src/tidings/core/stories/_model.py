"""The pairwise "same story?" model: features of two articles -> probability.

Coefficients are learnt by :mod:`tidings.core.stories.train` and shipped as
``data/pair_model.json``; inference is plain numpy so nothing heavier is needed at run time.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np


def _neighbourhood_names(field: str) -> tuple[str, ...]:
    """How a pair stands out of the two articles' neighbourhoods, by ``field``'s
    similarity (``full`` text or ``ent``ities): the weaker side, then the stronger."""
    return tuple(
        f"{field}_{what}_{side}"
        for side in ("min", "max")
        for what in ("ratio", "margin", "beaten")
    )


FEATURES: tuple[str, ...] = (
    "cos_full",
    "cos_title",
    "cos_lead",
    "cos_cross",
    "cos_entities",
    "shared_rare_entities",
    "shared_numbers",
    "same_source",
    "cos_full_sq",
    "cos_title_x_entities",
    "words_and_names",
    "other_language",
    "shared_names",
    "time_evidence",
    *_neighbourhood_names("full"),
    *_neighbourhood_names("ent"),
)

# Upper ends (days) of the bins of the time between two dated reports: same day, next
# day, ..., more than a month.
GAP_BINS: tuple[float, ...] = (1.0, 2.0, 3.0, 5.0, 10.0, 30.0)

_FULL, _FULL_SQ = FEATURES.index("cos_full"), FEATURES.index("cos_full_sq")
_OTHER_LANGUAGE = FEATURES.index("other_language")
_NAMES = FEATURES.index("shared_names")

# What a pair of articles in two languages is judged by: the names they share, not their
# wording (no word of one is a word of the other).
NAME_FEATURES: tuple[str, ...] = (
    "cos_entities",
    "shared_rare_entities",
    "shared_numbers",
    "same_source",
    "shared_names",
    "time_evidence",
    *_neighbourhood_names("ent"),
)
_NAME_COLUMNS = [FEATURES.index(name) for name in NAME_FEATURES]


def name_columns(features: np.ndarray) -> np.ndarray:
    """The :data:`NAME_FEATURES` columns of rows of :data:`FEATURES`."""
    return features[:, _NAME_COLUMNS]


# Two articles whose wording is this far apart (text cosine) and that share no name are
# never one story, whatever else their features say. Of the 4,997 candidate pairs of the
# events-dev training corpus (read as the model is fitted: no background document
# frequencies), 2,040 are that far apart with no name in common, 8 of them one event (of
# 423 same-event pairs).
UNLINKED_COSINE = 0.1


def shared_names_feature(count: float | np.ndarray) -> float | np.ndarray:
    """``shared_names`` as the model reads it: log(1 + distinct names two articles share)."""
    return np.log1p(count)


def linkable(features: np.ndarray) -> np.ndarray:
    """Which rows of pair features have the least evidence of one story: some wording
    (in one language) or a name in common -- a capitalised word opening a sentence
    ("Officials", "Sample") is no name."""
    worded = (features[:, _FULL] >= UNLINKED_COSINE) & (features[:, _OTHER_LANGUAGE] == 0.0)
    return worded | (features[:, _NAMES] > 0.0)


STORY_FEATURES: tuple[str, ...] = (
    "max_link",
    "mean_top2_links",
    "mean_top3_links",
    "share_linked",
    "mean_link",
    "log_size",
    "log_linked",
)


def story_features(links: np.ndarray, size: int) -> list[float]:
    """Story-level evidence from the pair probabilities of an article to a story's members.

    ``links`` holds the probabilities of the members that were retrieved; the other
    members count as unlinked (zero), so one chance resemblance to a big story is weak.
    """
    size = max(size, len(links), 1)
    top = np.sort(links)[::-1]
    linked = int(np.sum(links >= 0.5))
    return [
        float(top[0]) if len(top) else 0.0,
        float(np.sum(top[:2])) / min(2, size),
        float(np.sum(top[:3])) / min(3, size),
        linked / size,
        float(np.sum(links)) / size,
        math.log1p(size),
        math.log1p(linked),
    ]


def story_rows(groups: np.ndarray, links: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """:func:`story_features` of many stories at once.

    ``groups[i]`` numbers the story (0..m-1) of the link ``links[i]``; ``sizes[g]`` is the
    size of story ``g``. Returns an ``(m, len(STORY_FEATURES))`` array.
    """
    m = len(sizes)
    if not len(links):
        return np.zeros((m, len(STORY_FEATURES)))
    order = np.lexsort((-links, groups))
    g, p = groups[order], links[order].astype(np.float64)
    starts = np.searchsorted(g, np.arange(m))
    rank = np.arange(len(g)) - starts[g]
    count = np.bincount(g, minlength=m).astype(np.float64)
    size = np.maximum(np.maximum(sizes.astype(np.float64), count), 1.0)
    top1 = np.where(count > 0, p[np.minimum(starts, len(p) - 1)], 0.0)
    top2 = np.bincount(g, weights=np.where(rank < 2, p, 0.0), minlength=m)
    top3 = np.bincount(g, weights=np.where(rank < 3, p, 0.0), minlength=m)
    linked = np.bincount(g, weights=(p >= 0.5).astype(np.float64), minlength=m)
    total = np.bincount(g, weights=p, minlength=m)
    return np.stack(
        [
            top1,
            top2 / np.minimum(2.0, size),
            top3 / np.minimum(3.0, size),
            linked / size,
            total / size,
            np.log1p(size),
            np.log1p(linked),
        ],
        axis=1,
    )


@dataclass(frozen=True)
class Logistic:
    """A standardised logistic regression: ``sigmoid(((x - mean) / scale) @ coef + b)``."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def probability(self, features: np.ndarray) -> np.ndarray:
        z = (features - np.asarray(self.mean)) / np.asarray(self.scale)
        logits = z @ np.asarray(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))

    def to_dict(self) -> dict[str, object]:
        return {
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Logistic:
        return cls(
            mean=tuple(float(v) for v in data["mean"]),  # type: ignore[attr-defined]
            scale=tuple(float(v) for v in data["scale"]),  # type: ignore[attr-defined]
            coef=tuple(float(v) for v in data["coef"]),  # type: ignore[attr-defined]
            intercept=float(data["intercept"]),  # type: ignore[arg-type]
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
    story: Logistic | None = None
    names: Logistic | None = None
    # Per feature, the 0.1% and 99.9% quantiles of the training pairs (all the recorded
    # candidate pairs, linkable or not): features are held between them.
    bounds: tuple[tuple[float, ...], tuple[float, ...]] | None = None
    # The background table's documents the features were read with when fitting (0: no
    # table, the online counts alone): the engine reads them the same way.
    background_documents: int = 0

    def story_probability(self, features: np.ndarray) -> np.ndarray:
        """P(article belongs to story) for rows of :data:`STORY_FEATURES`.

        Without a story model: the mean of the ``link_depth`` strongest links (missing
        links of a big story count as zero).
        """
        if self.story is None:
            depth = int(self.extra.get("link_depth", 3))
            return np.asarray(features, np.float64)[:, min(max(depth, 1), 3) - 1]
        return self.story.probability(features)

    def probability(self, features: np.ndarray) -> np.ndarray:
        """P(same story) for each row of ``features`` (shape ``(n, len(FEATURES))``).

        Closer wording never makes two articles less likely one story: the fitted curve
        of the text's cosine (``cos_full`` and its square) is held at its peak beyond
        it. Pairs that close are rare in the training events, and the square bent the
        curve down past its peak (0.46 for an earlier fit), so that a report reworded
        from another (cosine 0.9) was put in a story of its own.

        A pair with neither wording nor names in common (:func:`linkable`) is never one
        story; a pair of articles in two languages is judged by :attr:`names`, a model of
        the names they share alone.
        """
        gate = linkable(features)
        across = features[:, _OTHER_LANGUAGE] > 0.0
        features = self.within_bounds(features)
        peak = self.cosine_peak
        if peak is not None and np.any(features[:, _FULL] > peak):
            features = np.array(features, np.float64)
            held = np.minimum(features[:, _FULL], peak)
            features[:, _FULL], features[:, _FULL_SQ] = held, held * held
        z = (features - np.asarray(self.mean)) / np.asarray(self.scale)
        logits = z @ np.asarray(self.coef) + self.intercept
        p = 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))
        if np.any(across):
            # Text closeness says nothing across languages: such a pair is judged by its
            # names (no names model: never linked).
            by_names = (
                self.names.probability(name_columns(features[across]))
                if self.names is not None
                else 0.0
            )
            p[across] = by_names
        return np.where(gate, p, 0.0)

    def within_bounds(self, features: np.ndarray) -> np.ndarray:
        """``features`` held within what the model was fitted on (:attr:`bounds`): a
        linear model says nothing past it. Two outlets' near-copies share more names
        (entity cosine 0.94) than all but one in a thousand training pairs (0.71), and
        the fitted weight against shared names, carried that far, kept them apart."""
        if self.bounds is None:
            return features
        return np.clip(features, self.bounds[0], self.bounds[1])

    def near_prior(self, name: str) -> tuple[float, ...]:
        """How close an article's best, second and third neighbours usually are
        (``name``: ``near_full`` or ``near_ent``), learnt with the model; empty for a
        model fitted without them."""
        return self._near_priors.get(name, ())

    @functools.cached_property
    def digest(self) -> str:
        """Names this model: stories put together by another one are told apart by it."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    @functools.cached_property
    def same_story_gaps(self) -> np.ndarray | None:
        """How the time between two dated reports of one event falls in :data:`GAP_BINS`
        (shares summing to 1), learnt with the model; None for a model fitted without."""
        values = [self.extra.get(f"same_gap_{k}") for k in range(len(GAP_BINS) + 1)]
        if any(v is None for v in values):
            return None
        return np.asarray(values, np.float64)

    @functools.cached_property
    def _near_priors(self) -> dict[str, tuple[float, ...]]:
        found: dict[str, tuple[float, ...]] = {}
        for name in ("near_full", "near_ent"):
            values: list[float] = []
            while (value := self.extra.get(f"{name}_{len(values)}")) is not None:
                values.append(value)
            found[name] = tuple(values)
        return found

    @functools.cached_property
    def cosine_peak(self) -> float | None:
        """Where the fitted curve of ``cos_full`` stops rising. None when the square
        does not bend it down, or when it does not rise at all (a model fitted with such
        signs would need another repair; the shipped one has neither)."""
        linear = self.coef[_FULL] / self.scale[_FULL]
        square = self.coef[_FULL_SQ] / self.scale[_FULL_SQ]
        if square >= 0.0 or linear <= 0.0:
            return None
        return linear / (-2.0 * square)

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
                "story_features": list(STORY_FEATURES),
                "story": self.story.to_dict() if self.story is not None else None,
                "name_features": list(NAME_FEATURES),
                "names": self.names.to_dict() if self.names is not None else None,
                "bounds": [list(b) for b in self.bounds] if self.bounds is not None else None,
                "background_documents": self.background_documents,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> PairModel:
        data = json.loads(text)
        if list(data["features"]) != list(FEATURES):
            raise ValueError("pair model was trained on different features")
        story = data.get("story")
        names = data.get("names")
        bounds = data.get("bounds")
        if names is not None and list(data.get("name_features", ())) != list(NAME_FEATURES):
            raise ValueError("names model was trained on different features")
        if story is not None and list(data.get("story_features", ())) != list(STORY_FEATURES):
            raise ValueError("story model was trained on different features")
        return cls(
            mean=tuple(data["mean"]),
            scale=tuple(data["scale"]),
            coef=tuple(data["coef"]),
            intercept=float(data["intercept"]),
            assign_threshold=float(data["assign_threshold"]),
            merge_threshold=float(data["merge_threshold"]),
            related_floor=float(data["related_floor"]),
            extra={k: float(v) for k, v in data.get("extra", {}).items()},
            story=Logistic.from_dict(story) if story is not None else None,
            names=Logistic.from_dict(names) if names is not None else None,
            bounds=(tuple(bounds[0]), tuple(bounds[1])) if bounds is not None else None,
            background_documents=int(data.get("background_documents", 0)),
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
