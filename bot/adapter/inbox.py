"""Acknowledged means kept: an update is in the store's inbox before Telegram hears it arrived.

Webhook: a POST is answered 200 once its update is kept. Polling: a batch of getUpdates is kept before
python-telegram-bot sees it, so before the next getUpdates confirms it. Each update is marked done
once its handlers have finished; what a crash left unfinished is handled first on the next start. An
update id kept before is a repeat (Telegram delivering again what it was not sure we had) and is
skipped. When the store cannot keep updates, they are handled first and acknowledged after.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence

from telegram import Update
from telegram.ext import Application

from bot.store import Store

log = logging.getLogger(__name__)


class Inbox:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.app: Application | None = None
        # Repeats that polling replaced by their bare ids: nothing to handle, nothing to mark.
        self.repeats: set[int] = set()
        self._waiting: dict[int, asyncio.Future[None]] = {}

    async def keep(self, updates: Sequence[tuple[int, bytes]]) -> set[int] | None:
        """The ids of `updates` that are new, once they are kept; None when they cannot be kept."""
        return await self.store.inbox_add(updates)

    async def accept(self, update: Update, body: bytes) -> None:
        """A webhook POST: returns when the update may be acknowledged."""
        assert self.app is not None
        new = await self.keep([(update.update_id, body)])
        if new is None:  # not kept: acknowledge only once it is handled
            done = asyncio.get_running_loop().create_future()
            self._waiting[update.update_id] = done
            await self.app.update_queue.put(update)
            await done
        elif update.update_id in new:
            await self.app.update_queue.put(update)

    def finished(self, update: Update) -> None:
        """Called after every update's handlers, whatever they did."""
        self.store.inbox_done(update.update_id)
        done = self._waiting.pop(update.update_id, None)
        if done is not None and not done.done():
            done.set_result(None)

    def hand_over(self, entries: Sequence[tuple[int, bytes]]) -> int:
        """Queue kept updates (left unfinished by a crash, or by a replica that went away)."""
        assert self.app is not None
        queued = 0
        for update_id, body in entries:
            try:
                update = Update.de_json(json.loads(body), self.app.bot)
            except Exception as exc:  # kept, but unreadable: never handled, so never retried again
                log.warning("Dropping kept update %s: it cannot be read (%s)", update_id, type(exc).__name__)
                self.store.inbox_done(update_id)
                continue
            self.app.update_queue.put_nowait(update)
            queued += 1
        return queued

    async def replay(self) -> None:
        """On start, before any new update: what the last run acknowledged and did not finish."""
        queued = self.hand_over(await self.store.inbox_unfinished())
        if queued:
            log.info("Handling %d updates left unfinished by the last run", queued)
