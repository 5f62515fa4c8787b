"""Telegram handlers: each reads an update, asks `Views` what to answer, and delivers the `Reply`.

Decisions a user can see (which screen, edit or send, a language change) are made in `Views`; what is
left here is Telegram's own business: who is addressed in a group, quoting, topics, callback answers.
"""

from __future__ import annotations

import logging

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.adapter.context import BotContext
from bot.core.i18n import t
from bot.core.lang import Lang, telegram_lang
from bot.screens.views import Reply

log = logging.getLogger(__name__)


async def user_lang(update: Update, context: BotContext) -> Lang:
    """The user's choice from /lang, else their Telegram language, else the operator's default."""
    services = context.services
    user = update.effective_user
    default = services.settings.bot_default_language
    if user is None:
        return default
    return await services.store.language(user.id) or telegram_lang(user.language_code, default)


async def remember_language(update: Update, context: BotContext, reply: Reply) -> None:
    """Store the language a reply switched to, for the user who asked (before the reply goes out, so
    the user's next message finds it, whichever replica handles it)."""
    user = update.effective_user
    if reply.set_lang is not None and user is not None:
        await context.services.store.set_language(user.id, reply.set_lang)


async def answer(update: Update, context: BotContext, reply: Reply, query: str | None = None) -> None:
    """Send `reply` into the chat of the update, quoting the asker's message.

    `query` is what the user typed, counted when it found nothing so the catalogue can grow.
    """
    message = update.effective_message
    if message is None:
        return
    services = context.services
    await remember_language(update, context, reply)
    services.metrics.lookup(reply.outcome)
    if query and reply.outcome == "miss":
        services.metrics.missed_query(query)
    thread = message.message_thread_id if message.is_topic_message else None
    await services.delivery.send(
        context.bot, message.chat_id, reply, quote=message.message_id, thread_id=thread
    )


# -- gatekeeping ----------------------------------------------------------------------------------


async def only_allowed_chats(update: Update, context: BotContext) -> None:
    """With BOT_ALLOWED_CHATS set, refuse other chats politely once addressed, and stop there."""
    allowed = context.services.settings.bot_allowed_chats
    if not allowed:
        return
    chat = update.effective_chat
    user = update.effective_user
    if chat is not None and chat.id in allowed:
        return
    if chat is None and user is not None and user.id in allowed:  # inline queries carry no chat
        return
    lang = await user_lang(update, context)
    if update.callback_query:
        await update.callback_query.answer(t("not_allowed", lang), show_alert=True)
    elif update.inline_query:
        await update.inline_query.answer([], cache_time=0, is_personal=True)
    elif (
        update.message
        and chat is not None
        and (chat.type == ChatType.PRIVATE or addressed(update.message, context))
    ):
        await update.message.reply_text(t("not_allowed", lang))
    raise ApplicationHandlerStop


def addressed(message: Message, context: BotContext) -> bool:
    """In a group: a command, a mention of the bot, or a reply to one of the bot's messages."""
    bot = context.bot
    replied = message.reply_to_message
    if replied and replied.from_user and replied.from_user.id == bot.id:
        return True
    for entity, text in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
            return True
        if entity.type == MessageEntity.MENTION and text[1:].casefold() == (bot.username or "").casefold():
            return True
    text = message.text or ""
    return text.startswith("/")


def without_mention(text: str, username: str | None) -> str:
    """`@StatusBot 502` → `502`."""
    if not username:
        return text
    return " ".join(word for word in text.split() if word.casefold() != f"@{username}".casefold())


# -- commands and messages ------------------------------------------------------------------------


async def command(update: Update, context: BotContext) -> None:
    """Every command (`/code 404`, `/lang zh`, and `/404` in private chats): routed by `Views.command`."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    head, _, rest = message.text.partition(" ")
    name = head[1:].split("@", 1)[0]
    replied = message.reply_to_message
    reply = context.services.views.command(
        name,
        rest,
        await user_lang(update, context),
        bot_username=context.bot.username,
        replied_text=(replied.text or replied.caption) if replied else None,
    )
    await answer(update, context, reply, rest.strip() or name)


async def text_message(update: Update, context: BotContext) -> None:
    """Free text: always in private chats; in groups only when the bot is addressed."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    text = message.text
    if message.chat.type != ChatType.PRIVATE:
        if not addressed(message, context):
            return
        text = without_mention(text, context.bot.username)
    await answer(update, context, context.services.views.answer(text, await user_lang(update, context)), text)


async def other_message(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice… in a private chat: a hint on what to send. Ignored in groups."""
    message = update.effective_message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return
    views = context.services.views
    lang = await user_lang(update, context)
    caption = message.caption
    await answer(update, context, views.answer(caption, lang) if caption else views.text("empty", lang))


async def button(update: Update, context: BotContext) -> None:
    """Every inline button: `Views.press` decides; here the callback is always answered, once."""
    query = update.callback_query
    if query is None:
        return
    services = context.services
    lang = await user_lang(update, context)
    reply = services.views.press(query.data, lang)
    if reply.placement != "none" and query.message is None:  # the message is gone: nothing to show on
        await query.answer(t("stale", lang))
        return
    await remember_language(update, context, reply)
    await query.answer(reply.toast)
    services.mark_answered(query.id)
    message = query.message
    if message is None or reply.placement == "none":
        return
    if reply.placement == "edit":
        await services.delivery.edit(context.bot, message, reply)
        return
    quote = message.message_id if isinstance(message, Message) else None
    await services.delivery.send(context.bot, message.chat.id, reply, quote=quote)
