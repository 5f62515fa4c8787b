"""Prometheus counters: what the bot handled, how lookups went, what Telegram refused, how long replies took.

Each Application gets its own registry so that tests and benchmarks can build several side by side.
Queries that found nothing are counted by their normalised text (no user ids) so the catalogue can grow.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

MISSED_QUERY_CHARS = 40
# Each distinct missed query is a label; past this many, the rest are counted together, so that users'
# typing cannot grow the bot's memory and Prometheus' storage without bound.
MISSED_QUERY_LABELS = 500
OTHER = "(other)"


class Metrics:
    def __init__(self) -> None:
        self._missed_seen: set[str] = set()
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
            "Queries that found nothing, by their text (cut short), to improve the catalogue",
            ["query"],
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

    def lookup(self, outcome: str) -> None:
        if outcome in ("hit", "ambiguous", "miss"):
            self.lookups.labels(outcome).inc()

    def missed_query(self, query: str) -> None:
        text = " ".join(query.split()).casefold()[:MISSED_QUERY_CHARS]
        if not text:
            return
        if text not in self._missed_seen:
            if len(self._missed_seen) >= MISSED_QUERY_LABELS:
                text = OTHER
            else:
                self._missed_seen.add(text)
        self.missed.labels(text).inc()
