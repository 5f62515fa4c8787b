"""The shared store for several replicas: Redis (BOT_STORE_URL=redis://host:6379/0, rediss:// for TLS).

Keys, all under `hsb:`:
- `hsb:lang` (hash user_id → lang) and `hsb:file_ids` (hash picture key → file_id);
- `hsb:seen` (sorted set of update ids by time): an update seen within 24 hours is not handled again;
- `hsb:pending:<replica>` (hash update_id → body): what that replica acknowledged and has not finished;
- `hsb:replicas` (sorted set of replica ids by last heartbeat). A replica silent for REPLICA_TIMEOUT
  seconds is gone: another takes over its pending updates, atomically, in one script;
- the channel `hsb:lang-changes`: each language choice is published, so every replica keeps a small
  cache of the languages of its recent users (chosen or not) up to date and asks Redis only for users
  it has not seen lately. The cache is used only while subscribed, and emptied whenever the
  subscription is lost (a change might have been missed).

When Redis cannot be reached the bot keeps answering without it (`degraded`), logs that once, and a
background task reconnects; the URL is logged without its password.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.retry import Retry

from bot.core.lang import LANGS, Lang
from bot.store.base import SEEN_SECONDS, FileId, Language, LanguageCache, Store, StoreError, batched
from bot.store.legacy import read_legacy

log = logging.getLogger(__name__)

T = TypeVar("T")
PREFIX = "hsb:"
LANG_KEY = PREFIX + "lang"
FILE_IDS_KEY = PREFIX + "file_ids"
SEEN_KEY = PREFIX + "seen"
REPLICAS_KEY = PREFIX + "replicas"
LANG_CHANNEL = PREFIX + "lang-changes"
BEAT_SECONDS = 5.0
REPLICA_TIMEOUT = 30.0  # seconds without a heartbeat before a replica's pending updates are taken over
RECONNECT_MAX = 10.0

# KEYS: seen, pending, languages. ARGV: now, oldest kept, how many users, their ids, then update_id,
# body pairs. Returns the new ids, and the users' languages ('' for none): the language an update's
# handler will ask for comes back in the round trip that keeps the update.
_ADD = """
local users = tonumber(ARGV[3])
local langs = {}
for j = 1, users do
  langs[j] = redis.call('HGET', KEYS[3], ARGV[3 + j]) or ''
