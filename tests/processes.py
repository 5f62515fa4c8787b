"""The bot as operators run it, `python -m bot run` in a process of its own, against the fake Bot API:
for what only a real process shows (signals, kill -9, several replicas)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from fake_telegram import Call, FakeTelegram
from harness import WEBHOOK_SECRET, WEBHOOK_URL

ROOT = Path(__file__).resolve().parents[1]


def bot_env(fake: FakeTelegram, state_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of `python -m bot run` against the fake, free of the caller's bot settings."""
    prefixes = ("TELEGRAM_", "BOT_", "WEBHOOK_", "METRICS_", "LOG_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_URL=fake.base_url,
        BOT_STATE_DIR=str(state_dir),
        **settings,
    )
    return env


def webhook_env(port: int, **settings: str) -> dict[str, str]:
    return {
        "BOT_MODE": "webhook",
        "WEBHOOK_URL": WEBHOOK_URL,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        **settings,
    }


class BotProcess:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        # cwd is a scratch folder, so no .env of the developer's is read
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.port = int(env["WEBHOOK_PORT"]) if env.get("BOT_MODE") == "webhook" else None

    async def ready(self, timeout: float = 30.0) -> BotProcess:
        """Webhook mode: /readyz answers "ok". Raises with the bot's stderr if it exited instead."""
        assert self.port is not None
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(self.stderr())
                try:
                    if (await client.get(f"http://127.0.0.1:{self.port}/readyz")).text == "ok\n":
                        return self
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError("the bot was not ready in time")
                await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise

    def stderr(self) -> str:
        if self.process.poll() is None:
            return ""
        return (self.process.stderr.read() if self.process.stderr else b"").decode(errors="replace")


async def post(client: httpx.AsyncClient, port: int, update: dict[str, Any]) -> int:
    """POST an update as Telegram does; the status, or 0 when the connection failed."""
    body = {k: v for k, v in update.items() if not k.startswith("_")}
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    try:
        response = await client.post(f"http://127.0.0.1:{port}/telegram-hook", json=body, headers=headers)
    except httpx.TransportError:
        return 0
    return response.status_code


def replies_by_chat(fake: FakeTelegram, after: int = 0) -> dict[int, list[Call]]:
    """The bot's answers (photos and texts) by the chat they went to."""
    found: dict[int, list[Call]] = {}
    for call in fake.calls[after:]:
        if call.method in ("sendPhoto", "sendMessage") and call.ok:
            found.setdefault(int(call.params["chat_id"]), []).append(call)
    return found


def caption(call: Call) -> str:
    return str(call.params.get("caption") or call.params.get("text") or "")


def photo_param(call: Call) -> str | None:
    photo = call.params.get("photo")
    return photo if isinstance(photo, str) else None
