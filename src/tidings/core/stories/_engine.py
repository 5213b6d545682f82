"""Online story clustering, related articles and top stories over an in-memory index."""

from __future__ import annotations

import base64
import gzip
import json
import logging
import math
import zlib
from array import array
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tidings.core._gazetteer import COUNTRY_OF
from tidings.core._words import lead, numbers, tokens
from tidings.core.entities import WORD, Entity, extract_entities
from tidings.core.errors import EmbeddingError
from tidings.core.stories._model import (
    FEATURES,
    GAP_BINS,
    PairModel,
    shared_names_feature,
    story_rows,
    untrained,
)

log = logging.getLogger("tidings.stories")

MAX_TOKENS = 800  # body tokens kept per article (event identity lives in the first part)
QUERY_TERMS = 14  # heaviest terms used to look up candidates
INDEX_TERMS = 40  # heaviest terms under which an article is indexed
QUERY_ENTITIES = 8
POSTINGS_PER_KEY = 400  # most recent postings read per term
CANDIDATES = 48
MAX_DF_SHARE = 0.08  # terms in more than this share of articles are not looked up
PLACE_ONLY_COS = 0.3  # text closeness that makes another story related without shared names
NEAR = 5  # neighbour similarities remembered per article
EMBED_CHARS = 2000  # of title and text given to the embedder
# Share of embedding closeness in the relevance of another story's article (the rest:
# term and name closeness).
DENSE_RELATED_WEIGHT = 0.5
NO_SHARED_REASON = "Related coverage"
RELATED_MATES = 1  # story-mates whose links to other stories count for related articles
RELATED_MATE_POOL = 12  # candidates each of them adds to the related pool
# Pairs of dated candidates counted before any arrived, spread evenly over GAP_BINS: what
# a young installation reads time against until its own stream outweighs them.
GAP_PRIOR_PAIRS = 20.0


@dataclass(frozen=True)
class StoryInput:
    """An article as the story engine sees it (after extraction and deduplication)."""

    id: str
    title: str
    text: str
    source: str
    published: datetime | None
    language: str | None = None


@dataclass(frozen=True)
class Assignment:
    """Where :meth:`StoryEngine.add` put an article.

    ``merged`` lists story ids that were folded into ``story_id`` by this article: the
    caller must re-point their articles (``story_of`` already answers with the new id).
    """

    article_id: str
    story_id: str
    new_story: bool
    score: float
    merged: tuple[str, ...]


@dataclass(frozen=True)
class RelatedItem:
    article_id: str
    score: float
    same_story: bool
    reason: str


class Embedder(Protocol):
    """Turns texts into L2-normalised ``float32`` vectors of ``dim`` columns."""

    @property
    def name(self) -> str:
        """Names the model: vectors stored under another name are not compared."""
        ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class BackgroundDF:
    """Document frequencies counted on a background corpus, added to the online counts.

    They steady the IDF of a young installation; the online counts take over as articles
    accumulate. Terms are content words; entities are keyed ``@slug``.
    """

    documents: int
    counts: dict[str, int]

    @classmethod
    def empty(cls) -> BackgroundDF:
        return cls(0, {})

    @classmethod
    def load(cls, path: str | Path | None = None) -> BackgroundDF:
        """The table at ``path``, or the shipped one (``data/background_df.json.gz``,
        written with a model fitted on it: ``train --write --background``); empty when
        none ships (the shipped model is fitted with the online counts alone)."""
        if path is None:
            ref = resources.files("tidings.core.stories").joinpath(BACKGROUND_FILE)
            if not ref.is_file():
                return cls.empty()
            raw = ref.read_bytes()
        else:
            raw = Path(path).read_bytes()
        data = json.loads(gzip.decompress(raw))
        return cls(int(data["documents"]), {str(k): int(v) for k, v in data["counts"].items()})

    def dump(self) -> bytes:
        payload = {"documents": self.documents, "counts": dict(sorted(self.counts.items()))}
        return gzip.compress(json.dumps(payload, separators=(",", ":")).encode(), mtime=0)


BACKGROUND_FILE = "data/background_df.json.gz"


_EntityRow = tuple[str, str, str, float]  # name, kind, slug, weight


@dataclass(slots=True)
class _Doc:
    # Plain tuples of strings and floats rather than objects: the garbage collector stops
    # tracking them, which keeps its full passes short with 100,000 articles in memory.
    idx: int
    id: str
    source: str
    day: float | None
    language: str | None
    full_ids: np.ndarray
    full_tf: np.ndarray
    title_ids: np.ndarray
    title_tf: np.ndarray
    lead_ids: np.ndarray
    lead_tf: np.ndarray
    ent_ids: np.ndarray
    ent_w: np.ndarray
    name_ids: np.ndarray  # of ent_ids, those that are names (not a sentence-opening word)
    nums: tuple[str, ...]
    ents: tuple[_EntityRow, ...]
    story: int
    duplicate_of: int | None = None
    # Strongest similarities seen to other articles (full text, entities), best first:
    # they tell a pair that stands out of an article's neighbourhood from background.
    near_full: list[float] = field(default_factory=list)
    near_ent: list[float] = field(default_factory=list)
    # The pair model that put it in its story (its digest; "" when not recorded).
    assigned_by: str = ""


