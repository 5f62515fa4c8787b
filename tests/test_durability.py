"""Nothing acknowledged is lost, in real processes: `kill -9` in the middle of a burst, in polling and
in webhook mode, then a restart; and two webhook replicas sharing one Redis.

After a crash between a reply and its done mark (or, polling, the getUpdates that confirms it), the
updates in hand may be answered again: as many as are handled at once (CONCURRENT_UPDATES), and the few
answered just before and not yet confirmed by a getUpdates (at most UNCONFIRMED). A done mark is in the
journal the moment its update's handlers finish (done_journal.py), so none is lost to the crash. Every
other update is answered exactly once.
"""

from __future__ import annotations

import asyncio
import time

import httpx
from fake_telegram import FakeTelegram
from harness import free_port
from processes import BotProcess, bot_env, caption, photo_param, post, replies_by_chat, webhook_env

from bot.adapter.application import CONCURRENT_UPDATES
from bot.adapter.inbox import UNCONFIRMED

BURST = 150
FIRST_CHAT = 20_000
CODES = (404, 500, 502, 503, 429)
MAY_REPEAT = CONCURRENT_UPDATES + UNCONFIRMED
FAST = {"BOT_PRIVATE_CHAT_RATE": "100"}  # one message per chat here; only the overall 30/s applies


async def until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


def burst(fake: FakeTelegram, *, queue: bool) -> list[dict]:
    """BURST messages, each from a chat of its own, so a reply names its update by its chat."""
    updates = []
    for i in range(BURST):
        chat = FIRST_CHAT + i
        update = fake.user_message(f"/code {CODES[i % len(CODES)]}", chat_id=chat, user_id=chat)
        updates.append(update)
    if not queue:  # webhook mode: the test posts them itself, as Telegram would
        assert fake.pending_updates  # (the fake queued them too; no one polls it)
    return updates


def assert_each_answered_once(fake: FakeTelegram, mark: int) -> int:
    """Every chat of the burst answered; returns how many were answered twice (the in-flight ones)."""
    replies = replies_by_chat(fake, mark)
    chats = range(FIRST_CHAT, FIRST_CHAT + BURST)
    missing = [c for c in chats if c not in replies]
    assert not missing, f"{len(missing)} updates never answered: {missing[:10]}"
    for i, chat in enumerate(chats):
        assert all(caption(c).startswith(f"<b>{CODES[i % len(CODES)]}") for c in replies[chat])
    repeats = sum(len(replies[c]) - 1 for c in chats)
    assert repeats <= MAY_REPEAT, f"{repeats} answered twice"
    return repeats


async def test_kill_9_mid_burst_in_polling_mode_then_restart_loses_nothing(fake, tmp_path):
    env = bot_env(fake, tmp_path / "state", **FAST)
    first = BotProcess(env, tmp_path)
    try:
        fake.wait_for_sync("deleteWebhook", timeout=30)  # polling starts next
        mark = fake.mark()
        burst(fake, queue=True)
        await until(lambda: len(replies_by_chat(fake, mark)) >= 30, 20, "no replies to the burst")
        first.kill()
        answered_before = len(replies_by_chat(fake, mark))
        assert answered_before < BURST  # killed mid-burst, with updates confirmed and unanswered
    finally:
        if first.process.poll() is None:
            first.kill()
    second = BotProcess(env, tmp_path)
    try:
        await until(lambda: len(replies_by_chat(fake, mark)) >= BURST, 30, "updates were lost")
        await until(lambda: not fake.pending_updates, 10, "updates left unconfirmed")
    finally:
        assert second.stop() == 0, second.stderr()
    assert_each_answered_once(fake, mark)


async def test_kill_9_mid_burst_in_webhook_mode_then_restart_loses_nothing(fake, tmp_path):
    port = free_port()
    env = bot_env(fake, tmp_path / "state", **FAST, **webhook_env(port))
    first = await BotProcess(env, tmp_path).ready()
    mark = fake.mark()
    updates = burst(fake, queue=False)
    statuses: dict[int, int] = {}
    limit = asyncio.Semaphore(20)  # Telegram keeps up to 40 connections open; fewer here

    async def deliver(client: httpx.AsyncClient, update: dict) -> None:
        async with limit:
            statuses[update["update_id"]] = await post(client, port, update)

    try:
        async with httpx.AsyncClient(timeout=10) as client:
            sending = asyncio.gather(*(deliver(client, u) for u in updates))
            await until(lambda: len(replies_by_chat(fake, mark)) >= 30, 20, "no replies to the burst")
            first.kill()
            await sending
    finally:
        if first.process.poll() is None:
            first.kill()
    acknowledged = {u for u, status in statuses.items() if status == 200}
    assert 30 <= len(acknowledged) < BURST
    second = await BotProcess(env, tmp_path).ready()
    try:
        # Telegram delivers again what was not acknowledged; what was, the inbox carries over.
        async with httpx.AsyncClient(timeout=10) as client:
            for update in updates:
                if update["update_id"] not in acknowledged:
                    assert await post(client, port, update) == 200
        await until(lambda: len(replies_by_chat(fake, mark)) >= BURST, 30, "updates were lost")
    finally:
        assert second.stop() == 0, second.stderr()
    assert_each_answered_once(fake, mark)


async def test_two_webhook_replicas_share_languages_and_pictures_through_redis(fake, tmp_path, redis_url):
    ports = free_port(), free_port()
    replicas = [
        BotProcess(
            bot_env(
                fake,
                tmp_path / f"state-{n}",
                BOT_STORE_URL=redis_url,
                BOT_REPLICA_ID=f"replica-{n}",
                **webhook_env(port),
            ),
            tmp_path,
        )
        for n, port in enumerate(ports)
    ]
    try:
        for replica in replicas:
            await replica.ready()
        a, b = ports
        async with httpx.AsyncClient(timeout=10) as client:
            # A language chosen through one replica holds in the next message another handles.
            mark = fake.mark()
            assert await post(client, a, fake.user_message("/lang zh", chat_id=31, user_id=31)) == 200
            await until(lambda: 31 in replies_by_chat(fake, mark), 10, "no answer to /lang")
            mark = fake.mark()
            assert await post(client, b, fake.user_message("/code 404", chat_id=31, user_id=31)) == 200
            await until(lambda: 31 in replies_by_chat(fake, mark), 10, "no card from the other replica")
            card = replies_by_chat(fake, mark)[31][0]
            assert caption(card).startswith("<b>404 未找到</b>"), caption(card)

            # A picture uploaded by one replica is sent by file_id from the other.
            mark = fake.mark()
            assert await post(client, a, fake.user_message("/code 503", chat_id=32, user_id=32)) == 200
            await until(lambda: 32 in replies_by_chat(fake, mark), 10, "no card from replica a")
            uploaded = replies_by_chat(fake, mark)[32][0]
            assert uploaded.files, "the first card of 503 is an upload"
            file_id = uploaded.result["photo"][-1]["file_id"]
            mark = fake.mark()
            assert await post(client, b, fake.user_message("/code 503", chat_id=33, user_id=33)) == 200
            await until(lambda: 33 in replies_by_chat(fake, mark), 10, "no card from replica b")
            reused = replies_by_chat(fake, mark)[33][0]
            assert not reused.files and photo_param(reused) == file_id
    finally:
        for replica in replicas:
            assert replica.stop() == 0, replica.stderr()
