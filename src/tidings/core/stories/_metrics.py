"""Clustering and related-article quality measures against labelled events."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence


def evaluate(assignments: Mapping[str, str], labels: Mapping[str, str]) -> dict[str, float]:
    """Pairwise and B-cubed precision/recall/F1 of ``{article: story}`` vs ``{article: event}``.

    Only articles present in both mappings are scored.
    """
    ids = sorted(set(assignments) & set(labels))
    by_pair: Counter[tuple[str, str]] = Counter((assignments[i], labels[i]) for i in ids)
    by_story: Counter[str] = Counter(assignments[i] for i in ids)
    by_event: Counter[str] = Counter(labels[i] for i in ids)

    def pairs(n: int) -> int:
        return n * (n - 1) // 2

    tp = sum(pairs(n) for n in by_pair.values())
    predicted = sum(pairs(n) for n in by_story.values())
    actual = sum(pairs(n) for n in by_event.values())
    p_prec = tp / predicted if predicted else 1.0
    p_rec = tp / actual if actual else 1.0
    b_prec = sum(by_pair[(assignments[i], labels[i])] / by_story[assignments[i]] for i in ids)
    b_rec = sum(by_pair[(assignments[i], labels[i])] / by_event[labels[i]] for i in ids)
    n = len(ids) or 1
    b_prec, b_rec = b_prec / n, b_rec / n
    return {
        "pairwise_precision": p_prec,
        "pairwise_recall": p_rec,
        "pairwise_f1": _f1(p_prec, p_rec),
        "bcubed_precision": b_prec,
        "bcubed_recall": b_rec,
        "bcubed_f1": _f1(b_prec, b_rec),
        "stories": float(len(by_story)),
        "events": float(len(by_event)),
    }


def evaluate_related(
    related: Mapping[str, Sequence[str]], labels: Mapping[str, str]
) -> dict[str, float]:
    """hit@1 and P@5 where relevant means same label.

    P@5 is divided by ``min(5, other articles with the label)``; articles whose label has no
    other article are skipped.
    """
    members: dict[str, int] = defaultdict(int)
    for label in labels.values():
        members[label] += 1
    hits = precision = 0.0
    counted = 0
    for article, label in labels.items():
        others = members[label] - 1
        if others <= 0:
            continue
        ranked = list(related.get(article, ()))
        counted += 1
        hits += 1.0 if ranked and labels.get(ranked[0]) == label else 0.0
        good = sum(1 for r in ranked[:5] if labels.get(r) == label)
        precision += good / min(5, others)
    counted = counted or 1
    return {"hit_at_1": hits / counted, "p_at_5": precision / counted, "queries": float(counted)}


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0
