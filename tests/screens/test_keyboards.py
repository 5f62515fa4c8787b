"""Keyboards as data: every button is valid for Telegram, and every screen has a way back."""

from __future__ import annotations

import pytest

from bot.screens import callbacks, keyboards
from bot.screens.keyboards import Button


def all_buttons(keyboard):
    return [b for row in keyboard for b in row]


def assert_valid(keyboard):
    for button in all_buttons(keyboard):
        set_fields = [f for f in (button.callback, button.url, button.share) if f is not None]
        assert len(set_fields) == 1, button
        assert button.text
        if button.callback is not None:
            assert len(button.callback.encode()) <= 64
            callbacks.parse(button.callback)
        if button.url is not None:
            assert button.url.startswith("https://")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_card_keyboard_is_valid(catalogue, lang):
    for entry in catalogue:
        keyboard = keyboards.card_keyboard(catalogue, entry, lang)
        assert_valid(keyboard)
        actions = [callbacks.parse(b.callback) for b in all_buttons(keyboard) if b.callback]
        verbs = [a.verb for a in actions]
        assert verbs.count("card") == 2 and "class" in verbs and "details" in verbs
        assert any(b.share == str(entry.code) for b in all_buttons(keyboard))
        assert any(b.url == entry.spec_url for b in all_buttons(keyboard))


def test_previous_and_next_wrap_around(catalogue):
    first, last = catalogue.entries[0], catalogue.entries[-1]
    nav = keyboards.card_keyboard(catalogue, first, "en")[0]
    assert callbacks.parse(nav[0].callback).code == last.code
    assert callbacks.parse(nav[2].callback).code == catalogue.entries[1].code


def test_back_to_the_class_returns_to_the_page_the_code_is_on(catalogue):
    entry = catalogue.by_code[451]
    back = callbacks.parse(keyboards.card_keyboard(catalogue, entry, "en")[0][1].callback)
    assert back.verb == "class" and back.digit == 4
    page = keyboards.class_keyboard(catalogue, 4, back.page, "en")
    assert any(b.callback == callbacks.card(451) for b in all_buttons(page))


def test_home_offers_the_five_classes(catalogue):
    keyboard = keyboards.home_keyboard(catalogue, "en")
    assert_valid(keyboard)
    digits = [callbacks.parse(b.callback).digit for b in all_buttons(keyboard)]
    assert [d for d in digits if d] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("digit", [1, 2, 3, 4, 5])
def test_class_pages_list_every_code_once_with_paging_and_a_way_back(catalogue, digit):
    seen = []
    total = keyboards.pages(catalogue, digit)
    for page in range(total):
        keyboard = keyboards.class_keyboard(catalogue, digit, page, "zh")
        assert_valid(keyboard)
        actions = [callbacks.parse(b.callback) for b in all_buttons(keyboard)]
        seen += [a.code for a in actions if a.verb == "card"]
        assert actions[-1].verb == "home"
        if total > 1:
            assert any(a.verb == "class" for a in actions)
    assert seen == [e.code for e in catalogue.in_class(digit)]


def test_a_page_out_of_range_shows_the_last_page(catalogue):
    last = keyboards.pages(catalogue, 4) - 1
    assert keyboards.class_keyboard(catalogue, 4, 99, "en") == keyboards.class_keyboard(
        catalogue, 4, last, "en"
    )


def test_long_titles_are_cut_for_buttons(catalogue):
    label = keyboards.short_title(catalogue.by_code[511], "en")
    assert label.startswith("511 ") and len(label) <= 4 + keyboards.TITLE_WIDTH


def test_inline_cards_carry_only_links(catalogue):
    keyboard = keyboards.inline_keyboard(catalogue.by_code[404], "en", "StatusBot")
    assert all(isinstance(b, Button) and b.url for b in all_buttons(keyboard))
    assert any(b.url == "https://t.me/StatusBot?start=404" for b in all_buttons(keyboard))
