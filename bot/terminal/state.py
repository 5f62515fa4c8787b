"""`python -m bot state stats|export|import|backup`: what the store holds, for operators.

Records are JSON lines, one a line: `{"kind": "language", "user_id": 42, "lang": "zh"}` and
`{"kind": "file_id", "key": "<picture key>", "file_id": "..."}`. Export streams; import is idempotent
(a record written twice is written once) and takes the same lines back, on either engine, so it also
moves state from SQLite to Redis and back.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from bot.core.lang import Lang
from bot.ops.settings import Settings
from bot.store import Store, StoreError, open_store
from bot.store.base import FileId, Language

MAX_REPORTED = 5  # bad lines named one by one; the rest are counted


class LanguageLine(BaseModel):
    kind: Literal["language"]
    user_id: int
    lang: Lang


class FileIdLine(BaseModel):
    kind: Literal["file_id"]
    key: Annotated[str, Field(min_length=1, max_length=512)]
    file_id: Annotated[str, Field(min_length=1, max_length=512)]


LINE = TypeAdapter(Annotated[LanguageLine | FileIdLine, Field(discriminator="kind")])


def run_state(settings: Settings, action: str, path: str | None) -> int:
    store = open_store(settings.bot_state_dir, settings.store_url, settings.bot_replica_id)
    try:
        return asyncio.run(_run(store, action, path))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {path}: {exc.strerror or exc}", file=sys.stderr)
        return 1


async def _run(store: Store, action: str, path: str | None) -> int:
    await store.open()
    try:
        if store.degraded:
            raise StoreError(f"the {store.engine} store is unavailable (see the warning above)")
        if action == "stats":
            for name, value in (await store.stats()).items():
                print(f"{name:18} {value}")
            return 0
        if action == "export":
            return await _export(store, path)
        if action == "import":
            return await _import(store, path)
        if action == "backup":
            return _backup(store, path)
        return 2
    finally:
        await store.close()


async def _export(store: Store, path: str | None) -> int:
    out: IO[str] = sys.stdout if path in (None, "-") else open(path, "w", encoding="utf-8")  # noqa: SIM115
    count = 0
    try:
        async for record in store.export():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"exported {count} records", file=sys.stderr)
    return 0


async def _import(store: Store, path: str | None) -> int:
    source: IO[str] = sys.stdin if path in (None, "-") else open(path, encoding="utf-8")  # noqa: SIM115
    bad: list[int] = []
    try:
        written = await store.import_records(_records(source, bad))
    finally:
        if source is not sys.stdin:
            source.close()
    skipped = f", skipped {len(bad)} bad lines" if bad else ""
    print(f"imported {written} records{skipped}", file=sys.stderr)
    return 1 if bad else 0


def _records(lines: IO[str], bad: list[int]) -> Iterator[Language | FileId]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = LINE.validate_json(line)
        except ValidationError as exc:
            bad.append(number)
            if len(bad) <= MAX_REPORTED:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "record"
                print(f"line {number}: {where}: {first['msg']}", file=sys.stderr)
            continue
        if isinstance(record, LanguageLine):
            yield Language(record.user_id, record.lang)
        else:
            yield FileId(record.key, record.file_id)


def _backup(store: Store, path: str | None) -> int:
    from bot.store.sqlite_store import SqliteStore

    if not isinstance(store, SqliteStore):
        print("error: backup copies the SQLite database; with Redis, use `state export`", file=sys.stderr)
        return 2
    if not path:
        print("error: name the file to write, e.g. `state backup store-copy.sqlite3`", file=sys.stderr)
        return 2
    store.backup(Path(path))
    print(f"backed up {store.path} to {path}", file=sys.stderr)
    return 0
