"""Related-article figures per label (``tidings bench stories`` prints P@5 by topic)."""

from __future__ import annotations

import pytest

from tidings.core.stories import evaluate_related, evaluate_related_by_label

LABELS = {"a1": "ferries", "a2": "ferries", "a3": "ferries", "b1": "harvest", "b2": "harvest"}
LABELS |= {"c1": "alone"}  # no other article: not a query
RELATED = {
    "a1": ["a2", "b1", "a3"],
    "a2": ["b1", "a1"],
    "a3": [],
    "b1": ["b2"],
    "b2": ["a1", "b1"],
    "c1": ["a1"],
}


def test_figures_per_label() -> None:
    by_label = evaluate_related_by_label(RELATED, LABELS)
    assert set(by_label) == {"ferries", "harvest"}
    ferries, harvest = by_label["ferries"], by_label["harvest"]
    assert ferries["queries"] == 3 and harvest["queries"] == 2
    # a1: top hit, 2 of 2 relevant; a2: miss, 1 of 2; a3: nothing shown.
    assert ferries["hit_at_1"] == pytest.approx(1 / 3)
    assert ferries["p_at_5"] == pytest.approx((1.0 + 0.5 + 0.0) / 3)
    assert harvest["hit_at_1"] == pytest.approx(0.5)
    assert harvest["p_at_5"] == pytest.approx(1.0)


def test_overall_figures_are_the_mean_over_queries() -> None:
    overall = evaluate_related(RELATED, LABELS)
    by_label = evaluate_related_by_label(RELATED, LABELS)
    queries = sum(row["queries"] for row in by_label.values())
    assert overall["queries"] == queries == 5
    mean_p5 = sum(row["p_at_5"] * row["queries"] for row in by_label.values()) / queries
    assert overall["p_at_5"] == pytest.approx(mean_p5)
