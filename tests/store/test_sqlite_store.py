"""The SQLite store: what it keeps survives a restart, a damaged database or an unwritable folder never
stops the bot, and its writes leave the event loop free."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from bot.store import sqlite_store
from bot.store.base import FileId, Language, LanguageCache
from bot.store.done_journal import HALF, JOURNAL_FILE, MAGIC
from bot.store.sqlite_store import DB_FILE, SqliteStore

ROOT = Path(__file__).resolve().parents[2]


async def opened(directory) -> SqliteStore:
    store = SqliteStore(directory)
    await store.open()
    return store


async def test_languages_and_file_ids_survive_a_restart(tmp_path):
    store = await opened(tmp_path)
    await store.set_language(42, "zh")
    await store.remember_file_id("bundled:404:abc", "AgAC-1")
    assert await store.language(42) == "zh"  # read back at once: set_language returns once stored
    assert await store.language(7) is None
    await store.close()

    again = await opened(tmp_path)
    assert await again.language(42) == "zh"
    assert again.known_file_id("bundled:404:abc") == "AgAC-1"
    await again.forget_file_id("bundled:404:abc")
    await again.close()
    third = await opened(tmp_path)
    assert await third.file_id("bundled:404:abc") is None
    await third.close()


async def test_the_inbox_keeps_updates_until_done_and_knows_repeats(tmp_path):
    store = await opened(tmp_path)
    assert await store.inbox_add([(10, b'{"update_id":10}'), (11, b'{"update_id":11}')]) == {10, 11}
    assert await store.inbox_add([(11, b"again"), (12, b'{"update_id":12}')]) == {12}  # 11 is a repeat
    store.inbox_done(10)
    await store.close()  # as a crash would leave it: 11 and 12 never finished

    again = await opened(tmp_path)
    assert await again.inbox_unfinished() == [(11, b'{"update_id":11}'), (12, b'{"update_id":12}')]
    again.inbox_done(11)
    again.inbox_done(12)
    assert await again.inbox_add([(10, b"x"), (12, b"x")]) == set()  # done ones stay known as repeats
    assert await again.inbox_unfinished() == []
    stats = await again.stats()
    assert stats["inbox_unfinished"] == 0 and stats["inbox_seen"] == 3
    await again.close()


async def test_a_kept_update_is_on_disk_when_inbox_add_returns(tmp_path):
    store = await opened(tmp_path)
    await store.inbox_add([(5, b'{"update_id":5}')])
    # Another connection, as a process started after a kill -9 would open it, sees it already.
    with sqlite3.connect(tmp_path / DB_FILE) as other:
        assert other.execute("SELECT body FROM inbox WHERE update_id = 5").fetchone() == (b'{"update_id":5}',)
    await store.close()


async def test_a_language_change_hardly_blocks_the_event_loop(tmp_path):
    """The write and its fsync happen in the writer thread; the loop only hands the work over."""
    store = await opened(tmp_path)
    blocked = []
    for user_id in range(200):
        started = time.perf_counter()
        pending = asyncio.ensure_future(store.set_language(user_id, "zh"))
        await asyncio.sleep(0)  # the coroutine runs up to its await of the writer
        blocked.append(time.perf_counter() - started)
        await pending
    blocked.sort()
    assert blocked[int(len(blocked) * 0.99)] < 0.001
    assert await store.language(199) == "zh"
    await store.close()


async def test_a_recent_users_language_is_answered_without_reading_the_database(tmp_path):
    """Asked on every update: a read beside the busy writer cost more than the rest of the look-ups."""
    store = await opened(tmp_path)
    await store.set_language(42, "zh")
    statements: list[str] = []
    assert store._reader is not None
    store._reader.set_trace_callback(statements.append)
    assert await store.language(42) == "zh"  # just chosen: known without a read
    assert await store.language(7) is None  # never chose: read once…
    assert await store.language(7) is None  # …then known
    assert [s for s in statements if "languages" in s] == ["SELECT lang FROM languages WHERE user_id = 7"]
    await store.set_language(7, "en")
    assert await store.language(7) == "en"  # the cache follows the choice
    await store.import_records([Language(42, "en")])
    assert await store.language(42) == "en"  # and an import
    await store.close()


async def test_a_polled_batchs_senders_are_read_in_one_go(tmp_path):
    store = await opened(tmp_path)
    await store.import_records([Language(1, "zh"), Language(2, "en")])
    await store.language(2)  # seen already
    statements: list[str] = []
    assert store._reader is not None
    store._reader.set_trace_callback(statements.append)
    store.preload_languages([1, 2, 3, 1])
    assert [await store.language(u) for u in (1, 2, 3)] == ["zh", "en", None]
    assert statements == ["SELECT user_id, lang FROM languages WHERE user_id IN (1,3)"]
    await store.close()


async def test_a_failed_read_is_not_remembered_as_no_choice(tmp_path, caplog):
    store = await opened(tmp_path)
    await store.import_records([Language(9, "zh")])  # stored, but not a user the cache holds
    reader, store._reader = store._reader, sqlite3.connect(":memory:")  # a reader without the table
    assert await store.language(9) is None  # the answer for now: Telegram's language…
    assert "Cannot read the store" in caplog.text
    store._reader.close()
    store._reader = reader
    assert await store.language(9) == "zh"  # …and the next update reads it again
    await store.close()


def test_the_language_cache_keeps_the_users_seen_last():
    cache = LanguageCache(size=2)
    cache.put(1, "zh")
    cache.put(2, None)  # "no choice" is worth remembering too
    assert cache.get(1) == "zh"  # 1 is now the most recent
    cache.put(3, "en")
    assert 2 not in cache and 1 in cache and 3 in cache and len(cache) == 2
    cache.update(2, "zh")  # a change for a user not held stays unknown
    cache.update(3, "zh")
    assert 2 not in cache and cache.get(3) == "zh"


async def test_import_is_idempotent_and_export_gives_every_record(tmp_path):
    store = await opened(tmp_path)
    records = [Language(i, "zh" if i % 2 else "en") for i in range(1000)]
    records.append(FileId("bundled:500:ab", "AgAC-5"))
    assert await store.import_records(records) == 1001
    assert await store.import_records(records) == 1001
    exported = [r async for r in store.export()]
    assert len(exported) == 1001
    assert exported[1] == {"kind": "language", "user_id": 1, "lang": "zh"}
    assert exported[-1] == {"kind": "file_id", "key": "bundled:500:ab", "file_id": "AgAC-5"}
    assert store.known_file_id("bundled:500:ab") == "AgAC-5"
    await store.close()


async def test_a_damaged_database_is_set_aside_and_the_bot_starts_afresh(tmp_path, caplog):
    (tmp_path / DB_FILE).write_bytes(b"\x00garbage" * 1000)
    store = await opened(tmp_path)
    assert "damaged" in caplog.text and not store.degraded
    await store.set_language(1, "zh")
    assert await store.language(1) == "zh"
    assert len(list(tmp_path.glob(f"{DB_FILE}.corrupt-*"))) == 1
    await store.close()


async def test_an_unwritable_location_keeps_state_in_memory(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = await opened(blocker / "state")  # a folder inside a file: cannot be created, even as root
    await store.remember_file_id("k", "v")
    await store.set_language(1, "zh")
    assert store.known_file_id("k") == "v" and await store.language(1) == "zh"
    assert store.degraded and store.in_memory
    assert await store.inbox_add([(1, b"{}")]) is None  # memory is not durable: handle, then acknowledge
    assert caplog.text.count("in memory only") == 1
    await store.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
async def test_a_read_only_folder_keeps_state_in_memory(tmp_path, caplog):
    tmp_path.chmod(0o555)
    try:
        store = await opened(tmp_path)
        await store.set_language(1, "zh")
        assert await store.language(1) == "zh" and store.degraded
        assert "in memory only" in caplog.text
        await store.close()
    finally:
        tmp_path.chmod(0o755)


async def test_online_backup_copies_a_consistent_database(tmp_path):
    store = await opened(tmp_path / "live")
    await store.set_language(3, "zh")
    store.backup(tmp_path / "copy.sqlite3")
    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        assert copy.execute("SELECT lang FROM languages WHERE user_id = 3").fetchone() == ("zh",)
    await store.close()


async def until(condition, what: str, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.005)


def in_the_file(directory) -> dict[int, int]:
    """update_id → done, as the database file holds it (read beside the store)."""
    with contextlib.closing(sqlite3.connect(directory / DB_FILE)) as conn:
        return dict(conn.execute("SELECT update_id, done FROM inbox"))


def traced(store: SqliteStore) -> list[str]:
    statements: list[str] = []
    assert store._writer is not None
    store._writer.conn.set_trace_callback(statements.append)
    return statements


def marks(statements: list[str]) -> list[str]:
    return [s for s in statements if not s.startswith("PRAGMA")]


async def test_a_burst_of_done_marks_costs_a_write_per_half_journal(tmp_path, monkeypatch):
    """Marks go into the journal; the database gets them a half (512) at a time or after FOLD_DELAY, each
    fold one UPDATE committed by itself, and the store reads them as done meanwhile."""
    monkeypatch.setattr(sqlite_store, "FOLD_DELAY", 0.3)
    store = await opened(tmp_path)
    ids = range(1, HALF + 89)
    assert await store.inbox_add([(u, b'{"update_id":%d}' % u) for u in ids]) == set(ids)
    statements = traced(store)
    for update_id in ids:
        store.inbox_done(update_id)
    assert await store.inbox_unfinished() == []  # the journal's marks count at once
    assert (await store.stats())["inbox_unfinished"] == 0
    await until(lambda: marks(statements), "the full half was not folded")
    folded = ",".join(str(u) for u in range(1, HALF + 1))
    assert marks(statements) == [f"UPDATE inbox SET done = 1, body = NULL WHERE update_id IN ({folded})"]
    assert sum(in_the_file(tmp_path).values()) == HALF  # the other 88 wait for FOLD_DELAY
    await until(lambda: len(marks(statements)) == 2, "the rest was not folded after FOLD_DELAY")
    assert marks(statements)[1].endswith(f"IN ({','.join(str(u) for u in range(HALF + 1, HALF + 89))})")
    assert set(in_the_file(tmp_path).values()) == {1}
    await until(lambda: store._journal is not None and not store._journal.pending(), "halves not freed")
    await store.close()


async def test_done_marks_survive_kill_9_before_they_reach_the_database(tmp_path):
    script = textwrap.dedent(
        """
        import asyncio, os, signal, sys
        from pathlib import Path
        from bot.store.sqlite_store import SqliteStore

        async def main():
            store = SqliteStore(Path(sys.argv[1]))
            await store.open()
            await store.inbox_add([(u, b'{"update_id":%d}' % u) for u in (1, 2, 3)])
            store.inbox_done(1)
            store.inbox_done(2)
            os.kill(os.getpid(), signal.SIGKILL)

        asyncio.run(main())
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    crashed = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, timeout=60)
    assert crashed.returncode == -signal.SIGKILL
    assert in_the_file(tmp_path) == {1: 0, 2: 0, 3: 0}  # the marks never reached the database
    store = await opened(tmp_path)
    assert [u for u, _ in await store.inbox_unfinished()] == [3]  # but the journal kept them
    assert in_the_file(tmp_path) == {1: 1, 2: 1, 3: 0}  # folded in at open
    await store.close()


