"""The offline console: type what you would send the bot and read the reply it would send.

It goes through the same `Views` as the Telegram handlers, only formatted as plain text, with the picture's
path and the buttons printed. `!N` presses button N of the last reply.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TextIO

from bot.core.catalogue import Catalogue, Lang
from bot.core.i18n import t
from bot.screens import callbacks
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
        views, lang = self.views, self.lang
        if line.startswith("!") and line[1:].isdigit():
            return self._press(int(line[1:]))
        if not line.startswith("/"):
            return views.answer(line, lang)
        command, _, rest = line[1:].partition(" ")
        command = command.split("@", 1)[0].lower()
        rest = rest.strip()
        simple: dict[str, Callable[[], Reply]] = {
            "help": lambda: views.text("help", lang, bot="YourBot"),
            "about": lambda: views.about(lang),
            "browse": lambda: views.home(lang),
            "random": lambda: views.random_card(lang),
        }
        if command in simple:
            return simple[command]()
        if command == "start":
            return views.answer(rest, lang) if rest else views.home(lang, intro="welcome")
        if command == "code":
            return views.answer(rest, lang)
        if command == "lang":
            if rest[:2] in ("en", "zh"):
                self.lang = "zh" if rest[:2] == "zh" else "en"
                return views.text("lang_set", self.lang)
            return views.lang_pick(lang)
        return views.answer(f"{command} {rest}".strip(), lang)

    def _press(self, number: int) -> Reply:
        if not 1 <= number <= len(self.buttons):
            return self.views.text("stale", self.lang)
        button = self.buttons[number - 1]
        if button.share is not None:
            return self.views.answer(button.share, self.lang)
        if button.callback is None:
            return Reply(button.url or "")
        action = callbacks.parse(button.callback)
        if action.verb == "lang" and action.lang in ("en", "zh"):
            self.lang = "zh" if action.lang == "zh" else "en"
            return self.views.text("lang_set", self.lang)
        reply = self.views.for_action(action, self.lang)
        return reply if reply is not None else Reply(f"{self.buttons[number - 1].text}")


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
