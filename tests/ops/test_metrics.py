"""Metrics keep bounded label sets: users' typing must not grow memory without limit."""

from __future__ import annotations

from bot.ops.metrics import MISS_KINDS, Metrics, MissRecorder, miss_kind


def test_missed_queries_are_counted_by_kind_never_by_text():
    metrics = Metrics()
    for query in ("john@example.com", "+44 20 7946 0958 call me", "12345", "随便问问", "line one\nline two"):
        metrics.missed_query(query)
    samples = [
        s for m in metrics.registry.collect() for s in m.samples if s.name == "bot_missed_queries_total"
    ]
    assert {s.labels["kind"] for s in samples} <= set(MISS_KINDS)
    assert miss_kind("12345") == "number" and miss_kind("随便问问") == "chinese"
    assert miss_kind("line one\nline two") == "paste"


def test_recorded_misses_are_cut_short_and_written_off_the_caller(tmp_path):
    recorder = MissRecorder(tmp_path / "misses.jsonl")
    metrics = Metrics(recorder)
    metrics.missed_query("qwzx plomb " * 12)
    recorder.close()
    line = (tmp_path / "misses.jsonl").read_text(encoding="utf-8").splitlines()[0]
    assert '"kind": "words"' in line and len(line) < 140


def test_lookup_outcomes_are_a_closed_set():
    metrics = Metrics()
    for outcome in ("hit", "ambiguous", "miss", "info", "nonsense"):
        metrics.lookup(outcome)
    outcomes = {
        s.labels["outcome"] for m in metrics.registry.collect() for s in m.samples if "outcome" in s.labels
    }
    assert outcomes == {"hit", "ambiguous", "miss"}
