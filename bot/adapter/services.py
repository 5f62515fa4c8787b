"""Everything the handlers share, built once per Application; handlers reach it as `context.services`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.adapter.delivery import Delivery
from bot.art.illustrations import Illustrations
from bot.core.catalogue import Catalogue
from bot.core.search import Searcher
from bot.ops.metrics import Metrics
from bot.ops.settings import Settings
from bot.ops.state import State
from bot.screens.views import Views


@dataclass
class Services:
    settings: Settings
    catalogue: Catalogue
    searcher: Searcher
    views: Views
    state: State
    illustrations: Illustrations
    delivery: Delivery
    metrics: Metrics
    heartbeat: Callable[[], None] | None = None  # set by the runner in polling mode

    def beat(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat()