end
local new = {}
for i = 4 + users, #ARGV, 2 do
  if redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
    new[#new + 1] = ARGV[i]
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
return {new, langs}
"""
# KEYS: the gone replica's pending, ours, replicas. ARGV: the gone replica, the oldest beat still alive.
# Moves its pending updates to ours, only if it is still gone (another replica may have won already).
_TAKE_OVER = """
local beat = redis.call('ZSCORE', KEYS[3], ARGV[1])
if beat and tonumber(beat) >= tonumber(ARGV[2]) then return {} end
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do redis.call('HSET', KEYS[2], entries[i], entries[i + 1]) end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return entries
"""


def redacted(url: str) -> str:
    """The URL as it may be logged: scheme, host, port and database; never the user or password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def pending_key(replica: str) -> str:
    return f"{PREFIX}pending:{replica}"


class RedisStore(Store):
    engine = "redis"

    def __init__(
        self, url: str, *, replica_id: str, legacy_dir: Path | None = None, timeout: float = 2.0
    ) -> None:
        self.url = url
        self.where = redacted(url)
        self.replica = replica_id
        self.legacy_dir = legacy_dir
        self._timeout = timeout
        self._redis: aioredis.Redis | None = None
        self._file_ids: dict[str, str] = {}
        self._tasks: list[asyncio.Task] = []
        self._writes: set[asyncio.Task] = set()  # done marks on their way; awaited on close
        self._closing = asyncio.Event()
        self._unfinished: dict[int, bytes] = {}
        self._reconnecting: asyncio.Task | None = None
        self._own_loaded = False
        self._languages = LanguageCache()
        self._cache_live = False  # subscribed to LANG_CHANNEL: the cache can be trusted
        self._changes = 0  # messages received: a look-up that raced one is not cached

    # -- connection -------------------------------------------------------------------------------

    def _client(self) -> aioredis.Redis:
        if self._redis is None:
            try:
                self._redis = aioredis.Redis.from_url(
                    self.url,
                    socket_timeout=self._timeout,
                    socket_connect_timeout=self._timeout,
                    # One quick retry for a dropped connection; a server that is down is the
                    # reconnect task's business, not every update's.
                    retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), 1),
                    health_check_interval=30,
                    client_name=f"http-status-bot:{self.replica}"[:100],
                )
            except ValueError as exc:  # a URL redis-py cannot read; its message never holds the password
                raise StoreError(f"BOT_STORE_URL is not a Redis URL ({redacted(self.url)}): {exc}") from None
            self._add = self._redis.register_script(_ADD)
            self._take_over = self._redis.register_script(_TAKE_OVER)
        return self._redis

    async def open(self) -> None:
        client = self._client()
        try:
            await client.ping()
            await self._import_legacy()
            await self._after_connect()
        except RedisError as exc:
            self._went_away(exc)
        self._tasks.append(asyncio.create_task(self._heartbeat(), name="store-heartbeat"))
        self._tasks.append(asyncio.create_task(self._listen(), name="store-language-changes"))

    async def _listen(self) -> None:
        """Follow the language choices of every replica, for the cache; resubscribe after an outage."""
        while not self._closing.is_set():
            pubsub = self._client().pubsub()
            try:
                await pubsub.subscribe(LANG_CHANNEL)
                while not self._closing.is_set():
                    message = await pubsub.get_message(timeout=0.2)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        self._languages.clear()  # whatever was missed before is forgotten
                        self._cache_live = True
                    elif message["type"] == "message":
                        self._changed(message["data"])
            except RedisError:
                pass
            finally:
                self._cache_live = False
                self._languages.clear()
                with contextlib.suppress(RedisError):
                    await pubsub.aclose()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), 1.0)

    def _changed(self, data: bytes) -> None:
        self._changes += 1
        user, _, lang = data.decode().partition(":")
        with contextlib.suppress(ValueError):
            user_id = int(user)
            self._languages.update(user_id, lang if lang in LANGS else None)  # type: ignore[arg-type]

    async def _after_connect(self) -> None:
        """What a (re)connected replica does first: its copy of the file ids, and, once, the updates
        its previous run left unfinished."""
        client = self._client()
        raw = await client.hgetall(FILE_IDS_KEY)
        self._file_ids = {k.decode(): v.decode() for k, v in raw.items()}
        await client.zadd(REPLICAS_KEY, {self.replica: time.time()})
        if not self._own_loaded:
            mine = await client.hgetall(pending_key(self.replica))
            self._own_loaded = True
            self._hand_over([(int(k), v) for k, v in mine.items()])

    def _hand_over(self, entries: list[tuple[int, bytes]]) -> None:
        if not entries:
            return
        if self.on_unfinished is not None:
            self.on_unfinished(sorted(entries))
        else:
            self._unfinished.update(entries)

    async def _import_legacy(self) -> None:
        if self.legacy_dir is None:
            return
        legacy = read_legacy(self.legacy_dir)
        if legacy is None:
            return
        records: list[Language | FileId] = [Language(u, lang) for u, lang in legacy.languages.items()]
        records += [FileId(k, f) for k, f in legacy.file_ids.items()]
        await self.import_records(records)
        legacy.retire()
        log.info("Imported %d records from %s into %s", len(records), legacy.path.name, self.where)

    def _went_away(self, exc: BaseException) -> None:
        """Log once, answer without Redis, and reconnect in the background."""
        if not self.degraded:
            log.warning(
                "Redis at %s is unreachable (%s); answering without it until it is back",
                self.where,
                type(exc).__name__,
            )
        self.degraded = True
        if self._reconnecting is None or self._reconnecting.done():
            with contextlib.suppress(RuntimeError):  # no running loop: the next call reconnects
                self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.1
        while self.degraded and not self._closing.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)
            if self._closing.is_set():
                return
            delay = min(delay * 2, RECONNECT_MAX)
            try:
                await self._client().ping()
                await self._after_connect()
            except RedisError:
                continue
            self.degraded = False
            log.info("Redis at %s is reachable again", self.where)

    async def _call(self, call: Callable[[aioredis.Redis], Awaitable[T]], default: T) -> T:
        """Run `call(client)`; when Redis is away, the default at once. A connection Redis closed (it
        restarted) fails its next command: that one is tried again once, on a fresh connection."""
        if self.degraded:
            return default
        for attempt in (1, 2):
            try:
                return await call(self._client())
            except RedisConnectionError as exc:
                if attempt == 2:
                    self._went_away(exc)
            except RedisError as exc:
                self._went_away(exc)
                break
        return default

    async def _heartbeat(self) -> None:
        """Say this replica is alive, and take over the pending updates of replicas that are not.
        Ends when `close()` sets `_closing`, between two beats: cancelling a Redis command midway
        can leave redis-py's connection waiting."""
        while not self._closing.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._closing.wait(), BEAT_SECONDS)
            if not self.degraded and not self._closing.is_set():
                with contextlib.suppress(RedisError):
                    await self._beat_once()

    async def _beat_once(self) -> None:
        client = self._client()
        now = time.time()
        await client.zadd(REPLICAS_KEY, {self.replica: now})
        gone = await client.zrangebyscore(REPLICAS_KEY, "-inf", now - REPLICA_TIMEOUT)
        for replica in (r.decode() for r in gone):
            if replica == self.replica:
                continue
            entries = await self._take_over(
                keys=[pending_key(replica), pending_key(self.replica), REPLICAS_KEY],
                args=[replica, now - REPLICA_TIMEOUT],
            )
            if entries:
                pairs = [(int(k), v) for k, v in zip(entries[::2], entries[1::2], strict=True)]
                log.info("Took over %d unfinished updates of replica %s", len(pairs), replica)
                self._hand_over(pairs)

    def _in_background(self, write: Awaitable[object]) -> None:
        """A write nobody waits for; `flush()` and `close()` do."""
        task = asyncio.ensure_future(write)
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def flush(self) -> None:
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    async def close(self) -> None:
        self._closing.set()
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        for task in [*self._tasks, self._reconnecting]:
            if task is None:
                continue
            try:  # a beat in progress finishes within the socket timeout
                await asyncio.wait_for(asyncio.shield(task), self._timeout * 2)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
        self._tasks.clear()
        if self._redis is not None:
            with contextlib.suppress(RedisError):
                await self._redis.aclose()
            self._redis = None

    # -- languages --------------------------------------------------------------------------------

    async def language(self, user_id: int) -> Lang | None:
        """From the cache for a user seen lately (no round trip, whether they chose or not), else one
        HGET."""
        if self._cache_live and user_id in self._languages:
            return self._languages.get(user_id)
        changes = self._changes
        raw = await self._call(lambda r: r.hget(LANG_KEY, str(user_id)), None)
        decoded = raw.decode() if raw else None
        lang: Lang | None = decoded if decoded in LANGS else None  # type: ignore[assignment]
        if self._cache_live and not self.degraded and changes == self._changes:
            self._languages.put(user_id, lang)
        return lang

    async def set_language(self, user_id: int, lang: Lang) -> None:
        """Stored and announced in one round trip; every replica's cache follows the announcement."""

        async def store(client: aioredis.Redis) -> None:
            async with client.pipeline(transaction=True) as pipe:
                pipe.hset(LANG_KEY, str(user_id), lang)
                pipe.publish(LANG_CHANNEL, f"{user_id}:{lang}")
                await pipe.execute()

        await self._call(store, None)
        self._languages.update(user_id, lang)

    # -- file ids ---------------------------------------------------------------------------------

    def known_file_id(self, key: str) -> str | None:
        return self._file_ids.get(key)

    async def file_id(self, key: str) -> str | None:
        known = self._file_ids.get(key)
        if known is not None:
            return known
        raw = await self._call(lambda r: r.hget(FILE_IDS_KEY, key), None)  # uploaded by another replica?
        if raw is None:
            return None
        self._file_ids[key] = raw.decode()
        return self._file_ids[key]

    async def remember_file_id(self, key: str, file_id: str) -> None:
        """Written in the background: the reply is out, and a slow Redis must not hold the chat up."""
        self._file_ids[key] = file_id
        self._in_background(self._call(lambda r: r.hset(FILE_IDS_KEY, key, file_id), 0))

    async def forget_file_id(self, key: str) -> None:
        if self._file_ids.get(key) is None:
            return
        stale = self._file_ids.pop(key)
        # Only if no other replica has stored a newer one meanwhile.
        current = await self._call(lambda r: r.hget(FILE_IDS_KEY, key), None)
        if current is not None and current.decode() == stale:
            await self._call(lambda r: r.hdel(FILE_IDS_KEY, key), 0)

    # -- inbox ------------------------------------------------------------------------------------

    async def inbox_add(
        self, updates: Sequence[tuple[int, bytes]], users: Sequence[int] = ()
    ) -> set[int] | None:
        """Also brings back the languages of `users` (the senders) into the cache, in the same round
        trip: their handlers then ask Redis nothing."""
        if self.degraded or not updates:
            return None if self.degraded else set()
        now = time.time()
        users = list(dict.fromkeys(users)) if self._cache_live else []
        args: list[Any] = [now, now - SEEN_SECONDS, len(users), *users]
        for update_id, body in updates:
            args += [update_id, body]
        changes = self._changes
        try:
            new, langs = await self._add(keys=[SEEN_KEY, pending_key(self.replica), LANG_KEY], args=args)
        except RedisError as exc:
            self._went_away(exc)
            return None
        if self._cache_live and changes == self._changes:
            for user_id, raw in zip(users, langs, strict=True):
                lang = raw.decode() if raw else None
                self._languages.put(user_id, lang if lang in LANGS else None)  # type: ignore[arg-type]
        return {int(n) for n in new}

    def inbox_done(self, update_id: int) -> None:
        self._unfinished.pop(update_id, None)
        if self.degraded:
            return  # if it was kept, a later start handles it again: at most this one repeats
        self._in_background(self._call(lambda r: r.hdel(pending_key(self.replica), str(update_id)), 0))

    async def inbox_unfinished(self) -> list[tuple[int, bytes]]:
        """Our own unfinished updates, and those taken over from replicas that went away."""
        taken, self._unfinished = self._unfinished, {}
        return sorted(taken.items())

    async def recent_ids(self, limit: int) -> list[int]:
        newest = await self._call(lambda r: r.zrevrange(SEEN_KEY, 0, limit - 1), [])
        return [int(i) for i in newest]

    # -- operators --------------------------------------------------------------------------------

    async def stats(self) -> dict[str, int | str]:
        client = self._client()
        try:
            pending = 0
            async for key in client.scan_iter(match=f"{PREFIX}pending:*", count=1000):
                pending += await client.hlen(key)
            return {
                "engine": "redis",
                "where": self.where,
                "languages": await client.hlen(LANG_KEY),
                "file_ids": await client.hlen(FILE_IDS_KEY),
                "inbox_unfinished": pending,
                "inbox_seen": await client.zcard(SEEN_KEY),
                "replicas": await client.zcount(REPLICAS_KEY, time.time() - REPLICA_TIMEOUT, "+inf"),
            }
        except RedisError as exc:
            raise StoreError(f"Redis at {self.where} is unreachable: {type(exc).__name__}") from None

    async def export(self) -> AsyncIterator[dict]:
        client = self._client()
        try:
            async for user_id, lang in client.hscan_iter(LANG_KEY, count=5000):
                yield {"kind": "language", "user_id": int(user_id), "lang": lang.decode()}
            async for key, file_id in client.hscan_iter(FILE_IDS_KEY, count=5000):
                yield {"kind": "file_id", "key": key.decode(), "file_id": file_id.decode()}
        except RedisError as exc:
            raise StoreError(f"Redis at {self.where} is unreachable: {type(exc).__name__}") from None

    async def import_records(self, records: Iterable[Language | FileId]) -> int:
        client = self._client()
        written = 0
        try:
            for batch in batched(records, 10_000):
                languages = {str(r.user_id): r.lang for r in batch if isinstance(r, Language)}
                file_ids = {r.key: r.file_id for r in batch if isinstance(r, FileId)}
                async with client.pipeline(transaction=False) as pipe:
                    if languages:
                        pipe.hset(LANG_KEY, mapping=languages)
                    if file_ids:
                        pipe.hset(FILE_IDS_KEY, mapping=file_ids)
                    await pipe.execute()
                self._file_ids.update(file_ids)
                written += len(batch)
        except RedisError as exc:
            raise StoreError(f"Redis at {self.where} is unreachable: {type(exc).__name__}") from None
        return written
