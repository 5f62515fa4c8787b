"""What the bot handled lately, as one INFO line every SUMMARY_EVERY seconds of activity.

A log line per update cost 2-8 % of the bot's CPU in a burst (the logging machinery run cold, between
two sleeps, for every update), and at 30 updates a second buries everything else in the log. Each
update is counted here instead; its own line is at DEBUG, or at INFO when it took SLOW seconds or more.
The metrics (`bot_updates_total`, `bot_reply_seconds`) count every update as well.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

SUMMARY_EVERY = 10.0  # seconds between two summaries (none while nothing is handled)
SLOW = 1.0  # seconds: an update that took this long gets an INFO line of its own


class Activity:
    def __init__(self) -> None:
        self._reset(time.monotonic())

    def _reset(self, now: float) -> None:
        self._kinds: Counter[str] = Counter()
        self._chats: Counter[str] = Counter()
        self._total = 0.0
        self._slowest = 0.0
        self._since = now

    def add(self, kind: str, chat_type: str, seconds: float) -> None:
        self._kinds[kind] += 1
        self._chats[chat_type] += 1
        self._total += seconds
        if seconds > self._slowest:
            self._slowest = seconds

    def summary(self) -> tuple[str, tuple[Any, ...], dict[str, Any]] | None:
        """The summary since the last one (message, its arguments, its JSON fields) and start afresh;
        None when nothing was handled."""
        now = time.monotonic()
        count = self._kinds.total()
        if not count:
            self._since = now
            return None
        kinds, chats = dict(self._kinds.most_common()), dict(self._chats.most_common())
        message = "handled %d updates in %.0f s (%s; %s), %.1f ms on average, slowest %.1f ms"
        args = (
            count,
            now - self._since,
            ", ".join(f"{n} {kind}" for kind, n in kinds.items()),
            ", ".join(f"{n} in {chat} chats" for chat, n in chats.items()),
            self._total / count * 1000,
            self._slowest * 1000,
        )
        fields = {
            "updates": kinds,
            "chat_types": chats,
            "mean_seconds": round(self._total / count, 4),
            "slowest_seconds": round(self._slowest, 4),
        }
        self._reset(now)
        return message, args, fields
