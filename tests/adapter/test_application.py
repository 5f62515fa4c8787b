"""End to end: webhook mode with its secret, health routes, logging without the token."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from harness import WEBHOOK_SECRET, WEBHOOK_URL, free_port, webhook_settings

from bot.ops.logs import setup_logging


@pytest.fixture
async def webhook_bot(start_bot):
    port = free_port()
    bot = await start_bot(**webhook_settings(port))
    bot.port = port
    return bot


async def post(bot, update, secret):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    body = {k: v for k, v in update.items() if not k.startswith("_")}
    async with httpx.AsyncClient() as client:
        return await client.post(f"http://127.0.0.1:{bot.port}/telegram-hook", json=body, headers=headers)


async def test_webhook_mode_registers_the_url_and_secret(webhook_bot, fake):
    assert fake.webhook["url"] == WEBHOOK_URL
    assert fake.webhook["secret_token"] == WEBHOOK_SECRET


async def test_an_update_with_the_right_secret_is_processed(webhook_bot, fake):
    update = webhook_bot.say("404")
    response = await post(webhook_bot, update, WEBHOOK_SECRET)
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


@contextlib.contextmanager
def logged(level: str, fmt: str, secrets: list[str]) -> Iterator[io.StringIO]:
    """The bot's own logging set-up (as `python -m bot run` does), writing into a string."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    knobs = ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing")
    saved_knobs = {k: getattr(logging, k) for k in knobs}
    stream = io.StringIO()
    setup_logging(level, fmt, secrets)
    root.handlers[0].stream = stream
    try:
        yield stream
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.getLogger("httpx").setLevel(logging.WARNING)
        for k, v in saved_knobs.items():
            setattr(logging, k, v)


async def test_the_token_never_reaches_the_log(start_bot, fake):
    with logged("DEBUG", "text", [fake.token]) as stream:
        logging.getLogger("httpx").setLevel(logging.DEBUG)  # even if someone turns httpx up
        bot = await start_bot()
        await bot.ask("404")
        fake.fail_next("sendPhoto", status=500)
        failed = bot.say("500")
        await fake.wait_for("sendPhoto", lambda c: not c.ok, after=failed["_mark"])
        await bot.idle()
        await bot.stop()
    text = stream.getvalue()
    assert "getUpdates" in text or "sendPhoto" in text  # the log did see the requests
    assert fake.token not in text
    assert fake.token.split(":", 1)[1] not in text


async def test_json_logs_sum_the_updates_up_without_personal_data(start_bot, fake):
    """At INFO, a summary of what was handled (here at the stop); nothing anyone wrote or is called."""
    with logged("INFO", "json", [fake.token]) as stream:
        bot = await start_bot()
        await bot.ask("secret project codename 404", first_name="Zelda")
        await bot.ask("/help", first_name="Zelda")
        await bot.idle()
        await bot.stop()
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    assert not [e for e in lines if e["message"].startswith("handled message")]  # no line per update
    summaries = [e for e in lines if e["message"].startswith("handled 2 updates")]
    assert len(summaries) == 1, lines
    summary = summaries[0]
    assert summary["updates"] == {"message": 2} and summary["chat_types"] == {"private": 2}
    assert 0 < summary["mean_seconds"] <= summary["slowest_seconds"] < 5
    assert "2 message; 2 in private chats" in summary["message"]
    assert "Zelda" not in stream.getvalue() and "codename" not in stream.getvalue()


async def test_a_summary_is_logged_while_the_bot_runs_and_a_slow_update_has_its_own_line(
    start_bot, fake, monkeypatch
):
    from bot.adapter import application
    from bot.ops import runner

    monkeypatch.setattr(runner, "SUMMARY_EVERY", 0.2)
    monkeypatch.setattr(application, "SLOW", 0.0)  # every update is slow
    with logged("INFO", "text", [fake.token]) as stream:
        bot = await start_bot()
        await bot.ask("404")
        await bot.idle()
        deadline = time.monotonic() + 10
        while "handled 1 updates in " not in stream.getvalue():  # before any stop
            assert time.monotonic() < deadline, stream.getvalue()
            await asyncio.sleep(0.02)
        await bot.stop()
    text = stream.getvalue()
    assert "INFO bot.adapter.application: handled message in private chat in " in text
    assert text.count("handled 1 updates in ") == 1  # and nothing more to sum up at the stop