async def test_close_writes_every_mark_and_empties_the_journal(tmp_path):
    store = await opened(tmp_path)
    await store.inbox_add([(u, b"{}") for u in (1, 2, 3)])
    for update_id in (1, 2):
        store.inbox_done(update_id)
    await store.close()
    assert in_the_file(tmp_path) == {1: 1, 2: 1, 3: 0}
    data = (tmp_path / JOURNAL_FILE).read_bytes()
    assert data == MAGIC + bytes(len(data) - len(MAGIC))


async def test_a_full_journal_passes_marks_to_the_database_and_loses_none(tmp_path):
    store = await opened(tmp_path)
    ids = range(1, 2 * HALF + 11)
    await store.inbox_add([(u, b"{}") for u in ids])
    assert store._writer is not None
    stuck = threading.Event()
    store._writer.submit(lambda c: stuck.wait(10), wait=False)  # a slow disk: no fold commits
    for update_id in ids:
        store.inbox_done(update_id)  # one half folding, one full, 10 past them
    assert store._journal is not None and len(store._journal.pending()) == 2 * HALF
    stuck.set()
    await until(lambda: set(in_the_file(tmp_path).values()) == {1}, "marks were lost")
    await until(lambda: store._journal is not None and not store._journal.pending(), "halves not freed")
    await store.close()


