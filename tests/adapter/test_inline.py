"""End to end: inline mode offers cards in any chat."""

from __future__ import annotations


async def results_for(bot, query, **kwargs):
    update = bot.inline(query, **kwargs)
    call = await bot.reply_to(update, ("answerInlineQuery",))
    return call.params["results"]


async def test_a_code_gives_its_card_first(bot):
    results = await results_for(bot, "404")
    assert results[0]["id"] == "404-en"
    assert results[0]["type"] == "article"  # no picture uploaded yet
    assert results[0]["input_message_content"]["message_text"].startswith("<b>404 Not Found</b>")


async def test_a_known_picture_is_offered_as_a_cached_photo(bot):
    await bot.ask("404")  # uploads the picture once
    await bot.file_id_known("404")
    results = await results_for(bot, "404")
    assert results[0]["type"] == "photo" and results[0]["photo_file_id"]
    assert results[0]["caption"].startswith("<b>404 Not Found</b>")


async def test_words_and_chinese(bot):
    timeout = [r["id"] for r in await results_for(bot, "timeout")]
    assert "504-en" in timeout and "408-en" in timeout
    gateway = [r["id"] for r in await results_for(bot, "网关", language_code="zh")]
    assert {"502-zh", "504-zh"} <= set(gateway)


async def test_an_empty_query_gives_the_most_asked_codes(bot):
    results = await results_for(bot, "")
    assert [r["id"] for r in results[:3]] == ["404-en", "500-en", "502-en"]


async def test_a_class_stays_within_fifty_results(bot):
    results = await results_for(bot, "4xx")
    assert 40 <= len(results) <= 50
