"""End to end: `python -m bot health` as Docker, systemd and Kubernetes run it, and the /metrics endpoint.

The health command runs as a real subprocess with only the environment an operator would give it (no
token), while the bot runs in this test's event loop against the fake Bot API.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from pathlib import Path

import httpx
import pytest
from fake_telegram import DEFAULT_USER_ID
from harness import WEBHOOK_SECRET, WEBHOOK_URL, free_port, webhook_settings
from prometheus_client.parser import text_string_to_metric_families

from bot.ops.heartbeat import heartbeat_path
from bot.screens import callbacks

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK = {"WEBHOOK_URL": WEBHOOK_URL, "WEBHOOK_SECRET": WEBHOOK_SECRET, "WEBHOOK_LISTEN": "127.0.0.1"}


async def health(cwd: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """Run `python -m bot health` without blocking the loop the bot runs in (webhook health calls it)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "BOT_", "WEBHOOK_", "METRICS_", "LOG_"))
    }
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "health",
        *args,
        cwd=cwd,  # a folder without a .env file: only what is passed here counts
        env={**clean, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


# -- polling: the heartbeat file -------------------------------------------------------------------


async def test_polling_bot_is_healthy_without_a_token_in_the_checks_environment(start_bot, tmp_path):
    bot = await start_bot()
    state = bot.settings.bot_state_dir
    code, out, err = await health(tmp_path, BOT_STATE_DIR=str(state))
    assert (code, err) == (0, "")
    assert out.startswith("ok: last getUpdates")


async def test_every_answered_get_updates_refreshes_the_heartbeat(start_bot):
    bot = await start_bot()
    path = heartbeat_path(bot.settings)
    old = time.time() - 600
    os.utime(path, (old, old))
    deadline = time.monotonic() + 5
    while path.stat().st_mtime < old + 300:  # the next getUpdates (1 s long poll here) beats again
        assert time.monotonic() < deadline, "the heartbeat was not refreshed"
        await asyncio.sleep(0.05)


async def test_a_stale_heartbeat_is_unhealthy_with_its_age(start_bot, tmp_path):
    bot = await start_bot()
    await bot.stop()  # a bot that stopped polling: nothing refreshes the heartbeat any more
    path = heartbeat_path(bot.settings)
    old = time.time() - 600
    os.utime(path, (old, old))
    code, out, err = await health(tmp_path, BOT_STATE_DIR=str(path.parent))
    assert code == 1 and out == ""
    assert re.fullmatch(r"unhealthy: last getUpdates 60\d s ago \(limit 120 s\)\n", err), err
    code, _, _ = await health(tmp_path, "--max-age", "900", BOT_STATE_DIR=str(path.parent))
    assert code == 0


async def test_no_heartbeat_at_all_is_unhealthy(tmp_path):
    code, _, err = await health(tmp_path, BOT_STATE_DIR=str(tmp_path / "empty"))
    assert code == 1
    assert err.startswith("unhealthy: no heartbeat at") and "heartbeat" in err


# -- webhook: GET /readyz --------------------------------------------------------------------------


async def test_webhook_bot_is_healthy_while_it_runs_and_not_after(start_bot, tmp_path):
    port = free_port()
    bot = await start_bot(**webhook_settings(port))
    env = {**WEBHOOK, "BOT_MODE": "webhook", "WEBHOOK_PORT": str(port)}
    code, out, err = await health(tmp_path, **env)
    assert (code, out.strip(), err) == (0, "ok", "")
    await bot.stop()
    code, _, err = await health(tmp_path, **env)
    assert code == 1
    assert err.startswith(f"unhealthy: http://127.0.0.1:{port}/readyz did not answer")


async def test_webhook_health_on_a_wildcard_listen_address_asks_localhost(start_bot, tmp_path):
    """Containers bind 0.0.0.0; the check must then dial 127.0.0.1, not the wildcard."""
    port = free_port()
    await start_bot(**webhook_settings(port, listen="0.0.0.0"))
    env = {**WEBHOOK, "BOT_MODE": "webhook", "WEBHOOK_PORT": str(port), "WEBHOOK_LISTEN": "0.0.0.0"}
    code, _, err = await health(tmp_path, **env)
    assert (code, err) == (0, "")


# -- metrics ---------------------------------------------------------------------------------------


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of the exposition, keyed by name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict[tuple[str, frozenset], float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def scrape(port: int) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert response.status_code == 200
    return response.text


async def scrape_until(port: int, done, timeout: float = 5.0) -> dict[tuple[str, frozenset], float]:
    """Handlers record latency after the reply went out; wait until the counters have caught up."""
    deadline = time.monotonic() + timeout
    while True:
        found = samples(await scrape(port))
        if done(found) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


@pytest.fixture
async def metrics_bot(start_bot):
    port = free_port()
    bot = await start_bot(metrics_port=port, metrics_listen="127.0.0.1")
    bot.metrics_port = port
    return bot


async def test_metrics_count_updates_lookups_misses_and_latency(metrics_bot, fake):
    hit = await metrics_bot.ask("404")
    assert hit.method == "sendPhoto"
    await metrics_bot.ask("qwzx plomb")
    await metrics_bot.ask("gateway")
    press = metrics_bot.press(hit.result, callbacks.details(404))
    await fake.wait_for("answerCallbackQuery", after=press["_mark"])

    found = await scrape_until(metrics_bot.metrics_port, lambda f: value(f, "bot_reply_seconds_count") >= 4)
    assert value(found, "bot_updates_total", kind="message") == 3
    assert value(found, "bot_updates_total", kind="callback_query") == 1
    assert value(found, "bot_lookups_total", outcome="hit") == 1
    assert value(found, "bot_lookups_total", outcome="ambiguous") == 1
    assert value(found, "bot_lookups_total", outcome="miss") == 1
    assert value(found, "bot_missed_queries_total", kind="words") == 1
    assert value(found, "bot_reply_seconds_count") == 4
    assert 0 < value(found, "bot_reply_seconds_sum") < 4 * 5
    assert value(found, "bot_reply_seconds_bucket", le="+Inf") == 4


async def test_metrics_never_carry_what_users_typed_nor_who_they_are(metrics_bot):
    await metrics_bot.ask("qwzx plomb john@example.com 555-0199", first_name="Zelda", user_id=4242424)
    text = await scrape(metrics_bot.metrics_port)
    missed = [
        s
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "bot_missed_queries_total"
    ]
    assert [(s.labels, s.value) for s in missed] == [({"kind": "words"}, 1.0)]
    for private in ("john@example.com", "555-0199", "qwzx", "4242424", str(DEFAULT_USER_ID), "Zelda"):
        assert private not in text
    assert metrics_bot.fake.token not in text


async def test_failed_api_calls_are_counted_by_method(metrics_bot, fake):
    fake.fail_next("sendPhoto", status=500)
    update = metrics_bot.say("500")
    await fake.wait_for("sendPhoto", lambda c: not c.ok, after=update["_mark"])
    found = await scrape_until(
        metrics_bot.metrics_port, lambda f: value(f, "bot_telegram_api_errors_total", method="sendPhoto") >= 1
    )
    assert value(found, "bot_telegram_api_errors_total", method="sendPhoto") == 1
    assert value(found, "bot_telegram_api_errors_total", method="getUpdates") == 0


async def test_stopping_the_bot_frees_the_metrics_port(metrics_bot, start_bot):
    """A bot restarted in the same process (tests, an embedding program) can serve metrics again."""
    port = metrics_bot.metrics_port
    await metrics_bot.ask("404")
    await metrics_bot.stop()
    with pytest.raises(httpx.ConnectError):
        await scrape(port)
    again = await start_bot(metrics_port=port, metrics_listen="127.0.0.1")
    await again.ask("404")
    found = await scrape_until(port, lambda f: value(f, "bot_reply_seconds_count") >= 1)
    assert value(found, "bot_updates_total", kind="message") == 1  # the new bot's own registry


def test_the_heartbeat_never_writes_through_a_symlink(tmp_path):
    from bot.ops.heartbeat import beat

    victim = tmp_path / "precious.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "state" / "heartbeat"
    link.parent.mkdir()
    link.symlink_to(victim)
    beat((link,))
    assert victim.read_text() == "keep me\n"
    assert not link.is_symlink() and link.read_text().strip().isdigit()


def test_a_read_only_state_dir_moves_the_heartbeat_and_health_stays_true(tmp_path, monkeypatch):
    from bot.ops.health import check
    from bot.ops.heartbeat import beat, heartbeat_paths
    from bot.ops.settings import load_settings

    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    state = tmp_path / "state"
    state.write_text("not a folder: nothing can be written inside")
    settings = load_settings(_env_file=None, bot_state_dir=state)
    beat(heartbeat_paths(settings))
    assert heartbeat_paths(settings)[1].exists()
    assert check(settings, max_age=60) == 0
