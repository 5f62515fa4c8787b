"""End to end: the real bot over real HTTP against the fake Bot API, in a private chat."""

from __future__ import annotations

from fake_telegram import DEFAULT_USER_ID

from bot.screens import callbacks


def buttons(call):
    markup = call.params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def callback_data(call):
    return [b["callback_data"] for b in buttons(call) if "callback_data" in b]


def quoted(call, update):
    return call.params["reply_parameters"]["message_id"] == update["message"]["message_id"]


async def test_start_welcomes_with_the_class_keyboard(bot):
    update = bot.say("/start")
    call = await bot.reply_to(update)
    assert call.method == "sendPhoto"
    assert "I explain HTTP status codes" in call.params["caption"]
    assert [callbacks.status_class(d) for d in range(1, 6)] == callback_data(call)[:5]
    assert quoted(call, update)


async def test_a_deep_link_opens_the_card(bot):
    call = await bot.ask("/start 404")
    assert call.method == "sendPhoto"
    assert call.params["caption"].startswith("<b>404 Not Found</b>")
    assert call.files  # the first time, the picture is uploaded


async def test_code_command_with_a_number_and_with_words(bot):
    call = await bot.ask("/code 302")
    assert call.params["caption"].startswith("<b>302 Found</b>")
    call = await bot.ask("/code not found")
    assert call.params["caption"].startswith("<b>404 Not Found</b>")


async def test_code_without_anything_explains_how(bot):
    call = await bot.ask("/code")
    assert call.method == "sendMessage" and "/code 404" in call.params["text"]


async def test_the_card_has_the_full_keyboard(bot):
    call = await bot.ask("502")
    data = callback_data(call)
    assert callbacks.card(501) in data and callbacks.card(503) in data
    assert callbacks.details(502) in data
    assert any(b.get("url", "").startswith("https://www.rfc-editor.org/rfc/rfc9110") for b in buttons(call))
    assert any("switch_inline_query_chosen_chat" in b for b in buttons(call))


async def test_free_text_in_chinese_for_a_chinese_user(bot):
    call = await bot.ask("网关超时", language_code="zh-hans")
    assert call.params["caption"].startswith("<b>504 网关超时</b>")
    assert "怎么办" in call.params["caption"]


async def test_a_pasted_log_line(bot):
    line = '203.0.113.9 - - [26/Nov/2026:10:00:00 +0000] "GET /api HTTP/1.1" 502 157 "-" "curl/8.4.0"'
    call = await bot.ask(line)
    assert call.params["caption"].startswith("<b>502 Bad Gateway</b>")


async def test_several_candidates_offer_a_choice_and_picking_opens_the_card(bot):
    update = bot.say("gateway")
    call = await bot.reply_to(update)
    assert call.method == "sendMessage" and "Which one" in call.params["text"]
    assert callbacks.card(504) in callback_data(call)
    pick = bot.press(call.result, callbacks.card(504))
    card = await bot.reply_to(pick, ("sendPhoto", "editMessageMedia"))
    assert card.params["caption"].startswith("<b>504 Gateway Timeout</b>")
    await bot.fake.wait_for("answerCallbackQuery", after=pick["_mark"])


async def test_nothing_found_helps_with_nearest_codes_and_browse(bot):
    call = await bot.ask("qwzx plomb")
    assert call.method == "sendMessage" and "I found no status code" in call.params["text"]
    assert callbacks.home() in callback_data(call)


async def test_an_unknown_code(bot):
    call = await bot.ask("777")
    assert "777 is not a status code" in call.params["text"]
    assert len(callback_data(call)) >= 3


async def test_user_text_is_escaped(bot):
    call = await bot.ask("<b>qwzx</b> & <i>plomb</i>")
    assert "&lt;b&gt;qwzx&lt;/b&gt; &amp;" in call.params["text"]


async def test_help_about_random(bot):
    help_call = await bot.ask("/help")
    assert "/browse" in help_call.params["text"] and "@StatusTestBot 404" in help_call.params["text"]
    about = await bot.ask("/about")
    assert "Fluent Emoji" in about.params["text"] and "1.0.0" in about.params["text"]
    random_card = await bot.ask("/random")
    assert random_card.method == "sendPhoto"


async def test_a_slash_code_in_private_reads_as_a_lookup(bot):
    call = await bot.ask("/418")
    assert call.params["caption"].startswith("<b>418 (Unused)</b>")


async def test_lang_switches_and_is_remembered_across_restarts(fake, start_bot, tmp_path):
    bot = await start_bot()
    pick = await bot.ask("/lang")
    assert callbacks.lang("zh") in callback_data(pick)
    press = bot.press(pick.result, callbacks.lang("zh"))
    answered = await fake.wait_for("answerCallbackQuery", after=press["_mark"])
    assert "中文" in answered.params["text"]
    call = await bot.ask("404")
    assert call.params["caption"].startswith("<b>404 未找到</b>")
    await bot.stop()

    again = await start_bot()
    call = await again.ask("410")
    assert call.params["caption"].startswith("<b>410 已删除</b>")
    call = await again.ask("/lang en")
    assert "English" in call.params["text"]


async def test_replying_code_to_a_message_explains_the_codes_in_it(bot, fake):
    log = bot.say('upstream said "GET /x HTTP/1.1" 502 0', user_id=555, first_name="Bob")
    await bot.idle()
    stored = fake.message(log["message"]["chat"]["id"], log["message"]["message_id"])
    call = await bot.ask("/code", reply_to_message=stored)
    assert call.params["caption"].startswith("<b>502 Bad Gateway</b>")


async def test_a_sticker_gets_a_hint(bot, fake):
    mark = fake.mark()
    update = fake.sticker_message()
    update["_mark"] = mark
    call = await bot.reply_to(update)
    assert "/code 404" in call.params["text"]


async def test_edited_messages_and_channel_posts_are_ignored(bot, fake):
    first = bot.say("404")
    await bot.reply_to(first)
    mark = fake.mark()
    fake.edited_message(first, "500")
    fake.channel_post("503")
    await bot.idle()
    assert [c.method for c in fake.calls[mark:] if c.method != "getUpdates"] == []


async def test_the_command_menu_is_registered_in_both_languages(bot, fake):
    await fake.wait_for("setMyCommands", lambda c: c.params.get("language_code") == "zh")
    english = fake.commands()
    chinese = fake.commands(language_code="zh")
    assert {c["command"] for c in english} == {
        "start",
        "code",
        "compare",
        "browse",
        "random",
        "lang",
        "help",
        "about",
    }
    assert any("状态码" in c["description"] for c in chinese)


async def test_allowed_chats_refuse_others_politely(start_bot):
    bot = await start_bot(bot_allowed_chats=frozenset({DEFAULT_USER_ID}))
    call = await bot.ask("404")
    assert call.method == "sendPhoto"
    refused = await bot.ask("404", chat_id=999, user_id=999)
    assert refused.method == "sendMessage" and "private" in refused.params["text"]


async def test_refused_updates_are_still_counted_and_timed(start_bot):
    bot = await start_bot(bot_allowed_chats=frozenset({DEFAULT_USER_ID}))
    await bot.ask("404")
    await bot.ask("404", chat_id=999, user_id=999)
    await bot.idle()
    metrics = bot.services.metrics
    assert metrics.updates.labels("message")._value.get() == 2
    assert metrics.latency._sum.get() > 0
