"""What goes wrong at start, or when the token dies, ends in one line and the right exit code: never a
traceback, never a secret."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from fake_telegram import FakeTelegram
from harness import WEBHOOK_SECRET, free_port

from bot.ops.settings import SettingsError, load_settings

PROJECT_DIR = Path(__file__).resolve().parents[2]
OTHER_TOKEN = "123456:AAHrejectedTokenAbcdefghijklmnopqrstu"


def run_bot(env: dict[str, str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_", "WEBHOOK_"))}
    clean.update({"PYTHONPATH": str(PROJECT_DIR), "BOT_STATE_DIR": str(cwd / "state"), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        env=clean,
        cwd=cwd,
        timeout=timeout,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_rejected_token_is_one_line_naming_the_variable_and_never_printed(tmp_path, log_format):
    with FakeTelegram() as fake:
        result = run_bot(
            {"TELEGRAM_BOT_TOKEN": OTHER_TOKEN, "TELEGRAM_API_URL": fake.base_url, "LOG_FORMAT": log_format},
            tmp_path,
        )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in one_line(result)
    assert OTHER_TOKEN not in result.stderr + result.stdout
    assert OTHER_TOKEN.split(":", 1)[1] not in result.stderr + result.stdout


def test_a_bot_api_that_does_not_answer_is_retried_then_one_line(tmp_path):
    port = free_port()  # nothing listens there
    result = run_bot(
        {
            "TELEGRAM_BOT_TOKEN": OTHER_TOKEN,
            "TELEGRAM_API_URL": f"http://127.0.0.1:{port}",
            "BOT_STARTUP_RETRY": "1.5",
        },
        tmp_path,
    )
    assert result.returncode == 1
    assert "TELEGRAM_API_URL" in one_line(result)
    assert "retrying" in result.stderr  # it did try again before giving up


def test_a_busy_webhook_port_is_one_line(tmp_path):
    with FakeTelegram() as fake, socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_bot(
            {
                "TELEGRAM_BOT_TOKEN": fake.token,
                "TELEGRAM_API_URL": fake.base_url,
                "BOT_MODE": "webhook",
                "WEBHOOK_URL": "https://bot.example.com/hook",
                "WEBHOOK_SECRET": WEBHOOK_SECRET,
                "WEBHOOK_LISTEN": "127.0.0.1",
                "WEBHOOK_PORT": str(port),
            },
            tmp_path,
        )
    assert result.returncode == 2
    line = one_line(result)
    assert "WEBHOOK_PORT" in line and fake.token not in result.stderr


def test_a_dotenv_that_is_not_utf8_is_one_line(tmp_path):
    (tmp_path / ".env").write_bytes("BOT_DEFAULT_LANGUAGE=zh\nLOG_LEVEL=INFO # caf\xe9\n".encode("latin-1"))
    result = run_bot({}, tmp_path)
    assert result.returncode == 2
    assert ".env" in one_line(result)


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"bot_state_dir": ""}, "BOT_STATE_DIR"),
        ({"telegram_api_url": "http://127.0.0.1:99999"}, "TELEGRAM_API_URL"),
    ],
)
def test_settings_that_would_only_fail_at_run_time_fail_at_start(values, variable):
    with pytest.raises(SettingsError, match=variable):
        load_settings(_env_file=None, **values)


async def test_a_token_revoked_while_running_stops_the_bot_non_zero(start_bot, fake):
    bot = await start_bot()
    await bot.ask("404")
    fake.token = OTHER_TOKEN  # Telegram now refuses the token the bot holds
    code = await asyncio.wait_for(bot.task, timeout=15)
    assert code == 2


def test_start_up_leaves_its_heap_outside_the_collector_and_its_garbage_collected():
    import gc
    import weakref

    from bot.ops.runner import settle_heap

    class Node:
        pass

    kept, garbage = Node(), Node()
    garbage.self = garbage  # a cycle: only the collector can free it
    gone = weakref.ref(garbage)
    del garbage
    try:
        frozen = settle_heap()
        assert gone() is None  # start-up's garbage is freed, not frozen for ever
        assert frozen == gc.get_freeze_count() > 10_000  # the rest is set aside (catalogue, classes…)
        assert not any(o is kept for o in gc.get_objects(generation=2))  # full collections skip it
    finally:
        gc.unfreeze()
