"""Two ways to format the same text: Telegram HTML for the bot, plain text for the terminal.

Views are written once against this small interface, so the console shows exactly what the bot sends.
"""

from __future__ import annotations

import html
import re
from typing import Protocol


class Markup(Protocol):
    def esc(self, text: str) -> str: ...
    def bold(self, text: str) -> str: ...
    def italic(self, text: str) -> str: ...
    def code(self, text: str) -> str: ...
    def link(self, text: str, url: str) -> str: ...


class Html:
    """Telegram's HTML parse mode: everything not ours is escaped."""

    def esc(self, text: str) -> str:
        return html.escape(text, quote=False)

    def bold(self, text: str) -> str:
        return f"<b>{self.esc(text)}</b>"

    def italic(self, text: str) -> str:
        return f"<i>{self.esc(text)}</i>"

    def code(self, text: str) -> str:
        return f"<code>{self.esc(text)}</code>"

    def link(self, text: str, url: str) -> str:
        return f'<a href="{html.escape(url, quote=True)}">{self.esc(text)}</a>'


class Plain:
    """Terminal text: no markup at all."""

    def esc(self, text: str) -> str:
        return text

    def bold(self, text: str) -> str:
        return text

    def italic(self, text: str) -> str:
        return text

    def code(self, text: str) -> str:
        return text

    def link(self, text: str, url: str) -> str:
        return f"{text}: {url}"


HTML = Html()
PLAIN = Plain()

_TAG = re.compile(r"<[^>]+>")


def visible_text(text_html: str) -> str:
    """What Telegram shows for our HTML: the text without tags, entities decoded."""
    return html.unescape(_TAG.sub("", text_html))


def visible_length(text: str, markup: Markup) -> int:
    """Length as Telegram counts it: UTF-16 code units of the text after parsing the HTML."""
    if isinstance(markup, Html):
        text = visible_text(text)
    return len(text.encode("utf-16-le")) // 2
