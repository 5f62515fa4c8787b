"""Inline mode: `@BotName 404` in any chat offers cards to share."""

from __future__ import annotations

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InputTextMessageContent,
    Update,
)
from telegram.constants import InlineQueryLimit, ParseMode
from telegram.ext import ContextTypes

from bot.adapter.delivery import markup
from bot.adapter.handlers import services, user_lang
from bot.core.markup import HTML
from bot.core.search import POPULAR
from bot.screens import cards, keyboards

CACHE_SECONDS = 300


def _codes_for(query: str, context: ContextTypes.DEFAULT_TYPE) -> tuple[int, ...]:
    """Best first: the match, the choices, a whole class, or the most-asked codes for an empty query."""
    s = services(context)
    result = s.searcher.search(query)
    if result.kind == "class" and result.status_class is not None:
        codes = tuple(e.code for e in s.catalogue.in_class(result.status_class))
    elif result.kind == "empty":
        codes = tuple(c for c in POPULAR if c in s.catalogue)
    else:
        codes = result.codes
    s.metrics.lookup(result.outcome)
    return codes[: InlineQueryLimit.RESULTS]


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A cached photo where Telegram already has the picture, otherwise an article with the card's text."""
    query = update.inline_query
    if query is None:
        return
    s = services(context)
    lang = user_lang(update, context)
    results = []
    for code in _codes_for(query.query, context):
        entry = s.catalogue.by_code[code]
        caption = cards.caption(s.catalogue, entry, lang, HTML)
        reply_markup = markup(keyboards.inline_keyboard(entry, lang, context.bot.username))
        picture = s.illustrations.picture(str(code))
        file_id = s.state.file_id(picture.key) if picture else None
        title = entry.label(lang)
        description = entry.text(lang).summary
        if file_id:
            results.append(
                InlineQueryResultCachedPhoto(
                    id=f"{code}-{lang}",
                    photo_file_id=file_id,
                    title=title,
                    description=description,
                    caption=caption,
                    parse_mode=ParseMode.HTML,
                    reply_markup=reply_markup,
                )
            )
        else:
            results.append(
                InlineQueryResultArticle(
                    id=f"{code}-{lang}",
                    title=title,
                    description=description,
                    input_message_content=InputTextMessageContent(caption, parse_mode=ParseMode.HTML),
                    reply_markup=reply_markup,
                )
            )
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True)
