"""Exact and near-duplicate detection of article texts.

Exact duplicates share a :func:`content_hash` (of the text with case,
punctuation and whitespace normalised away). Near-duplicates — the same wire
story republished with a new headline, a trimmed paragraph or an added credit
line — share most of their word 5-gram shingles; :func:`signature` is a MinHash
of those shingles (128 permutations, datasketch), stored as 513 bytes, and
:class:`NearDuplicateIndex` finds earlier articles whose estimated Jaccard
similarity passes a threshold without comparing against every article.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from itertools import accumulate
from typing import Literal

import numpy as np
from datasketch import MinHash

__all__ = [
    "NearDuplicateIndex", "content_hash", "fingerprint", "normalise", "signature", "similarity",
]  # fmt: skip

NUM_PERM = 128
SHINGLE_WORDS = 5
_VERSION = 1
_SEED = 1
_SCHEME: Literal["affine32"] = "affine32"
_EMPTY = np.uint32(0xFFFFFFFF)
_NON_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Text as compared for duplicates: NFKC, case-folded, punctuation and
    symbols removed, words separated by single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD.sub(" ", text).strip()


def content_hash(text: str) -> str:
    """SHA-256 (hex) of the normalised text: equal for texts that differ only
    in case, whitespace or punctuation."""
    return _content_hash(normalise(text))


def _content_hash(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def _shingles(normalised: str) -> set[bytes]:
    """The word 5-grams of a normalised text (single spaces between words), as UTF-8."""
    return set(_shingle_list(normalised))


def _shingle_list(normalised: str) -> list[bytes]:
    """The word 5-grams of a normalised text in order, repeats included (a MinHash
    minimum does not change for a repeated shingle: no set is needed to sign)."""
    encoded = normalised.encode("utf-8")
    if not encoded:
        return []
    # Slices of the encoded text between word boundaries: the same bytes as joining
    # the words again, without building every shingle twice.
    ends = list(accumulate(len(word) + 1 for word in encoded.split(b" ")))
    if len(ends) <= SHINGLE_WORDS:
        return [encoded]
    starts = [0, *ends]
    return [
        encoded[start : end - 1]
        for start, end in zip(starts, ends[SHINGLE_WORDS - 1 :], strict=False)
    ]


def signature(text: str) -> bytes:
    """A MinHash signature of the text's word 5-gram shingles.

    One version byte followed by 128 little-endian uint32 minimum hashes. The
    signature of an empty text matches nothing (similarity 0).
    """
    return _signature(normalise(text))


def fingerprint(text: str) -> tuple[str, bytes]:
    """``(content_hash(text), signature(text))``, normalising the text once.

    The signatures of the texts fingerprinted last are remembered by content hash: an
    exact copy (the same wire story from several outlets, one article under several
    URLs) has the same normalised text, hence the same signature, and is not signed
    again."""
    normalised = normalise(text)
    chash = _content_hash(normalised)
    with _RECENT_LOCK:
        sig = _RECENT.get(chash)
    if sig is None:
        sig = _signature(normalised)
        with _RECENT_LOCK:
            _RECENT[chash] = sig
            if len(_RECENT) > RECENT_SIGNATURES:
                del _RECENT[next(iter(_RECENT))]  # the oldest
    return chash, sig


#: How many signatures :func:`fingerprint` remembers (513 bytes each).
RECENT_SIGNATURES = 2048
_RECENT: dict[str, bytes] = {}
_RECENT_LOCK = threading.Lock()


def _signature(normalised: str) -> bytes:
    values = np.full(NUM_PERM, _EMPTY, dtype="<u4")
    shingles = _shingle_list(normalised)
    if shingles:
        # datasketch's MinHash (scheme affine32) computed in one pass, bit for bit: each
        # shingle's hash is the first 4 bytes (little-endian) of its SHA-1, mixed by the
        # MurmurHash3 finalizer, then permuted as a * h + b (mod 2**32); the signature is
        # the minimum per permutation. The digests are read as one array instead of one
        # struct.unpack per shingle (0.58 -> 0.35 ms per benchmark page).
        digests = b"".join([hashlib.sha1(shingle).digest() for shingle in shingles])
        hashes = np.frombuffer(digests, dtype="<u4")[::_SHA1_WORDS].copy()
        hashes ^= hashes >> 16
        hashes *= np.uint32(0x85EBCA6B)
        hashes ^= hashes >> 13
        hashes *= np.uint32(0xC2B2AE35)
        hashes ^= hashes >> 16
        a, b = _permutations()
        permuted = hashes[:, np.newaxis] * a
        permuted += b
        values = permuted.min(axis=0).astype("<u4")
    return bytes([_VERSION]) + values.tobytes()


#: A SHA-1 digest is five 32-bit words; a shingle's hash is the first.
_SHA1_WORDS = 5

_PERMUTATIONS: tuple[np.ndarray, np.ndarray] | None = None


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The MinHash permutations (uint32 ``a`` and ``b``), generated once as datasketch
    generates them for the seed."""
    global _PERMUTATIONS
    if _PERMUTATIONS is None:
        a, b = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME).permutations
        _PERMUTATIONS = (a.astype(np.uint32), b.astype(np.uint32))
    return _PERMUTATIONS


