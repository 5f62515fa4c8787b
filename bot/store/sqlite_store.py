"""The embedded store: one SQLite database in BOT_STATE_DIR, in WAL mode.

Writes go through one writer thread that commits whatever has queued up in one transaction (a burst
of updates costs one fsync, not one each), so the event loop only hands work over. Reads are indexed
point look-ups on a second connection, which WAL lets run beside the writer without waiting.
When the folder cannot be written, the same schema lives in memory and the bot says so once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import itertools
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from bot.core.lang import LANGS, Lang
from bot.store.base import SEEN_SECONDS, FileId, Language, LanguageCache, Store, StoreError, batched
from bot.store.done_journal import HALF, DoneJournal, peek
from bot.store.legacy import read_legacy

log = logging.getLogger(__name__)

DB_FILE = "store.sqlite3"
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS languages (user_id INTEGER PRIMARY KEY, lang TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS file_ids (key TEXT PRIMARY KEY, file_id TEXT NOT NULL) WITHOUT ROWID;
-- body is NULL once done: the id alone keeps a repeat from being handled twice.
CREATE TABLE IF NOT EXISTS inbox (
  update_id INTEGER PRIMARY KEY, body BLOB, done INTEGER NOT NULL DEFAULT 0, at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_unfinished ON inbox (update_id) WHERE done = 0;
"""
# Page cache per connection: point look-ups need little, and a million users' table is ~20 MB on disk.
CACHE_KIB = 1024
_BATCH = 512  # operations committed together at most
_PRUNE_EVERY = 1000  # inbox additions between two prunings of old done ids
# Seconds a done mark waits in the journal (done_journal.py) before the marks are folded into the
# database in one write. A crash loses none of them, so this only sets how soon `state stats` and the
# pruning of old ids see them, and how many writes a stream of replies costs.
FOLD_DELAY = 5.0
# Without a journal (another process owns it, or it is full), marks go through the database together.
# Each write is a transaction, and wakes the writer thread, which then takes its turn at the GIL
# against the busy loop. A crash in between repeats those answers on restart, but never more than
# DONE_BATCH of them: the wait only has to be longer than DONE_BATCH replies take at Telegram's 30 a
# second (133 ms), so that a burst is marked DONE_BATCH at a time, and short enough that a quiet bot's
# marks soon land.
DONE_DELAY = 0.25
DONE_BATCH = 4  # done marks written at once without waiting for DONE_DELAY (a burst's repeats stay few)
_memory_names = itertools.count()

Op = Callable[[sqlite3.Connection], Any]


class _Item(NamedTuple):
    op: Op
    future: cf.Future | None
    durable: bool
    statement: bool


class _Writer:
    """One thread owns the writing connection; each batch of queued operations is one transaction."""

    def __init__(self, conn: sqlite3.Connection, on_result: Callable[[Exception | None], None]) -> None:
        self.conn = conn
        self._on_result = on_result
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._synchronous = ""
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()

    def submit(
        self, op: Op, *, wait: bool = True, durable: bool = True, statement: bool = False
    ) -> cf.Future | None:
        """Queue `op`. `durable`: on disk when its batch commits, through a power cut (fsync); otherwise
        it survives the process dying (kill -9, OOM), and a power cut may lose its last moments.
        `statement`: `op` runs a single SQL statement, atomic by itself, so alone in its batch it needs no
        BEGIN and COMMIT around it (each statement costs this thread a turn of the GIL against the loop)."""
        future: cf.Future | None = cf.Future() if wait else None
        self._queue.put(_Item(op, future, durable, statement))
        return future

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                break
            batch = [item]
            stopping = False
            while len(batch) < _BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            self._apply(batch)
            if stopping:
                break
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()

    def _apply(self, batch: list[_Item]) -> None:
        results = []
        try:
            # WAL with NORMAL commits without an fsync (the next FULL commit or checkpoint makes them
            # durable): done marks and file_ids need no fsync of their own; the inbox and languages do.
            synchronous = "FULL" if any(item.durable for item in batch) else "NORMAL"
            if synchronous != self._synchronous:
                self.conn.execute(f"PRAGMA synchronous = {synchronous}")
                self._synchronous = synchronous
            if len(batch) == 1 and batch[0].statement:
                results.append(batch[0].op(self.conn))  # its own transaction
            else:
                self.conn.execute("BEGIN IMMEDIATE")
                for item in batch:
                    results.append(item.op(self.conn))
                self.conn.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            if self.conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
            self._on_result(exc)
            for item in batch:
                _settle(item.future, error=StoreError(f"cannot write the store: {exc}"))
            return
        self._on_result(None)
        for item, result in zip(batch, results, strict=True):
            _settle(item.future, result=result)