async def test_without_the_journal_done_marks_go_through_the_database_a_few_at_a_time(tmp_path):
    """Another process owns the journal: a burst is marked a few at a time, each batch one UPDATE,
    committed by itself (no BEGIN/COMMIT around it, each statement costing the writer thread a turn of
    the GIL)."""
    tmp_path.joinpath(JOURNAL_FILE).touch()
    with open(tmp_path / JOURNAL_FILE, "rb") as owner:
        fcntl.flock(owner, fcntl.LOCK_EX)
        store = await opened(tmp_path)
        assert store._journal is None
        assert await store.inbox_add([(u, b'{"update_id":%d}' % u) for u in (1, 2, 3, 4, 5)]) == {
            1,
            2,
            3,
            4,
            5,
        }
        statements = traced(store)
        for update_id in (1, 2, 3, 4):  # DONE_BATCH of them: written at once
            store.inbox_done(update_id)
        await until(lambda: marks(statements), "no marks written")
        assert marks(statements) == ["UPDATE inbox SET done = 1, body = NULL WHERE update_id IN (1,2,3,4)"]
        assert [u for u, _ in await store.inbox_unfinished()] == [5]
        await store.close()
    reopened = await opened(tmp_path)
    assert [u for u, _ in await reopened.inbox_unfinished()] == [5]  # the marks reached the file
    await reopened.close()


def test_a_burst_is_marked_done_a_full_batch_at_a_time():
    """The timer must not beat the count at Telegram's 30 replies a second: each write wakes the
    writer thread, and more, smaller writes only cost CPU (the repeats after a crash stay DONE_BATCH).
    This is the path without a journal (another process owns it, or it is full)."""
    from bot.adapter.fairness import OVERALL_RATE
    from bot.store.sqlite_store import DONE_BATCH, DONE_DELAY

    assert DONE_DELAY > DONE_BATCH / OVERALL_RATE
    assert DONE_DELAY <= 0.5  # and a quiet bot's marks still land within half a second


def test_a_mark_made_outside_an_event_loop_is_written_at_once(tmp_path):
    """A command-line tool has no loop to fold a journal with: its marks go through the database."""
    store = SqliteStore(tmp_path)
    store.open_now()
    asyncio.run(store.inbox_add([(1, b"{}"), (2, b"{}")]))
    store.inbox_done(1)
    assert store._journal is not None and store._journal.pending() == []
    asyncio.run(store.close())
    assert in_the_file(tmp_path) == {1: 1, 2: 0}
