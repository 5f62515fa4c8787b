"""The store at a million users (issue #13), for both engines: import, start-up, memory, and what a
language costs an update.

- import: `python -m bot state import` of N language records (JSON lines), timed as an operator runs it;
- start-up: `python -m bot run` on that store to its first getUpdates, and its RSS after 100 updates
  from users of the imported range;
- in process: the event loop blocked by a `/lang` change (from the call until the coroutine first
  waits: the rest happens in the writer thread or on the socket), and a language look-up, both p99.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

IMPORT_S = 60.0
STARTUP_S = 1.5
RSS_MB = 80.0
LANG_BLOCK_MS = 1.0
LOOKUP_MS = 0.2


def write_records(path: Path, users: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for user_id in range(1, users + 1):
            lang = "zh" if user_id % 3 else "en"
            out.write(f'{{"kind":"language","user_id":{user_id},"lang":"{lang}"}}\n')


def env_for(state_dir: Path, store_url: str | None) -> dict[str, str]:
    settings = ("TELEGRAM_", "BOT_", "WEBHOOK_", "METRICS_", "LOG_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(settings)}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["BOT_STATE_DIR"] = str(state_dir)
    if store_url:
        env["BOT_STORE_URL"] = store_url
        env["BOT_REPLICA_ID"] = "bench"
    return env


def timed_import(records: Path, env: dict[str, str], cwd: Path) -> float:
    from bench import runtime_python

    started = time.monotonic()
    subprocess.run(
        [runtime_python(), "-m", "bot", "state", "import", str(records)],
        env=env,
        cwd=cwd,
        check=True,
        capture_output=True,
    )
    return time.monotonic() - started


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def _in_process(open_store: Callable[[], object], users: int) -> tuple[float, float, float]:
    """p99 ms: the loop blocked by a language change; a look-up of a user not seen before; of a user
    seen lately (the same again)."""
    store = open_store()
    await store.open()  # type: ignore[attr-defined]
    rng = random.Random(13)
    blocked, lookups, again = [], [], []
    try:
        for _ in range(2000):
            user_id = rng.randint(1, users)
            started = time.perf_counter()
            pending = asyncio.ensure_future(store.set_language(user_id, "zh"))  # type: ignore[attr-defined]
            await asyncio.sleep(0)  # runs the coroutine up to its first wait
            blocked.append(time.perf_counter() - started)
            await pending
        asked = [rng.randint(1, users * 2) for _ in range(5000)]  # half of them never chose
        for timings in (lookups, again):
            for user_id in asked:
                started = time.perf_counter()
                await store.language(user_id)  # type: ignore[attr-defined]
                timings.append(time.perf_counter() - started)
    finally:
        await store.close()  # type: ignore[attr-defined]
    return p99(blocked) * 1000, p99(lookups) * 1000, p99(again) * 1000


def engines(scratch: Path) -> Iterator[tuple[str, Path, str | None, contextlib.AbstractContextManager]]:
    yield "sqlite", scratch / "sqlite", None, contextlib.nullcontext()
    if shutil.which("redis-server"):
        from redis_server import RedisServer

        server = RedisServer(scratch / "redis")
        server.start()

        @contextlib.contextmanager
        def running() -> Iterator[None]:
            try:
                yield
            finally:
                server.stop()

        yield "redis", scratch / "redis-state", server.url, running()


def bench_store(scratch: Path, users: int, start_bot: Callable[[str, dict[str, str], Path], object]) -> list:
    """Rows for the report; `start_bot(name, env, workdir)` starts `python -m bot run` against a fake
    and returns an object with .startup, .pid, .fake, .stop() (bench.BotProcess)."""
    from bench import Row, rss_mb

    from bot.store.redis_store import RedisStore
    from bot.store.sqlite_store import SqliteStore

    scratch.mkdir(parents=True, exist_ok=True)
    records = scratch / "users.jsonl"
    write_records(records, users)
    rows = []
    for name, state_dir, url, context in engines(scratch):
        with context:
            env = env_for(state_dir, url)
            imported = timed_import(records, env, scratch)
            bot = start_bot(f"store-{name}", env, scratch / f"store-{name}")
            try:
                fake = bot.fake  # type: ignore[attr-defined]
                mark = fake.mark()
                for i in range(100):
                    user = users // 100 * i + 1
                    fake.user_message("/code 404", chat_id=user, user_id=user)
                fake.wait_confirmed(30)
                deadline = time.monotonic() + 30
                while len([c for c in fake.calls[mark:] if c.method == "sendPhoto"]) < 100:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{name}: not every update was answered")
                    time.sleep(0.01)
                rss = rss_mb(bot.pid)  # type: ignore[attr-defined]
                startup = bot.startup  # type: ignore[attr-defined]
            finally:
                bot.stop()  # type: ignore[attr-defined]

            def opener(url=url, state_dir=state_dir):
                return RedisStore(url, replica_id="bench-probe") if url else SqliteStore(state_dir)

            block_ms, lookup_ms, again_ms = asyncio.run(_in_process(opener, users))
            label = f"{name}, {users:,} users"
            rows += [
                Row(f"{label}: import", f"{imported:6.1f} s", f"≤ {IMPORT_S:.0f} s", imported <= IMPORT_S),
                Row(f"{label}: start-up", f"{startup:6.2f} s", f"≤ {STARTUP_S} s", startup <= STARTUP_S),
                Row(f"{label}: RSS after 100 updates", f"{rss:6.1f} MB", f"≤ {RSS_MB:.0f} MB", rss <= RSS_MB),
                Row(
                    f"{label}: /lang blocks the loop p99",
                    f"{block_ms:6.3f} ms",
                    f"≤ {LANG_BLOCK_MS} ms",
                    block_ms <= LANG_BLOCK_MS,
                ),
                Row(
                    f"{label}: language look-up p99, a user not seen lately",
                    f"{lookup_ms:6.3f} ms",
                    f"≤ {LOOKUP_MS} ms",
                    lookup_ms <= LOOKUP_MS,
                ),
                Row(f"{label}: language look-up p99, the same users again", f"{again_ms:6.3f} ms"),
            ]
    return rows
