"""The command line: ask, console, render, and `python -m bot` without a token: clear lines, no tracebacks."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.art.illustrations import Illustrations
from bot.terminal.console import Console, run_console

PROJECT_DIR = Path(__file__).resolve().parents[2]


def run_bot(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, stdin: str = ""):
    """`python -m bot ARGS` in a clean environment: no token, no .env, nothing inherited from the test run."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_", "WEBHOOK_"))}
    clean["PYTHONPATH"] = str(PROJECT_DIR)
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=clean,
        cwd=cwd,
        input=stdin,
        timeout=60,
    )


def test_ask_prints_the_whole_answer(tmp_path):
    result = run_bot("ask", "502", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("[picture: ")
    assert "data/cards/502.jpg" in out
    for part in ("502 Bad Gateway", "Usual causes", "If you run the server", "rfc9110#section-15.6.3"):
        assert part in out
    assert "<b>" not in out  # plain text in a terminal


def test_ask_in_chinese(tmp_path):
    result = run_bot("ask", "网关超时", "--lang", "zh", cwd=tmp_path)
    assert result.returncode == 0
    assert "504 网关超时" in result.stdout and "常见原因" in result.stdout


def test_ask_with_words_and_a_status_line(tmp_path):
    assert "404 Not Found" in run_bot("ask", "not", "found", cwd=tmp_path).stdout
    assert (
        "503 Service Unavailable" in run_bot("ask", "HTTP/1.1 503 Service Unavailable", cwd=tmp_path).stdout
    )


def test_ask_offers_a_choice_and_exits_zero(tmp_path):
    result = run_bot("ask", "gateway", cwd=tmp_path)
    assert result.returncode == 0
    assert "502 Bad Gateway" in result.stdout and "504 Gateway Timeout" in result.stdout


@pytest.mark.parametrize("query", ["777", "qwzx plomb"])
def test_ask_with_no_match_exits_non_zero_with_one_line(tmp_path, query):
    result = run_bot("ask", query, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    if query == "777":
        assert "777 is not a status code" in lines[0]


def test_ask_answers_every_code_in_both_languages(catalogue, plain_views):
    # The same code path as `ask`, in-process for speed: every code, both languages.
    for entry in catalogue:
        for lang in ("en", "zh"):
            reply = plain_views.answer(str(entry.code), lang)
            assert reply.code == entry.code and entry.text(lang).title in reply.text


def test_no_token_explains_how_to_get_one(tmp_path):
    result = run_bot(cwd=tmp_path)
    assert result.returncode == 1
    assert "@BotFather" in result.stderr and "python -m bot console" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_wrong_setting_is_one_line(tmp_path):
    result = run_bot("ask", "404", env={"WEBHOOK_PORT": "http"}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Invalid setting WEBHOOK_PORT: Input should be")


def test_a_dotenv_in_the_working_directory_is_read(tmp_path):
    (tmp_path / ".env").write_text("BOT_DEFAULT_LANGUAGE=zh\n")
    assert "未找到" in run_bot("ask", "404", cwd=tmp_path).stdout


def test_the_console_session_reads_lines_until_an_empty_one(tmp_path):
    result = run_bot("console", cwd=tmp_path, stdin="404\n/lang zh\n网关\n\n")
    assert result.returncode == 0
    assert "Offline console" in result.stdout
    assert "404 Not Found" in result.stdout
    assert "你指的是哪一个" in result.stdout


def test_console_buttons_can_be_pressed(plain_views, catalogue):
    console = Console(plain_views, Illustrations(catalogue.codes, None), "en")
    out = io.StringIO()
    run_console(console, ["/browse", "!4", "!1", "!3"], out=out)
    text = out.getvalue()
    assert "[picture: " in text and "home.jpg" in text
    assert "4xx Client error" in text  # !4 pressed the 4xx button
    assert "400 Bad Request" in text  # !1 opened the first code of the page
    assert "401 Unauthorized" in text  # !3 is "next"


def test_console_commands(plain_views, catalogue):
    console = Console(plain_views, None, "en")
    assert "/browse" in console.handle("/help")
    assert "Fluent Emoji" in console.handle("/about")
    assert "404 Not Found" in console.handle("/code not found")
    assert "418" in console.handle("/418")
    assert "4xx" in console.handle("/start") or "Informational" in console.handle("/start")
    assert "English" in console.handle("/lang") and "中文" in console.handle("/lang")
    assert "out of date" in console.handle("!99")


def test_render_refuses_unknown_names(tmp_path):
    result = run_bot("render", "777", cwd=tmp_path)
    assert result.returncode == 2 and "not in the catalogue" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("CORS", "CORS"),
        ("跨域", "CORS"),
        ("curl: (7) Failed to connect to example.com port 443: Connection refused", "curl 7"),
        ("net::ERR_NAME_NOT_RESOLVED", "ERR_NAME_NOT_RESOLVED"),
        ("status 000", "000"),
        ("Error 1020 Ray ID: 6b993ced1a281004 Access denied", "1020"),
        ("301 vs 308", "301"),
        ("401 和 403 的区别", "403"),
        ("/compare 502 504", "504"),
    ],
)
def test_ask_explains_what_is_no_status_and_compares_codes(
    capsys, monkeypatch, tmp_path, query, expected, lang
):
    """In process (the same `main` as `python -m bot ask`): exit 0, the explanation, the related codes."""
    from bot.terminal.cli import main

    for name in ("TELEGRAM_BOT_TOKEN", "BOT_ILLUSTRATIONS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["ask", query, "--lang", lang]) == 0
    out = capsys.readouterr().out
    assert expected in out
    assert out.startswith("[picture: ")
    assert "[1]" in out  # buttons to the related or compared codes


# -- python -m bot state ----------------------------------------------------------------------------


def test_state_import_export_stats_and_backup_round_trip(tmp_path):
    env = {"BOT_STATE_DIR": str(tmp_path / "state")}
    lines = tmp_path / "in.jsonl"
    lines.write_text(
        '{"kind": "language", "user_id": 42, "lang": "zh"}\n'
        '{"kind": "file_id", "key": "bundled:404:ab", "file_id": "AgAC-4"}\n\n',
        encoding="utf-8",
    )
    for _ in range(2):  # idempotent: the second import changes nothing
        imported = run_bot("state", "import", str(lines), env=env, cwd=tmp_path)
        assert imported.returncode == 0, imported.stderr
        assert imported.stderr.strip() == "imported 2 records"
    exported = run_bot("state", "export", env=env, cwd=tmp_path)
    assert exported.returncode == 0
    assert exported.stdout.splitlines() == [
        '{"kind": "language", "user_id": 42, "lang": "zh"}',
        '{"kind": "file_id", "key": "bundled:404:ab", "file_id": "AgAC-4"}',
    ]
    stats = run_bot("state", "stats", env=env, cwd=tmp_path)
    assert "languages          1" in stats.stdout and "file_ids           1" in stats.stdout
    backup = run_bot("state", "backup", str(tmp_path / "copy.sqlite3"), env=env, cwd=tmp_path)
    assert backup.returncode == 0 and (tmp_path / "copy.sqlite3").stat().st_size > 0
    copied = run_bot("state", "export", env={"BOT_STATE_DIR": str(tmp_path / "restored")}, cwd=tmp_path)
    assert copied.stdout == ""  # a new folder is empty; the backup is a plain SQLite file to copy back


def test_state_import_names_bad_lines_and_exits_1(tmp_path):
    lines = tmp_path / "in.jsonl"
    lines.write_text(
        '{"kind": "language", "user_id": "x", "lang": "zh"}\n'
        '{"kind": "language", "user_id": 7, "lang": "fr"}\n'
        "not json\n"
        '{"kind": "language", "user_id": 8, "lang": "en"}\n',
        encoding="utf-8",
    )
    result = run_bot("state", "import", str(lines), env={"BOT_STATE_DIR": str(tmp_path / "s")}, cwd=tmp_path)
    assert result.returncode == 1
    assert "line 1: language.user_id" in result.stderr and "line 2: language.lang" in result.stderr
    assert "line 3:" in result.stderr and "Traceback" not in result.stderr
    assert "imported 1 records, skipped 3 bad lines" in result.stderr


def test_state_with_an_unreachable_redis_says_so_in_one_line(tmp_path):
    from harness import free_port

    url = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"
    result = run_bot("state", "stats", env={"BOT_STORE_URL": url}, cwd=tmp_path)
    assert result.returncode == 1
    assert (
        result.stderr.strip().splitlines()[-1]
        == "error: the redis store is unavailable (see the warning above)"
    )
    assert "hunter2-secret" not in result.stderr and "Traceback" not in result.stderr
