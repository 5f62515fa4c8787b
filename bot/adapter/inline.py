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
from bot.core.markup import HTML
from bot.screens import cards, keyboards

CACHE_SECONDS = 300


async def inline_query(update: Update, context: BotContext) -> None:
    """A cached photo where Telegram already has the picture, otherwise an article with the card's text."""
    query = update.inline_query
    if query is None:
        return
    services = context.services
    lang = user_lang(update, context)
    found = services.views.inline(query.query)
    services.metrics.lookup(found.outcome)
    results = []
    for entry in found.entries:
        caption = cards.caption(services.catalogue, entry, lang, HTML)
        reply_markup = markup(keyboards.inline_keyboard(entry, lang, context.bot.username))
        picture = services.illustrations.picture(str(entry.code))
        file_id = services.state.file_id(picture.key) if picture else None
        common = {
            "id": f"{entry.code}-{lang}",
            "title": entry.label(lang),
            "description": entry.text(lang).summary,
            "reply_markup": reply_markup,
        }
        if file_id:
            results.append(
                InlineQueryResultCachedPhoto(
                    photo_file_id=file_id, caption=caption, parse_mode=ParseMode.HTML, **common
                )
            )
        else:
            results.append(
                InlineQueryResultArticle(
                    input_message_content=InputTextMessageContent(caption, parse_mode=ParseMode.HTML),
                    **common,
                )
            )
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True)