def _bag(ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    if not ids:
        return np.zeros(0, np.int32), np.zeros(0, np.float32)
    counts = Counter(ids)
    keys = np.fromiter(sorted(counts), np.int32, len(counts))
    tf = np.array([1.0 + math.log(counts[int(k)]) for k in keys], np.float32)
    return keys, tf


def _language(code: str | None) -> str | None:
    """``"fr"`` of ``"fr-FR"``, ``"FR"`` or ``"fr_CA"``; None when unknown."""
    base = (code or "").strip().lower().replace("_", "-").split("-")[0]
    return base or None


def _day(published: datetime | None) -> float | None:
    if published is None:
        return None
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return published.timestamp() / 86400.0


class StoryEngine:
    """Assigns articles to stories online and answers related-article queries.

    Deterministic: the same articles added in the same order give the same stories.
    Story ids are the id of the story's first article.
    """

    def __init__(
        self,
        *,
        embedder: Embedder | None = None,
        model: PairModel | None = None,
        background: BackgroundDF | None = None,
    ) -> None:
        self.embedder = embedder
        self._vecs: np.ndarray = np.zeros((0, 0), np.float32)  # width set by the first vector
        self._has_vec: np.ndarray = np.zeros(0, bool)
        self.model = model if model is not None else PairModel.load()
        self._vocab: dict[str, int] = {}
        self._df: np.ndarray = np.zeros(1024, np.float32)
        self._n = 0
        if background is None:
            # Features are read as the model was fitted: with its background table or none.
            documents = self.model.background_documents
            background = BackgroundDF.load() if documents else BackgroundDF.empty()
            if background.documents != documents:
                raise ValueError(
                    f"the pair model was fitted with a background table of {documents} "
                    f"documents; the one shipped has {background.documents}"
                )
        self._n_background = background.documents
        for term, count in background.counts.items():
            idx = self._term(term)
            self._df[idx] = count
        self._docs: list[_Doc] = []
        self._by_id: dict[str, int] = {}
        self._postings: dict[int, array[int]] = defaultdict(lambda: array("i"))
        self._story_root: list[int] = []  # union-find parent per story number
        self._story_members: dict[int, list[int]] = {}
        self._story_name: dict[int, str] = {}
        self._story_size: dict[int, int] = {}  # members that are not duplicates
        self._duplicates: dict[int, list[int]] = defaultdict(list)
        self._buf: np.ndarray = np.zeros(0)
        # How far apart in time the dated candidate pairs met so far are (GAP_BINS).
        self._gaps = np.full(len(GAP_BINS) + 1, GAP_PRIOR_PAIRS / (len(GAP_BINS) + 1))

    # ------------------------------------------------------------------ vocabulary

    def _term(self, term: str) -> int:
        idx = self._vocab.get(term)
        if idx is None:
            idx = len(self._vocab)
            self._vocab[term] = idx
            if idx >= len(self._df):
                self._df = np.concatenate([self._df, np.zeros(len(self._df), np.float32)])
        return idx

    def _idf(self, ids: np.ndarray) -> np.ndarray:
        total = self._n + self._n_background + 1.0
        return np.log(total / (self._df[ids] + 1.0)).astype(np.float32) + 1.0

    # ------------------------------------------------------------------ documents

    def _make_doc(self, article: StoryInput, entities: Sequence[Entity] | None) -> _Doc:
        body = tokens(article.text)[:MAX_TOKENS]
        title = tokens(article.title)
        lead_words = tokens(lead(article.title, article.text))
        term = self._term
        full_ids, full_tf = _bag([term(w) for w in title + title + body])
        title_ids, title_tf = _bag([term(w) for w in title])
        lead_ids, lead_tf = _bag([term(w) for w in lead_words])
        ents = (
            tuple(entities)
            if entities is not None
            else tuple(
                # As the pair model was fitted (see extract_entities).
                extract_entities(
                    article.title, article.text, article.language, whole_sentences=False
                )[:40]
            )
        )
        ent_map: dict[int, float] = {}
        for ent in ents:
            key = term("@" + ent.slug)
            ent_map[key] = ent_map.get(key, 0.0) + ent.weight
        ent_keys = sorted(ent_map)
        rows = tuple((e.name, e.kind, e.slug, e.weight) for e in ents)
        return _Doc(
            idx=len(self._docs),
            id=article.id,
            source=article.source.lower().removeprefix("www."),
            day=_day(article.published),
            language=_language(article.language),
            full_ids=full_ids,
            full_tf=full_tf,
            title_ids=title_ids,
            title_tf=title_tf,
            lead_ids=lead_ids,
            lead_tf=lead_tf,
            ent_ids=np.asarray(ent_keys, np.int32),
            ent_w=np.asarray([math.sqrt(ent_map[k]) for k in ent_keys], np.float32),
            name_ids=self._name_ids(rows),
            nums=tuple(
                sorted(numbers(article.title + "\n" + article.text[:3000], article.language))
            ),
            ents=rows,
            story=-1,
        )

    def _name_ids(self, ents: Iterable[_EntityRow]) -> np.ndarray:
        """The entity keys of ``ents`` that are names: a capitalised word opening a
        sentence ("Officials", "Sample") is none."""
        keys = {self._term("@" + slug) for _, kind, slug, _ in ents if kind != WORD}
        return np.asarray(sorted(keys), np.int32)

    def _count(self, doc: _Doc) -> None:
        keys = np.union1d(doc.full_ids, doc.ent_ids)
        self._df[keys] += 1.0
        self._n += 1

    # ------------------------------------------------------------------ retrieval

    def _query_keys(self, doc: _Doc, terms: int = QUERY_TERMS) -> list[int]:
        limit = max(30.0, MAX_DF_SHARE * (self._n + self._n_background))
        keys: list[int] = []
        if len(doc.full_ids):
            weights = doc.full_tf * self._idf(doc.full_ids)
            order = np.lexsort((doc.full_ids, -weights))
            for pos in order:
                key = int(doc.full_ids[pos])
                if self._df[key] <= limit:
                    keys.append(key)
                    if len(keys) >= terms:
                        break
        if len(doc.ent_ids):
            weights = doc.ent_w * self._idf(doc.ent_ids)
            order = np.lexsort((doc.ent_ids, -weights))
            for pos in order[:QUERY_ENTITIES]:
                key = int(doc.ent_ids[pos])
                if self._df[key] <= limit:
                    keys.append(key)
        return keys

    def _candidates(self, doc: _Doc, size: int) -> list[int]:
        """Articles sharing the most (idf-weighted) rare terms and names with ``doc``.

        Reads at most :data:`POSTINGS_PER_KEY` recent postings per key, all at once.
        """
        keys = self._query_keys(doc)
        if not keys:
            return []
        idf = self._idf(np.asarray(keys, np.int32))
        parts: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        for key, weight in zip(keys, idf.tolist(), strict=True):
            posting = self._postings.get(key)
            if not posting:
                continue
            ids = np.frombuffer(posting, np.int32)[-POSTINGS_PER_KEY:]
            parts.append(ids)
            weights.append(np.full(len(ids), weight))
        if not parts:
            return []
        found, inverse = np.unique(np.concatenate(parts), return_inverse=True)
        scores = np.bincount(inverse, weights=np.concatenate(weights))
        scores[found == doc.idx] = -1.0
        keep = scores > 0
        found, scores = found[keep], scores[keep]
        if len(found) > size:
            # Best first; ties go to the newer article.
            top = np.lexsort((-found, -scores))[:size]
        else:
            top = np.lexsort((-found, -scores))
        return [int(i) for i in found[top]]

    # ------------------------------------------------------------------ embeddings

    def _embed_doc(self, doc: _Doc, article: StoryInput) -> None:
        """Embed a new article; a failing backend leaves it to term evidence alone."""
        if self.embedder is None:
            return
        text = (article.title + "\n" + article.text)[:EMBED_CHARS]
        try:
            vector = self.embedder.embed([text])[0]
        except EmbeddingError as exc:
            log.warning("no embedding for article %s: %s [%s]", article.id, exc, exc.code)
            return
        self._set_vector(doc, vector)

    def _set_vector(self, doc: _Doc, vector: np.ndarray) -> None:
        """Keep ``doc``'s vector (as float16: the same numbers before and after a restore)."""
        if not self._vecs.shape[1]:
            self._vecs = np.zeros((len(self._has_vec), len(vector)), np.float16)
        if len(vector) != self._vecs.shape[1]:
            return
        if len(self._has_vec) <= doc.idx:
            size = max(1024, 2 * len(self._has_vec), doc.idx + 1)
            vecs = np.zeros((size, self._vecs.shape[1]), np.float16)
            vecs[: len(self._vecs)] = self._vecs
            has = np.zeros(size, bool)
            has[: len(self._has_vec)] = self._has_vec
            self._vecs, self._has_vec = vecs, has
        self._vecs[doc.idx] = vector
        self._has_vec[doc.idx] = True

    def _vector(self, doc: _Doc) -> np.ndarray | None:
        if doc.idx < len(self._has_vec) and self._has_vec[doc.idx]:
            return self._vecs[doc.idx].astype(np.float32)
        return None

    def _dense_sims(self, doc: _Doc, others: Sequence[int]) -> np.ndarray:
        """Embedding cosines of ``doc`` with ``others`` (0 where a vector is missing)."""
        mine = self._vector(doc)
        if mine is None or not others:
            return np.zeros(len(others))
        idx = np.minimum(np.asarray(others, np.int64), len(self._has_vec) - 1)
        known = self._has_vec[idx] & (np.asarray(others) < len(self._has_vec))
        sims = self._vecs[idx].astype(np.float32) @ mine
        return np.where(known, sims, 0.0).astype(np.float64)

    def _index(self, doc: _Doc) -> None:
        for key in self._query_keys(doc, INDEX_TERMS):
            self._postings[key].append(doc.idx)

    # ------------------------------------------------------------------ features

    def _sparse_dot(
        self,
        q_ids: np.ndarray,
        q_w: np.ndarray,
        ids: np.ndarray,
        w: np.ndarray,
        starts: np.ndarray,
    ) -> np.ndarray:
        """Dot products of one sparse vector with many concatenated ones (one gather)."""
        n = len(starts)
        if not len(q_ids) or not len(ids):
            return np.zeros(n)
        if len(self._buf) < len(self._df):
            self._buf = np.zeros(len(self._df))
        buf = self._buf
        buf[q_ids] = q_w
        prod = buf[ids] * w
        buf[q_ids] = 0.0
        return _segment_sum(prod, starts, n)

    def _field(self, docs: Sequence[_Doc], name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Concatenated ids, tf-idf weights and segment starts of one field of ``docs``."""
        ids, starts = _segments([getattr(d, name + "_ids") for d in docs], np.int32)
        tf, _ = _segments(
            [getattr(d, name + "_tf" if name != "ent" else "ent_w") for d in docs], np.float32
        )
        return ids, tf * self._idf(ids), starts

    def _query(self, doc: _Doc, name: str) -> tuple[np.ndarray, np.ndarray, float]:
        ids = getattr(doc, name + "_ids")
        tf = getattr(doc, name + "_tf" if name != "ent" else "ent_w")
        w = (tf * self._idf(ids)).astype(np.float64)
        return ids, w, float(np.linalg.norm(w))

    def _features_many(self, a: _Doc, others: Sequence[_Doc]) -> np.ndarray:
        """Pair features of ``a`` against each of ``others`` (rows), vectorised."""
        n = len(others)
        fields = {name: self._field(others, name) for name in ("full", "title", "lead", "ent")}
        norms = {
            name: np.sqrt(_segment_sum(w.astype(np.float64) ** 2, starts, n))
            for name, (_, w, starts) in fields.items()
        }
        mine = {name: self._query(a, name) for name in ("full", "title", "lead", "ent")}

        def cos(q: str, c: str) -> np.ndarray:
            q_ids, q_w, q_norm = mine[q]
            ids, w, starts = fields[c]
            dots = self._sparse_dot(q_ids, q_w, ids, w, starts)
            return dots / (q_norm * norms[c] + 1e-9)

        cos_full = cos("full", "full")
        cos_title = cos("title", "title")
        cos_lead = cos("lead", "lead")
        cos_cross = np.maximum(cos("title", "lead"), cos("lead", "title"))
        cos_ent = cos("ent", "ent")
        e_ids = a.ent_ids
        rare = self._sparse_dot(
            e_ids,
            np.maximum(self._idf(e_ids) - 3.0, 0.0).astype(np.float64),
            fields["ent"][0],
            np.ones(len(fields["ent"][0])),
            fields["ent"][2],
        )
        # Distinct names both share (a capitalised word opening a sentence is no name).
        their_names, name_starts = _segments([b.name_ids for b in others], np.int32)
        shared_names = _segment_sum(
            np.isin(their_names, a.name_ids).astype(np.float64), name_starts, n
        )
        a_nums = set(a.nums)
        shared_nums = np.array([sum(1 for x in b.nums if x in a_nums) for b in others], np.float64)
        timed = np.zeros(n)
        gaps = self._gaps_to(a, others)
        dated = ~np.isnan(gaps)
        if np.any(dated):
            timed[dated] = self._time_evidence(gaps[dated])
        same_source = np.array([1.0 if a.source == b.source else 0.0 for b in others])
        other_language = np.array(
            [1.0 if a.language and b.language and a.language != b.language else 0.0 for b in others]
        )
        return np.stack(
            [
                cos_full,
                cos_title,
                cos_lead,
                cos_cross,
                cos_ent,
                np.log1p(rare),
                np.log1p(shared_nums),
                same_source,
                cos_full * cos_full,
                cos_title * cos_ent,
                np.minimum(cos_full, cos_ent),
                other_language,
                shared_names_feature(shared_names),
                timed,
            ],
            axis=1,
        )

    @staticmethod
    def _gaps_to(a: _Doc, others: Sequence[_Doc]) -> np.ndarray:
        """Days between ``a`` and each of ``others`` (NaN where either has no date)."""
        if a.day is None:
            return np.full(len(others), np.nan)
        days = np.array([np.nan if b.day is None else b.day for b in others], np.float64)
        return np.abs(days - a.day)

    def _time_evidence(self, gaps: np.ndarray) -> np.ndarray:
        """How much more often two reports of one event are this far apart in time than
        two candidates of this installation's stream are: the log of the ratio of the two
        shares of the gap's bin. Reports an hour apart are strong evidence in an archive
        that spans years, and weak in a live stream where every candidate is from today.
        Zero for a model fitted without the shares of one event's reports."""
        same = self.model.same_story_gaps
        if same is None:
            return np.zeros(len(gaps))
        bins = np.searchsorted(GAP_BINS, gaps, side="right")
        stream = self._gaps / self._gaps.sum()
        ratio = np.maximum(same, 1e-9) / stream
        # Two reports of the same day are never evidence of two stories: in a live window
        # nearly every candidate is from today, more than one event's reports are (they
        # were learnt from an archive), and the ratio would fall below one.
        ratio[0] = max(ratio[0], 1.0)
        # Farther apart is never more evidence of one story: a few reports cited for an
        # event were written months before it (in events-dev, 5 of the 113 pairs of one
        # event's dated reports are more than a month apart, none 5 to 30 days).
        ratio = np.minimum.accumulate(ratio)
        return np.log(ratio[bins])

    def _base_rows(self, doc: _Doc, others: Sequence[int]) -> np.ndarray:
        return self._features_many(doc, [self._docs[o] for o in others])

    def pair_features(self, a_id: str, b_id: str) -> list[float]:
        """The model's features for two stored articles (for training and inspection)."""
        rows = self._base_rows(self._docs[self._by_id[a_id]], [self._by_id[b_id]])
        return [float(v) for v in rows[0]]

    def pair_probability(self, a_id: str, b_id: str) -> float:
        """The model's probability that two stored articles report one story, as
        ``a_id`` would be judged against ``b_id`` now (for inspection and tests)."""
        a, b = self._by_id[a_id], self._by_id[b_id]
        return float(self.model.probability(self._rows(self._docs[a], [b]))[0])

    def _rows(self, doc: _Doc, others: Sequence[int], *, note: bool = False) -> np.ndarray:
        """Model rows for ``doc`` against ``others``: pair features and neighbourhood ones.

        With ``note`` the pair similarities are first remembered in both articles'
        neighbourhoods (done once, when ``doc`` arrives).
        """
        if not others:
            return np.zeros((0, len(FEATURES)))
        base = self._base_rows(doc, others)
        if note:
            self._note(doc, others, base[:, 0], base[:, 4])
        hood = [
            _neighbourhood(
                base[:, col],
                doc_near,
                [getattr(self._docs[o], attr) for o in others],
                self.model.near_prior(attr),
            )
            for col, doc_near, attr in (
                (0, doc.near_full, "near_full"),
                (4, doc.near_ent, "near_ent"),
            )
        ]
        return np.concatenate([base, *hood], axis=1)

    def _note(self, doc: _Doc, others: Sequence[int], full: np.ndarray, ent: np.ndarray) -> None:
        gaps = self._gaps_to(doc, [self._docs[o] for o in others])
        gaps = gaps[~np.isnan(gaps)]
        if len(gaps):
            np.add.at(self._gaps, np.searchsorted(GAP_BINS, gaps, side="right"), 1.0)
        doc.near_full = _top(doc.near_full, full.tolist())
        doc.near_ent = _top(doc.near_ent, ent.tolist())
        for o, f, e in zip(others, full.tolist(), ent.tolist(), strict=True):
            other = self._docs[o]
            if len(other.near_full) < NEAR or f > other.near_full[-1]:
                other.near_full = _top(other.near_full, [f])
            if len(other.near_ent) < NEAR or e > other.near_ent[-1]:
                other.near_ent = _top(other.near_ent, [e])

    def _scores(self, doc: _Doc, others: Sequence[int], *, note: bool = False) -> np.ndarray:
        if not others:
            return np.zeros(0)
        return self.model.probability(self._rows(doc, others, note=note))

    # ------------------------------------------------------------------ stories

    def _find(self, story: int) -> int:
        root = story
        while self._story_root[root] != root:
            root = self._story_root[root]
        while self._story_root[story] != root:
            self._story_root[story], story = root, self._story_root[story]
        return root

    def _new_story(self, doc: _Doc) -> int:
        number = len(self._story_root)
        self._story_root.append(number)
        self._story_members[number] = []
        self._story_size[number] = 0
        self._story_name[number] = doc.id
        return number

    def _join(self, doc: _Doc, story: int) -> None:
        doc.story = story
        self._story_members[story].append(doc.idx)
        if doc.duplicate_of is None:
            self._story_size[story] += 1

    def add(
        self,
        article: StoryInput,
        *,
        duplicate_of: str | None = None,
        entities: Sequence[Entity] | None = None,
    ) -> Assignment:
        """Assign ``article`` to a story (online, in arrival order).

        ``duplicate_of`` names an already added article this one duplicates: it joins that
        story and is never offered as related to it. ``entities`` may be passed when the
        caller already extracted them (they are otherwise extracted here).
        Raises ``ValueError`` for an id that was already added or an unknown duplicate.
        """
        if article.id in self._by_id:
            raise ValueError(f"article {article.id!r} was already added")
        doc = self._make_doc(article, entities)
        if duplicate_of is not None:
            if duplicate_of not in self._by_id:
                raise ValueError(f"unknown article {duplicate_of!r}")
            original = self._docs[self._by_id[duplicate_of]]
            canonical = original.duplicate_of if original.duplicate_of is not None else original.idx
            doc.duplicate_of = canonical
            self._register(doc)
            self._duplicates[canonical].append(doc.idx)
            story = self._find(original.story)
            self._join(doc, story)
            return Assignment(article.id, self._story_name[story], False, 1.0, ())

        self._register(doc)
        doc.assigned_by = self.model.digest
        self._embed_doc(doc, article)
        candidates = self._candidates(doc, CANDIDATES)
        probs = self._scores(doc, candidates, note=True)
        model = self.model
        best: dict[int, float] = {}
        if candidates:
            roots = [self._find(self._docs[other].story) for other in candidates]
            stories = sorted(set(roots))
            number = {s: i for i, s in enumerate(stories)}
            groups = np.fromiter((number[r] for r in roots), np.int64, len(roots))
            sizes = np.fromiter((self._story_size[s] for s in stories), np.int64, len(stories))
            rows = story_rows(groups, np.asarray(probs, np.float64), sizes)
            best = dict(zip(stories, model.story_probability(rows).tolist(), strict=True))
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        if ranked and ranked[0][1] >= model.assign_threshold:
            target, score = ranked[0]
            to_merge = [s for s, p in ranked[1:] if p >= model.merge_threshold]
            merged: list[str] = []
            for other_story in to_merge:
                keep, gone = min(target, other_story), max(target, other_story)
                self._story_root[gone] = keep
                self._story_members[keep].extend(self._story_members.pop(gone))
                self._story_size[keep] += self._story_size.pop(gone)
                merged.append(self._story_name[gone])
                target = keep
            self._join(doc, target)
            self._index(doc)
            return Assignment(article.id, self._story_name[target], False, score, tuple(merged))
        story = self._new_story(doc)
        self._join(doc, story)
        self._index(doc)
        return Assignment(article.id, doc.id, True, ranked[0][1] if ranked else 0.0, ())

    def _register(self, doc: _Doc) -> None:
        self._docs.append(doc)
        self._by_id[doc.id] = doc.idx
        self._count(doc)

    def story_of(self, article_id: str) -> str:
        """The story id of an added article (raises ``KeyError`` for an unknown id)."""
        doc = self._docs[self._by_id[article_id]]
        return self._story_name[self._find(doc.story)]

    def stories(self) -> dict[str, str]:
        """``{article_id: story_id}`` for every added article."""
        return {doc.id: self._story_name[self._find(doc.story)] for doc in self._docs}

    def entities_of(self, article_id: str) -> tuple[Entity, ...]:
        ents = self._docs[self._by_id[article_id]].ents
        return tuple(Entity(name, kind, slug, weight) for name, kind, slug, weight in ents)  # type: ignore[arg-type]

    def assigned_by_other_models(self) -> int:
        """How many articles (copies aside) were put in their stories by another pair
        model than this engine's, or by one that was not recorded: after an upgrade that
        ships a new model, ``tidings recluster`` rebuilds their stories with it."""
        mine = self.model.digest
        return sum(1 for d in self._docs if d.duplicate_of is None and d.assigned_by != mine)

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._by_id

    # ------------------------------------------------------------------ related

    def related(
        self, article_id: str, k: int = 6, *, exclude: Collection[str] = ()
    ) -> list[RelatedItem]:
        """Up to ``k`` related articles: same story first (other outlets' reports before
        this outlet's own), then related stories.

        Never the article itself, its duplicates or ids in ``exclude``; only articles above
        the model's relevance floor; at most two per outlet unless nothing else qualifies.
        """
        doc = self._docs[self._by_id[article_id]]
        canonical = doc.duplicate_of if doc.duplicate_of is not None else doc.idx
        banned = {canonical, *self._duplicates.get(canonical, ())}
        banned.update(self._by_id[x] for x in exclude if x in self._by_id)
        story = self._find(doc.story)
        members = [m for m in self._story_members[story] if m not in banned]
        pool = set(self._candidates(doc, CANDIDATES * 2)) | set(members[-200:])
        pool = {i for i in pool if i not in banned and self._docs[i].duplicate_of is None}
        ordered = sorted(pool)
        if not ordered:
            return []
        rows = self._rows(doc, ordered)
        probs = self.model.probability(rows)
        same_story = [self._find(self._docs[o].story) == story for o in ordered]
        # The story-mate closest to this article vouches for other stories' articles too:
        # what they retrieve joins the pool, and an article a mate links strongly is
        # related even when this one words the event differently.
        ranked_mates = sorted(
            (i for i, same in enumerate(same_story) if same), key=lambda i: (-probs[i], ordered[i])
        )
        mates = [ordered[i] for i in ranked_mates[:RELATED_MATES]]
        found = {o for m in mates for o in self._candidates(self._docs[m], RELATED_MATE_POOL)}
        extra = sorted(
            o
            for o in found - pool - banned
            if self._docs[o].duplicate_of is None and self._find(self._docs[o].story) != story
        )
        if extra:
            extra_rows = self._rows(doc, extra)
            ordered += extra
            rows = np.concatenate([rows, extra_rows])
            probs = np.concatenate([probs, self.model.probability(extra_rows)])
            same_story += [False] * len(extra)
        vouched = np.zeros(len(ordered))
        voucher: dict[int, _Doc] = {}  # the mate an article is related through
        outside = [i for i, same in enumerate(same_story) if not same]
        for mate in mates:
            if not outside:
                break
            mate_doc = self._docs[mate]
            mate_rows = self._rows(mate_doc, [ordered[i] for i in outside])
            their = self.model.probability(mate_rows)
            for i, p, row in zip(outside, their.tolist(), mate_rows, strict=True):
                if p > vouched[i] and self._may_relate(mate_doc, ordered[i], row):
                    vouched[i] = p
                    voucher[ordered[i]] = mate_doc
        dense = self._dense_sims(doc, ordered).tolist()
        scored: list[tuple[float, int, bool]] = []
        bonus = self.model.extra.get("same_story_bonus", 1.0)
        for other, p, row, d, same, v in zip(
            ordered, probs.tolist(), rows, dense, same_story, vouched.tolist(), strict=True
        ):
            if same:
                scored.append((bonus + p, other, True))
                continue
            # The pair model is sharpest for "same event"; textual and entity closeness
            # (and the embeddings', when there are some) keep related coverage of
            # neighbouring events ranked sensibly.
            closeness = 0.5 * float(row[0]) + 0.5 * float(row[4])
            if self._vector(doc) is not None:
                closeness = (1.0 - DENSE_RELATED_WEIGHT) * closeness + DENSE_RELATED_WEIGHT * d
            relevance = max(p, closeness) if self._may_relate(doc, other, row) else 0.0
            relevance = max(relevance, v)
            if relevance >= self.model.related_floor:
                scored.append((relevance, other, False))
        scored.sort(key=lambda item: (-item[0], item[1]))
        chosen: list[tuple[float, int, bool]] = []
        per_source: Counter[str] = Counter()
        spill: list[tuple[float, int, bool]] = []
        for item in scored:
            source = self._docs[item[1]].source
            if per_source[source] >= 2 or (source == doc.source and per_source[source] >= 1):
                spill.append(item)
                continue
            per_source[source] += 1
            chosen.append(item)
            if len(chosen) >= k:
                break
        if len(chosen) < k:
            chosen.extend(spill[: k - len(chosen)])
        # Same story first, other outlets' reports of it before this outlet's own; then
        # the rest, each part by relevance.
        chosen.sort(
            key=lambda item: (
                not item[2],
                item[2] and self._docs[item[1]].source == doc.source,
                -item[0],
                item[1],
            )
        )
        return [
            RelatedItem(
                self._docs[idx].id,
                round(min(score, 2.0) / (2.0 if same else 1.0), 4),
                same,
                "Same story" if same else self._related_reason(doc, idx, voucher.get(idx)),
            )
            for score, idx, same in chosen
        ]

    def _related_reason(self, doc: _Doc, other: int, mate: _Doc | None) -> str:
        """Why another story's article is shown: what the two share or, for one a
        story-mate vouched for, what it shares with the story."""
        reason = self._reason(doc, self._docs[other])
        if reason == NO_SHARED_REASON and mate is not None:
            return self._reason(mate, self._docs[other])
        return reason

    def _may_relate(self, doc: _Doc, other: int, row: np.ndarray) -> bool:
        """Whether another story's article may be related to ``doc`` at all (``row``: their
        model row): some textual closeness, and more in common than a country."""
        return bool(row[0] >= 0.5 * self.model.related_floor) and (
            bool(row[0] >= PLACE_ONLY_COS) or self._shares_beyond_places(doc, other)
        )

    def _shares_beyond_places(self, a: _Doc, other: int) -> bool:
        """Whether two articles share more than a country's name.

        Countries, their cities and world regions fold into one country each ("Moscow" is
        "Russia"): another story is related through a common person, organisation or
        specific place, two common subjects, or two different countries -- never through
        one country alone ("Germany sends navy to Arctic" is not related to a report from
        Pyongyang because both name Russia and Moscow).
        """
        mine = {slug for _, _, slug, _ in a.ents}
        countries: set[str] = set()
        subjects = 0
        for name, kind, slug, _ in self._docs[other].ents:
            if slug not in mine:
                continue
            country = COUNTRY_OF.get(name) if kind == "place" else None
            if country is not None:
                countries.add(country)
            elif kind in ("topic", WORD):
                subjects += 1
            else:
                return True
        return len(countries) >= 2 or subjects >= 2

    def _reason(self, a: _Doc, b: _Doc) -> str:
        b_slugs = {slug for _, _, slug, _ in b.ents}
        found = shared_reason(((name, kind, slug) for name, kind, slug, _ in a.ents), b_slugs)
        return found or NO_SHARED_REASON

    # ------------------------------------------------------------------ top stories

    def top_stories(self, now: datetime, limit: int = 20) -> list[tuple[str, float]]:
        """Stories ranked by distinct outlets, velocity (last 6 h) and recency.

        Articles without a publication time count as published when they were added
        relative to ``now`` is unknown; they add breadth but no velocity or recency.
        """
        now_day = _day(now)
        assert now_day is not None
        ranked: list[tuple[float, str]] = []
        for story, members in self._story_members.items():
            if self._find(story) != story:
                continue
            docs = [self._docs[m] for m in members if self._docs[m].duplicate_of is None]
            if not docs:
                continue
            outlets = len({d.source for d in docs})
            days = [d.day for d in docs if d.day is not None and d.day <= now_day + 0.01]
            newest = max(days) if days else None
            age_hours = (now_day - newest) * 24.0 if newest is not None else 48.0
            recent = sum(1 for d in days if (now_day - d) * 24.0 <= 6.0)
            score = (math.log1p(outlets) * 2.0 + math.log1p(recent)) * math.exp(-age_hours / 24.0)
            ranked.append((round(score, 6), self._story_name[story]))
        ranked.sort(key=lambda item: (-item[0], item[1]))
        return [(name, score) for score, name in ranked[:limit]]

    # ------------------------------------------------------------------ persistence

    def article_state(self, article_id: str) -> bytes:
        """A compact blob from which :meth:`restore` rebuilds this article's evidence."""
        doc = self._docs[self._by_id[article_id]]
        inverse = self._inverse_vocab()
        payload = {
            "id": doc.id,
            "source": doc.source,
            "day": doc.day,
            "lang": doc.language,
            "full": [[inverse[int(i)] for i in doc.full_ids], doc.full_tf.round(4).tolist()],
            "title": [[inverse[int(i)] for i in doc.title_ids], doc.title_tf.round(4).tolist()],
            "lead": [[inverse[int(i)] for i in doc.lead_ids], doc.lead_tf.round(4).tolist()],
            "nums": list(doc.nums),
            "entities": [list(e) for e in doc.ents],
            "dup": self._docs[doc.duplicate_of].id if doc.duplicate_of is not None else None,
            "model": doc.assigned_by,
        }
        vector = self._vector(doc)
        if vector is not None and self.embedder is not None:
            packed = base64.b64encode(vector.astype("<f2").tobytes()).decode()
            payload["vec"] = [self.embedder.name, packed]
        return zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 6)

    def _inverse_vocab(self) -> list[str]:
        cached = getattr(self, "_inverse_cache", None)
        if cached is None or len(cached) != len(self._vocab):
            cached = [""] * len(self._vocab)
            for term, idx in self._vocab.items():
                cached[idx] = term
            self._inverse_cache = cached
        return cached

    def export_state(self) -> list[tuple[str, bytes, str]]:
        """``[(article_id, blob, story_id)]`` in arrival order, for :meth:`restore`."""
        return [(d.id, self.article_state(d.id), self.story_of(d.id)) for d in self._docs]

    @classmethod
    def restore(
        cls,
        records: Iterable[tuple[bytes, str]],
        *,
        embedder: Embedder | None = None,
        model: PairModel | None = None,
        background: BackgroundDF | None = None,
    ) -> StoryEngine:
        """Rebuild an engine from ``(blob, story_id)`` pairs in arrival order.

        Stories are taken as given (no re-clustering); the index, the document
        frequencies and the articles' neighbourhoods are rebuilt exactly as they were.
        Stored vectors of another embedder than ``embedder`` are left out: those articles
        are then compared by terms and names alone.
        """
        engine = cls(embedder=embedder, model=model, background=background)
        story_numbers: dict[str, int] = {}
        for blob, story_id in records:
            data = json.loads(zlib.decompress(blob))
            doc = engine._doc_from_state(data)
            engine._register(doc)
            stored = data.get("vec")
            if stored and embedder is not None and stored[0] == embedder.name:
                engine._set_vector(doc, np.frombuffer(base64.b64decode(stored[1]), "<f2"))
            number = story_numbers.get(story_id)
            if number is None:
                number = engine._new_story(doc)
                engine._story_name[number] = story_id
                story_numbers[story_id] = number
            if data.get("dup") is not None and data["dup"] in engine._by_id:
                canonical = engine._by_id[data["dup"]]
                doc.duplicate_of = canonical
                engine._duplicates[canonical].append(doc.idx)
                engine._join(doc, number)
                continue
            engine._join(doc, number)
            others = engine._candidates(doc, CANDIDATES)
            if others:
                base = engine._base_rows(doc, others)
                engine._note(doc, others, base[:, 0], base[:, 4])
            engine._index(doc)
        return engine

    def _doc_from_state(self, data: dict[str, Any]) -> _Doc:
        def bag(pair: list[list[Any]]) -> tuple[np.ndarray, np.ndarray]:
            terms, tf = pair
            ids = np.asarray([self._term(t) for t in terms], np.int32)
            weights = np.asarray(tf, np.float32)
            order = np.argsort(ids, kind="stable")
            return ids[order], weights[order]

        full_ids, full_tf = bag(data["full"])
        title_ids, title_tf = bag(data["title"])
        lead_ids, lead_tf = bag(data["lead"])
        ents = tuple((str(n), str(k), str(s), float(w)) for n, k, s, w in data["entities"])
        ent_map: dict[int, float] = {}
        for _, _, slug, weight in ents:
            key = self._term("@" + slug)
            ent_map[key] = ent_map.get(key, 0.0) + weight
        keys = sorted(ent_map)
        return _Doc(
            idx=len(self._docs),
            id=str(data["id"]),
            source=str(data["source"]),
            day=data["day"],
            language=data.get("lang"),
            full_ids=full_ids,
            full_tf=full_tf,
            title_ids=title_ids,
            title_tf=title_tf,
            lead_ids=lead_ids,
            lead_tf=lead_tf,
            ent_ids=np.asarray(keys, np.int32),
            ent_w=np.asarray([math.sqrt(ent_map[k]) for k in keys], np.float32),
            name_ids=self._name_ids(ents),
            nums=tuple(sorted(str(n) for n in data["nums"])),
            ents=ents,
            story=-1,
            assigned_by=str(data.get("model") or ""),
        )


def shared_reason(mine: Iterable[tuple[str, str, str]], theirs: Collection[str]) -> str | None:
    """ "Also about ...": two of the names ``mine`` (name, kind, slug; most prominent
    first) whose slug is in ``theirs`` -- people, organisations and specific places
    before a country, which says less. None when they share no name."""
    common = [e for e in mine if e[2] in theirs and e[1] != WORD]
    common.sort(key=lambda e: e[1] == "place" and e[0] in COUNTRY_OF)
    if not common:
        return None
    return "Also about " + ", ".join(e[0] for e in common[:2])


def _segments(parts: Sequence[np.ndarray], dtype: type) -> tuple[np.ndarray, np.ndarray]:
    """``parts`` end to end, and where each begins (the segments of :func:`_segment_sum`)."""
    lengths = np.fromiter((len(x) for x in parts), np.int64, len(parts))
    starts = np.zeros(len(parts), np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    joined = np.concatenate(parts) if parts else np.zeros(0, dtype)
    return joined, starts


def _segment_sum(values: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Sums of consecutive segments of ``values`` beginning at ``starts`` (empty ones: 0)."""
    out = np.zeros(n)
    if not len(values):
        return out
    csum = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    ends = np.append(starts[1:], len(values))
    return csum[ends] - csum[starts]


def _top(values: list[float], more: list[float]) -> list[float]:
    return sorted(values + more, reverse=True)[:NEAR]


def _neighbourhood(
    sims: np.ndarray, own: list[float], theirs: list[list[float]], prior: Sequence[float] = ()
) -> np.ndarray:
    """How much each pair stands out of both articles' neighbourhoods.

    Per side: the similarity over the side's best one, its margin over the side's three
    best, and how many remembered neighbours beat it; then the weaker and the stronger
    side of each (the features are symmetric in the two articles).

    A side that has met fewer than three articles (a young installation) has the rest
    of its three best filled with ``prior``: how close an article's best, second and
    third neighbours usually are. Without it, the pair itself stood in for the missing
    neighbours: any two of a site's first articles were each other's best match however
    unlike (two unrelated reports sharing a "Sample content" line, one story), and two
    outlets' reports of one event no more than background to each other (margin 0).
    A model fitted without priors fills them with 0 (no neighbour).
    """
    n = len(sims)
    width = NEAR
    fill = np.zeros(3)
    fill[: min(len(prior), 3)] = prior[:3]
    near = np.zeros((n, width))
    filled = np.zeros((n, width), bool)
    for row, values in enumerate(theirs):
        near[row, : len(values)] = values
        filled[row, : len(values)] = True
    mine = np.zeros(width)
    mine[: len(own)] = own
    mine_filled = np.arange(width) < len(own)
    sides = []
    for side, ok in (
        (np.broadcast_to(mine, (n, width)), np.broadcast_to(mine_filled, (n, width))),
        (near, filled),
    ):
        three = np.where(ok[:, :3], side[:, :3], fill)
        best = np.where(ok[:, 0], side[:, 0], np.maximum(fill[0], sims))
        ratio = sims / np.maximum(np.maximum(best, sims), 1e-6)
        margin = sims - three.mean(axis=1)
        above = (side > sims[:, None] + 1e-6) & ok
        above[:, :3] |= ~ok[:, :3] & (fill > sims[:, None] + 1e-6)
        beaten = np.log1p(above.sum(axis=1))
        sides.append(np.stack([ratio, margin, beaten], axis=1))
    a, b = sides
    return np.concatenate([np.minimum(a, b), np.maximum(a, b)], axis=1)


def count_background(articles: Iterable[StoryInput], min_df: int = 2) -> BackgroundDF:
    """Count document frequencies of ``articles`` the way the engine does."""
    engine = StoryEngine(model=untrained(), background=BackgroundDF.empty())
    n = 0
    for article in articles:
        engine._register(engine._make_doc(article, None))
        n += 1
    counts = {
        term: int(engine._df[idx])
        for term, idx in engine._vocab.items()
        if engine._df[idx] >= min_df
    }
    return BackgroundDF(n, counts)
