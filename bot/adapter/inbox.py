"""Acknowledged means kept: an update is in the store's inbox before Telegram hears it arrived.

Webhook: a POST is answered 200 once its update is kept. Polling: a batch of getUpdates is handed to
python-telegram-bot at once while it is written, and the next getUpdates, which confirms the batch to
Telegram, waits until it is kept (so the reply does not wait for the disk). Each update is marked done
once its handlers have finished; what a crash left unfinished is handled first on the next start. An
update id kept before is a repeat (Telegram delivering again what it was not sure we had) and is
skipped. When the store cannot keep updates, they are handled first and acknowledged after.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Sequence

from telegram import Update
from telegram.ext import Application

from bot.store import Store

log = logging.getLogger(__name__)

# Update ids remembered in memory to spot repeats while polling: Telegram delivers again only what was
# not confirmed, at most a few batches of up to 100.
RECENT = 5000


class Inbox:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.app: Application | None = None
        # Repeats that polling replaced by their bare ids: nothing to handle, nothing to mark.
        self.repeats: set[int] = set()
        self._waiting: dict[int, asyncio.Future[None]] = {}
        self._recent: OrderedDict[int, None] = OrderedDict()
        self._writing: asyncio.Task[None] | None = None

    async def keep(self, updates: Sequence[tuple[int, bytes]], users: Sequence[int] = ()) -> set[int] | None:
        """The ids of `updates` that are new, once they are kept; None when they cannot be kept."""
        return await self.store.inbox_add(updates, users)

    async def accept(self, update: Update, body: bytes) -> None:
        """A webhook POST: returns when the update may be acknowledged."""
        assert self.app is not None
        sender = update.effective_user
        new = await self.keep([(update.update_id, body)], [sender.id] if sender else [])
        if new is None:  # not kept: acknowledge only once it is handled
            done = asyncio.get_running_loop().create_future()
            self._waiting[update.update_id] = done
            await self.app.update_queue.put(update)
            await done
        elif update.update_id in new:
            await self.app.update_queue.put(update)

    # -- polling --------------------------------------------------------------------------------

    def seen(self, update_id: int) -> bool:
        """Was this id kept before (by this run, or by the last one)? Remembers it if not."""
        if update_id in self._recent:
            return True
        self._recent[update_id] = None
        if len(self._recent) > RECENT:
            self._recent.popitem(last=False)
        return False

    def keep_in_background(self, updates: Sequence[tuple[int, bytes]], users: Sequence[int] = ()) -> None:
        """Start keeping a polled batch; `settled()` waits for it before the batch is confirmed."""
        loop = asyncio.get_running_loop()
        # Registered now, before any of them can be handled: if they cannot be kept, the batch is
        # confirmed only once they are all handled, and one handled early must not be waited for forever.
        handled = {u: self._waiting.setdefault(u, loop.create_future()) for u, _ in updates}
        previous = self._writing
        self._writing = loop.create_task(self._keep_batch(updates, users, handled, previous))

    async def _keep_batch(
        self,
        updates: Sequence[tuple[int, bytes]],
        users: Sequence[int],
        handled: dict[int, asyncio.Future[None]],
        previous: asyncio.Task | None,
    ) -> None:
        if previous is not None:
            await _unless_cancelled(previous)
        if updates and await self.keep(updates, users) is None:
            await asyncio.gather(*handled.values())  # not kept: confirm once handled, as the webhook does
            return
        for update_id, future in handled.items():  # kept: nobody needs to wait for their handling
            if self._waiting.get(update_id) is future:
                del self._waiting[update_id]

    async def settled(self) -> None:
        """Returns once every batch handed over is kept (or handled): then it may be confirmed."""
        if self._writing is not None:
            await _unless_cancelled(self._writing)

    # -- every update ---------------------------------------------------------------------------

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
        for update_id in reversed(await self.store.recent_ids(RECENT)):
            self.seen(update_id)
        queued = self.hand_over(await self.store.inbox_unfinished())
        if queued:
            log.info("Handling %d updates left unfinished by the last run", queued)


async def _unless_cancelled(task: asyncio.Task) -> None:
    """Wait for `task` without passing on our own cancellation to it: python-telegram-bot cancels its
    polling task on stop, mid-getUpdates, and the batch being written must still be written (the final
    getUpdates that confirms it waits for it)."""
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.cancelled():
            raise  # we were cancelled: the write goes on
