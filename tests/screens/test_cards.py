"""Card texts: the caption holds the picture's facts, fits Telegram, and escapes everything."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.core.markup import HTML, PLAIN, visible_length
from bot.screens import cards

ALLOWED_TAGS = re.compile(r"</?(b|i|code|a)( href=\"[^\"<>]*\")?>")


def assert_valid_html(text):
    stripped = ALLOWED_TAGS.sub("", text)
    assert "<" not in stripped and ">" not in stripped, stripped
    assert re.fullmatch(r"([^&]|&(lt|gt|amp|quot);)*", stripped, re.S), stripped


def test_the_caption_holds_code_titles_class_description_and_tip(catalogue):
    entry = catalogue.by_code[404]
    text = cards.caption(catalogue, entry, "en", PLAIN)
    assert text.startswith("404 Not Found · 未找到")
    assert "4xx Client error" in text and "IANA registered" in text
    assert entry.en.description in text
    assert entry.en.tip in text


def test_the_chinese_caption_leads_with_chinese(catalogue):
    text = cards.caption(catalogue, catalogue.by_code[302], "zh", PLAIN)
    assert text.startswith("302 临时移动 · Found")
    assert "3xx 重定向" in text


def test_unofficial_codes_name_their_vendor(catalogue):
    text = cards.caption(catalogue, catalogue.by_code[499], "en", PLAIN)
    assert "Unofficial · nginx" in text
    assert "Esri" in text  # the other meaning is not lost


def test_details_have_causes_fixes_facts_and_spec(catalogue):
    entry = catalogue.by_code[503]
    text = cards.details(catalogue, entry, "en", HTML)
    for part in (
        "Usual causes",
        "If you are the client",
        "If you run the server",
        "Retry-After",
        entry.spec_url,
    ):
        assert part in text
    assert_valid_html(text)


def test_all_captions_and_details_are_valid_html(catalogue):
    for entry in catalogue:
        for lang in ("en", "zh"):
            assert_valid_html(cards.caption(catalogue, entry, lang, HTML))
            assert_valid_html(cards.details(catalogue, entry, lang, HTML))


def test_visible_length_counts_like_telegram():
    assert visible_length("<b>a&amp;b</b>", HTML) == 3
    assert visible_length("😀", PLAIN) == 2  # UTF-16 code units


@given(st.text(max_size=2000))
def test_user_text_in_html_is_always_escaped(text):
    escaped = HTML.esc(text)
    assert_valid_html(HTML.bold(text))
    assert visible_length(escaped, HTML) == visible_length(text, PLAIN)
