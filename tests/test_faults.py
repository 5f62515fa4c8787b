"""Faults around the bot, end to end where possible: broken or unwritable state, signals, crashes mid-write,
and updates that are not plain messages. The bot must start, keep answering, and leave valid state.

Telegram's own failures (429, 5xx, dropped connections, rejected file_ids, blocked users) are in
test_delivery; edited messages, channel posts, private stickers and a card button on an inaccessible
message in test_handlers and test_browsing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fake_telegram import DEFAULT_SUPERGROUP_ID, DEFAULT_USER_ID, FakeTelegram
from processes import bot_env

from bot.screens import callbacks
from bot.store.legacy import FORMAT, STATE_FILE
from bot.store.sqlite_store import DB_FILE, SqliteStore

ROOT = Path(__file__).resolve().parents[1]
GROUP = {"id": DEFAULT_SUPERGROUP_ID, "type": "supergroup", "title": "Test Group"}
ALICE = {"id": DEFAULT_USER_ID, "is_bot": False, "first_name": "Alice", "language_code": "en"}


def stored_file_ids(state_dir: Path) -> set[str]:
    """The file_ids in the store's database, read as another process would."""
    with sqlite3.connect(state_dir / DB_FILE) as db:
        return {row[0] for row in db.execute("SELECT file_id FROM file_ids")}


async def saved_file_id(state_dir: Path, file_id: str, timeout: float = 5.0) -> None:
    """Wait until the store holds `file_id`: the bot writes it after the fake has answered."""
    deadline = time.monotonic() + timeout
    while file_id not in stored_file_ids(state_dir):
        if time.monotonic() > deadline:
            raise AssertionError(f"the store never held {file_id}: {stored_file_ids(state_dir)}")
        await asyncio.sleep(0.02)


async def cached_file_id(bot: Any, picture: str, timeout: float = 5.0) -> str:
    """The file_id the bot keeps for `picture`, once it has stored it."""
    key = bot.services.illustrations.picture(picture).key
    deadline = time.monotonic() + timeout
    while (file_id := bot.services.store.known_file_id(key)) is None:
        assert time.monotonic() < deadline, f"no file_id for {picture}"
        await asyncio.sleep(0.01)
    return file_id


def failed_calls(fake: FakeTelegram) -> list[str]:
    return [f"{c.method}: {c.description or 'dropped'}" for c in fake.calls if not c.ok]


def complaints(caplog: pytest.LogCaptureFixture, level: int = logging.WARNING) -> list[str]:
    """What the bot logged at `level` or above: a failed handler is an error, a failed poll a warning."""
    return [r.getMessage() for r in caplog.records if r.levelno >= level]


# -- (1) a broken state file of an earlier version at start -------------------------------------------

VALID = json.dumps({"format": FORMAT, "file_ids": {"bundled:404:0123456789ab": "AgAC-x"}, "languages": {}})


@pytest.mark.parametrize(
    "content",
    [
        VALID[: len(VALID) // 2].encode(),  # cut short, as by a full disk
        b"\x00" * 4096,  # what some filesystems leave after a power cut
        bytes(range(256)),
        b"",
        b'{"format": 99, "file_ids": {}}',
        b"[1, 2, 3]",
    ],
    ids=["truncated", "zero-filled", "binary", "empty", "unknown-format", "not-an-object"],
)
async def test_a_broken_state_file_warns_and_is_not_imported(start_bot, fake, tmp_path, caplog, content):
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / STATE_FILE).write_bytes(content)
    bot = await start_bot(state_dir)
    assert "not imported" in caplog.text
    assert list(state_dir.glob(f"{STATE_FILE}.corrupt-*"))  # kept for whoever wants to mend it
    call = await bot.ask("404")
    assert call.files  # nothing trusted from the broken file: the picture is uploaded
    await saved_file_id(state_dir, call.result["photo"][-1]["file_id"])
    assert not failed_calls(fake)


# -- (2) a state folder that cannot be written ------------------------------------------------------


