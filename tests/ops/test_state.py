"""State survives restarts and crashes; a corrupt file or a read-only folder never stops the bot."""

from __future__ import annotations

import json
import os

import pytest

from bot.ops.state import STATE_FILE, State


def test_state_survives_a_restart(tmp_path):
    state = State(tmp_path)
    state.remember_file_id("bundled:404:abc", "AgAC-1")
    state.set_language(42, "zh")
    again = State(tmp_path)
    assert again.file_id("bundled:404:abc") == "AgAC-1"
    assert again.language(42) == "zh"


def test_writes_leave_no_temporary_files(tmp_path):
    state = State(tmp_path)
    for i in range(5):
        state.remember_file_id(f"k{i}", f"v{i}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [STATE_FILE]


@pytest.mark.parametrize(
    "content", ["", "{", "[]", '{"format": 99}', "\x00\x01garbage", '{"format": 1, "file_ids": 5}']
)
def test_a_corrupt_file_warns_and_rebuilds(tmp_path, caplog, content):
    (tmp_path / STATE_FILE).write_text(content)
    state = State(tmp_path)
    assert state.file_ids == {}
    state.remember_file_id("k", "v")
    assert json.loads((tmp_path / STATE_FILE).read_text())["file_ids"] == {"k": "v"}


def test_a_corrupt_file_logs_a_warning(tmp_path, caplog):
    (tmp_path / STATE_FILE).write_text("{not json")
    State(tmp_path)
    assert "starting afresh" in caplog.text


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_a_read_only_folder_keeps_state_in_memory(tmp_path, caplog):
    tmp_path.chmod(0o555)
    try:
        state = State(tmp_path)
        state.remember_file_id("k", "v")
        assert state.file_id("k") == "v" and not state.writable
        assert "in memory only" in caplog.text
    finally:
        tmp_path.chmod(0o755)


def test_an_unwritable_location_keeps_state_in_memory(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    state = State(blocker / "state")  # a folder inside a file: cannot be created, even as root
    state.remember_file_id("k", "v")
    state.set_language(1, "zh")
    assert state.file_id("k") == "v" and state.language(1) == "zh"
    assert not state.writable
    assert caplog.text.count("in memory only") == 1


def test_leftovers_of_an_interrupted_write_are_removed_at_start(tmp_path):
    State(tmp_path).remember_file_id("k", "v")
    old, fresh = tmp_path / ".state-abc123.tmp", tmp_path / ".state-def456.tmp"
    old.write_text('{"format": 1, "file_i')
    os.utime(old, (1_000_000_000, 1_000_000_000))
    fresh.write_text("{")  # perhaps another process's write in progress: left alone
    state = State(tmp_path)
    assert state.file_id("k") == "v"
    assert sorted(p.name for p in tmp_path.iterdir()) == [fresh.name, STATE_FILE]


@pytest.mark.parametrize(
    "content",
    [
        '{"format": 1, "languages": {"²": "zh", "42": "zh"}}',  # "²".isdigit() is true; int("²") raises
        "[" * 100_000 + "]" * 100_000,  # deep enough for a RecursionError in json
        "not json at all",
        '{"format": 99}',
    ],
)
def test_a_corrupt_state_file_never_stops_the_start_and_is_kept_aside(tmp_path, content):
    (tmp_path / STATE_FILE).write_text(content, encoding="utf-8")
    state = State(tmp_path)
    if content.startswith('{"format": 1'):
        assert state.language(42) == "zh"  # what could be read was kept
    else:
        copies = list(tmp_path.glob(f"{STATE_FILE}.corrupt-*"))
        assert len(copies) == 1 and copies[0].read_text(encoding="utf-8") == content
