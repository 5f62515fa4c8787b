"""Inline mode: `@BotName 404` in any chat offers cards to share."""

from __future__ import annotations

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode

from bot.adapter.context import BotContext
from bot.adapter.delivery import markup
from bot.adapter.handlers import user_lang

CACHE_SECONDS = 300


async def inline_query(update: Update, context: BotContext) -> None:
    """A cached photo where Telegram already has the picture, otherwise an article with the card's text."""
    query = update.inline_query
    if query is None:
        return
    services = context.services
    lang = await user_lang(update, context)
    found = services.views.inline(query.query, lang, context.bot.username)
    services.metrics.lookup(found.outcome)
    results = []
    for item in found.items:
        # A user picture not checked yet is not decoded here, on the loop: offer the text until it is.
        ready = item.picture is not None and services.illustrations.ready(item.picture)
        picture = services.illustrations.picture(item.picture) if ready and item.picture else None
        file_id = services.store.known_file_id(picture.key) if picture else None
        common = {
            "id": item.id,
            "title": item.title,
            "description": item.description,
            "reply_markup": markup(item.keyboard),
        }
        if file_id:
            results.append(
                InlineQueryResultCachedPhoto(
                    photo_file_id=file_id, caption=item.caption, parse_mode=ParseMode.HTML, **common
                )
            )
        else:
            content = InputTextMessageContent(item.caption, parse_mode=ParseMode.HTML)
            results.append(InlineQueryResultArticle(input_message_content=content, **common))
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True)
