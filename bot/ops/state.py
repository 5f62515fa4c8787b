"""What must survive a restart: Telegram file_ids of uploaded pictures and users' language choices.

One small JSON file, rewritten atomically (temp file, fsync, rename), so a crash or `kill -9` mid-write
leaves the previous version intact. A corrupt file or a read-only folder never stops the bot: it warns
and carries on with what it has in memory.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
import time
from pathlib import Path

from bot.core.lang import LANGS, Lang

log = logging.getLogger(__name__)

STATE_FILE = "state.json"
FORMAT = 1
_TEMP_PREFIX, _TEMP_SUFFIX = ".state-", ".tmp"
_LEFTOVER_AGE = 60  # seconds
_USER_ID = re.compile(r"-?[0-9]{1,20}")


class State:
    """File_ids by picture key, languages by user id; saved on every change."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / STATE_FILE
        self.file_ids: dict[str, str] = {}
        self.languages: dict[int, Lang] = {}
        self.writable = True
        self._lock = threading.Lock()
        self._load()
        self._remove_leftovers()

    def _load(self) -> None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
            self._keep_copy(f"unreadable ({type(exc).__name__})")
            return
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            self._keep_copy("of an unknown format")
            return
        file_ids = raw.get("file_ids")
        languages = raw.get("languages")
        if isinstance(file_ids, dict):
            self.file_ids = {str(k): v for k, v in file_ids.items() if isinstance(v, str) and v}
        if isinstance(languages, dict):
            # ASCII digits only: "²".isdigit() is true, and int("²") raises.
            self.languages = {int(k): v for k, v in languages.items() if _USER_ID.fullmatch(k) and v in LANGS}

    def _keep_copy(self, why: str) -> None:
        """Set an unusable state file aside before it is rebuilt, so nothing is lost that could be mended."""
        copy = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
        try:
            os.replace(self.path, copy)
            log.warning("State file %s is %s; kept as %s, starting afresh", self.path, why, copy.name)
        except OSError as exc:
            log.warning(
                "State file %s is %s and cannot be set aside (%s); starting afresh", self.path, why, exc
            )

    def _remove_leftovers(self) -> None:
        """Temporary files of writes a crash interrupted: never valid state, only clutter.

        Only old ones: a fresh one may be another process's write in progress on a shared folder.
        """
        cutoff = time.time() - _LEFTOVER_AGE
        try:
            for leftover in self.path.parent.glob(f"{_TEMP_PREFIX}*{_TEMP_SUFFIX}"):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink(missing_ok=True)
        except OSError:
            pass

    # -- file ids ---------------------------------------------------------------------------------

    def file_id(self, key: str) -> str | None:
        return self.file_ids.get(key)

    def remember_file_id(self, key: str, file_id: str) -> None:
        if self.file_ids.get(key) != file_id:
            self.file_ids[key] = file_id
            self.save()

    def forget_file_id(self, key: str) -> None:
        if self.file_ids.pop(key, None) is not None:
            self.save()

    # -- languages --------------------------------------------------------------------------------

    def language(self, user_id: int) -> Lang | None:
        return self.languages.get(user_id)

    def set_language(self, user_id: int, lang: Lang) -> None:
        if self.languages.get(user_id) != lang:
            self.languages[user_id] = lang
            self.save()

    # -- persistence ------------------------------------------------------------------------------

    def snapshot(self) -> dict:
        return {
            "format": FORMAT,
            "file_ids": dict(sorted(self.file_ids.items())),
            "languages": {str(k): v for k, v in sorted(self.languages.items())},
        }

    def save(self) -> bool:
        """Write the whole state atomically; on failure warn once and keep going in memory."""
        data = json.dumps(self.snapshot(), ensure_ascii=False, indent=1).encode()
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX, dir=self.path.parent)
                try:
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(data)
                        fh.flush()
                        os.fsync(fh.fileno())
                    os.replace(tmp, self.path)
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise
                _fsync_dir(self.path.parent)
            except OSError as exc:
                if self.writable:
                    log.warning(
                        "Cannot write state to %s (%s); keeping it in memory only",
                        self.path.parent,
                        exc.strerror,
                    )
                self.writable = False
                return False
            if not self.writable:
                log.info("State directory %s is writable again", self.path.parent)
            self.writable = True
            return True


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
