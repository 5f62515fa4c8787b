"""End to end in groups: the bot speaks only when addressed, and quotes the asker."""

from __future__ import annotations

from fake_telegram import DEFAULT_SUPERGROUP_ID

GROUP = {"chat_id": DEFAULT_SUPERGROUP_ID, "chat_type": "supergroup"}


async def test_chatter_that_does_not_address_the_bot_gets_no_answer(bot):
    update = bot.say("the deploy returned 502 again", **GROUP)
    assert await bot.silence(update) == []


async def test_a_mention_is_answered_and_quoted(bot):
    update = bot.say("@StatusTestBot 502", **GROUP)
    call = await bot.reply_to(update)
    assert call.params["caption"].startswith("<b>502 Bad Gateway</b>")
    assert call.params["reply_parameters"]["message_id"] == update["message"]["message_id"]


async def test_a_reply_to_the_bot_is_answered(bot, fake):
    first = await bot.ask("@StatusTestBot 404", **GROUP)
    call = await bot.ask("and 410?", reply_to_message=first.result, **GROUP)
    assert call.params["caption"].startswith("<b>410 Gone</b>")


async def test_commands_addressed_to_the_bot_are_answered(bot):
    call = await bot.ask("/code@StatusTestBot 500", **GROUP)
    assert call.params["caption"].startswith("<b>500 Internal Server Error</b>")
    call = await bot.ask("/code 503", **GROUP)
    assert call.params["caption"].startswith("<b>503")


async def test_commands_for_other_bots_are_ignored(bot):
    update = bot.say("/code@OtherBot 500", **GROUP)
    assert await bot.silence(update) == []
    update = bot.say("/deploy now", **GROUP)
    assert await bot.silence(update) == []


async def test_replying_code_in_a_group_explains_a_colleagues_log_line(bot, fake):
    log = bot.say('POST /pay HTTP/1.1" 504 0 upstream timed out', user_id=777, first_name="Carol", **GROUP)
    await bot.idle()
    stored = fake.message(DEFAULT_SUPERGROUP_ID, log["message"]["message_id"])
    call = await bot.ask("/code@StatusTestBot", reply_to_message=stored, **GROUP)
    assert call.params["caption"].startswith("<b>504 Gateway Timeout</b>")
