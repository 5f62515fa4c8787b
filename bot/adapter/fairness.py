"""Fair under load: Telegram's per-chat limits kept, chats served in turn, one chat's trouble its own.

`ChatRateLimiter` sends at most `private_rate` messages a second into a private chat and 20 a minute into
a group (Telegram's limits), 30 a second overall; a 429 for one chat pauses that chat only. PTB's
AIORateLimiter pauses every chat on any 429 and has no private-chat limit.

`FairUpdateProcessor` handles one update per chat at a time: a chat's further updates wait in their chat's
line without holding one of the concurrency slots, so 300 updates from one chat do not keep an innocent
user waiting behind them; the slots go to the chats in turn. A chat whose line grows long is told, once,
to slow down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter, BaseUpdateProcessor

log = logging.getLogger(__name__)

# The methods that put a message into a chat: Telegram's per-chat limits count these.
SENDING = frozenset(
    {
        "sendMessage", "sendPhoto", "sendDocument", "sendVideo", "sendAnimation", "sendAudio", "sendVoice",
        "sendSticker", "sendMediaGroup", "sendLocation", "sendContact", "sendPoll", "sendDice",
        "copyMessage", "forwardMessage",
    }
)  # fmt: skip
OVERALL_RATE = 30.0  # messages a second for the whole bot
GROUP_RATE = (20, 60.0)  # messages per seconds into one group
CHATS_KEPT = 10_000  # group limiters remembered, least recently used dropped first; private chats' turns
FLOOD_LINE = 5  # updates waiting in one chat's line before it is told to slow down


class ChatRateLimiter(BaseRateLimiter[int]):
    """Per-chat and overall limits, with a 429 honoured for the chat it was about."""

    def __init__(self, private_rate: float = 1.0, max_retries: int = 3) -> None:
        self.private_rate = private_rate
        self.max_retries = max_retries
        self._overall = AsyncLimiter(OVERALL_RATE, 1)
        self._groups: OrderedDict[object, AsyncLimiter] = OrderedDict()
        # Private chats, the most: the moment each may have its next message, and no object per chat.
        self._private_turns: dict[int, float] = {}
        self._paused_until: dict[object, float] = {}  # chat (or None: every chat) → monotonic time

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def _group_limiter(self, chat: object) -> AsyncLimiter:
        limiter = self._groups.get(chat)
        if limiter is None:
            limiter = self._groups[chat] = AsyncLimiter(*GROUP_RATE)
            if len(self._groups) > CHATS_KEPT:
                self._groups.popitem(last=False)
        else:
            self._groups.move_to_end(chat)
        return limiter

    async def _private_turn(self, chat: int) -> None:
        """Wait for this chat's next turn: one message per 1/private_rate seconds, in the order asked."""
        now = time.monotonic()
        turns = self._private_turns
        turn = max(now, turns.get(chat, 0.0))
        if len(turns) >= CHATS_KEPT and chat not in turns:  # forget chats whose turn has come and gone
            self._private_turns = turns = {c: t for c, t in turns.items() if t > now}
        turns[chat] = turn + 1 / self.private_rate
        if turn > now:
            await asyncio.sleep(turn - now)

    async def _wait_out_pauses(self, chat: object) -> None:
        while True:
            wait = (
                max(self._paused_until.get(chat, 0.0), self._paused_until.get(None, 0.0)) - time.monotonic()
            )
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        chat = data.get("chat_id") if endpoint in SENDING else None
        for attempt in range(self.max_retries + 1):
            await self._wait_out_pauses(chat)
            group = isinstance(chat, str) or (isinstance(chat, int) and chat < 0)
            if isinstance(chat, int) and not group:
                await self._private_turn(chat)
            chat_limit = self._group_limiter(chat) if group else contextlib.nullcontext()
            async with chat_limit, self._overall:
                try:
                    return await callback(*args, **kwargs)
                except RetryAfter as exc:
                    if attempt == self.max_retries:
                        raise
                    value = exc.retry_after
                    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
                    # A 429 about a message names its chat: only that chat waits. Others: everyone.
                    self._paused_until[chat] = time.monotonic() + seconds + 0.1
                    log.info(
                        "Telegram asked to wait %.0f s (%s, %s)",
                        seconds,
                        endpoint,
                        "one chat" if chat else "all",
                    )
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _chat_of(update: object) -> int | None:
    if isinstance(update, Update):
        chat = update.effective_chat
        if chat is not None:
            return chat.id
        user = update.effective_user
        return user.id if user is not None else None
    return None


class FairUpdateProcessor(BaseUpdateProcessor):
    """One update per chat at a time, the concurrency slots shared among chats in turn."""

    def __init__(
        self, max_concurrent_updates: int, on_flood: Callable[[Update], Awaitable[None]] | None = None
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.on_flood = on_flood
        self._lines: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._warned: set[int] = set()

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = _chat_of(update)
        if chat is None:
            await super().process_update(update, coroutine)
            return
        line = self._lines.setdefault(chat, asyncio.Lock())
        self._waiting[chat] = self._waiting.get(chat, 0) + 1
        try:
            if self._waiting[chat] > FLOOD_LINE and chat not in self._warned and isinstance(update, Update):
                self._warned.add(chat)
                if self.on_flood is not None:
                    asyncio.get_running_loop().create_task(self.on_flood(update))
            async with line:  # this chat's earlier updates first; no slot is held while waiting here
                await super().process_update(update, coroutine)
        finally:
            self._waiting[chat] -= 1
            if not self._waiting[chat]:  # the line is empty: forget it, and the warning with it
                del self._waiting[chat]
                self._lines.pop(chat, None)
                self._warned.discard(chat)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
