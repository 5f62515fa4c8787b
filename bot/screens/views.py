"""What the bot answers, as data, for anything a user does: a command, free text, a button, an inline query.

Every decision a user can see is made here: which screen, whether a button edits the message or sends a
new one, when the language changes. The Telegram handlers and the offline console only deliver the
`Reply`, so whatever the console shows is what a Telegram user gets.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Literal

from bot import __version__
from bot.core.catalogue import Catalogue, Entry
from bot.core.i18n import t
from bot.core.lang import Lang, parse_lang
from bot.core.markup import Markup, visible_length
from bot.core.search import POPULAR, Searcher, SearchResult
from bot.screens import callbacks, cards, keyboards
from bot.screens.keyboards import Keyboard

QUERY_ECHO = 60  # how much of an unmatched query we quote back
# Codes listed from a replied-to message, best evidence first: a line each of at most ~270 characters,
# so a pasted log with dozens of codes still fits in one message (Telegram refuses over 4096).
FOUND_LIMIT = 10
INLINE_LIMIT = 50  # Telegram takes at most 50 results per inline answer

# What a reply is, for metrics and for `ask`'s exit code: a card, a pick list, nothing found, or a screen.
Outcome = Literal["hit", "ambiguous", "miss", "info"]
# Where a reply goes: a new message, in place of the message whose button was pressed, or nowhere (only
# the button's toast).
Placement = Literal["send", "edit", "none"]
# The commands in the menu, in menu order; any other `/word` in a private chat is looked up.
COMMANDS = ("start", "code", "browse", "random", "lang", "help", "about")


@dataclass(frozen=True)
class Reply:
    """One answer. `picture` names an illustration (`404`, `home`, `4xx`); None means a text message."""

    text: str
    keyboard: Keyboard = ()
    picture: str | None = None
    code: int | None = None  # the code the reply is about, if one
    outcome: Outcome = "info"
    codes: tuple[int, ...] = ()  # the codes a list offers (pick lists, nearest codes)
    set_lang: Lang | None = None  # the user chose this language: remember it (the reply is already in it)
    placement: Placement = "send"
    toast: str | None = None  # for a pressed button: the short notice Telegram shows
    because: str | None = None  # the line saying what the answer rests on ("🔎 Recognised: nginx: …")


@dataclass(frozen=True)
class InlineAnswer:
    """The codes to offer for an inline query, best first."""

    entries: tuple[Entry, ...]
    outcome: Outcome


def home_picture() -> str:
    return "home"


def class_picture(digit: int) -> str:
    return f"{digit}xx"


class Views:
    """Builds replies for one catalogue, in one markup (HTML for Telegram, plain for the terminal)."""

    def __init__(self, catalogue: Catalogue, searcher: Searcher, markup: Markup) -> None:
        self.catalogue = catalogue
        self.searcher = searcher
        self.m = markup
        self._cards: dict[tuple[int, Lang], Reply] = {}

    # -- screens ----------------------------------------------------------------------------------

    def card(self, entry: Entry, lang: Lang) -> Reply:
        """Built once per code and language (most updates are a card, and a card never changes)."""
        reply = self._cards.get((entry.code, lang))
        if reply is None:
            reply = self._cards[entry.code, lang] = Reply(
                cards.caption(self.catalogue, entry, lang, self.m),
                keyboards.card_keyboard(self.catalogue, entry, lang),
                picture=str(entry.code),
                code=entry.code,
                outcome="hit",
            )
        return reply

    def details(self, entry: Entry, lang: Lang) -> Reply:
        return Reply(
            cards.details(self.catalogue, entry, lang, self.m),
            keyboards.details_keyboard(self.catalogue, entry, lang),
            code=entry.code,
            outcome="hit",
        )

    def home(self, lang: Lang, intro: str = "browse") -> Reply:
        lines = [self.m.esc(t(intro, lang)), ""]
        for cls in self.catalogue.classes:
            count = len(self.catalogue.in_class(cls.digit))
            lines.append(
                f"{self.m.bold(f'{cls.name} {cls.title(lang)}')} ({count}): {self.m.esc(cls.meaning(lang))}"
            )
        return Reply("\n".join(lines), keyboards.home_keyboard(self.catalogue, lang), picture=home_picture())

    def status_class(self, digit: int, page: int, lang: Lang) -> Reply:
        cls = self.catalogue.status_class(digit)
        total = keyboards.pages(self.catalogue, digit)
        page = min(max(page, 0), total - 1)
        text = t(
            "class_page",
            lang,
            name=cls.name,
            title=cls.title(lang),
            meaning=cls.meaning(lang).rstrip("."),
            count=len(self.catalogue.in_class(digit)),
            page=page + 1,
            pages=total,
        )
        return Reply(
            self.m.esc(text),
            keyboards.class_keyboard(self.catalogue, digit, page, lang),
            picture=class_picture(digit),
        )

    def random_card(self, lang: Lang, rng: random.Random | None = None) -> Reply:
        return self.card((rng or random).choice(self.catalogue.entries), lang)

    def lang_pick(self, lang: Lang) -> Reply:
        return Reply(self.m.esc(t("lang_pick", lang)), keyboards.lang_keyboard())

    def text(self, key: str, lang: Lang, **values: object) -> Reply:
        return Reply(self.m.esc(t(key, lang, **values)))

    def about(self, lang: Lang) -> Reply:
        return self.text("about", lang, version=__version__, count=len(self.catalogue))

    # -- answers ----------------------------------------------------------------------------------

    def answer(self, query: str, lang: Lang) -> Reply:
        """The reply to anything typed: a card, a choice, a class, or a helpful miss."""
        return self.for_result(self.searcher.search(query), query, lang)

    def for_result(self, result: SearchResult, query: str, lang: Lang) -> Reply:
        m = self.m
        if result.kind == "hit":
            return self._explained(self.card(self.catalogue.by_code[result.codes[0]], lang), result, lang)
        if result.kind == "class" and result.status_class is not None:
            return self.status_class(result.status_class, 0, lang)
        if result.kind == "choices":
            key = "found_in_text" if result.from_text else "choices"
            return self._explained(self._list(t(key, lang), result.codes, lang, "ambiguous"), result, lang)
        if result.kind == "unknown":
            intro = t("unknown", lang, code=result.unknown_code)
            return self._list(intro, result.codes, lang, "miss")
        if result.kind == "empty":
            return Reply(
                m.esc(t("empty", lang)), keyboards.home_keyboard(self.catalogue, lang), outcome="miss"
            )
        echo = " ".join(query.split())
        echo = echo if len(echo) <= QUERY_ECHO else echo[: QUERY_ECHO - 1] + "…"
        intro = t("miss", lang, query=echo)
        if result.codes:
            intro += "\n\n" + t("miss_nearest", lang)
        return self._list(intro, result.codes, lang, "miss")

    def found_in_message(self, text: str, lang: Lang) -> Reply:
        """For `/code` sent as a reply: explain the codes in the replied-to message."""
        codes = self.searcher.codes_in_text(text)[:FOUND_LIMIT]
        if not codes:
            result = self.searcher.search(text)
            if result.kind in ("hit", "choices"):
                return self.for_result(result, text, lang)
            return Reply(self.m.esc(t("reply_nothing", lang)), outcome="miss")
        if len(codes) == 1:
            return self.card(self.catalogue.by_code[codes[0]], lang)
        return self._list(t("found_in_text", lang), codes, lang, "ambiguous")

    # -- routing: the one place that reads what the user did -------------------------------------

    def command(
        self, name: str, args: str, lang: Lang, *, bot_username: str | None, replied_text: str | None = None
    ) -> Reply:
        """`/name args`: the menu commands, and in private chats `/404` or any other word as a lookup.

        `replied_text` is the message a `/code` replies to (its codes are explained).
        """
        name = name.lower()
        args = args.strip()
        if name == "start":
            return self.answer(args, lang) if args else self.home(lang, intro="welcome")
        if name == "help":
            return self.text("help", lang, bot=bot_username or "YourBot")
        if name == "about":
            return self.about(lang)
        if name == "browse":
            return self.home(lang)
        if name == "random":
            return self.random_card(lang)
        if name == "lang":
            chosen = parse_lang(args)
            if chosen is None:
                return self.lang_pick(lang)
            return replace(self.text("lang_set", chosen), set_lang=chosen)
        if name == "code" and not args and replied_text:
            return self.found_in_message(replied_text, lang)
        query = args if name == "code" else f"{name} {args}".strip()
        return self.answer(query, lang)

    def press(self, data: object, lang: Lang) -> Reply:
        """A pressed inline button: parse its data here, decide where the answer goes."""
        try:
            action = callbacks.parse(data)
        except callbacks.BadCallback:
            return Reply("", placement="none", toast=t("stale", lang))
        if action.verb == "noop":
            return Reply("", placement="none")
        if action.verb == "lang":
            chosen = parse_lang(action.lang) or lang
            notice = t("lang_set", chosen)
            return replace(self.text("lang_set", chosen), set_lang=chosen, placement="edit", toast=notice)
        reply = self.for_action(action, lang)
        if reply is None:
            return Reply("", placement="none", toast=t("stale", lang))
        # Details come as a new message under the card, so the card itself stays in the chat.
        return replace(reply, placement="send" if action.verb == "details" else "edit")

    def inline(self, query: str) -> InlineAnswer:
        """Best first: the match, the choices, a whole class, or the most-asked codes for an empty query."""
        result = self.searcher.search(query)
        if result.kind == "class" and result.status_class is not None:
            codes = tuple(e.code for e in self.catalogue.in_class(result.status_class))
        elif result.kind == "empty":
            codes = tuple(c for c in POPULAR if c in self.catalogue)
        else:
            codes = result.codes
        entries = tuple(self.catalogue.by_code[c] for c in codes[:INLINE_LIMIT])
        return InlineAnswer(entries, result.outcome)

    def for_action(self, action: callbacks.Action, lang: Lang) -> Reply | None:
        """The screen a button leads to; None when it leads nowhere (stale code, no-op)."""
        if action.verb in ("card", "details"):
            entry = self.catalogue.get(action.code or 0)
            if entry is None:
                return None
            return self.card(entry, lang) if action.verb == "card" else self.details(entry, lang)
        if action.verb == "class" and action.digit is not None:
            return self.status_class(action.digit, action.page, lang)
        if action.verb == "home":
            return self.home(lang)
        if action.verb == "random":
            return self.random_card(lang)
        return None

    def _explained(self, reply: Reply, result: SearchResult, lang: Lang) -> Reply:
        """Say what the answer rests on when it is a known message ("nginx: the upstream timed out"),
        above the card's own text, where Telegram's caption limit leaves room."""
        if result.recognised is None:
            return reply
        line = self.m.italic(t("recognised", lang, what=result.recognised.label(lang)))
        text = f"{line}\n{reply.text}"
        limit = cards.CAPTION_LIMIT if reply.picture else cards.TEXT_LIMIT
        if visible_length(text, self.m) > limit:
            return replace(reply, because=line)
        return replace(reply, text=text, because=line)

    def _list(self, intro: str, codes: tuple[int, ...], lang: Lang, outcome: Outcome) -> Reply:
        entries = [e for c in codes if (e := self.catalogue.get(c)) is not None]
        lines = [self.m.esc(intro), *(cards.one_liner(e, lang, self.m) for e in entries)]
        return Reply(
            "\n".join(lines[:1]) + ("\n\n" + "\n".join(lines[1:]) if entries else ""),
            keyboards.codes_keyboard(self.catalogue, codes, lang),
            outcome=outcome,
            codes=tuple(e.code for e in entries),
        )
