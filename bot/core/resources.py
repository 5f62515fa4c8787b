"""Where the bundled data lives: inside the installed package, or beside it in a source checkout.

A wheel carries `data/` as `bot/data/` (see `[tool.hatch.build.targets.wheel.force-include]` in
pyproject.toml), found through `importlib.resources`; a checkout keeps it at the top, as `data/`, where
reviewers read it. Either way the path does not depend on the working directory.
"""

from importlib.resources import files
from pathlib import Path


def _data_dir() -> Path:
    packaged = Path(str(files("bot") / "data"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "data"


DATA_DIR = _data_dir()
CODES_DIR = DATA_DIR / "codes"
CARDS_DIR = DATA_DIR / "cards"
ART_DIR = DATA_DIR / "art"
ART_EMOJI_DIR = ART_DIR / "emoji"
ART_FONTS_DIR = ART_DIR / "fonts"
