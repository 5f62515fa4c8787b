"""Callback data: one compact, versioned format, built and parsed only here.

Format: `1|verb|arg|arg`, at most 64 bytes (Telegram's limit). The leading version lets a future
format change refuse old buttons politely instead of misreading them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

VERSION = "1"
MAX_BYTES = 64

Verb = Literal["card", "details", "class", "home", "lang", "random", "noop"]
_VERBS: dict[str, Verb] = {
    "c": "card",
    "d": "details",
    "k": "class",
    "h": "home",
    "l": "lang",
    "r": "random",
    "n": "noop",
}
_LETTERS = {verb: letter for letter, verb in _VERBS.items()}
_CODE = re.compile(r"[1-9]\d\d")
_PAGE = re.compile(r"\d{1,2}")


class BadCallback(ValueError):
    """Callback data that is stale, from another version, or forged."""


@dataclass(frozen=True)
class Action:
    """What a button asks for."""

    verb: Verb
    code: int | None = None  # card, details
    digit: int | None = None  # class
    page: int = 0  # class
    lang: str | None = None  # lang

    def encode(self) -> str:
        parts = [VERSION, _LETTERS[self.verb]]
        if self.verb in ("card", "details"):
            parts.append(str(self.code))
        elif self.verb == "class":
            parts += [str(self.digit), str(self.page)]
        elif self.verb == "lang":
            parts.append(str(self.lang))
        data = "|".join(parts)
        if len(data.encode()) > MAX_BYTES:  # cannot happen with the fields above; a guard for new verbs
            raise BadCallback(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data


def card(code: int) -> str:
    return Action("card", code=code).encode()


def details(code: int) -> str:
    return Action("details", code=code).encode()


def status_class(digit: int, page: int = 0) -> str:
    return Action("class", digit=digit, page=page).encode()


def home() -> str:
    return Action("home").encode()


def random_code() -> str:
    return Action("random").encode()


def lang(code: str) -> str:
    return Action("lang", lang=code).encode()


def noop() -> str:
    return Action("noop").encode()


def parse(data: object) -> Action:
    """Decode and validate callback data; anything unexpected raises BadCallback."""
    if not isinstance(data, str) or not data or len(data.encode()) > MAX_BYTES:
        raise BadCallback("not callback data of ours")
    version, _, rest = data.partition("|")
    if version != VERSION:
        raise BadCallback(f"unsupported version {version!r}")
    letter, *args = rest.split("|")
    verb = _VERBS.get(letter)
    if verb is None:
        raise BadCallback(f"unknown verb {letter!r}")
    if verb in ("card", "details"):
        if len(args) != 1 or not _CODE.fullmatch(args[0]):
            raise BadCallback("bad code")
        return Action(verb, code=int(args[0]))
    if verb == "class":
        if len(args) != 2 or args[0] not in "12345" or len(args[0]) != 1 or not _PAGE.fullmatch(args[1]):
            raise BadCallback("bad class")
        return Action(verb, digit=int(args[0]), page=int(args[1]))
    if verb == "lang":
        if args not in (["en"], ["zh"]):
            raise BadCallback("bad language")
        return Action(verb, lang=args[0])
    if args:
        raise BadCallback("unexpected arguments")
    return Action(verb)
