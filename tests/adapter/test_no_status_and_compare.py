"""End to end: errors that are not status codes, comparisons, and notes on pasted headers, as users meet
them in private chats, groups, buttons and inline mode."""

from __future__ import annotations

from fake_telegram import DEFAULT_SUPERGROUP_ID
from test_browsing import press_and_wait
from test_handlers import callback_data

from bot.screens import callbacks

GROUP = {"chat_id": DEFAULT_SUPERGROUP_ID, "chat_type": "supergroup"}


async def test_a_curl_error_gets_its_own_card_with_the_related_codes(bot, fake):
    call = await bot.ask("curl: (7) Failed to connect to localhost port 8080 after 0 ms: Connection refused")
    assert call.method == "sendPhoto"
    assert call.params["caption"].startswith("<b>curl 7 · Couldn't connect to server</b>")
    assert "Not an HTTP status" in call.params["caption"]
    assert callbacks.card(502) in callback_data(call)
    assert call.files["photo"] == (bot.services.illustrations.bundled_dir / "err-curl-7.jpg").read_bytes()


async def test_cors_in_chinese_gets_the_cors_card_in_chinese(bot):
    call = await bot.ask("跨域", language_code="zh")
    assert "CORS" in call.params["caption"] and "不是 HTTP 状态码" in call.params["caption"]


async def test_status_000_is_no_response_not_an_unknown_code(bot):
    call = await bot.ask("000")
    assert "is not a status code I know" not in call.params.get("caption", "")
    assert call.params["caption"].startswith("<b>000")


async def test_the_sixth_browse_entry_lists_the_families_and_their_errors(bot, fake):
    home = await bot.ask("/browse")
    assert callbacks.errors() in callback_data(home)
    families, _ = await press_and_wait(bot, home.result, callbacks.errors())
    assert callbacks.family("curl") in callback_data(families)
    stored = fake.message(home.result["chat"]["id"], home.result["message_id"])
    curl, _ = await press_and_wait(bot, stored, callbacks.family("curl"))
    assert callbacks.error("curl-7") in callback_data(curl)
    stored = fake.message(home.result["chat"]["id"], home.result["message_id"])
    card, _ = await press_and_wait(bot, stored, callbacks.error("curl-7"))
    assert card.params["media"]["caption"].startswith("<b>curl 7")


async def test_comparison_as_free_text_command_and_in_a_group(bot):
    call = await bot.ask("301 vs 308")
    assert call.method == "sendPhoto" and call.params["caption"].startswith("<b>301 vs 308</b>")
    assert {callbacks.card(301), callbacks.card(308)} <= set(callback_data(call))
    chinese = await bot.ask("401 和 403 的区别", language_code="zh")
    assert chinese.params["caption"].startswith("<b>401 与 403 对比</b>")
    command = await bot.ask("/compare 502 504")
    assert command.params["caption"].startswith("<b>502 vs 504</b>")
    group = await bot.ask("@StatusTestBot 502 or 504", **GROUP)
    assert group.params["caption"].startswith("<b>502 vs 504</b>")


async def test_codes_outside_any_set_are_compared_on_common_facts(bot):
    call = await bot.ask("200 vs 418")
    assert call.method == "sendMessage"  # no picture for a pair no set covers
    assert (
        call.params["text"].startswith("<b>200 vs 418</b>") and "Cacheable by default" in call.params["text"]
    )


async def test_the_compare_button_opens_the_set_in_place_and_back_returns_to_the_card(bot, fake):
    card = await bot.ask("308")
    assert callbacks.compare("redirects", 308) in callback_data(card)
    compared, _ = await press_and_wait(bot, card.result, callbacks.compare("redirects", 308))
    assert compared.params["message_id"] == card.result["message_id"]
    assert compared.params["media"]["caption"].startswith("<b>301 vs 302 vs 303 vs 307 vs 308</b>")
    assert callbacks.card(308) in callback_data(compared)  # the way back
    stored = fake.message(card.result["chat"]["id"], card.result["message_id"])
    back, _ = await press_and_wait(bot, stored, callbacks.card(308))
    assert back.params["media"]["caption"].startswith("<b>308 Permanent Redirect</b>")


async def test_inline_mode_offers_a_comparison_and_an_error(bot):
    update = bot.inline("301 vs 308")
    results = (await bot.reply_to(update, ("answerInlineQuery",))).params["results"]
    assert results[0]["input_message_content"]["message_text"].startswith("<b>301 vs 308</b>")
    update = bot.inline("net::ERR_NAME_NOT_RESOLVED")
    results = (await bot.reply_to(update, ("answerInlineQuery",))).params["results"]
    assert results[0]["id"].startswith("err-err-name-not-resolved")


async def test_curl_i_output_gets_notes_on_its_headers(bot):
    paste = (
        "$ curl -i https://api.example.com/v1/items\n"
        "HTTP/2 429\ndate: Tue, 01 Dec 2026 14:03:00 GMT\nretry-after: 120\n"
    )
    call = await bot.ask(paste)
    assert call.params["caption"].startswith("<b>429 Too Many Requests</b>")
    assert "retry in 2 minutes, at 14:05 UTC" in call.params["caption"]
    bearer = await bot.ask(
        '< HTTP/1.1 401 Unauthorized\n< WWW-Authenticate: Bearer realm="api", error="invalid_token"\n'
    )
    assert "invalid_token: the access token is expired" in bearer.params["caption"]
    cloudflare = await bot.ask("HTTP/2 502\nserver: cloudflare\ncf-ray: 8a1b2c3d4e5f6a7b-FRA\n")
    assert "not your origin" in cloudflare.params["caption"]
