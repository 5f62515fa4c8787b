"""Inline keyboards as plain data: Telegram gets InlineKeyboardMarkup from them, the console prints them."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.catalogue import Catalogue, Entry, Lang
from bot.core.comparisons import Comparison
from bot.core.i18n import t
from bot.core.nostatus import FAMILIES, NoStatus, NoStatusCatalogue
from bot.screens import callbacks

PAGE_SIZE = 12  # codes per class page: six rows of two, readable on a phone
COLUMNS = 2
TITLE_WIDTH = 22


@dataclass(frozen=True)
class Button:
    """Exactly one of callback, url or share (switch to an inline query with that text) is set."""

    text: str
    callback: str | None = None
    url: str | None = None
    share: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


def short_title(entry: Entry, lang: Lang) -> str:
    """`404 Not Found`, cut to fit a half-width button."""
    title = entry.text(lang).title
    if len(title) > TITLE_WIDTH:
        title = title[: TITLE_WIDTH - 1].rstrip() + "…"
    return f"{entry.code} {title}"


def _rows(buttons: list[Button], columns: int = COLUMNS) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i : i + columns]) for i in range(0, len(buttons), columns)]


def class_button(catalogue: Catalogue, digit: int, lang: Lang) -> Button:
    cls = catalogue.status_class(digit)
    return Button(f"{cls.name} {cls.title(lang)}", callback=callbacks.status_class(digit))


def home_keyboard(catalogue: Catalogue, lang: Lang) -> Keyboard:
    """The five classes, the errors that are not status codes as a sixth, then random."""
    buttons = [class_button(catalogue, d, lang) for d in range(1, 6)]
    buttons.append(Button(t("btn_errors", lang), callback=callbacks.errors()))
    rows = [*_rows(buttons), (Button(t("btn_random", lang), callback=callbacks.random_code()),)]
    return tuple(rows)


def pages(catalogue: Catalogue, digit: int) -> int:
    return max(1, math.ceil(len(catalogue.in_class(digit)) / PAGE_SIZE))


def class_keyboard(catalogue: Catalogue, digit: int, page: int, lang: Lang) -> Keyboard:
    """One page of a class: a button per code, paging when they do not fit, and the way back."""
    buttons = [
        Button(short_title(e, lang), callback=callbacks.card(e.code)) for e in catalogue.in_class(digit)
    ]
    back = Button(t("btn_all_classes", lang), callback=callbacks.home())
    return _paged(buttons, page, lambda p: callbacks.status_class(digit, p), back)


def _paged(buttons: list[Button], page: int, to_page: Callable[[int], str], back: Button) -> Keyboard:
    """PAGE_SIZE buttons of a list, ◀ n/N ▶ when there are more pages, and the way back."""
    total = max(1, math.ceil(len(buttons) / PAGE_SIZE))
    page = min(max(page, 0), total - 1)
    rows = _rows(buttons[page * PAGE_SIZE : (page + 1) * PAGE_SIZE])
    if total > 1:
        rows.append(
            (
                Button("◀", callback=to_page((page - 1) % total)),
                Button(f"{page + 1}/{total}", callback=callbacks.noop()),
                Button("▶", callback=to_page((page + 1) % total)),
            )
        )
    rows.append((back,))
    return tuple(rows)


def page_of(catalogue: Catalogue, entry: Entry) -> int:
    """The class page a code is listed on, so "back" returns to where the user was."""
    return catalogue.in_class(entry.status_class).index(entry) // PAGE_SIZE


def card_keyboard(
    catalogue: Catalogue, entry: Entry, lang: Lang, comparison: Comparison | None = None
) -> Keyboard:
    """Previous/next, back to the class, details, the spec, compare (when the code is in a set), share."""
    prev, nxt = catalogue.neighbours(entry.code)
    cls = catalogue.status_class(entry.status_class)
    nav = (
        Button(f"◀ {prev.code}", callback=callbacks.card(prev.code)),
        Button(f"⤴ {cls.name}", callback=callbacks.status_class(cls.digit, page_of(catalogue, entry))),
        Button(f"{nxt.code} ▶", callback=callbacks.card(nxt.code)),
    )
    info = [Button(t("btn_details", lang), callback=callbacks.details(entry.code))]
    info.append(Button(t("btn_spec", lang), url=entry.spec_url))
    last = [Button(t("btn_share", lang), share=str(entry.code))]
    if comparison is not None:
        last.insert(0, Button(t("btn_compare", lang), callback=callbacks.compare(comparison.id, entry.code)))
    return (nav, tuple(info), tuple(last))


def codes_keyboard(catalogue: Catalogue, codes: tuple[int, ...], lang: Lang) -> Keyboard:
    """A pick-one list: search choices, nearest codes, codes found in a message."""
    entries = [e for c in codes if (e := catalogue.get(c)) is not None]
    rows = _rows([Button(short_title(e, lang), callback=callbacks.card(e.code)) for e in entries])
    rows.append((Button(t("btn_browse", lang), callback=callbacks.home()),))
    return tuple(rows)


def details_keyboard(catalogue: Catalogue, entry: Entry, lang: Lang) -> Keyboard:
    """Under the details text: the spec and MDN links."""
    links = [Button(t("btn_spec", lang), url=entry.spec_url)]
    if entry.mdn_url:
        links.append(Button(t("btn_mdn", lang), url=entry.mdn_url))
    return (tuple(links),)


def lang_keyboard() -> Keyboard:
    return (
        (Button("English", callback=callbacks.lang("en")), Button("中文", callback=callbacks.lang("zh"))),
    )


def inline_keyboard(entry: Entry, lang: Lang, bot_username: str | None) -> Keyboard:
    """For cards shared through inline mode: links only, as they live in other people's chats."""
    row = [Button(t("btn_spec", lang), url=entry.spec_url)]
    if bot_username:
        row.append(Button(t("btn_open_in_bot", lang), url=f"https://t.me/{bot_username}?start={entry.code}"))
    return (tuple(row),)


