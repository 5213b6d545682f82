from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given
from hypothesis import strategies as st

from tidings.core import dedupe
from tidings.core.dedupe import (
    NUM_PERM,
    NearDuplicateIndex,
    _shingles,
    content_hash,
    fingerprint,
    normalise,
    signature,
    similarity,
)

# Sample content: a fictional wire story and its republications.
WIRE = (
    "The regional transport authority said on Tuesday that it would add forty electric buses "
    "to its fleet by the end of next year, replacing the oldest diesel vehicles on routes that "
    "serve the northern suburbs. The purchase, worth about twelve million, was approved by the "
    "board after a short debate. Officials said the new buses would cut running costs and noise, "
    "and that charging points would be installed at two depots over the summer. Passenger groups "
    "welcomed the decision but asked for more frequent services in the evenings and at weekends."
)
REPUBLISHED = (
    "NORTHTOWN (Wire) — "
    + WIRE.replace("said on Tuesday", "announced on Tuesday")
    + " Reporting by a staff writer; editing by the desk."
)
UNRELATED = (
    "The city library will extend its opening hours on Sundays from April, the council said, "
    "after a survey found that many residents wanted to visit at weekends. The library will also "
    "lend musical instruments and gardening tools, and a new reading room for teenagers will open "
    "on the second floor once the renovation of the old archive is finished later this year."
)


def test_content_hash_ignores_case_space_punctuation() -> None:
    assert content_hash("Hello,   World!") == content_hash("hello world")
    assert content_hash("Hello\nWorld") == content_hash("HELLO — world.")
    assert content_hash("hello world") != content_hash("hello there world")
    assert len(content_hash("x")) == 64
    assert normalise("Ça, c'est « bien » !") == "ça c est bien"


def test_signature_format() -> None:
    sig = signature(WIRE)
    assert isinstance(sig, bytes) and len(sig) == 513
    assert sig == signature(WIRE)  # deterministic across calls (and processes: fixed seed)


def test_similarity() -> None:
    assert similarity(signature(WIRE), signature(WIRE)) == 1.0
    assert similarity(signature(WIRE), signature(REPUBLISHED)) > 0.75
    assert similarity(signature(WIRE), signature(UNRELATED)) < 0.1
    assert similarity(signature(""), signature("")) == 0.0
    assert similarity(signature("short text"), signature("Short text!")) == 1.0


def test_similarity_rejects_foreign_bytes() -> None:
    with pytest.raises(ValueError):
        similarity(b"nope", signature(WIRE))


def test_index_finds_republished_copy_only() -> None:
    index = NearDuplicateIndex()
    index.add("wire", signature(WIRE))
    index.add("library", signature(UNRELATED))
    hits = index.query(signature(REPUBLISHED), threshold=0.7)
    assert [key for key, _ in hits] == ["wire"]
    assert hits[0][1] > 0.75
    assert index.query(signature("Completely different words about the weather."), 0.5) == []


def test_index_rebuild_replace_remove() -> None:
    sigs = [("wire", signature(WIRE)), ("library", signature(UNRELATED)), ("empty", signature(""))]
    index = NearDuplicateIndex.from_signatures(sigs)
    assert len(index) == 3 and "wire" in index
    assert [k for k, _ in index.query(signature(WIRE))] == ["wire"]
    index.add("wire", signature(UNRELATED))  # replaced
    assert sorted(k for k, _ in index.query(signature(UNRELATED))) == ["library", "wire"]
    assert index.query(signature(WIRE)) == []
    index.remove("wire")
    index.remove("missing")
    assert [k for k, _ in index.query(signature(UNRELATED))] == ["library"]
    assert index.query(signature("")) == []


def test_index_scales_without_false_positives() -> None:
    index = NearDuplicateIndex()
    for i in range(300):
        text = f"Story number {i} " + " ".join(f"word{(i * 7 + j) % 997}" for j in range(80))
        index.add(f"k{i}", signature(text))
    index.add("wire", signature(WIRE))
    assert [k for k, _ in index.query(signature(REPUBLISHED), threshold=0.7)] == ["wire"]


def _joined_shingles(text: str) -> set[bytes]:
    """Word 5-grams built the plain way: the reference for the sliced ones."""
    words = normalise(text).split()
    if len(words) <= 5:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + 5]).encode() for i in range(len(words) - 4)}


@given(st.text(alphabet=st.sampled_from("ab cé,\u00a0\n-ДЖ"), max_size=80))
def test_shingles_are_the_joined_word_five_grams(text: str) -> None:
    assert _shingles(normalise(text)) == _joined_shingles(text)


def test_fingerprint_is_hash_and_signature() -> None:
    for text in (WIRE, REPUBLISHED, "", "two words"):
        assert fingerprint(text) == (content_hash(text), signature(text))


def test_fingerprint_remembers_recent_signatures_by_content_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signed: list[str] = []
    real = dedupe._signature

    def counting(normalised: str) -> bytes:
        signed.append(normalised)
        return real(normalised)

    monkeypatch.setattr(dedupe, "_signature", counting)
    monkeypatch.setattr(dedupe, "_RECENT", {})
    monkeypatch.setattr(dedupe, "RECENT_SIGNATURES", 2)
    copy = WIRE.upper().replace(".", " .")  # same normalised text, same content hash
    assert fingerprint(WIRE) == fingerprint(copy) == (content_hash(WIRE), signature(WIRE))
    assert len(signed) == 1 + 1  # once by fingerprint, once by signature() in the assert
    fingerprint(REPUBLISHED)
    fingerprint(UNRELATED)  # the memo holds two: WIRE's is the oldest and goes
    assert list(dedupe._RECENT) == [content_hash(REPUBLISHED), content_hash(UNRELATED)]
    assert fingerprint(WIRE)[1] == signature(WIRE)
    assert len(signed) == 4 + 1 + 1


def _datasketch_signature(text: str) -> bytes:
    """The signature through datasketch's own MinHash: what stored signatures were made with."""
    values = np.full(NUM_PERM, 0xFFFFFFFF, dtype="<u4")
    shingles = _shingles(normalise(text))
    if shingles:
        minhash = MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32")
        minhash.update_batch(list(shingles))
        values = minhash.hashvalues.astype("<u4")
    return b"\x01" + values.tobytes()


@pytest.mark.parametrize(
    "text", [WIRE, REPUBLISHED, UNRELATED, "", "one", "five words and no more", "news " * 40]
)
def test_signature_is_datasketch_minhash(text: str) -> None:
    assert signature(text) == _datasketch_signature(text)


@given(st.text(alphabet=st.sampled_from("ab cé,\u00a0\n-ДЖ"), max_size=200))
def test_signature_is_datasketch_minhash_for_any_text(text: str) -> None:
    assert signature(text) == _datasketch_signature(text)
