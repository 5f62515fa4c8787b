"""The Redis store against a real redis-server: what one replica stores, another reads; a replica that
went away leaves its unfinished updates to the others; an outage never raises and heals by itself."""

from __future__ import annotations

import asyncio
import logging
import time

from bot.store.base import FileId, Language
from bot.store.redis_store import REPLICA_TIMEOUT, REPLICAS_KEY, RedisStore, redacted


async def opened(url: str, replica: str = "a", **kwargs) -> RedisStore:
    store = RedisStore(url, replica_id=replica, timeout=0.5, **kwargs)
    await store.open()
    return store


async def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_what_one_replica_stores_the_other_reads(redis_url):
    a, b = await opened(redis_url, "a"), await opened(redis_url, "b")
    await a.set_language(42, "zh")
    assert await b.language(42) == "zh"
    assert await b.language(43) is None
    await a.remember_file_id("bundled:404:ab", "AgAC-4")
    await a.flush()  # written in the background: the reply does not wait for it
    assert b.known_file_id("bundled:404:ab") is None  # not in b's copy yet
    assert await b.file_id("bundled:404:ab") == "AgAC-4"  # but found in Redis before uploading again
    await a.forget_file_id("bundled:404:ab")
    c = await opened(redis_url, "c")
    assert await c.file_id("bundled:404:ab") is None
    for store in (a, b, c):
        await store.close()


async def test_forgetting_a_rejected_file_id_keeps_a_newer_one_of_another_replica(redis_url):
    a, b = await opened(redis_url, "a"), await opened(redis_url, "b")
    await a.remember_file_id("k", "old")
    await a.flush()
    assert await b.file_id("k") == "old"
    await a.remember_file_id("k", "new")  # a uploaded again meanwhile
    await a.flush()
    await b.forget_file_id("k")  # b found "old" rejected
    c = await opened(redis_url, "c")
    assert await c.file_id("k") == "new"
    for store in (a, b, c):
        await store.close()


async def test_the_inbox_skips_repeats_across_replicas_and_keeps_the_unfinished(redis_url):
    a = await opened(redis_url, "a")
    assert await a.inbox_add([(1, b"one"), (2, b"two")]) == {1, 2}
    b = await opened(redis_url, "b")
    assert await b.inbox_add([(2, b"two"), (3, b"three")]) == {3}  # 2 reached a first
    a.inbox_done(1)
    await until(lambda: not a._writes)  # the done mark is written in the background
    await a.close()
    again = await opened(redis_url, "a")  # a restarts under the same name: its own unfinished first
    assert await again.inbox_unfinished() == [(2, b"two")]
    for store in (again, b):
        await store.close()


async def test_a_replica_that_went_away_leaves_its_updates_to_one_other(redis_url, redis_server):
    gone = await opened(redis_url, "gone")
    assert await gone.inbox_add([(7, b"seven"), (8, b"eight")]) == {7, 8}
    await gone.close()
    with redis_server.client() as client:  # its last heartbeat, long ago
        client.zadd(REPLICAS_KEY, {"gone": time.time() - REPLICA_TIMEOUT - 5})
    b, c = await opened(redis_url, "b"), await opened(redis_url, "c")
    handed: list[list[tuple[int, bytes]]] = []
    b.on_unfinished = c.on_unfinished = handed.append
    await asyncio.gather(b._beat_once(), c._beat_once())
    assert handed == [[(7, b"seven"), (8, b"eight")]]  # exactly one of them took them over
    for store in (b, c):
        await store.close()


async def test_import_and_export_round_trip(redis_url):
    store = await opened(redis_url)
    records = [Language(i, "zh") for i in range(2500)]
    records.append(FileId("bundled:500:ab", "AgAC-5"))
    assert await store.import_records(records) == 2501
    assert await store.import_records(records) == 2501  # idempotent
    exported = [r async for r in store.export()]
    assert len(exported) == 2501
    assert {"kind": "file_id", "key": "bundled:500:ab", "file_id": "AgAC-5"} in exported
    stats = await store.stats()
    assert stats["languages"] == 2500 and stats["file_ids"] == 1
    await store.close()


async def test_a_password_works_and_is_never_logged(tmp_path, caplog):
    from redis_server import RedisServer

    server = RedisServer(tmp_path / "r", password="pa55-word-of-redis").start()
    try:
        store = await opened(server.url)
        await store.set_language(1, "zh")
        assert await store.language(1) == "zh" and not store.degraded
        await store.close()
        wrong = await opened(server.url.replace("pa55-word-of-redis", "not-the-password"))
        assert wrong.degraded  # refused: the bot still starts, and says why once
        await wrong.close()
    finally:
        server.stop()
    assert "pa55-word-of-redis" not in caplog.text and "not-the-password" not in caplog.text
    assert redacted(server.url) == f"redis://127.0.0.1:{server.port}/0"


async def test_an_outage_never_raises_and_heals_by_itself(own_redis, caplog):
    caplog.set_level(logging.INFO)
    store = await opened(own_redis.url)
    await store.set_language(5, "zh")
    own_redis.stop()
    assert await store.language(5) is None  # Telegram's language then; no exception, no wait
    assert store.degraded
    assert await store.inbox_add([(1, b"x")]) is None  # not kept: handled before acknowledged
    await store.set_language(6, "zh")
    assert await store.file_id("k") is None
    store.inbox_done(1)
    assert caplog.text.count("is unreachable") == 1  # logged once
    own_redis.start()
    await until(lambda: not store.degraded)
    assert "reachable again" in caplog.text
    assert await store.language(5) == "zh"
    await store.close()


async def test_redis_down_at_start_is_degraded_not_fatal(own_redis):
    own_redis.stop()
    store = await opened(own_redis.url)
    assert store.degraded and await store.language(1) is None
    own_redis.start()
    await until(lambda: not store.degraded)
    await store.close()


def hget_calls(server) -> int:
    with server.client() as client:
        return int(client.info("commandstats").get("cmdstat_hget", {}).get("calls", 0))


async def test_recent_users_cost_no_round_trip_and_follow_other_replicas_choices(redis_url, redis_server):
    a, b = await opened(redis_url, "a"), await opened(redis_url, "b")
    await until(lambda: a._cache_live and b._cache_live)
    assert await a.language(42) is None  # never chose: asked once
    before = hget_calls(redis_server)
    for _ in range(5):
        assert await a.language(42) is None  # then remembered, chosen or not
    assert hget_calls(redis_server) == before
    await b.set_language(42, "zh")  # through the other replica
    await until(lambda: 42 in a._languages and a._languages.get(42) == "zh")
    assert await a.language(42) == "zh"
    assert hget_calls(redis_server) == before
    for store in (a, b):
        await store.close()


async def test_the_language_cache_is_dropped_while_redis_is_away(own_redis):
    store = await opened(own_redis.url)
    await until(lambda: store._cache_live)
    await store.set_language(9, "zh")
    assert await store.language(9) == "zh"
    own_redis.stop()
    await until(lambda: not store._cache_live)  # a change might be missed: nothing cached is trusted
    assert len(store._languages) == 0
    own_redis.start()
    await until(lambda: store._cache_live and not store.degraded)
    assert await store.language(9) == "zh"
    await store.close()
