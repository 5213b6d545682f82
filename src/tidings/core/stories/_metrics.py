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
    per_query = _related_queries(related, labels)
    counted = len(per_query) or 1
    return {
        "hit_at_1": sum(hit for _, hit, _ in per_query) / counted,
        "p_at_5": sum(p5 for _, _, p5 in per_query) / counted,
        "queries": float(len(per_query)),
    }


def evaluate_related_by_label(
    related: Mapping[str, Sequence[str]], labels: Mapping[str, str]
) -> dict[str, dict[str, float]]:
    """The figures of :func:`evaluate_related` for each label on its own."""
    grouped: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for label, hit, p5 in _related_queries(related, labels):
        grouped[label].append((hit, p5))
    return {
        label: {
            "hit_at_1": sum(h for h, _ in rows) / len(rows),
            "p_at_5": sum(p for _, p in rows) / len(rows),
            "queries": float(len(rows)),
        }
        for label, rows in sorted(grouped.items())
    }


def _related_queries(
    related: Mapping[str, Sequence[str]], labels: Mapping[str, str]
) -> list[tuple[str, float, float]]:
    """``(label, hit@1, P@5)`` of every article whose label has another article."""
    members: dict[str, int] = defaultdict(int)
    for label in labels.values():
        members[label] += 1
    out = []
    for article, label in labels.items():
        others = members[label] - 1
        if others <= 0:
            continue
        ranked = list(related.get(article, ()))
        hit = 1.0 if ranked and labels.get(ranked[0]) == label else 0.0
        good = sum(1 for r in ranked[:5] if labels.get(r) == label)
        out.append((label, hit, good / min(5, others)))
    return out


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0
