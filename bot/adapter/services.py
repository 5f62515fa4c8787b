"""Everything the handlers share, built once per Application; handlers reach it as `context.services`."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.adapter.delivery import Delivery
from bot.adapter.inbox import Inbox
from bot.art.illustrations import Illustrations
from bot.core.catalogue import Catalogue
from bot.core.search import Searcher
from bot.ops.activity import Activity
from bot.ops.metrics import Metrics
from bot.ops.settings import Settings
from bot.screens.views import Views
from bot.store import Store

EXIT_TOKEN_REJECTED = 2
ANSWERED_KEPT = 1000


@dataclass
class Services:
    settings: Settings
    catalogue: Catalogue
    searcher: Searcher
    views: Views
    store: Store
    inbox: Inbox
    illustrations: Illustrations
    delivery: Delivery
    metrics: Metrics
    heartbeat: Callable[[], None] | None = None  # set by the runner in polling mode
    # Set by the runner: stop the bot with this exit code (a token revoked while running).
    shutdown: Callable[[int], None] | None = None
    token_rejected: bool = False
    activity: Activity = field(default_factory=Activity)  # summarised in the log by the runner

    # Callback queries already answered (Telegram accepts one answer each), newest last, bounded.
    _answered: OrderedDict[str, None] = field(default_factory=OrderedDict)

    def mark_answered(self, query_id: str) -> None:
        self._answered[query_id] = None
        while len(self._answered) > ANSWERED_KEPT:
            self._answered.popitem(last=False)

    def answered(self, query_id: str) -> bool:
        return query_id in self._answered

    def beat(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat()

    def reject_token(self) -> None:
        """The Bot API answered 401: the token was revoked. Exit non-zero so a supervisor restarts the bot
        and the operator reads why, instead of a live process that can do nothing."""
        if not self.token_rejected:
            self.token_rejected = True
            if self.shutdown is not None:
                self.shutdown(EXIT_TOKEN_REJECTED)
