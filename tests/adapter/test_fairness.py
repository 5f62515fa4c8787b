"""Fair under load: Telegram's per-chat limits, one chat's 429 its own, and no chat waiting behind another
chat's flood."""

from __future__ import annotations

import asyncio
import time

from telegram.error import RetryAfter

from bot.adapter import fairness
from bot.adapter.fairness import FLOOD_LINE, ChatRateLimiter


async def test_a_429_for_one_chat_does_not_pause_the_others():
    limiter = ChatRateLimiter(private_rate=100)
    told = {"a": False}

    async def send(chat: str) -> str:
        if chat == "a" and not told["a"]:
            told["a"] = True
            raise RetryAfter(1)
        return chat

    async def timed(chat_id: int, name: str) -> float:
        start = time.monotonic()
        await limiter.process_request(send, (name,), {}, "sendMessage", {"chat_id": chat_id}, None)
        return time.monotonic() - start

    slow, fast = await asyncio.gather(timed(1, "a"), timed(2, "b"))
    assert slow >= 1.0  # chat 1 waited as Telegram asked
    assert fast < 0.3  # chat 2 did not


async def test_a_private_chat_gets_at_most_its_rate():
    limiter = ChatRateLimiter(private_rate=10)

    async def send() -> None:
        return None

    start = time.monotonic()
    for _ in range(6):
        await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 42}, None)
    assert time.monotonic() - start >= 0.45  # six messages at ten a second: at least half a second
    start = time.monotonic()
    await limiter.process_request(send, (), {}, "answerCallbackQuery", {"callback_query_id": "1"}, None)
    assert time.monotonic() - start < 0.1  # not a message into the chat: not held back


async def test_a_group_gets_its_burst_then_waits(monkeypatch):
    monkeypatch.setattr(fairness, "GROUP_RATE", (3, 0.6))  # Telegram's 20 a minute, scaled down
    limiter = ChatRateLimiter(private_rate=100)

    async def send() -> None:
        return None

    async def sent_at(chat_id: int) -> float:
        await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": chat_id}, None)
        return time.monotonic()

    start = time.monotonic()
    group = [await sent_at(-100) for _ in range(4)]
    assert all(t - start < 0.1 for t in group[:3])  # the group's burst goes out at once
    assert group[3] - start >= 0.15  # the fourth waits for the bucket to drain
    other = await sent_at(-200)
    assert other - group[3] < 0.1  # another group is not held back by the first


async def test_private_chats_whose_turn_has_passed_are_forgotten(monkeypatch):
    monkeypatch.setattr(fairness, "CHATS_KEPT", 50)
    limiter = ChatRateLimiter(private_rate=5)

    async def send() -> None:
        return None

    for chat in range(1, 50):
        await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": chat}, None)
    assert len(limiter._private_turns) == 49  # each chat's next turn, 0.2 s ahead
    await asyncio.sleep(0.25)
    for chat in range(1000, 1003):  # past CHATS_KEPT: the chats whose turn has come and gone go
        await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": chat}, None)
    assert sorted(limiter._private_turns) == [1000, 1001, 1002]
    start = time.monotonic()
    await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 1000}, None)
    assert time.monotonic() - start >= 0.15  # a chat still remembered still waits its turn


async def test_a_flooding_chat_does_not_delay_another_user_and_is_told_once(start_bot, fake):
    bot = await start_bot(bot_private_chat_rate=4.0)  # four a second, so the test drains in two seconds
    flood = [bot.say(f"/code {400 + i % 30}", chat_id=7001, user_id=7001) for i in range(FLOOD_LINE + 4)]
    await bot.reply_to(flood[0])  # the flood is being answered, in turn
    innocent = bot.say("404", chat_id=7002, user_id=7002)
    started = time.monotonic()
    call = await bot.reply_to(innocent, timeout=5)
    assert time.monotonic() - started < 1.0
    assert call.params["caption"].startswith("<b>404 Not Found</b>")
    notices = await fake.wait_for(
        "sendMessage",
        lambda c: c.params.get("chat_id") == 7001 and "faster than I answer" in c.params["text"],
    )
    assert notices is not None
    warned = [
        c
        for c in fake.calls
        if c.method == "sendMessage" and "faster than I answer" in c.params.get("text", "")
    ]
    assert len(warned) == 1 and FLOOD_LINE < 40
