"""What the bot answers, as data, for anything a user does: a command, free text, a button, an inline query.

Every decision a user can see is made here: which screen, whether a button edits the message or sends a
new one, when the language changes. The Telegram handlers and the offline console only deliver the
`Reply`, so whatever the console shows is what a Telegram user gets.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from bot import __version__
from bot.core.catalogue import Catalogue, Entry
from bot.core.headers import header_notes
from bot.core.i18n import t
from bot.core.lang import Lang, parse_lang
from bot.core.markup import HTML, Markup, visible_length
from bot.core.nostatus import NoStatus
from bot.core.search import POPULAR, Searcher, SearchResult
from bot.screens import callbacks, cards, keyboards
from bot.screens.keyboards import Keyboard

_CODE_WORD = re.compile(r"(?<!\d)([1-9]\d\d)(?!\d)")
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
COMMANDS = ("start", "code", "compare", "browse", "random", "lang", "help", "about")
ERRORS_PICTURE = "errors"  # the picture of the screens listing errors that are not status codes


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
    error_id: str | None = None  # the error (not a status code) the reply is about, if one
    notes: tuple[str, ...] = ()  # what the pasted response headers say, as plain sentences
    because: str | None = None  # the line saying what the answer rests on ("🔎 Recognised: nginx: …")


@dataclass(frozen=True)
class InlineItem:
    """One inline result: a card to share in any chat, its caption always in Telegram HTML."""

    id: str
    title: str
    description: str
    caption: str
    keyboard: Keyboard
    picture: str | None


@dataclass(frozen=True)
class InlineAnswer:
    """What to offer for an inline query, best first."""

    items: tuple[InlineItem, ...]
    outcome: Outcome


def home_picture() -> str:
    return "home"


def class_picture(digit: int) -> str:
    return f"{digit}xx"


class Views:
    """Builds replies for one catalogue, in one markup (HTML for Telegram, plain for the terminal)."""

    def __init__(
        self,
        catalogue: Catalogue,
        searcher: Searcher,
        markup: Markup,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.catalogue = catalogue
        self.clock = clock  # for "retry at 14:05 UTC" when a pasted response has no Date header
        self.searcher = searcher
        self.m = markup
        self.nostatus = searcher.nostatus
        self.comparisons = searcher.comparisons
        self._cards: dict[tuple[int, Lang], Reply] = {}

    # -- screens ----------------------------------------------------------------------------------

    def card(self, entry: Entry, lang: Lang) -> Reply:
        """Built once per code and language (most updates are a card, and a card never changes)."""
        reply = self._cards.get((entry.code, lang))
        if reply is None:
            reply = self._cards[entry.code, lang] = Reply(
                cards.caption(self.catalogue, entry, lang, self.m),
                keyboards.card_keyboard(self.catalogue, entry, lang, self.comparisons.of(entry.code)),
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

    def error_card(self, error: NoStatus, lang: Lang) -> Reply:
        """An error that is not a status code, as a card like a code's card."""
        return Reply(
            cards.error_caption(self.catalogue, error, lang, self.m),
            keyboards.error_keyboard(self.catalogue, error, lang),
            picture=error.picture,
            outcome="hit",
            codes=tuple(c for c in error.related if c in self.catalogue),
            error_id=error.id,
        )

    def error_details(self, error: NoStatus, lang: Lang) -> Reply:
        return Reply(
            cards.error_details(self.catalogue, error, lang, self.m),
            keyboards.error_details_keyboard(error),
            outcome="hit",
        )

    def errors_home(self, lang: Lang) -> Reply:
        lines = [self.m.esc(t("errors_home", lang)), ""]
        for family in dict.fromkeys(e.family for e in self.nostatus):
            count = len(self.nostatus.in_family(family))
            lines.append(f"{self.m.bold(t(f'family_{family}', lang))} ({count})")
        return Reply(
            "\n".join(lines), keyboards.errors_home_keyboard(self.nostatus, lang), picture=ERRORS_PICTURE
        )

    def family(self, family: str, page: int, lang: Lang) -> Reply | None:
        errors = self.nostatus.in_family(family)
        if not errors:
            return None
        total = keyboards.family_pages(self.nostatus, family)
        page = min(max(page, 0), total - 1)
        name = t(f"family_{family}", lang)
        intro = self.m.esc(t("family_page", lang, family=name, count=len(errors), page=page + 1, pages=total))
        chunk = errors[page * keyboards.PAGE_SIZE : (page + 1) * keyboards.PAGE_SIZE]
        text = "\n".join([intro, "", *(cards.error_one_liner(e, lang, self.m) for e in chunk)])
        if visible_length(text, self.m) > cards.CAPTION_LIMIT:  # the buttons still list every one
            text = intro
        keyboard = keyboards.family_keyboard(self.nostatus, family, page, lang)
        return Reply(text, keyboard, picture=ERRORS_PICTURE)

    def comparison(self, codes: tuple[int, ...], lang: Lang, back: int | None = None) -> Reply:
        """Codes side by side: a set's own rows where one covers them, else what every entry knows."""
        found = self.comparisons.covering(codes)
        return Reply(
            cards.comparison_caption(self.catalogue, codes, found, lang, self.m),
            keyboards.comparison_keyboard(self.catalogue, codes, found, back, lang),
            picture=found.picture if found is not None else None,
            outcome="hit",
            codes=codes,
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
            card = self._explained(self.card(self.catalogue.by_code[result.codes[0]], lang), result, lang)
            return self._with_header_notes(card, query, result.codes[0], lang)
        if result.kind == "class" and result.status_class is not None:
            return self.status_class(result.status_class, 0, lang)
        if result.kind == "error" and result.error is not None:
            return self._explained(self.error_card(result.error, lang), result, lang)
        if result.kind == "compare":
            return self.comparison(result.codes, lang)
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
        if name == "compare":
            codes = tuple(dict.fromkeys(c for c in map(int, _CODE_WORD.findall(args)) if c in self.catalogue))
            if len(codes) >= 2:
                return self.comparison(codes[:5], lang)
            return self.text("compare_usage", lang)
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
        details = action.verb in ("details", "error_details", "compare_details")
        return replace(reply, placement="send" if details else "edit")

    def inline(self, query: str, lang: Lang, bot_username: str | None) -> InlineAnswer:
        """Best first: the match (a card, an error, a comparison), the choices, a whole class, or the
        most-asked codes for an empty query. Captions are Telegram HTML: inline results live in chats."""
        result = self.searcher.search(query)
        items: list[InlineItem] = []
        if result.kind == "compare":
            codes = result.codes
            found = self.comparisons.covering(codes)
            items.append(
                InlineItem(
                    id=f"cmp-{'-'.join(map(str, codes))}-{lang}",
                    title=cards.comparison_heading(codes, lang),
                    description=found.heading(lang).summary if found else "",
                    caption=cards.comparison_caption(self.catalogue, codes, found, lang, HTML),
                    keyboard=(),
                    picture=found.picture if found else None,
                )
            )
            codes = ()
        elif result.kind == "error" and result.error is not None:
            error = result.error
            items.append(
                InlineItem(
                    id=f"{error.picture}-{lang}",
                    title=f"{error.badge} · {error.text(lang).title}",
                    description=error.text(lang).summary,
                    caption=cards.error_caption(self.catalogue, error, lang, HTML),
                    keyboard=keyboards.inline_start_keyboard(error.id, lang, bot_username),
                    picture=error.picture,
                )
            )
            codes = result.codes
        elif result.kind == "class" and result.status_class is not None:
            codes = tuple(e.code for e in self.catalogue.in_class(result.status_class))
        elif result.kind == "empty":
            codes = tuple(c for c in POPULAR if c in self.catalogue)
        else:
            codes = result.codes
        for code in codes[: INLINE_LIMIT - len(items)]:
            entry = self.catalogue.by_code[code]
            items.append(
                InlineItem(
                    id=f"{code}-{lang}",
                    title=entry.label(lang),
                    description=entry.text(lang).summary,
                    caption=cards.caption(self.catalogue, entry, lang, HTML),
                    keyboard=keyboards.inline_keyboard(entry, lang, bot_username),
                    picture=str(code),
                )
            )
        return InlineAnswer(tuple(items), result.outcome)

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
        if action.verb in ("error", "error_details"):
            error = self.nostatus.get(action.name or "")
            if error is None:
                return None
            return self.error_card(error, lang) if action.verb == "error" else self.error_details(error, lang)
        if action.verb == "errors":
            return self.errors_home(lang)
        if action.verb == "family":
            return self.family(action.name or "", action.page, lang)
        if action.verb == "compare":
            return self._compare_action(action, lang)
        if action.verb == "compare_details":
            found = self.comparisons.get(action.name or "")
            if found is None:
                return None
            text = cards.comparison_details(self.catalogue, found, lang, self.m)
            return Reply(text, outcome="hit", codes=found.codes)
        if action.verb == "random":
            return self.random_card(lang)
        return None

    def _with_header_notes(self, reply: Reply, query: str, code: int, lang: Lang) -> Reply:
        """Add what the pasted headers say (Retry-After, the auth challenge, the hop) below the card's text,
        as far as the caption limit allows."""
        notes = header_notes(query, code, lang, self.clock())
        if not notes:
            return reply
        text = reply.text
        for note in notes:
            longer = f"{text}\n{self.m.esc(note)}"
            if visible_length(longer, self.m) > cards.CAPTION_LIMIT:
                break
            text = longer
        return replace(reply, text=text, notes=tuple(notes))

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

    def _compare_action(self, action: callbacks.Action, lang: Lang) -> Reply | None:
        name = action.name or ""
        found = self.comparisons.get(name)
        if found is not None:
            return self.comparison(found.codes, lang, back=action.code)
        codes = tuple(int(c) for c in name.split(",") if c.isdigit())
        if len(codes) >= 2 and all(c in self.catalogue for c in codes):
            return self.comparison(codes, lang, back=action.code)
        return None

    def _list(self, intro: str, codes: tuple[int, ...], lang: Lang, outcome: Outcome) -> Reply:
        entries = [e for c in codes if (e := self.catalogue.get(c)) is not None]
        lines = [self.m.esc(intro), *(cards.one_liner(e, lang, self.m) for e in entries)]
        return Reply(
            "\n".join(lines[:1]) + ("\n\n" + "\n".join(lines[1:]) if entries else ""),
            keyboards.codes_keyboard(self.catalogue, codes, lang),
            outcome=outcome,
            codes=tuple(e.code for e in entries),
        )
