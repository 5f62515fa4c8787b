"""End to end: acknowledged means kept. What a crash left unfinished is answered first on the next start;
a repeat of an update already kept is never answered twice; a webhook POST is answered 200 only once
its update is kept, or, when the store cannot keep it, once it is answered."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time

import httpx
from fake_telegram import DEFAULT_USER_ID
from harness import WEBHOOK_SECRET, free_port, webhook_settings
from telegram.request import BaseRequest

from bot.store.done_journal import peek
from bot.store.sqlite_store import DB_FILE, SqliteStore

ALICE = {"id": DEFAULT_USER_ID, "is_bot": False, "first_name": "Alice", "language_code": "en"}
CHAT = {"id": DEFAULT_USER_ID, "type": "private", "first_name": "Alice"}


def text_update(update_id: int, text: str, message_id: int) -> dict:
    entities = (
        [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text[0] == "/" else []
    )
    message = {"message_id": message_id, "date": int(time.time()), "chat": CHAT, "from": ALICE, "text": text}
    return {"update_id": update_id, "message": {**message, "entities": entities}}


async def kept(state_dir, *updates: dict, done: bool = False) -> None:
    """Leave updates in the inbox, as a run killed before it finished them would."""
    store = SqliteStore(state_dir)
    await store.open()
    await store.inbox_add([(u["update_id"], json.dumps(u).encode()) for u in updates])
    for update in updates if done else ():
        store.inbox_done(update["update_id"])
    await store.close()


def inbox_rows(state_dir) -> dict[int, int]:
    """update_id → done, as the next start would find them: the database, with the done journal's marks
    that the running bot has not folded into it yet."""
    with contextlib.closing(sqlite3.connect(state_dir / DB_FILE)) as db:
        rows = dict(db.execute("SELECT update_id, done FROM inbox"))
    return {**rows, **{u: 1 for u in peek(state_dir) if u in rows}}


async def test_what_the_last_run_left_unfinished_is_answered_first(start_bot, fake, tmp_path):
    state_dir = tmp_path / "state"
    await kept(state_dir, text_update(9000, "/code 418", 50), text_update(9001, "/code 507", 51))
    mark = fake.mark()
    bot = await start_bot(state_dir)
    first = await fake.wait_for("sendPhoto", after=mark)
    second = await fake.wait_for("sendPhoto", after=fake.calls.index(first) + 1)
    assert first.params["caption"].startswith("<b>418")
    assert second.params["caption"].startswith("<b>507")
    await bot.idle()
    assert inbox_rows(state_dir) == {9000: 1, 9001: 1}  # done: a later start does not answer again


async def test_a_repeat_of_an_update_already_handled_is_not_answered_again(start_bot, fake, tmp_path):
    state_dir = tmp_path / "state"
    await kept(state_dir, text_update(7000, "/code 404", 40), done=True)
    bot = await start_bot(state_dir)
    repeat = {**text_update(7000, "/code 404", 40), "_mark": fake.mark()}
    fake.push_update({k: v for k, v in repeat.items() if k != "_mark"})
    assert await bot.silence(repeat) == []  # confirmed to Telegram, answered nobody
    call = await bot.ask("/code 405")
    assert call.params["caption"].startswith("<b>405")


async def test_a_polled_update_answered_in_time_is_confirmed_without_touching_the_disk(bot, fake, tmp_path):
    update = bot.say("/code 502")
    await bot.reply_to(update)
    await bot.idle()  # confirmed to Telegram
    assert update["update_id"] not in inbox_rows(tmp_path / "state")  # Telegram kept it until answered


async def test_a_polled_batch_is_parsed_once_for_the_inbox_and_python_telegram_bot(bot, monkeypatch):
    """The inbox reads each getUpdates answer before python-telegram-bot; it is handed what was read."""
    parsed: list[bytes] = []
    original = BaseRequest.parse_json_payload

    def counting(payload: bytes) -> dict:
        parsed.append(payload)
        return original(payload)

    monkeypatch.setattr(BaseRequest, "parse_json_payload", staticmethod(counting))
    assert (await bot.ask("/code 301")).params["caption"].startswith("<b>301")
    assert (await bot.ask("/code 302")).params["caption"].startswith("<b>302")
    assert parsed  # the replies' answers are parsed as usual…
    assert not [p for p in parsed if b'"update_id"' in p]  # …the batches only by the inbox


def rows_when_confirmed(fake, state_dir, update_id: int) -> dict[int, int]:
    """The inbox on disk as it stood when the fake received the getUpdates that confirmed `update_id`."""
    original = fake._get_updates
    seen: dict[int, int] = {}

    def get_updates(params, files):
        offset = params.get("offset")
        if not seen and offset is not None and int(offset) > update_id:
            seen.update(inbox_rows(state_dir) or {-1: -1})
        return original(params, files)

    fake.add_method("getUpdates", get_updates)
    return seen


async def test_a_polled_update_still_in_hand_is_kept_before_the_getupdates_that_confirms_it(
    bot, fake, tmp_path
):
    slow_telegram = fake.hold_next("sendPhoto")
    update = bot.say("/code 502")
    at_confirm = rows_when_confirmed(fake, tmp_path / "state", update["update_id"])
    await until_true(lambda: update["update_id"] not in [u["update_id"] for u in fake.pending_updates])
    assert at_confirm == {update["update_id"]: 0}  # on disk, unfinished, before Telegram let go of it
    slow_telegram.set()
    assert (await bot.reply_to(update)).ok
    await bot.idle()
    assert inbox_rows(tmp_path / "state") == {update["update_id"]: 1}  # then marked done


async def post(port: int, update: dict) -> httpx.Response:
    body = {k: v for k, v in update.items() if not k.startswith("_")}
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    async with httpx.AsyncClient() as client:
        return await client.post(f"http://127.0.0.1:{port}/telegram-hook", json=body, headers=headers)


async def test_a_webhook_post_is_kept_before_200_and_a_repeated_post_answered_once(start_bot, fake, tmp_path):
    port = free_port()
    bot = await start_bot(**webhook_settings(port))
    update = bot.say("/code 503")
    response = await post(port, update)
    assert response.status_code == 200
    assert update["update_id"] in inbox_rows(tmp_path / "state")  # on disk when Telegram hears 200
    await bot.reply_to(update)
    again = {**update, "_mark": fake.mark()}
    assert (await post(port, again)).status_code == 200  # Telegram retrying: acknowledged, not redone
    assert await bot.silence(again) == []


async def test_when_the_store_cannot_keep_updates_a_post_is_answered_before_its_200(
    start_bot, fake, tmp_path
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    port = free_port()
    bot = await start_bot(blocker / "state", **webhook_settings(port))  # the store lives in memory
    update = bot.say("/code 500")
    assert (await post(port, update)).status_code == 200
    # No waiting: the reply was sent before the POST was acknowledged.
    assert [c.method for c in fake.calls[update["_mark"] :] if c.method in ("sendPhoto", "sendMessage")]
    async with httpx.AsyncClient() as client:
        ready = await client.get(f"http://127.0.0.1:{port}/readyz")
    assert ready.status_code == 200 and ready.text.startswith("degraded")


async def test_redis_stopped_mid_run_the_bot_keeps_answering_and_heals(start_bot, fake, own_redis, caplog):
    port = free_port()
    bot = await start_bot(bot_store_url=own_redis.url, bot_replica_id="r1", **webhook_settings(port))
    chosen = bot.say("/lang zh")
    assert (await post(port, chosen)).status_code == 200
    assert (await bot.reply_to(chosen)).ok
    own_redis.stop()
    update = bot.say("/code 404", language_code="zh")  # Telegram's language stands in for the choice
    assert (await post(port, update)).status_code == 200
    call = await bot.reply_to(update)
    assert "404" in call.params["caption"]
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"http://127.0.0.1:{port}/readyz")).text.startswith("degraded")
        own_redis.start()
        deadline = time.monotonic() + 15
        while (await client.get(f"http://127.0.0.1:{port}/readyz")).text != "ok\n":
            assert time.monotonic() < deadline, "never ready again"
            await asyncio.sleep(0.05)
    after = bot.say("/code 410")
    assert (await post(port, after)).status_code == 200
    assert (await bot.reply_to(after)).ok
    assert caplog.text.count("is unreachable") == 1
    assert own_redis.url.split("@")[-1] not in caplog.text or "redis://127.0.0.1" in caplog.text


async def test_stopping_while_updates_in_hand_are_being_written_finishes_the_write_and_stops_cleanly(
    start_bot, fake, tmp_path
):
    """python-telegram-bot cancels its polling task on stop, perhaps while it waits for the updates in
    hand to be kept; the write must go on, and the final getUpdates that confirms them wait for it."""
    import threading

    bot = await start_bot()
    await bot.ask("/code 200")
    slow_telegram = fake.hold_next("sendPhoto")  # the reply to 201 is in flight for a while
    gate = threading.Event()
    bot.services.store._writer.submit(lambda c: gate.wait(10), wait=False, durable=False)  # a slow disk
    update = bot.say("/code 201")
    await until_true(lambda: bot.services.inbox._keeping is not None)  # still in hand: being kept
    stopping = asyncio.create_task(bot.stop())
    await until_true(lambda: not bot.app.updater.running)
    gate.set()
    await until_true(lambda: bot.services.inbox._keeping.done())
    slow_telegram.set()
    await stopping
    assert bot.task is not None and bot.task.exception() is None
    assert (await bot.reply_to(update)).ok
    assert not fake.pending_updates  # confirmed on the way out
    assert inbox_rows(tmp_path / "state")[update["update_id"]] == 1  # kept, and marked done


async def until_true(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_polling_with_redis_away_answers_and_confirms_every_update(start_bot, fake, own_redis):
    """Updates that cannot be kept are confirmed to Telegram only once answered, and even one answered
    before its batch was found unkeepable does not hold polling up."""
    bot = await start_bot(bot_store_url=own_redis.url, bot_replica_id="p1")
    assert (await bot.ask("/code 200")).ok
    own_redis.stop()
    updates = [bot.say(f"/code {code}") for code in (404, 500, 502)]
    for update in updates:
        assert (await bot.reply_to(update)).ok
    await bot.idle()  # every update confirmed: polling went on
    assert bot.services.store.degraded
    assert (await bot.ask("/code 503")).ok


async def test_a_frozen_redis_does_not_hold_polling_up(start_bot, fake, own_redis):
    """A Redis that stops answering (SIGSTOP) fails a write only after its timeout, while the update it
    held is answered at once (its user's language is in the replica's cache): polling must not wait
    for that update a second time."""
    import os
    import signal

    bot = await start_bot(bot_store_url=own_redis.url, bot_replica_id="p2")
    await until_true(lambda: bot.services.store._cache_live)  # subscribed: look-ups get cached
    assert (await bot.ask("/code 200")).ok  # the user's language and the picture's file_id are known now
    await bot.file_id_known("200")
    assert own_redis.process is not None
    os.kill(own_redis.process.pid, signal.SIGSTOP)
    try:
        update = bot.say("/code 200")
        assert (await bot.reply_to(update, timeout=1)).ok  # the reply does not wait for Redis
        await bot.idle(timeout=15)  # confirmed once the write failed: the update was answered already
        assert (await bot.reply_to(bot.say("/code 500"), timeout=10)).ok
    finally:
        os.kill(own_redis.process.pid, signal.SIGCONT)


async def test_a_webhook_update_brings_its_senders_language_in_the_round_trip_that_keeps_it(
    start_bot, fake, redis_url
):
    """With Redis, the language of a user this replica has never seen arrives with the script that
    keeps the update: the handler asks Redis nothing more."""
    from bot.store.redis_store import RedisStore

    other = RedisStore(redis_url, replica_id="elsewhere")
    await other.open()
    await other.set_language(4242, "zh")  # chosen through another replica, never seen by this one
    await other.close()
    port = free_port()
    bot = await start_bot(bot_store_url=redis_url, bot_replica_id="w1", **webhook_settings(port))
    store = bot.services.store
    await until_true(lambda: store._cache_live)
    asked: list[tuple[str, ...]] = []
    original = store._call

    async def spy(call, default):
        asked.append(call.__code__.co_names)
        return await original(call, default)

    store._call = spy
    update = bot.say("/code 404", user_id=4242, chat_id=4242, language_code="en")
    assert (await post(port, update)).status_code == 200
    card = await bot.reply_to(update)
    assert card.params["caption"].startswith("<b>404 未找到</b>")  # the choice made elsewhere holds
    assert not [names for names in asked if "LANG_KEY" in names]  # no look-up of its own
