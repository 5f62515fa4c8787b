"""The log's summary of what was handled: counts by kind and chat type, the mean and slowest times, then
a fresh start; nothing at all while nothing is handled."""

from __future__ import annotations

from bot.ops.activity import Activity


def test_a_summary_counts_by_kind_and_chat_type_then_starts_afresh():
    activity = Activity()
    assert activity.summary() is None  # nothing handled: no line
    activity.add("message", "private", 0.004)
    activity.add("message", "group", 0.010)
    activity.add("callback_query", "private", 0.001)
    summary = activity.summary()
    assert summary is not None
    message, args, fields = summary
    text = message % args
    assert text.startswith("handled 3 updates in ")
    assert "(2 message, 1 callback_query; 2 in private chats, 1 in group chats), 5.0 ms on average" in text
    assert text.endswith("slowest 10.0 ms")
    assert fields == {
        "updates": {"message": 2, "callback_query": 1},
        "chat_types": {"private": 2, "group": 1},
        "mean_seconds": 0.005,
        "slowest_seconds": 0.01,
    }
    assert activity.summary() is None  # counted once
    activity.add("inline_query", "none", 0.002)
    assert activity.summary()[2]["updates"] == {"inline_query": 1}
