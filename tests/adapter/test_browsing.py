"""End to end: browsing by class edits one message in place, every button is answered, stale ones politely."""

from __future__ import annotations

import logging

from test_handlers import callback_data

from bot.screens import callbacks, keyboards


async def press_and_wait(bot, message, data, methods=("editMessageMedia",)):
    update = bot.press(message, data)
    call = await bot.reply_to(update, methods)
    answer = await bot.fake.wait_for("answerCallbackQuery", after=update["_mark"])
    return call, answer


async def test_browse_class_page_card_and_back_in_one_message(bot, fake):
    home = await bot.ask("/browse")
    assert home.method == "sendPhoto"
    message = home.result
    chat, mid = message["chat"]["id"], message["message_id"]

    page, _ = await press_and_wait(bot, message, callbacks.status_class(4))
    assert page.params["message_id"] == mid
    assert "4xx Client error" in page.params["media"]["caption"]
    assert callbacks.card(400) in callback_data(page)

    stored = fake.message(chat, mid)
    total = keyboards.pages(bot.services.catalogue, 4)
    second, _ = await press_and_wait(bot, stored, callbacks.status_class(4, 1))
    assert f"page 2 of {total}" in second.params["media"]["caption"]

    card, _ = await press_and_wait(bot, fake.message(chat, mid), callbacks.card(413))
    assert card.params["media"]["caption"].startswith("<b>413 Content Too Large</b>")
    back_data = callbacks.status_class(
        4, keyboards.page_of(bot.services.catalogue, bot.services.catalogue.by_code[413])
    )
    assert back_data in callback_data(card)

    nxt, _ = await press_and_wait(bot, fake.message(chat, mid), callbacks.card(414))
    assert nxt.params["media"]["caption"].startswith("<b>414 URI Too Long</b>")

    back, _ = await press_and_wait(bot, fake.message(chat, mid), back_data)
    assert "4xx Client error" in back.params["media"]["caption"]
    home_again, _ = await press_and_wait(bot, fake.message(chat, mid), callbacks.home())
    assert callbacks.status_class(1) in callback_data(home_again)
    # all of it in the one message: no new messages were sent
    assert len(fake.messages_in(chat, from_bot=True)) == 1
    assert all(c.ok for c in fake.calls if c.method != "getUpdates")


async def test_details_arrive_as_a_text_message_quoting_the_card(bot, fake):
    card = await bot.ask("503")
    details, answer = await press_and_wait(bot, card.result, callbacks.details(503), ("sendMessage",))
    text = details.params["text"]
    assert "Usual causes" in text and "Retry-After" in text and len(text) <= 4096
    assert details.params["reply_parameters"]["message_id"] == card.result["message_id"]
    assert answer.ok


async def test_the_same_screen_is_not_edited_again(bot, fake):
    card = await bot.ask("404")
    mark = fake.mark()
    # An old client shows the button again: the screen would not change, so the bot must not edit.
    update = bot.press(card.result, callbacks.card(404), check=False)
    await fake.wait_for("answerCallbackQuery", after=update["_mark"])
    await bot.idle()
    assert not [c for c in fake.calls[mark:] if c.method.startswith("edit")]
    assert all(c.ok for c in fake.calls[mark:])


async def test_the_page_counter_button_only_answers(bot, fake):
    page = await bot.ask("4xx")
    update = bot.press(page.result, callbacks.noop())
    answer = await fake.wait_for("answerCallbackQuery", after=update["_mark"])
    assert answer.ok and "text" not in answer.params


async def test_stale_or_forged_buttons_get_a_polite_answer(bot, fake):
    card = await bot.ask("404")
    for data in ("1|c|998", "0|c|404", "garbage", "1|k|9|0"):
        update = bot.press(card.result, data, check=False)
        answer = await fake.wait_for("answerCallbackQuery", after=update["_mark"])
        assert "out of date" in answer.params["text"]
    assert not fake.errors


async def test_a_button_on_an_inaccessible_message_is_answered(bot, fake):
    card = await bot.ask("404")
    update = bot.press(card.result, callbacks.card(405), inaccessible=True)
    await fake.wait_for("answerCallbackQuery", after=update["_mark"])
    sent = await bot.reply_to(update, ("sendPhoto",))
    assert sent.params["caption"].startswith("<b>405")


async def test_random_from_home_edits_in_place(bot, fake):
    home = await bot.ask("/browse")
    call, _ = await press_and_wait(bot, home.result, callbacks.random_code())
    assert call.params["message_id"] == home.result["message_id"]


async def test_a_refused_edit_is_logged_as_our_error_with_its_method_and_answered_once(bot, fake, caplog):
    card = await bot.ask("404")
    fake.fail_next("editMessageMedia", status=400, description="Bad Request: something we sent is wrong")
    with caplog.at_level(logging.WARNING):
        update = bot.press(card.result, callbacks.card(405))
        await fake.wait_for("editMessageMedia", lambda c: not c.ok, after=update["_mark"])
        await bot.idle()
    answers = [c for c in fake.calls[update["_mark"] :] if c.method == "answerCallbackQuery"]
    assert len(answers) == 1
    assert "Telegram refused editMessageMedia" in caplog.text
    assert "unreachable or busy" not in caplog.text