async def test_at_debug_each_update_has_a_line_of_its_own(start_bot, fake):
    with logged("DEBUG", "json", [fake.token]) as stream:
        bot = await start_bot()
        await bot.ask("404")
        await bot.idle()
        await bot.stop()
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    handled = [e for e in lines if e["message"].startswith("handled message in private chat in ")]
    assert len(handled) == 1 and handled[0]["level"] == "DEBUG"
    assert handled[0]["update_kind"] == "message" and handled[0]["chat_type"] == "private"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_record_is_formatted_once_scrubbed_and_without_where_it_came_from(fmt):
    with logged("INFO", fmt, ["123456:very-secret"]) as stream:
        logging.getLogger("bot.test").info("%d%% done for %s", 50, "bot123456:very-secret/getMe")
        # Neither format shows the caller, thread or process: the set-up stops collecting them per record.
        assert logging._srcfile is None and not logging.logThreads and not logging.logProcesses
    line = stream.getvalue().strip().splitlines()[-1]
    message = json.loads(line)["message"] if fmt == "json" else line.split(": ", 1)[1]
    assert message == "50% done for bot<token>/getMe"


def test_json_logs_keep_the_traceback_even_without_a_secret_to_scrub():
    with logged("INFO", "json", []) as stream:
        try:
            raise RuntimeError("boom in a handler")
        except RuntimeError:
            logging.getLogger("bot.test").exception("Update failed")
    entry = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert entry["message"] == "Update failed"
    assert "RuntimeError: boom in a handler" in entry["exception"]


async def test_the_webhook_path_is_matched_literally(start_bot, fake):
    port = free_port()
    settings = {**webhook_settings(port), "webhook_url": "https://bot.example.com/hook+v1/t[x]"}
    bot = await start_bot(**settings)
    update = bot.say("404")
    body = {k: v for k, v in update.items() if not k.startswith("_")}
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    async with httpx.AsyncClient() as client:
        ok = await client.post(f"http://127.0.0.1:{port}/hook+v1/t[x]", json=body, headers=headers)
        lookalike = await client.post(f"http://127.0.0.1:{port}/hookkv1/tx", json=body, headers=headers)
    assert ok.status_code == 200 and lookalike.status_code == 404
    call = await bot.reply_to(update)
    assert call.params["caption"].startswith("<b>404 Not Found</b>")


async def test_a_huge_body_is_refused_without_reading_it_and_without_the_secret_first(webhook_bot):
    url = f"http://127.0.0.1:{webhook_bot.port}/telegram-hook"
    big = b"x" * (3 * 1024 * 1024)
    async with httpx.AsyncClient() as client:
        anonymous = await client.post(url, content=big)
        too_large = await client.post(
            url, content=big, headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        )
    assert anonymous.status_code == 403
    assert too_large.status_code == 413


@pytest.mark.parametrize("body", [b"[]", b"null", b"42", b'{"update_id": 7, "message": "str"}', b"{not json"])
async def test_json_that_is_not_an_update_gets_400_quietly(webhook_bot, caplog, body):
    url = f"http://127.0.0.1:{webhook_bot.port}/telegram-hook"
    async with httpx.AsyncClient() as client:
        response = await client.post(
            url, content=body, headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        )
    assert response.status_code == 400
    assert "Traceback" not in caplog.text
    update = webhook_bot.say("404")  # and the next real update is answered
    assert (await post(webhook_bot, update, WEBHOOK_SECRET)).status_code == 200
    assert (await webhook_bot.reply_to(update)).params["caption"].startswith("<b>404 Not Found</b>")


async def test_an_answer_cut_short_is_logged_by_its_length_never_by_what_users_wrote(start_bot, fake):
    with logged("INFO", "text", [fake.token]) as stream:
        bot = await start_bot()
        fake.cut_next("getUpdates")  # the batch with the user's message arrives cut in half
        update = bot.say("my pin is 8641-secret and the site says 404, then a long tail " + "x" * 200)
        call = await bot.reply_to(update)  # fetched again, whole, and answered
        assert call.params["caption"].startswith("<b>404 Not Found</b>")
        await bot.stop()
    text = stream.getvalue()
    assert "8641-secret" not in text and "my pin" not in text
    assert "is not JSON" in text and "characters (not logged)" in text


async def test_an_unreadable_batch_is_logged_by_ids_and_size_never_by_what_users_wrote(start_bot, fake):
    with logged("INFO", "text", [fake.token]) as stream:
        bot = await start_bot()
        fake.push_update({"update_id": 9001, "message": {"chat": "nope", "text": "my pin is 8641-secret"}})
        call = await bot.ask("404")  # polling moved past it
        assert call.params["caption"].startswith("<b>404 Not Found</b>")
        await bot.idle()
        await bot.stop()
    text = stream.getvalue()
    assert "9001" in text  # the update is named by its id
    assert "8641-secret" not in text and "my pin" not in text
