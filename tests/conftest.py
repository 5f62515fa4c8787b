"""Fixtures shared by the whole suite: the real catalogue, loaded once, and what is built from it."""

from __future__ import annotations

import pytest

from bot.core.catalogue import Catalogue, load_catalogue
from bot.core.markup import HTML, PLAIN
from bot.core.search import Searcher
from bot.screens.views import Views


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="session")
def searcher(catalogue: Catalogue) -> Searcher:
    return Searcher.load(catalogue)


@pytest.fixture(scope="session")
def views(catalogue: Catalogue, searcher: Searcher) -> Views:
    return Views(catalogue, searcher, HTML)


@pytest.fixture(scope="session")
def plain_views(catalogue: Catalogue, searcher: Searcher) -> Views:
    return Views(catalogue, searcher, PLAIN)


@pytest.fixture
def fake():
    """A fake Telegram Bot API server on 127.0.0.1."""
    from fake_telegram import FakeTelegram

    server = FakeTelegram(username="StatusTestBot").start()
    yield server
    server.stop()


@pytest.fixture
async def start_bot(fake, tmp_path):
    """Starts the real bot against `fake`; call it again after stopping to simulate a restart."""
    from harness import RunningBot, make_settings

    running: list[RunningBot] = []

    async def start(state_dir=None, **overrides):
        bot = RunningBot(fake, make_settings(fake, state_dir or tmp_path / "state", **overrides))
        running.append(bot)
        return await bot.start()

    yield start
    for bot in running:
        await bot.stop()
    assert not fake.errors, fake.errors


@pytest.fixture
async def bot(start_bot):
    """The bot, running with default settings."""
    return await start_bot()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """One real redis-server for the session; each test that uses `redis_url` starts it empty."""
    from redis_server import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own, durable, to stop and start again."""
    from redis_server import RedisServer

    server = RedisServer(tmp_path / "redis", durable=True).start()
    yield server
    server.stop()