def _values(sig: bytes) -> np.ndarray:
    if len(sig) != 1 + 4 * NUM_PERM or sig[0] != _VERSION:
        raise ValueError("not a signature made by tidings.core.dedupe.signature")
    return np.frombuffer(sig, dtype="<u4", offset=1)


def _similarity(a: np.ndarray, b: np.ndarray) -> float:
    if (a == _EMPTY).all() or (b == _EMPTY).all():
        return 0.0
    return float(np.count_nonzero(a == b)) / NUM_PERM


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity (0..1) of the shingle sets behind two
    signatures. Raises ValueError for bytes that are not signatures."""
    return _similarity(_values(a), _values(b))


class NearDuplicateIndex:
    """In-memory locality-sensitive hashing index over signatures.

    The 128 hashes are cut into 32 bands of 4: two texts become candidates when
    a band matches, which happens with probability above 0.99 at similarity
    0.7 and about 0.87 at 0.5. Candidates are then scored exactly, so
    :meth:`query` returns only keys at or above its threshold; thresholds below
    0.5 may miss matches. Nothing is persisted: rebuild the index from stored
    signatures with :meth:`from_signatures`.
    """

    BANDS = 32
    ROWS = NUM_PERM // BANDS

    def __init__(self) -> None:
        self._sigs: dict[str, np.ndarray] = {}
        self._buckets: list[defaultdict[bytes, set[str]]] = [
            defaultdict(set) for _ in range(self.BANDS)
        ]

    @classmethod
    def from_signatures(cls, items: Iterable[tuple[str, bytes]]) -> NearDuplicateIndex:
        index = cls()
        for key, sig in items:
            index.add(key, sig)
        return index

    def __len__(self) -> int:
        return len(self._sigs)

    def __contains__(self, key: object) -> bool:
        return key in self._sigs

    def _bands(self, values: np.ndarray) -> list[bytes]:
        return [values[i * self.ROWS : (i + 1) * self.ROWS].tobytes() for i in range(self.BANDS)]

    def add(self, key: str, sig: bytes) -> None:
        """Index ``sig`` under ``key`` (replacing an earlier signature of that key)."""
        values = _values(sig)
        self.remove(key)
        self._sigs[key] = values
        if (values == _EMPTY).all():
            return
        for bucket, band in zip(self._buckets, self._bands(values), strict=True):
            bucket[band].add(key)

    def remove(self, key: str) -> None:
        values = self._sigs.pop(key, None)
        if values is None:
            return
        for bucket, band in zip(self._buckets, self._bands(values), strict=True):
            keys = bucket.get(band)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del bucket[band]

    def query(self, sig: bytes, threshold: float = 0.8) -> list[tuple[str, float]]:
        """Keys whose estimated similarity to ``sig`` is at least ``threshold``,
        most similar first (ties by key)."""
        values = _values(sig)
        if (values == _EMPTY).all():
            return []
        candidates: set[str] = set()
        for bucket, band in zip(self._buckets, self._bands(values), strict=True):
            keys = bucket.get(band)
            if keys:
                candidates.update(keys)
        scored = [(key, _similarity(values, self._sigs[key])) for key in candidates]
        hits = [(key, score) for key, score in scored if score >= threshold]
        hits.sort(key=lambda item: (-item[1], item[0]))
        return hits