async def test_an_unwritable_state_folder_warns_and_keeps_the_cache_in_memory(
    start_bot, fake, tmp_path, caplog
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    bot = await start_bot(blocker / "state")  # a folder inside a file: cannot be created, even as root
    first = await bot.ask("404")
    assert first.files
    file_id = await cached_file_id(bot, "404")
    again = await bot.ask("404")
    assert not again.files and again.params["photo"] == file_id  # uploaded once, remembered in memory
    picked = bot.press((await bot.ask("/lang")).result, callbacks.lang("zh"))
    await fake.wait_for("answerCallbackQuery", after=picked["_mark"])
    chinese = await bot.ask("500")
    assert chinese.params["caption"].startswith(f"<b>500 {bot.services.catalogue.by_code[500].zh.title}</b>")
    assert bot.services.store.degraded
    assert caplog.text.count("in memory only") == 1  # warned once, not on every change
    assert not failed_calls(fake) and not complaints(caplog, logging.ERROR)


# -- (3) SIGTERM ------------------------------------------------------------------------------------


def test_sigterm_stops_the_bot_with_exit_0_and_its_state_saved(fake, tmp_path):
    state_dir = tmp_path / "state"
    # cwd is a scratch folder, so no .env of the developer's is read
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=bot_env(fake, state_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        fake.wait_for_sync("deleteWebhook", timeout=20)  # polling starts next; an update now waits for it
        mark = fake.mark()
        fake.user_message("/code 404")
        sent = fake.wait_for_sync("sendPhoto", after=mark, timeout=20)
        proc.send_signal(signal.SIGTERM)  # at once: the update may still be in hand
        started = time.monotonic()
        code = proc.wait(timeout=10)
        stopped_in = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
        _, err = proc.communicate(timeout=10)
    assert code == 0, err.decode(errors="replace")
    assert stopped_in < 5
    assert sent.result["photo"][-1]["file_id"] in stored_file_ids(state_dir)
    assert b"Traceback" not in err, err.decode(errors="replace")


# -- (4) kill -9 in the middle of a state write -----------------------------------------------------

HAMMER = """
import asyncio, sys
from pathlib import Path
from bot.store.sqlite_store import SqliteStore

async def main():
    store = SqliteStore(Path(sys.argv[1]))
    await store.open()
    i = int(sys.argv[2])
    print("ready", flush=True)
    while True:  # ever more, ever longer file_ids and languages, each waited for as the bot does
        await store.set_language(i, "zh")
        await store.remember_file_id(f"bundled:{i}:{i:012x}", "AgAC-" + "x" * (i % 400) + str(i))
        print(i, flush=True)
        i += 1

asyncio.run(main())
"""


def test_kill_9_during_store_writes_never_loses_what_was_stored(tmp_path, caplog):
    """Every write is a transaction: a crash leaves a database that opens without a warning and holds
    every language that was reported stored."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    rng = random.Random(9)
    kept = 0
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", HAMMER, str(tmp_path), str(kept)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        last = proc.stdout.readline()  # at least one write is through before the kill
        time.sleep(rng.uniform(0.05, 0.3))
        proc.kill()  # SIGKILL: no cleanup of any kind
        proc.wait(timeout=10)
        reported = [last, *proc.stdout.read().split()]
        proc.stdout.close()
        stored = int(reported[-1]) if reported[-1].strip() else kept

        caplog.clear()
        store = SqliteStore(tmp_path)
        store.open_now()
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
        assert asyncio.run(store.language(stored)) == "zh"  # the last one reported stored is there
        count = asyncio.run(store.stats())["languages"]
        assert isinstance(count, int) and count >= stored + 1  # nothing stored before is lost
        asyncio.run(store.close())
        kept = count
    assert kept > 0


# -- (5) updates that are not plain messages --------------------------------------------------------


def chat_member_update(fake: FakeTelegram, kind: str, old: str, new: str) -> dict[str, Any]:
    """The bot (my_chat_member) or a user (chat_member) changes status in the group."""
    who = fake.bot_user if kind == "my_chat_member" else {"id": 31337, "is_bot": False, "first_name": "Eve"}
    return {
        kind: {
            "chat": GROUP,
            "from": ALICE,
            "date": int(time.time()),
            "old_chat_member": {"user": who, "status": old},
            "new_chat_member": {"user": who, "status": new},
        }
    }


def not_for_the_bot(fake: FakeTelegram) -> list[dict[str, Any]]:
    """Updates a bot receives with allowed_updates=ALL_TYPES that ask nothing of it."""
    now = int(time.time())
    bot_user = {k: fake.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}
    return [
        chat_member_update(fake, "my_chat_member", "left", "member"),  # added to a group
        chat_member_update(fake, "my_chat_member", "member", "left"),  # and removed again
        chat_member_update(fake, "chat_member", "left", "member"),  # someone joined
        {
            "message": {
                "message_id": 9001,
                "date": now,
                "chat": GROUP,
                "from": ALICE,
                "new_chat_members": [bot_user],
            }
        },
        {"message": {"message_id": 9002, "date": now, "chat": GROUP, "from": ALICE, "new_chat_title": "Ops"}},
        {
            "message_reaction": {
                "chat": GROUP,
                "message_id": 9001,
                "date": now,
                "user": ALICE,
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": "👍"}],
            }
        },
        {"chat_join_request": {"chat": GROUP, "from": ALICE, "user_chat_id": ALICE["id"], "date": now}},
        {
            "edited_channel_post": {
                "message_id": 5,
                "date": now,
                "edit_date": now,
                "chat": {"id": -1_002_000_000_001, "type": "channel", "title": "News"},
                "text": "503 again",
            }
        },
    ]


async def test_updates_that_ask_nothing_are_ignored_quietly_and_the_bot_keeps_answering(bot, fake, caplog):
    mark = fake.mark()
    for update in not_for_the_bot(fake):
        fake.push_update(update)
    fake.sticker_message(chat_id=DEFAULT_SUPERGROUP_ID, chat_type="supergroup")  # chatter in a group
    await bot.idle()
    assert fake.pending_updates == []  # all fetched and confirmed: none stuck, failing to parse
    assert [c.method for c in fake.calls[mark:] if c.method != "getUpdates"] == []
    call = await bot.ask("404")
    assert call.params["caption"].startswith("<b>404 Not Found</b>")
    assert not failed_calls(fake) and not complaints(caplog)


async def test_fields_telegram_may_add_later_do_not_break_anything(bot, fake, caplog):
    """Telegram adds fields to updates and messages all the time; an old bot must read the rest."""
    mark = fake.mark()
    update = fake.user_message("/code 502", extra={"future_field": {"nested": [1, 2]}, "is_from_mars": True})
    message = update["message"]
    fake.push_update(
        {"message": {**message, "message_id": message["message_id"] + 1}, "future_update_field": 1}
    )
    replies = []
    deadline = time.monotonic() + 5
    while len(replies) < 2:
        assert time.monotonic() < deadline, [c.method for c in fake.calls[mark:]]
        replies = [c for c in fake.calls[mark:] if c.method == "sendPhoto"]
        await asyncio.sleep(0.02)
    assert all(c.params["caption"].startswith("<b>502 Bad Gateway</b>") for c in replies)
    assert not failed_calls(fake) and not complaints(caplog)


async def test_an_anonymous_group_admin_is_answered(bot, fake, caplog):
    """A message sent "as the group" carries a sender_chat and no user: the default language applies."""
    mark = fake.mark()
    message = {
        "message_id": 4242,
        "date": int(time.time()),
        "chat": GROUP,
        "sender_chat": GROUP,
        "text": "@StatusTestBot 429",
        "entities": [{"type": "mention", "offset": 0, "length": 14}],
    }
    fake.push_update({"message": message})
    call = await fake.wait_for("sendPhoto", after=mark)
    assert call.params["caption"].startswith("<b>429 Too Many Requests</b>")
    assert not failed_calls(fake) and not complaints(caplog)


async def test_a_photo_with_a_status_code_caption_is_answered(bot, fake, caplog):
    mark = fake.mark()
    photo = [{"file_id": "AgAC-user-1", "file_unique_id": "u1", "width": 90, "height": 90}]
    chat = {"id": DEFAULT_USER_ID, "type": "private", "first_name": "Alice"}
    message = {"message_id": 77, "date": int(time.time()), "chat": chat, "from": ALICE, "photo": photo}
    fake.push_update({"message": {**message, "caption": "what is 418?"}})
    call = await fake.wait_for("sendPhoto", after=mark)
    assert call.params["caption"].startswith("<b>418 (Unused)</b>")
    assert not failed_calls(fake) and not complaints(caplog)


@pytest.mark.parametrize(
    ("data", "reply"),
    [
        (callbacks.details(404), "sendMessage"),
        (callbacks.lang("zh"), "sendMessage"),
        (callbacks.status_class(4), "sendPhoto"),
        (callbacks.home(), "sendPhoto"),
        (callbacks.random_code(), "sendPhoto"),
    ],
    ids=["details", "lang", "class", "home", "random"],
)
async def test_any_button_on_an_inaccessible_message_is_answered_below_it(bot, fake, caplog, data, reply):
    """Messages older than 48 hours come back without content: edit nothing, send the screen anew."""
    card = await bot.ask("404")
    update = bot.press(card.result, data, inaccessible=True, check=False)
    await fake.wait_for("answerCallbackQuery", after=update["_mark"])
    sent = await bot.reply_to(update, (reply,))
    assert sent.params["chat_id"] == card.result["chat"]["id"]
    assert not [c for c in fake.calls[update["_mark"] :] if c.method.startswith("edit")]
    assert not failed_calls(fake) and not complaints(caplog)


async def test_a_button_without_a_message_gets_a_polite_answer(bot, fake, caplog):
    """A callback from a message sent in inline mode carries no message: there is nothing to edit."""
    mark = fake.mark()
    fake.callback(None, callbacks.card(404), inline_message_id="AQAAAinline", check=False)
    answer = await fake.wait_for("answerCallbackQuery", after=mark)
    assert "out of date" in answer.params["text"]
    call = await bot.ask("404")
    assert call.ok
    assert not failed_calls(fake) and not complaints(caplog)


async def test_an_update_that_cannot_be_read_does_not_block_the_ones_after_it(bot, fake, caplog):
    """python-telegram-bot would fetch and refuse such a batch forever; the bot skips the bad update."""
    broken = fake.push_update({"message": {"message_id": 1, "date": 0, "chat": "nope"}})
    call = await bot.ask("502")
    assert call.params["caption"].startswith("<b>502 Bad Gateway</b>")
    assert f"Skipping update {broken['update_id']}" in caplog.text
