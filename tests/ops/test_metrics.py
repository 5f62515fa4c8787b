"""Metrics keep bounded label sets: users' typing must not grow memory without limit."""

from __future__ import annotations

from bot.ops.metrics import MISSED_QUERY_LABELS, OTHER, Metrics


def test_missed_queries_are_normalised_and_capped():
    metrics = Metrics()
    metrics.missed_query("  Qwzx   PLOMB ")
    metrics.missed_query("qwzx plomb")
    assert metrics.missed.labels("qwzx plomb")._value.get() == 2
    for i in range(MISSED_QUERY_LABELS + 10):
        metrics.missed_query(f"nonsense {i}")
    assert metrics.missed.labels(OTHER)._value.get() == 11
    labels = {s.labels["query"] for m in metrics.registry.collect() for s in m.samples if "query" in s.labels}
    assert len(labels) == MISSED_QUERY_LABELS + 1


def test_lookup_outcomes_are_a_closed_set():
    metrics = Metrics()
    for outcome in ("hit", "ambiguous", "miss", "info", "nonsense"):
        metrics.lookup(outcome)
    outcomes = {
        s.labels["outcome"] for m in metrics.registry.collect() for s in m.samples if "outcome" in s.labels
    }
    assert outcomes == {"hit", "ambiguous", "miss"}
