"""Codes people mix up (data/comparisons/): loaded, read from questions, captions that fit."""

from __future__ import annotations

import pytest

from bot.core.comparisons import codes_compared, load_comparisons
from bot.core.markup import HTML, visible_length
from bot.screens import cards


@pytest.fixture(scope="module")
def comparisons(catalogue):
    return load_comparisons(frozenset(catalogue.codes))


def test_the_sets_people_ask_about_are_there(comparisons):
    ids = {c.id for c in comparisons}
    assert {"redirects", "auth", "gateways", "cloudflare-52x", "bad-request", "gone", "conflict"} <= ids
    assert {"too-large", "rate-limit"} <= ids
    assert all(c.sources for c in comparisons)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("/compare 301 302 307 308", (301, 302, 307, 308)),
        ("301 vs 308", (301, 308)),
        ("401 和 403 的区别", (401, 403)),
        ("502 or 504", (502, 504)),
        ("difference between 404 and 410?", (404, 410)),
        ("401还是403", (401, 403)),
    ],
)
def test_a_comparison_is_read_from_a_question(catalogue, text, codes):
    assert codes_compared(text, frozenset(catalogue.codes)) == codes


@pytest.mark.parametrize(
    "text", ["GET /a 301 then GET /b 404", "301 308", "404 or 777", "502 or 504 or 503 or 500 or 501 or 599"]
)
def test_logs_and_unknown_codes_are_not_comparisons(catalogue, text):
    assert codes_compared(text, frozenset(catalogue.codes)) is None


def test_every_set_fits_a_caption_and_its_details_a_message_in_both_languages(catalogue, comparisons):
    for comparison in comparisons:
        for lang in ("en", "zh"):
            caption = cards.comparison_caption(catalogue, comparison.codes, comparison, lang, HTML)
            details = cards.comparison_details(catalogue, comparison, lang, HTML)
            assert visible_length(caption, HTML) <= cards.CAPTION_LIMIT
            assert visible_length(details, HTML) <= cards.TEXT_LIMIT
            for row in comparison.row:  # every fact that tells them apart is on the card
                assert HTML.esc(row.label(lang)) in caption, (comparison.id, lang, row.en)
            for code in comparison.codes:  # and "use this when" for each, in the details at least
                assert HTML.esc(comparison.use(code, lang)) in details, (comparison.id, lang, code)


def test_a_pair_from_a_set_shows_only_its_own_columns(catalogue, comparisons):
    redirects = comparisons.get("redirects")
    text = cards.comparison_caption(catalogue, (301, 308), redirects, "en", HTML)
    assert text.startswith("<b>301 vs 308</b>") and "302" not in text


def test_codes_no_set_covers_are_compared_on_common_facts(catalogue):
    text = cards.comparison_caption(catalogue, (200, 418), None, "zh", HTML)
    assert text.startswith("<b>200 与 418 对比</b>")
    assert "默认可缓存" in text and "能否重试" in text
