"""Acknowledged means kept: an update is handled, or in the store's inbox, before Telegram hears it
arrived, and what a crash left unfinished is handled first on the next start.

Webhook: a POST is answered 200 once its update is kept (when the store cannot keep it, once it is
handled). Polling: Telegram itself keeps every update until a later getUpdates confirms it, so a polled
update needs the disk only if it is still unfinished when the next getUpdates must go out. That request
waits up to HOLD for the updates it confirms to be handled, then keeps whatever is still in hand in the
inbox before it is sent. A reply never waits for the disk, and a bot answering in time writes nothing.

Each update kept is marked done once its handlers have finished. An update id kept before is a repeat
(Telegram delivering again what it was not sure we had) and is skipped.
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
# Seconds the next getUpdates waits for the updates it confirms to be handled before it keeps the rest in
# the inbox. Long enough for a reply over a Bot API round trip; short enough that an update arriving
# meanwhile is not kept waiting for long (it waits only while another is in hand).
HOLD = 0.1
# Answered updates left unconfirmed at most: the wait ends early once this many are answered, since a crash
# before the confirming getUpdates would answer them again (the rate limiter lets 30 replies out at once).
UNCONFIRMED = 4


class Inbox:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.app: Application | None = None
        # Repeats that polling replaced by their bare ids: nothing to handle, nothing to mark.
        self.repeats: set[int] = set()
        self._waiting: dict[int, asyncio.Future[None]] = {}
        # Ids kept in the store lately (by this run, or by the last one): a repeat of one is skipped.
        self._recent: OrderedDict[int, None] = OrderedDict()
        # Polled updates queued and neither handled nor kept yet: Telegram still has them.
        self._in_hand: dict[int, tuple[dict, int | None]] = {}
        self._all_handled: asyncio.Future[None] | None = None  # while a getUpdates waits for them
        self._unconfirmed = 0  # polled updates answered since the last getUpdates went out
        self._keeping: asyncio.Task[None] | None = None

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

    def polled(self, update_id: int, update: dict, sender: int | None) -> bool:
        """A polled update about to be queued; False if it is a repeat of one kept before."""
        if update_id in self._recent:
            return False
        self._in_hand[update_id] = (update, sender)
        return True

    async def confirming(self, offset: int) -> None:
        """Returns once every update below `offset` is handled or kept: then getUpdates may confirm them."""
        if self._keeping is not None:  # a stop cancelled the last request while it was keeping updates
            await _unless_cancelled(self._keeping)
        for update_id in [u for u in self._in_hand if u >= offset]:
            del self._in_hand[update_id]  # never queued (the batch could not be read): it comes again
        if self._in_hand and self._unconfirmed < UNCONFIRMED:
            loop = asyncio.get_running_loop()
            # Done by `finished` once none is in hand, or UNCONFIRMED are answered; by the timer after HOLD.
            waiter = self._all_handled = loop.create_future()
            timer = loop.call_later(HOLD, _settle, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._all_handled = None
        if not self._in_hand:
            self._unconfirmed = 0  # the request goes out now
            return
        still, self._in_hand = self._in_hand, {}
        loop = asyncio.get_running_loop()
        # Registered now, before any of them can finish: if they cannot be kept, they are confirmed only
        # once they are all handled, and one handled meanwhile must not be waited for forever.
        handled = {u: self._waiting.setdefault(u, loop.create_future()) for u in still}
        self._keeping = loop.create_task(self._keep_unfinished(still, handled))
        await _unless_cancelled(self._keeping)
        self._unconfirmed = 0

    async def _keep_unfinished(
        self, still: dict[int, tuple[dict, int | None]], handled: dict[int, asyncio.Future[None]]
    ) -> None:
        updates = [
            (u, json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode())
            for u, (update, _) in still.items()
        ]
        users = [sender for _, sender in still.values() if sender is not None]
        for update_id in still:
            self._remember(update_id)
        if await self.keep(updates, users) is None:
            await asyncio.gather(*handled.values())  # not kept: confirm once handled, as the webhook does
            return
        for update_id, future in handled.items():  # kept: nobody needs to wait for their handling
            if self._waiting.get(update_id) is future:
                del self._waiting[update_id]

    def _remember(self, update_id: int) -> None:
        self._recent[update_id] = None
        if len(self._recent) > RECENT:
            self._recent.popitem(last=False)

    # -- every update ---------------------------------------------------------------------------

    def finished(self, update: Update) -> None:
        """Called after every update's handlers, whatever they did."""
        update_id = update.update_id
        if self._in_hand.pop(update_id, None) is None:
            self.store.inbox_done(update_id)  # kept: mark it done
        else:
            self._unconfirmed += 1
            if self._all_handled is not None and (not self._in_hand or self._unconfirmed >= UNCONFIRMED):
                _settle(self._all_handled)
        done = self._waiting.pop(update_id, None)
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
            self._remember(update_id)
        queued = self.hand_over(await self.store.inbox_unfinished())
        if queued:
            log.info("Handling %d updates left unfinished by the last run", queued)


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def _unless_cancelled(task: asyncio.Task) -> None:
    """Wait for `task` without passing on our own cancellation to it: python-telegram-bot cancels its
    polling task on stop, mid-getUpdates, and the batch being written must still be written (the final
    getUpdates that confirms it waits for it)."""
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.cancelled():
            raise  # we were cancelled: the write goes on
