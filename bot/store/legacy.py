"""The state file of earlier versions (`state.json`), imported once into the store and kept beside it as
`state.json.imported`. A file that cannot be read is set aside as `state.json.corrupt-<time>` and never
stops the bot."""

from __future__ import annotations

import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.lang import LANGS, Lang

log = logging.getLogger(__name__)

STATE_FILE = "state.json"
IMPORTED_SUFFIX = ".imported"
FORMAT = 1
_USER_ID = re.compile(r"-?[0-9]{1,20}")  # ASCII digits: "²".isdigit() is true, and int("²") raises


@dataclass
class Legacy:
    path: Path
    languages: dict[int, Lang] = field(default_factory=dict)
    file_ids: dict[str, str] = field(default_factory=dict)

    def retire(self) -> None:
        """Keep the imported file, renamed, so it is not imported again and nothing is thrown away."""
        target = self.path.with_name(self.path.name + IMPORTED_SUFFIX)
        try:
            os.replace(self.path, target)
        except OSError as exc:
            log.warning("Imported %s but cannot rename it (%s)", self.path, exc.strerror)


def read_legacy(directory: Path) -> Legacy | None:
    """The old state file's contents, sanitised; None when there is none (or it was unusable)."""
    path = directory / STATE_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        _set_aside(path, f"unreadable ({type(exc).__name__})")
        return None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        _set_aside(path, "of an unknown format")
        return None
    legacy = Legacy(path)
    file_ids = raw.get("file_ids")
    languages = raw.get("languages")
    if isinstance(file_ids, dict):
        legacy.file_ids = {str(k): v for k, v in file_ids.items() if isinstance(v, str) and v}
    if isinstance(languages, dict):
        legacy.languages = {
            int(k): v for k, v in languages.items() if _USER_ID.fullmatch(str(k)) and v in LANGS
        }
    return legacy


def _set_aside(path: Path, why: str) -> None:
    copy = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
    try:
        os.replace(path, copy)
        log.warning("State file %s is %s; kept as %s, not imported", path, why, copy.name)
    except OSError as exc:
        log.warning("State file %s is %s and cannot be set aside (%s); not imported", path, why, exc)
