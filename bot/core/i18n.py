"""The bot's own sentences in English and Chinese, from `data/strings.toml`."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from bot.core.catalogue import CatalogueError
from bot.core.lang import LANGS, Lang
from bot.core.resources import DATA_DIR

STRINGS_FILE = DATA_DIR / "strings.toml"


@cache
def load_strings(path: Path = STRINGS_FILE) -> dict[str, dict[str, str]]:
    """Read every string; a key missing a language stops the program at start, not in a chat."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"{path}: {exc}") from None
    for key, texts in raw.items():
        missing = [lang for lang in LANGS if not isinstance(texts, dict) or not texts.get(lang)]
        if missing:
            raise CatalogueError(f"{path}: [{key}] has no text for {', '.join(missing)}")
    return raw


def t(key: str, lang: Lang, /, **values: object) -> str:
    """The string `key` in `lang`, with `{placeholders}` filled in."""
    text = load_strings()[key][lang]
    return text.format(**values) if values else text
