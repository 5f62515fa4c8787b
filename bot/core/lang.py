"""The two languages the bot speaks, and the one place that turns outside words into them."""

from __future__ import annotations

from typing import Literal, TypeVar

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")

T = TypeVar("T")


def parse_lang(word: str | None) -> Lang | None:
    """`en`, `zh`, `zh-hans`, `ZH_tw`, `English`… → a Lang; anything else → None."""
    head = (word or "").strip().lower()[:2]
    if head == "zh":
        return "zh"
    if head == "en":
        return "en"
    return None


def telegram_lang(language_code: str | None, default: Lang) -> Lang:
    """Telegram's `language_code`: any Chinese variant (zh, zh-hans, zh-TW) → zh; others → English."""
    if not language_code:
        return default
    return "zh" if language_code.lower().startswith("zh") else "en"


def other(lang: Lang) -> Lang:
    """The language the user is not reading: cards show the title in both."""
    return "en" if lang == "zh" else "zh"


def choose(lang: Lang, en: T, zh: T) -> T:
    """`en` or `zh` by language: one helper instead of a conditional at every bilingual field."""
    return zh if lang == "zh" else en
