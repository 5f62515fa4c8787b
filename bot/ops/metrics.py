"""Prometheus counters: what the bot handled, how lookups went, what Telegram refused, how long replies took.

Each Application gets its own registry so that tests and benchmarks can build several side by side.
No label ever holds what a user typed (metrics are scraped, stored and shown to whoever runs Grafana):
queries that found nothing are counted by their kind. Their texts, cut short and with no user ids, are
kept only where the operator opts in (`BOT_RECORD_MISSES`), in a file `python -m bot misses` reads.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram

log = logging.getLogger(__name__)

MISSED_QUERY_CHARS = 80
MISSES_FILE = "misses.jsonl"
# The kinds of query that found nothing: a closed set, so labels never grow with what users type.
MISS_KINDS = ("number", "words", "chinese", "paste", "other")
_HAN = re.compile(r"[\u3400-\u9fff]")


def miss_kind(query: str) -> str:
    """What sort of text found nothing, without saying what it was."""
    text = query.strip()
    if "\n" in text or len(text) > 160:
        return "paste"
    if _HAN.search(text):
        return "chinese"
    if text.isdigit():
        return "number"
    if any(c.isalpha() for c in text):
        return "words"
    return "other"


class MissRecorder:
    """Appends missed queries (cut short, no user ids) to a file, from a thread: never on the event loop."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write, name="miss-recorder", daemon=True)
        self._thread.start()

    def record(self, text: str, kind: str) -> None:
        self._queue.put(json.dumps({"kind": kind, "text": text}, ensure_ascii=False))

    def close(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _write(self) -> None:
        warned = False
        while (line := self._queue.get()) is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(line + "\n")
            except OSError as exc:
                if not warned:
                    log.warning("Cannot record missed queries in %s: %s", self.path, exc)
                    warned = True


class Metrics:
    def __init__(self, recorder: MissRecorder | None = None) -> None:
        self.recorder = recorder
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "bot_updates_total", "Updates handled, by kind", ["kind"], registry=self.registry
        )
        self.lookups = Counter(
            "bot_lookups_total",
            "Lookups, by outcome (hit, ambiguous, miss)",
            ["outcome"],
            registry=self.registry,
        )
        self.missed = Counter(
            "bot_missed_queries_total",
            "Queries that found nothing, by kind (number, words, chinese, paste, other); never their text",
            ["kind"],
            registry=self.registry,
        )
        self.api_errors = Counter(
            "bot_telegram_api_errors_total",
            "Telegram API errors, by method",
            ["method"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "bot_reply_seconds",
            "Time from receiving an update to finishing its handler",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )

        # Each label's child, looked up once: `labels()` takes a lock and builds a key on every call, and
        # these are counted for every update. The label sets are closed (kinds, outcomes).
        self._children: dict[tuple[Counter, str], Counter] = {}

    def _count(self, counter: Counter, label: str) -> None:
        child = self._children.get((counter, label))
        if child is None:
            child = self._children[counter, label] = counter.labels(label)
        child.inc()

    def update(self, kind: str, seconds: float) -> None:
        """An update handled, of `kind` (message, callback_query…), in `seconds`."""
        self._count(self.updates, kind)
        self.latency.observe(seconds)

    def lookup(self, outcome: str) -> None:
        if outcome in ("hit", "ambiguous", "miss"):
            self._count(self.lookups, outcome)

    def missed_query(self, query: str) -> None:
        kind = miss_kind(query)
        self._count(self.missed, kind)
        if self.recorder is not None:
            text = " ".join(query.split())[:MISSED_QUERY_CHARS]
            if text:
                self.recorder.record(text, kind)
