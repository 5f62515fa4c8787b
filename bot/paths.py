"""Where the bundled data lives, found relative to the package so it works from any working directory."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
CODES_DIR = DATA_DIR / "codes"
CARDS_DIR = DATA_DIR / "cards"
ART_DIR = DATA_DIR / "art"
ART_EMOJI_DIR = ART_DIR / "emoji"
ART_FONTS_DIR = ART_DIR / "fonts"
