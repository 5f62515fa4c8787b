"""Runs the real Application from `build_application` against the fake Bot API, and speaks for users.

A test pushes an update as a user would send it, then waits for the bot's API call that answers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fake_telegram import Call, FakeTelegram

from bot.adapter.application import build_application
from bot.adapter.context import services_of
from bot.core.catalogue import load_catalogue
from bot.core.search import Searcher
from bot.ops.runner import serve
from bot.ops.settings import Settings, load_settings

REPLIES = ("sendPhoto", "sendMessage")
WEBHOOK_URL = "https://bot.example.com/telegram-hook"
WEBHOOK_SECRET = "s3cret-Token_1-long-enough"


@functools.cache
def shared_searcher() -> Searcher:
    """The catalogue and its indexes, built once for every bot the tests start (they are read-only)."""
    return Searcher.load(load_catalogue())


def free_port() -> int:
    """A port nothing listens on, on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def webhook_settings(port: int, listen: str = "127.0.0.1") -> dict[str, Any]:
    """Settings overrides for a bot in webhook mode serving `port`."""
    return {
        "bot_mode": "webhook",
        "webhook_url": WEBHOOK_URL,
        "webhook_secret": WEBHOOK_SECRET,
        "webhook_listen": listen,
        "webhook_port": port,
    }


def make_settings(fake: FakeTelegram, state_dir: Path, **overrides: Any) -> Settings:
    """Settings for a bot talking to `fake`; nothing is read from the environment or a .env file."""
    values: dict[str, Any] = {
        "telegram_bot_token": fake.token,
        "telegram_api_url": fake.base_url,
        "bot_state_dir": state_dir,
        # Tests ask one chat many things in a row; the per-chat limit itself is tested on its own.
        "bot_private_chat_rate": 100.0,
        **overrides,
    }
    return load_settings(_env_file=None, **values)


@dataclass
class RunningBot:
    fake: FakeTelegram
    settings: Settings
    app: Any = None
    task: asyncio.Task | None = None
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def services(self):
        return services_of(self.app)

    async def start(self) -> RunningBot:
        self.app = build_application(self.settings, searcher=shared_searcher())
        self.task = asyncio.create_task(serve(self.app, self.settings, self.stop_event, poll_timeout=1))
        # The fake records a call when it answers it, and the first long poll is still open: wait for the
        # Application to report itself running instead.
        deadline = asyncio.get_running_loop().time() + 10
        while not (self.app.running and (self.settings.bot_mode == "webhook" or self.app.updater.running)):
            if self.task.done():
                self.task.result()  # start-up failed: raise its error here
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the bot did not start within 10 s")
            await asyncio.sleep(0.01)
        return self

    async def stop(self) -> None:
        self.stop_event.set()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.task, timeout=15)

    async def reply_to(self, update: dict, methods: tuple[str, ...] = REPLIES, timeout: float = 5.0) -> Call:
        """Wait for the first successful call of one of `methods` made after `update` was pushed."""
        mark = update["_mark"]
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for call in self.fake.calls[mark:]:
                if call.method in methods and call.ok:
                    return call
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(
                    f"no {methods} after the update; calls: {[c.method for c in self.fake.calls[mark:]]}"
                )
            await asyncio.sleep(0.01)

    async def file_id_known(self, picture: str, timeout: float = 5.0) -> str:
        """Wait until the bot has stored the file_id of a picture: it does so after the fake answered."""
        key = self.services.illustrations.picture(picture).key
        deadline = asyncio.get_running_loop().time() + timeout
        while (file_id := self.services.store.known_file_id(key)) is None:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no file_id for picture {picture}")
            await asyncio.sleep(0.01)
        return file_id

    def say(self, text: str, **kwargs: Any) -> dict:
        """Queue a user's text message; the returned update remembers where the calls stood."""
        mark = self.fake.mark()
        update = self.fake.user_message(text, **kwargs)
        update["_mark"] = mark
        return update

    def press(self, message: dict, data: str, **kwargs: Any) -> dict:
        mark = self.fake.mark()
        update = self.fake.callback(message, data, **kwargs)
        update["_mark"] = mark
        return update

    def inline(self, query: str, **kwargs: Any) -> dict:
        mark = self.fake.mark()
        update = self.fake.inline_query(query, **kwargs)
        update["_mark"] = mark
        return update

    async def ask(self, text: str, **kwargs: Any) -> Call:
        """Say something and return the bot's reply call."""
        return await self.reply_to(self.say(text, **kwargs))

    async def idle(self, timeout: float = 5.0) -> None:
        """Wait until the bot has nothing left to do: every update the fake delivered was confirmed (or, in
        webhook mode, accepted) and every handler has finished. What the bot would answer, it has sent."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        # In webhook mode the tests post updates themselves; the fake's queue is not the bot's.
        if self.settings.bot_mode != "webhook" and not await asyncio.to_thread(
            self.fake.wait_confirmed, timeout
        ):
            raise TimeoutError(f"updates still unconfirmed: {len(self.fake.pending_updates)}")
        # The Application marks each queued update done only once all its handlers have returned.
        await asyncio.wait_for(self.app.update_queue.join(), max(deadline - loop.time(), 0.01))
        await asyncio.wait_for(self.services.store.flush(), max(deadline - loop.time(), 0.01))

    async def silence(self, update: dict) -> list[Call]:
        """The bot's calls after `update` (not polling), once it has handled everything: [] is silence."""
        await self.idle()
        return [c for c in self.fake.calls[update["_mark"] :] if c.method != "getUpdates"]