def inline_start_keyboard(start: str, lang: Lang, bot_username: str | None) -> Keyboard:
    """For a shared error card: a link that opens it in a private chat with the bot."""
    if not bot_username:
        return ()
    return ((Button(t("btn_open_in_bot", lang), url=f"https://t.me/{bot_username}?start={start}"),),)


# -- errors that are not status codes -----------------------------------------------------------------


def error_keyboard(catalogue: Catalogue, error: NoStatus, lang: Lang) -> Keyboard:
    """The related status codes, details, back to its family, share."""
    related = [catalogue.by_code[c] for c in error.related if c in catalogue]
    rows = _rows([Button(short_title(e, lang), callback=callbacks.card(e.code)) for e in related])
    rows.append(
        (
            Button(t("btn_details", lang), callback=callbacks.error_details(error.id)),
            Button(t("btn_back", lang), callback=callbacks.family(error.family)),
        )
    )
    rows.append((Button(t("btn_share", lang), share=error.badge),))
    return tuple(rows)


def error_details_keyboard(error: NoStatus) -> Keyboard:
    """Under the details text: the first source."""
    return ((Button(error.sources[0].title[:40], url=error.sources[0].url),),)


def errors_home_keyboard(nostatus: NoStatusCatalogue, lang: Lang) -> Keyboard:
    families = [f for f in FAMILIES if nostatus.in_family(f)]
    rows = _rows([Button(t(f"family_{f}", lang), callback=callbacks.family(f)) for f in families])
    rows.append((Button(t("btn_all_classes", lang), callback=callbacks.home()),))
    return tuple(rows)


def family_pages(nostatus: NoStatusCatalogue, family: str) -> int:
    return max(1, math.ceil(len(nostatus.in_family(family)) / PAGE_SIZE))


def family_keyboard(nostatus: NoStatusCatalogue, family: str, page: int, lang: Lang) -> Keyboard:
    buttons = [
        Button(_error_title(e, lang), callback=callbacks.error(e.id)) for e in nostatus.in_family(family)
    ]
    back = Button(t("btn_back", lang), callback=callbacks.errors())
    return _paged(buttons, page, lambda p: callbacks.family(family, p), back)


def _error_title(error: NoStatus, lang: Lang) -> str:
    title = error.text(lang).title
    label = f"{error.badge} {title}"
    return label if len(label) <= TITLE_WIDTH + 6 else label[: TITLE_WIDTH + 5].rstrip() + "…"


# -- comparisons --------------------------------------------------------------------------------------


def comparison_keyboard(
    catalogue: Catalogue, codes: tuple[int, ...], found: Comparison | None, back: int | None, lang: Lang
) -> Keyboard:
    """Each code opens its own card; the whole set as a message; back to the card the comparison was
    opened from, or to browsing."""
    entries = [catalogue.by_code[c] for c in codes]
    rows = _rows([Button(short_title(e, lang), callback=callbacks.card(e.code)) for e in entries])
    back_to = callbacks.card(back) if back is not None and back in catalogue else callbacks.home()
    last = [Button(t("btn_back", lang), callback=back_to)]
    if found is not None:
        last.insert(0, Button(t("btn_details", lang), callback=callbacks.compare_details(found.id)))
    rows.append(tuple(last))
    return tuple(rows)
