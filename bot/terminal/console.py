"""The offline console: type what you would send the bot and read the reply it would send.

It goes through the same `Views` as the Telegram handlers, only formatted as plain text, with the picture's
path and the buttons printed. `!N` presses button N of the last reply.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from bot.core.catalogue import Catalogue, Lang
from bot.core.i18n import t
from bot.screens.keyboards import Button
from bot.screens.views import Reply, Views

if TYPE_CHECKING:
    from bot.art.illustrations import Illustrations

PROMPT = "you> "


def format_reply(reply: Reply, illustrations: Illustrations | None = None) -> str:
    """A reply as the terminal shows it: picture path, text, numbered buttons."""
    lines = []
    if reply.picture:
        picture = illustrations.picture(reply.picture) if illustrations else None
        lines.append(f"[picture: {picture.path if picture else reply.picture}]")
    lines.append(reply.text)
    number = 0
    for row in reply.keyboard:
        cells = []
        for button in row:
            number += 1
            cells.append(f"[{number}] {_describe(button)}")
        lines.append("   ".join(cells))
    return "\n".join(lines)


def _describe(button: Button) -> str:
    if button.url:
        return f"{button.text} <{button.url}>"
    if button.share is not None:
        return f"{button.text} (@bot {button.share})"
    return button.text


class Console:
    """One offline chat: remembers the language and the last buttons, like a private chat would."""

    def __init__(self, views: Views, illustrations: Illustrations | None, lang: Lang) -> None:
        self.views = views
        self.illustrations = illustrations
        self.lang: Lang = lang
        self.buttons: list[Button] = []

    @property
    def catalogue(self) -> Catalogue:
        return self.views.catalogue

    def handle(self, line: str) -> str:
        """The reply to one line of input, as text."""
        reply = self._reply(line.strip())
        self.buttons = [b for row in reply.keyboard for b in row]
        return format_reply(reply, self.illustrations)

    def _reply(self, line: str) -> Reply:
        """The same routing as Telegram's private chat: `!N` presses button N, `/…` is a command."""
        if line.startswith("!") and line[1:].isdigit():
            reply = self._press(int(line[1:]))
        elif line.startswith("/"):
            head, _, rest = line.partition(" ")
            reply = self.views.command(head[1:].split("@", 1)[0], rest, self.lang, bot_username=None)
        else:
            reply = self.views.answer(line, self.lang)
        if reply.set_lang is not None:
            self.lang = reply.set_lang
        return reply

    def _press(self, number: int) -> Reply:
        if not 1 <= number <= len(self.buttons):
            return self.views.text("stale", self.lang)
        button = self.buttons[number - 1]
        if button.share is not None:  # Share opens inline mode: show what `@bot 404` would offer first
            return self.views.answer(button.share, self.lang)
        if button.url is not None:
            return Reply(button.url)
        reply = self.views.press(button.callback, self.lang)
        if reply.placement == "none":
            return Reply(reply.toast or button.text)
        return reply


def run_console(console: Console, lines: Iterable[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Read lines until an empty one or end of input; print each reply."""
    print(t("console_intro", console.lang), file=out)
    interactive = lines is None
    source = iter(lines) if lines is not None else None
    while True:
        try:
            line = input(PROMPT) if source is None else next(source)
        except (EOFError, StopIteration, KeyboardInterrupt):
            break
        if not line.strip():
            break
        print(console.handle(line), file=out)
        print(file=out)
    if interactive:
        print(file=out)
    return 0
