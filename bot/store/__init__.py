"""What the bot remembers across restarts and replicas: users' languages, Telegram file_ids of uploaded
pictures, and the inbox of updates acknowledged but not yet answered.

Two engines behind `Store`: SQLite in BOT_STATE_DIR (the default, nothing to set up) and Redis
(BOT_STORE_URL) for several replicas sharing one state.
"""

from __future__ import annotations

from bot.store.base import Store, StoreError

__all__ = ["Store", "StoreError", "open_store"]


def open_store(state_dir, store_url: str | None = None, replica_id: str = "local") -> Store:
    """The store the settings name: Redis when a URL is given, else SQLite in `state_dir`."""
    if store_url:
        from bot.store.redis_store import RedisStore

        return RedisStore(store_url, replica_id=replica_id, legacy_dir=state_dir)
    from bot.store.sqlite_store import SqliteStore

    return SqliteStore(state_dir)
