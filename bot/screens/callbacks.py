"""Callback data: one compact, versioned format, built and parsed only here.

Format: `1|verb|arg|arg`, at most 64 bytes (Telegram's limit). The leading version lets a future
format change refuse old buttons politely instead of misreading them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.core.lang import LANGS, Lang, parse_lang

VERSION = "1"
MAX_BYTES = 64

Verb = Literal[
    "card", "details", "class", "home", "lang", "random", "noop",
    "error", "error_details", "errors", "family", "compare", "compare_details",
]  # fmt: skip
_VERBS: dict[str, Verb] = {
    "c": "card",
    "d": "details",
    "k": "class",
    "h": "home",
    "l": "lang",
    "r": "random",
    "n": "noop",
    "e": "error",  # an error that is not a status code: 1|e|curl-7
    "x": "error_details",  # 1|x|curl-7
    "g": "errors",  # the families of such errors: 1|g
    "f": "family",  # one family's errors, by page: 1|f|curl|0
    "v": "compare",  # a comparison (a set's id, or codes) and the card it was opened from: 1|v|redirects|301
    "w": "compare_details",  # 1|w|redirects|0
}
_LETTERS = {verb: letter for letter, verb in _VERBS.items()}
_CODE = re.compile(r"[1-9]\d\d")
_PAGE = re.compile(r"\d{1,2}")
_NAME = re.compile(r"[a-z0-9-]{2,24}")
_CODES = re.compile(r"[1-9]\d\d(?:,[1-9]\d\d){1,4}")


class BadCallback(ValueError):
    """Callback data that is stale, from another version, or forged."""


@dataclass(frozen=True)
class Action:
    """What a button asks for."""

    verb: Verb
    code: int | None = None  # card, details
    digit: int | None = None  # class
    page: int = 0  # class
    lang: Lang | None = None  # lang
    name: str | None = None  # error, error_details, family, compare: an id, a family, a set or "301,308"

    def encode(self) -> str:
        parts = [VERSION, _LETTERS[self.verb]]
        if self.verb in ("card", "details"):
            parts.append(str(self.code))
        elif self.verb == "class":
            parts += [str(self.digit), str(self.page)]
        elif self.verb == "lang":
            parts.append(str(self.lang))
        elif self.verb in ("error", "error_details"):
            parts.append(str(self.name))
        elif self.verb == "family":
            parts += [str(self.name), str(self.page)]
        elif self.verb in ("compare", "compare_details"):
            parts += [str(self.name), str(self.code or 0)]
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


def lang(code: Lang) -> str:
    return Action("lang", lang=code).encode()


def noop() -> str:
    return Action("noop").encode()


def error(error_id: str) -> str:
    return Action("error", name=error_id).encode()


def error_details(error_id: str) -> str:
    return Action("error_details", name=error_id).encode()


def errors() -> str:
    return Action("errors").encode()


def family(name: str, page: int = 0) -> str:
    return Action("family", name=name, page=page).encode()


def compare(what: str, back: int | None = None) -> str:
    """`what` is a comparison set's id or codes joined by commas; `back` the card it was opened from."""
    return Action("compare", name=what, code=back).encode()


def compare_details(what: str) -> str:
    return Action("compare_details", name=what).encode()


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
        chosen = parse_lang(args[0]) if len(args) == 1 and args[0] in LANGS else None
        if chosen is None:
            raise BadCallback("bad language")
        return Action(verb, lang=chosen)
    if verb in ("error", "error_details"):
        if len(args) != 1 or not _NAME.fullmatch(args[0]):
            raise BadCallback("bad error id")
        return Action(verb, name=args[0])
    if verb == "family":
        if len(args) != 2 or not _NAME.fullmatch(args[0]) or not _PAGE.fullmatch(args[1]):
            raise BadCallback("bad family")
        return Action(verb, name=args[0], page=int(args[1]))
    if verb in ("compare", "compare_details"):
        if len(args) != 2 or not (_NAME.fullmatch(args[0]) or _CODES.fullmatch(args[0])):
            raise BadCallback("bad comparison")
        if args[1] != "0" and not _CODE.fullmatch(args[1]):
            raise BadCallback("bad comparison")
        return Action(verb, name=args[0], code=int(args[1]) or None)
    if args:
        raise BadCallback("unexpected arguments")
    return Action(verb)
