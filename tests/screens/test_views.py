"""Replies as data: what the bot and the console answer to each kind of input and button."""

from __future__ import annotations

from bot.screens import callbacks
from bot.screens.callbacks import Action


def test_a_hit_is_a_photo_card(views):
    reply = views.answer("404", "en")
    assert reply.picture == "404" and reply.code == 404 and reply.outcome == "hit"
    assert reply.text.startswith("<b>404 Not Found</b>")


def test_a_choice_is_a_list_with_buttons(views):
    reply = views.answer("网关", "zh")
    assert reply.picture is None and reply.outcome == "ambiguous"
    assert "你指的是哪一个" in reply.text
    codes = [callbacks.parse(b.callback).code for row in reply.keyboard for b in row if b.callback]
    assert {502, 504} <= set(codes)


def test_a_class_query_opens_the_class_page(views):
    reply = views.answer("5xx", "en")
    assert reply.picture == "5xx"
    assert "5xx Server error" in reply.text


def test_an_unknown_code_explains_and_offers_the_nearest(views):
    reply = views.answer("777", "en")
    assert reply.outcome == "miss"
    assert "777 is not a status code" in reply.text
    assert len([b for row in reply.keyboard for b in row if b.callback]) >= 3


def test_a_miss_quotes_the_query_escaped_and_offers_browse(views):
    reply = views.answer("<script>alert(1)</script> qqq", "en")
    assert reply.outcome == "miss"
    assert "&lt;script&gt;" in reply.text and "<script>" not in reply.text
    assert any(b.callback == callbacks.home() for row in reply.keyboard for b in row)


def test_a_long_miss_is_quoted_short(views):
    reply = views.answer("zq" * 500, "en")
    assert "zq" * 29 + "z…" in reply.text and "zq" * 31 not in reply.text


def test_codes_found_in_a_replied_message(views):
    one = views.found_in_message('"GET / HTTP/1.1" 502 0', "en")
    assert one.code == 502
    several = views.found_in_message('"GET /a HTTP/1.1" 404 1\n"GET /b HTTP/1.1" 500 2', "en")
    assert "404 Not Found" in several.text and "500 Internal Server Error" in several.text
    none = views.found_in_message("lunch at noon?", "en")
    assert none.outcome == "miss" and "no status code" in none.text


def test_buttons_lead_to_screens(views):
    assert views.for_action(Action("card", code=301), "en").picture == "301"
    assert views.for_action(Action("details", code=301), "en").picture is None
    assert views.for_action(Action("class", digit=3, page=0), "en").picture == "3xx"
    assert views.for_action(Action("home"), "en").picture == "home"
    assert views.for_action(Action("random"), "en").code is not None
    assert views.for_action(Action("card", code=458), "en") is None  # not in the catalogue: stale


def test_home_lists_the_classes_with_counts(views, catalogue):
    reply = views.home("zh")
    assert "4xx 客户端错误" in reply.text
    assert f"({len(catalogue.in_class(4))})" in reply.text


def test_about_credits_the_artwork_and_fonts(views):
    text = views.about("en").text
    assert "Fluent Emoji" in text and "MIT" in text and "Open Font License" in text
