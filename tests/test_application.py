"""End to end: webhook mode with its secret, health routes, logging without the token."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket

import httpx
import pytest

from bot.logs import setup_logging


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def webhook_bot(start_bot):
    port = free_port()
    bot = await start_bot(
        bot_mode="webhook",
        webhook_url="https://bot.example.com/telegram-hook",
        webhook_secret="s3cret-Token_1",
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    bot.port = port
    return bot


async def post(bot, update, secret):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    body = {k: v for k, v in update.items() if not k.startswith("_")}
    async with httpx.AsyncClient() as client:
        return await client.post(f"http://127.0.0.1:{bot.port}/telegram-hook", json=body, headers=headers)


async def test_webhook_mode_registers_the_url_and_secret(webhook_bot, fake):
    assert fake.webhook["url"] == "https://bot.example.com/telegram-hook"
    assert fake.webhook["secret_token"] == "s3cret-Token_1"


async def test_an_update_with_the_right_secret_is_processed(webhook_bot, fake):
    update = webhook_bot.say("404")
    response = await post(webhook_bot, update, "s3cret-Token_1")
    assert response.status_code == 200
    call = await webhook_bot.reply_to(update)
    assert call.params["caption"].startswith("<b>404 Not Found</b>")


@pytest.mark.parametrize("secret", [None, "wrong", ""])
async def test_an_update_without_the_right_secret_is_refused_and_not_processed(webhook_bot, fake, secret):
    update = webhook_bot.say("500")
    response = await post(webhook_bot, update, secret)
    assert response.status_code == 403
    assert await webhook_bot.silence(update) == []


async def test_health_and_readiness_routes(webhook_bot):
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"http://127.0.0.1:{webhook_bot.port}/healthz")).status_code == 200
        assert (await client.get(f"http://127.0.0.1:{webhook_bot.port}/readyz")).status_code == 200


async def test_the_token_never_reaches_the_log(start_bot, fake):
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    setup_logging("DEBUG", "text", [fake.token])
    root.handlers[0].stream = stream
    logging.getLogger("httpx").setLevel(logging.DEBUG)  # even if someone turns httpx up
    try:
        bot = await start_bot()
        await bot.ask("404")
        fake.fail_next("sendPhoto", status=500)
        failed = bot.say("500")
        await fake.wait_for("sendPhoto", lambda c: not c.ok, after=failed["_mark"])
        await asyncio.sleep(0.2)
        await bot.stop()
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
        logging.getLogger("httpx").setLevel(logging.WARNING)
    text = stream.getvalue()
    assert "getUpdates" in text or "sendPhoto" in text  # the log did see the requests
    assert fake.token not in text
    assert fake.token.split(":", 1)[1] not in text


async def test_json_logs_have_one_line_per_update_without_personal_data(start_bot, fake):
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    setup_logging("INFO", "json", [fake.token])
    root.handlers[0].stream = stream
    try:
        bot = await start_bot()
        await bot.ask("secret project codename 404", first_name="Zelda")
        await asyncio.sleep(0.2)
        await bot.stop()
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    handled = [entry for entry in lines if entry["message"].startswith("handled message")]
    assert handled and handled[0]["chat_type"] == "private"
    assert "Zelda" not in stream.getvalue() and "codename" not in stream.getvalue()
