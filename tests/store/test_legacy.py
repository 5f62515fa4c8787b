"""The JSON state file of earlier versions is imported once, kept as state.json.imported, and a
corrupt one never stops the start."""

from __future__ import annotations

import json
import logging

import pytest

from bot.store.legacy import STATE_FILE
from bot.store.sqlite_store import SqliteStore


async def test_an_old_state_file_is_imported_once_and_kept(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    (tmp_path / STATE_FILE).write_text(
        json.dumps({"format": 1, "file_ids": {"bundled:404:ab": "AgAC-4"}, "languages": {"42": "zh"}})
    )
    store = SqliteStore(tmp_path)
    await store.open()
    assert await store.language(42) == "zh" and store.known_file_id("bundled:404:ab") == "AgAC-4"
    assert "Imported 1 languages and 1 file_ids" in caplog.text
    assert not (tmp_path / STATE_FILE).exists() and (tmp_path / f"{STATE_FILE}.imported").exists()
    await store.set_language(42, "en")
    await store.close()
    again = SqliteStore(tmp_path)
    await again.open()
    assert await again.language(42) == "en"  # not imported a second time over the newer choice
    await again.close()


@pytest.mark.parametrize(
    "content",
    [
        '{"format": 1, "languages": {"²": "zh", "42": "zh"}}',  # "²".isdigit() is true; int("²") raises
        "[" * 100_000 + "]" * 100_000,  # deep enough for a RecursionError in json
        "not json at all",
        '{"format": 99}',
        "",
        "\x00\x01garbage",
    ],
)
async def test_a_corrupt_state_file_never_stops_the_start_and_is_kept_aside(tmp_path, content):
    (tmp_path / STATE_FILE).write_text(content, encoding="utf-8")
    store = SqliteStore(tmp_path)
    await store.open()
    if content.startswith('{"format": 1'):
        assert await store.language(42) == "zh"  # what could be read was kept
    else:
        copies = list(tmp_path.glob(f"{STATE_FILE}.corrupt-*"))
        assert len(copies) == 1 and copies[0].read_text(encoding="utf-8") == content
    await store.close()