def _mark_done(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    for chunk in batched(ids, HALF):  # a journal's half is one statement (SQLite takes 32766 variables)
        marks = ",".join("?" * len(chunk))
        conn.execute(f"UPDATE inbox SET done = 1, body = NULL WHERE update_id IN ({marks})", chunk)


def _settle(future: cf.Future | None, result: object = None, error: Exception | None = None) -> None:
    if future is None or not future.set_running_or_notify_cancel():
        return  # nobody waits, or the waiter gave up
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class SqliteStore(Store):
    engine = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / DB_FILE
        self.in_memory = False
        self._file_ids: dict[str, str] = {}
        # One process owns the file, so what it read or wrote is what the file holds.
        self._languages = LanguageCache()
        self._reader: sqlite3.Connection | None = None
        self._writer: _Writer | None = None
        self._added = 0
        self._write_failing = False
        self._done: list[int] = []  # done marks waiting for DONE_DELAY, or for the next write
        self._done_timer: asyncio.TimerHandle | None = None
        self._journal: DoneJournal | None = None
        self._fold_timer: asyncio.TimerHandle | None = None

    # -- opening ----------------------------------------------------------------------------------

    async def open(self) -> None:
        await asyncio.to_thread(self.open_now)

    def open_now(self) -> None:
        """Open (or create) the database, import an old state.json, start the writer. Blocking: call
        it before serving, or through `open()`."""
        if self._writer is not None:
            return
        try:
            writer, reader = self._connect_file()
        except (sqlite3.Error, OSError) as exc:
            why = getattr(exc, "strerror", None) or str(exc)
            log.warning("Cannot keep state in %s (%s); keeping it in memory only", self.directory, why)
            writer, reader = self._connect_memory()
            self.in_memory = True
            self.degraded = True
        self._reader = reader
        self._import_legacy(writer)
        self._file_ids = dict(reader.execute("SELECT key, file_id FROM file_ids"))
        if not self.in_memory:
            self._journal = self._open_journal(writer)
        self._prune(writer)
        self._writer = _Writer(writer, self._write_result)

    def _open_journal(self, conn: sqlite3.Connection) -> DoneJournal | None:
        """The done journal, with what the last run left in it folded into the database first."""
        journal = DoneJournal.open(self.directory)
        if journal is None or not journal.recovered:
            return journal
        try:
            _mark_done(conn, journal.recovered)
        except sqlite3.Error as exc:  # kept in the file for the next start
            log.warning("Cannot fold the done journal into %s (%s)", self.path, exc)
            journal.close()
            return None
        journal.clear()
        return journal

    def _connect_file(self) -> tuple[sqlite3.Connection, sqlite3.Connection]:
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            return self._prepare(str(self.path), uri=False)
        except sqlite3.DatabaseError as exc:
            if "not a database" not in str(exc) and "malformed" not in str(exc):
                raise
        self._set_aside()  # a corrupt database never stops the bot: keep it for repair, start afresh
        return self._prepare(str(self.path), uri=False)

    def _connect_memory(self) -> tuple[sqlite3.Connection, sqlite3.Connection]:
        name = f"file:http-status-bot-{os.getpid()}-{next(_memory_names)}?mode=memory&cache=shared"
        return self._prepare(name, uri=True)

    @staticmethod
    def _prepare(name: str, *, uri: bool) -> tuple[sqlite3.Connection, sqlite3.Connection]:
        writer = sqlite3.connect(name, uri=uri, isolation_level=None, check_same_thread=False)
        try:
            writer.execute("PRAGMA busy_timeout = 5000")
            writer.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            if not uri:
                writer.execute("PRAGMA journal_mode = WAL")
            # FULL: a commit is on disk before the update it holds is acknowledged to Telegram.
            writer.execute("PRAGMA synchronous = FULL")
            writer.executescript(_SCHEMA)
            writer.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            reader = sqlite3.connect(name, uri=uri, isolation_level=None, check_same_thread=False)
            reader.execute("PRAGMA busy_timeout = 5000")
            reader.execute("PRAGMA query_only = 1")
            reader.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        except BaseException:
            writer.close()
            raise
        return writer, reader

    def _set_aside(self) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            part = self.path.with_name(self.path.name + suffix)
            if part.exists():
                os.replace(part, part.with_name(f"{part.name}.corrupt-{stamp}"))
        log.warning(
            "The store %s is damaged; kept as %s.corrupt-%s, starting afresh", self.path, DB_FILE, stamp
        )

    def _import_legacy(self, conn: sqlite3.Connection) -> None:
        legacy = read_legacy(self.directory)
        if legacy is None:
            return
        with conn:
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT OR REPLACE INTO languages (user_id, lang) VALUES (?, ?)", legacy.languages.items()
            )
            conn.executemany(
                "INSERT OR REPLACE INTO file_ids (key, file_id) VALUES (?, ?)", legacy.file_ids.items()
            )
        if not self.in_memory:
            legacy.retire()
        log.info(
            "Imported %d languages and %d file_ids from %s",
            len(legacy.languages),
            len(legacy.file_ids),
            legacy.path.name,
        )

    @staticmethod
    def _prune(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM inbox WHERE done = 1 AND at < ?", (time.time() - SEEN_SECONDS,))

    def _write_result(self, error: Exception | None) -> None:
        """Called by the writer after each batch: log a failing disk once, and its recovery."""
        if error is not None and not self._write_failing:
            log.warning("Cannot write the store %s (%s); answering without it", self.path, error)
        elif error is None and self._write_failing:
            log.info("The store %s is writable again", self.path)
        self._write_failing = error is not None
        self.degraded = self.in_memory or self._write_failing

    async def close(self) -> None:
        self._write_done()
        journal, self._journal = self._journal, None
        if self._fold_timer is not None:
            self._fold_timer.cancel()
            self._fold_timer = None
        if journal is not None and self._writer is not None:
            held = journal.pending()
            if held:
                self._write_later(lambda c: _mark_done(c, held), statement=len(held) <= HALF)
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await asyncio.to_thread(writer.stop)
        if journal is not None:
            if not self._write_failing:
                journal.clear()  # all in the database now; else the next start folds them
            journal.close()
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    async def flush(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(StoreError):
                await self._write(lambda c: None)

    # -- helpers ----------------------------------------------------------------------------------

    async def _write(self, op: Op) -> Any:
        if self._writer is None:
            raise StoreError("the store is closed")
        self._write_done()
        future = self._writer.submit(op)
        assert future is not None
        return await asyncio.wrap_future(future)

    def _write_later(self, op: Op, *, statement: bool = True) -> None:
        """Fire and forget, without an fsync of its own (see _Writer.submit)."""
        if self._writer is not None:
            self._writer.submit(op, wait=False, durable=False, statement=statement)

    def _read(self, sql: str, args: tuple = ()) -> list[tuple] | None:
        """The rows, or None when the store cannot be read (logged)."""
        if self._reader is None:
            return None
        try:
            return self._reader.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            log.warning("Cannot read the store %s (%s)", self.path, exc)
            return None

    # -- languages --------------------------------------------------------------------------------

    async def language(self, user_id: int) -> Lang | None:
        """From memory for a user seen lately (a read beside the writer costs more than the rest of
        the update's look-ups), else one indexed read."""
        if user_id in self._languages:
            return self._languages.get(user_id)
        rows = self._read("SELECT lang FROM languages WHERE user_id = ?", (user_id,))
        stored = rows[0][0] if rows else None
        lang: Lang | None = stored if stored in LANGS else None
        if rows is not None:
            self._languages.put(user_id, lang)
        return lang

    def preload_languages(self, user_ids: Sequence[int]) -> None:
        """One read for a batch of new users instead of one each (a burst of 100 costs 100 reads)."""
        wanted = [u for u in dict.fromkeys(user_ids) if u not in self._languages]
        for chunk in batched(wanted, 500):
            marks = ",".join("?" * len(chunk))
            rows = self._read(f"SELECT user_id, lang FROM languages WHERE user_id IN ({marks})", tuple(chunk))
            if rows is None:
                return
            stored = dict(rows)
            for user_id in chunk:
                lang = stored.get(user_id)
                self._languages.put(user_id, lang if lang in LANGS else None)

    async def set_language(self, user_id: int, lang: Lang) -> None:
        self._languages.put(user_id, lang)  # held for this run even when the disk refuses it
        with contextlib.suppress(StoreError):  # logged by the writer; the choice holds for this reply
            await self._write(
                lambda c: c.execute(
                    "INSERT OR REPLACE INTO languages (user_id, lang) VALUES (?, ?)", (user_id, lang)
                )
            )

    # -- file ids ---------------------------------------------------------------------------------

    def known_file_id(self, key: str) -> str | None:
        return self._file_ids.get(key)

    async def file_id(self, key: str) -> str | None:
        return self._file_ids.get(key)  # one process owns the file: its copy is the whole truth

    async def remember_file_id(self, key: str, file_id: str) -> None:
        if self._file_ids.get(key) == file_id:
            return
        self._file_ids[key] = file_id
        self._write_later(
            lambda c: c.execute(
                "INSERT OR REPLACE INTO file_ids (key, file_id) VALUES (?, ?)", (key, file_id)
            )
        )

    async def forget_file_id(self, key: str) -> None:
        if self._file_ids.pop(key, None) is not None:
            self._write_later(lambda c: c.execute("DELETE FROM file_ids WHERE key = ?", (key,)))

    # -- inbox ------------------------------------------------------------------------------------

    async def inbox_add(
        self, updates: Sequence[tuple[int, bytes]], users: Sequence[int] = ()
    ) -> set[int] | None:
        if self.in_memory:
            return None  # not durable: the caller handles before it acknowledges
        now = time.time()
        self._added += len(updates)
        prune = self._added >= _PRUNE_EVERY
        if prune:
            self._added = 0

        def add(conn: sqlite3.Connection) -> set[int]:
            new = set()
            for update_id, body in updates:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO inbox (update_id, body, done, at) VALUES (?, ?, 0, ?)",
                    (update_id, body, now),
                )
                if cursor.rowcount:
                    new.add(update_id)
            if prune:
                self._prune(conn)
            return new

        try:
            return await self._write(add)
        except StoreError:
            return None

    def inbox_done(self, update_id: int) -> None:
        if self._writer is None:
            return
        if self._journal is not None and self._journaled(self._journal, update_id):
            return
        self._done.append(update_id)  # no journal, or no event loop to fold it (a command-line tool)
        if len(self._done) >= DONE_BATCH:
            self._write_done()
        elif self._done_timer is None:
            try:
                self._done_timer = asyncio.get_running_loop().call_later(DONE_DELAY, self._write_done)
            except RuntimeError:  # no event loop (a command-line tool): now
                self._write_done()

    def _journaled(self, journal: DoneJournal, update_id: int) -> bool:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        if not journal.append(update_id):
            return False  # full: the disk is slow to take the folds
        if journal.filling == HALF:
            self._fold()
        elif self._fold_timer is None:
            self._fold_timer = loop.call_later(FOLD_DELAY, self._fold)
        return True

    def _write_done(self) -> None:
        """Queue the waiting done marks as one operation: before any other write, so they share its
        transaction, after DONE_DELAY at the latest."""
        if self._done_timer is not None:
            self._done_timer.cancel()
            self._done_timer = None
        if not self._done:
            return
        ids, self._done = self._done, []
        self._write_later(lambda c: _mark_done(c, ids), statement=len(ids) <= HALF)

    def _fold(self) -> None:
        """Write the journal's filling half into the database, in one statement of its own."""
        if self._fold_timer is not None:
            self._fold_timer.cancel()
            self._fold_timer = None
        journal, writer = self._journal, self._writer
        taken = journal.take() if journal is not None and writer is not None else None
        if taken is None:  # nothing to fold, or the other half's fold is still being written
            return
        assert journal is not None
        self._submit_fold(journal, *taken)

    def _submit_fold(self, journal: DoneJournal, half: int, ids: list[int]) -> None:
        if journal is not self._journal or self._writer is None:
            return  # closed meanwhile: close() wrote them
        future = self._writer.submit(lambda c: _mark_done(c, ids), durable=False, statement=True)
        assert future is not None
        loop = asyncio.get_running_loop()

        def committed(done: cf.Future) -> None:  # in the writer thread
            with contextlib.suppress(RuntimeError):  # the loop is gone: close() wrote them
                loop.call_soon_threadsafe(self._folded, journal, half, ids, done.exception() is None)

        future.add_done_callback(committed)

    def _folded(self, journal: DoneJournal, half: int, ids: list[int], ok: bool) -> None:
        if journal is not self._journal:
            return
        loop = asyncio.get_running_loop()
        if not ok:  # the write failed (logged once): the marks stay in the file, and are tried again
            loop.call_later(FOLD_DELAY, self._submit_fold, journal, half, ids)
            return
        journal.release(half)
        if journal.filling == HALF:  # marks waited for this half: fold the other now
            self._fold()
        elif journal.filling and self._fold_timer is None:
            self._fold_timer = loop.call_later(FOLD_DELAY, self._fold)

    def _journal_marks(self) -> list[int]:
        """Done marks not folded into the database yet: ours, or those of the bot that owns the journal
        (for `state stats` while it runs)."""
        if self._journal is not None:
            return self._journal.pending()
        return [] if self.in_memory else peek(self.directory)

    async def inbox_unfinished(self) -> list[tuple[int, bytes]]:
        rows = self._read("SELECT update_id, body FROM inbox WHERE done = 0 ORDER BY update_id")
        done = set(self._journal_marks())
        return [
            (update_id, bytes(body))
            for update_id, body in rows or ()
            if body is not None and update_id not in done
        ]

    async def recent_ids(self, limit: int) -> list[int]:
        rows = self._read("SELECT update_id FROM inbox ORDER BY update_id DESC LIMIT ?", (limit,))
        return [row[0] for row in rows or ()]

    # -- operators --------------------------------------------------------------------------------

    async def stats(self) -> dict[str, int | str]:
        def count(sql: str) -> int:
            rows = self._read(sql)
            return int(rows[0][0]) if rows else 0

        size = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                size += self.path.with_name(self.path.name + suffix).stat().st_size
        held = self._journal_marks()
        unfinished = count("SELECT count(*) FROM inbox WHERE done = 0")
        if held:  # marked done in the journal, not folded into the database yet
            marks = ",".join("?" * len(held))
            sql = f"SELECT count(*) FROM inbox WHERE done = 0 AND update_id IN ({marks})"
            rows = self._read(sql, tuple(held))
            unfinished -= int(rows[0][0]) if rows else 0
        return {
            "engine": "sqlite (in memory)" if self.in_memory else "sqlite",
            "where": ":memory:" if self.in_memory else str(self.path),
            "languages": count("SELECT count(*) FROM languages"),
            "file_ids": count("SELECT count(*) FROM file_ids"),
            "inbox_unfinished": unfinished,
            "inbox_seen": count("SELECT count(*) FROM inbox"),
            "bytes": size,
        }

    async def export(self) -> AsyncIterator[dict]:
        if self._reader is None:
            return
        for user_id, lang in self._reader.execute("SELECT user_id, lang FROM languages ORDER BY user_id"):
            yield {"kind": "language", "user_id": user_id, "lang": lang}
        for key, file_id in self._reader.execute("SELECT key, file_id FROM file_ids ORDER BY key"):
            yield {"kind": "file_id", "key": key, "file_id": file_id}

    async def import_records(self, records: Iterable[Language | FileId]) -> int:
        written = 0
        for batch in batched(records, 20_000):
            languages = [(r.user_id, r.lang) for r in batch if isinstance(r, Language)]
            file_ids = [(r.key, r.file_id) for r in batch if isinstance(r, FileId)]

            def write(c: sqlite3.Connection, languages=languages, file_ids=file_ids) -> None:
                c.executemany("INSERT OR REPLACE INTO languages (user_id, lang) VALUES (?, ?)", languages)
                c.executemany("INSERT OR REPLACE INTO file_ids (key, file_id) VALUES (?, ?)", file_ids)

            await self._write(write)
            self._file_ids.update(file_ids)
            for user_id, lang in languages:
                self._languages.update(user_id, lang)
            written += len(batch)
        return written

    def backup(self, target: Path) -> None:
        """SQLite's online backup: a consistent copy while the bot keeps running."""
        if self._reader is None:
            raise StoreError("the store is closed")
        with sqlite3.connect(target) as copy:
            self._reader.backup(copy)
        copy.close()
