"""Telegram handlers: each turns an update into a core call, and the reply into API calls. No logic here."""

from __future__ import annotations

import logging

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.adapter.services import Services
from bot.core.catalogue import Lang
from bot.core.i18n import language_for, t
from bot.screens import callbacks
from bot.screens.views import Reply

log = logging.getLogger(__name__)


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]


def user_lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Lang:
    """The user's choice from /lang, else their Telegram language, else the operator's default."""
    s = services(context)
    user = update.effective_user
    if user is None:
        return s.settings.bot_default_language
    return s.state.language(user.id) or language_for(user.language_code, s.settings.bot_default_language)


async def answer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply, query: str | None = None
) -> None:
    """Send `reply` into the chat of the update, quoting the asker's message.

    `query` is what the user typed, counted when it found nothing so the catalogue can grow.
    """
    message = update.effective_message
    if message is None:
        return
    s = services(context)
    s.metrics.lookup(reply.outcome)
    if query and reply.outcome == "miss":
        s.metrics.missed_query(query)
    thread = message.message_thread_id if message.is_topic_message else None
    await s.delivery.send(context.bot, message.chat_id, reply, quote=message.message_id, thread_id=thread)


# -- gatekeeping ----------------------------------------------------------------------------------


async def only_allowed_chats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """With BOT_ALLOWED_CHATS set, refuse other chats politely once addressed, and stop there."""
    allowed = services(context).settings.bot_allowed_chats
    if not allowed:
        return
    chat = update.effective_chat
    user = update.effective_user
    if chat is not None and chat.id in allowed:
        return
    if chat is None and user is not None and user.id in allowed:  # inline queries carry no chat
        return
    lang = user_lang(update, context)
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


def addressed(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
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


# -- commands -------------------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome with the class keyboard; `/start 404` (a deep link) opens that code's card."""
    s = services(context)
    lang = user_lang(update, context)
    if context.args:
        query = " ".join(context.args)
        await answer(update, context, s.views.answer(query, lang), query)
        return
    await answer(update, context, s.views.home(lang, intro="welcome"))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """How to ask, the commands, and group behaviour."""
    s = services(context)
    await answer(update, context, s.views.text("help", user_lang(update, context), bot=context.bot.username))


async def about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Version, sources and the licences of the artwork and fonts."""
    await answer(update, context, services(context).views.about(user_lang(update, context)))


async def browse(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The five class buttons."""
    await answer(update, context, services(context).views.home(user_lang(update, context)))


async def random_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A random card: a way to learn one code a day."""
    await answer(update, context, services(context).views.random_card(user_lang(update, context)))


async def code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/code 404`, `/code not found`; as a reply, explain the codes in the replied-to message."""
    s = services(context)
    lang = user_lang(update, context)
    message = update.effective_message
    query = " ".join(context.args or ())
    replied = message.reply_to_message if message else None
    if not query and replied is not None and (replied.text or replied.caption):
        await answer(update, context, s.views.found_in_message(replied.text or replied.caption or "", lang))
        return
    await answer(update, context, s.views.answer(query, lang), query)


async def lang_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/lang` offers both languages; `/lang zh` picks one at once."""
    s = services(context)
    choice = (context.args or [""])[0].lower()[:2]
    user = update.effective_user
    if choice in ("en", "zh") and user is not None:
        lang: Lang = "zh" if choice == "zh" else "en"
        s.state.set_language(user.id, lang)
        await answer(update, context, s.views.text("lang_set", lang))
        return
    await answer(update, context, s.views.lang_pick(user_lang(update, context)))


# -- messages -------------------------------------------------------------------------------------


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Free text: always in private chats; in groups only when the bot is addressed."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    text = message.text
    if message.chat.type != ChatType.PRIVATE:
        if not addressed(message, context):
            return
        text = without_mention(text, context.bot.username)
    await answer(update, context, services(context).views.answer(text, user_lang(update, context)), text)


async def other_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice… in a private chat: a hint on what to send. Ignored in groups."""
    message = update.effective_message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return
    caption = message.caption
    s = services(context)
    lang = user_lang(update, context)
    await answer(update, context, s.views.answer(caption, lang) if caption else s.views.text("empty", lang))


# -- buttons --------------------------------------------------------------------------------------


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every inline button: parse the data in one place, edit the screen in place, always answer."""
    query = update.callback_query
    if query is None:
        return
    s = services(context)
    lang = user_lang(update, context)
    try:
        action = callbacks.parse(query.data)
    except callbacks.BadCallback:
        await query.answer(t("stale", lang))
        return
    if action.verb == "noop":
        await query.answer()
        return
    if action.verb == "lang" and query.from_user is not None:
        new: Lang = "zh" if action.lang == "zh" else "en"
        s.state.set_language(query.from_user.id, new)
        await query.answer(t("lang_set", new))
        if query.message is not None:
            await s.delivery.edit(context.bot, query.message, s.views.text("lang_set", new))
        return
    reply = s.views.for_action(action, lang)
    if reply is None or query.message is None:
        await query.answer(t("stale", lang))
        return
    await query.answer()
    if action.verb == "details":
        message = query.message
        quote = message.message_id if isinstance(message, Message) else None
        await s.delivery.send(context.bot, message.chat.id, reply, quote=quote)
    else:
        await s.delivery.edit(context.bot, query.message, reply)


async def private_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An unknown command in a private chat: `/404` is read as 404, anything else as a search."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    command, _, rest = message.text.partition(" ")
    query = f"{command[1:].split('@', 1)[0]} {rest}".strip()
    await answer(update, context, services(context).views.answer(query, user_lang(update, context)), query)
