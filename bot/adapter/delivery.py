"""Turns a `Reply` into Telegram calls: send or edit, upload a picture once and reuse its file_id.

The file_id cache is keyed by the picture's content, so a replaced picture is uploaded again; a file_id
that Telegram rejects is forgotten and the picture uploaded anew.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    MaybeInaccessibleMessage,
    Message,
    ReplyParameters,
    SwitchInlineQueryChosenChat,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.art.illustrations import Illustrations, Picture
from bot.core.markup import visible_text
from bot.screens.keyboards import Button, Keyboard
from bot.screens.views import Reply
from bot.store import Store

log = logging.getLogger(__name__)

# Telegram's words for "that file_id is no good here"; anything else is a real error.
_BAD_FILE = re.compile(r"wrong file identifier|file_id|file reference|wrong remote file|FILE_", re.IGNORECASE)


@functools.lru_cache(maxsize=512)
def markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    """Our keyboard data as Telegram's InlineKeyboardMarkup, built once per keyboard (both are immutable)."""
    if not keyboard:
        return None
    return InlineKeyboardMarkup([[_button(b) for b in row] for row in keyboard])


def _button(b: Button) -> InlineKeyboardButton:
    if b.url is not None:
        return InlineKeyboardButton(b.text, url=b.url)
    if b.share is not None:
        return InlineKeyboardButton(
            b.text,
            switch_inline_query_chosen_chat=SwitchInlineQueryChosenChat(
                query=b.share, allow_user_chats=True, allow_group_chats=True, allow_channel_chats=True
            ),
        )
    return InlineKeyboardButton(b.text, callback_data=b.callback)


@dataclass
class Delivery:
    """Sends and edits replies for one bot."""

    store: Store
    illustrations: Illustrations
    # One upload per picture even when several chats ask for it at the same moment.
    _uploads: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def _picture(self, reply: Reply) -> Picture | None:
        """The reply's picture; a user picture not checked yet is decoded in a thread, not on the loop."""
        if not reply.picture:
            return None
        if self.illustrations.ready(reply.picture):
            return self.illustrations.picture(reply.picture)
        return await asyncio.to_thread(self.illustrations.picture, reply.picture)

    async def _with_file_id(
        self, picture: Picture, call: Callable[[object], Awaitable[Message | bool]]
    ) -> Message | bool:
        """Run `call(photo)` with the cached file_id; upload instead when there is none or it is refused."""
        file_id = await self.store.file_id(picture.key)
        if file_id is None:
            async with self._uploads.setdefault(picture.key, asyncio.Lock()):
                file_id = await self.store.file_id(picture.key)  # uploaded while we waited?
                if file_id is None:
                    return await self._upload(picture, call)
        try:
            return await call(file_id)
        except BadRequest as exc:
            if not _BAD_FILE.search(exc.message):
                raise
            log.warning("Telegram rejected the cached picture %s (%s); uploading it again", picture.key, exc)
            await self.store.forget_file_id(picture.key)
        return await self._upload(picture, call)

    async def _upload(
        self, picture: Picture, call: Callable[[object], Awaitable[Message | bool]]
    ) -> Message | bool:
        result = await call(picture.read())
        if isinstance(result, Message) and result.photo:
            await self.store.remember_file_id(picture.key, result.photo[-1].file_id)
        return result

    async def send(
        self, bot: Bot, chat_id: int, reply: Reply, *, quote: int | None = None, thread_id: int | None = None
    ) -> Message:
        """Send a new message, replying to `quote` when given (the asker's message)."""
        parameters = ReplyParameters(quote, allow_sending_without_reply=True) if quote else None
        keyboard = markup(reply.keyboard)
        picture = await self._picture(reply)
        if picture is None:
            return await bot.send_message(
                chat_id,
                reply.text,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
                reply_parameters=parameters,
                message_thread_id=thread_id,
                disable_web_page_preview=True,
            )

        async def send_photo(photo: object) -> Message:
            return await bot.send_photo(
                chat_id,
                photo,  # type: ignore[arg-type]
                caption=reply.text,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
                reply_parameters=parameters,
                message_thread_id=thread_id,
                filename=picture.filename,
            )

        result = await self._with_file_id(picture, send_photo)
        assert isinstance(result, Message)
        return result

    async def edit(self, bot: Bot, message: MaybeInaccessibleMessage, reply: Reply) -> Message | bool:
        """Show `reply` in place of `message`, or below it where Telegram cannot turn one into the other."""
        if not isinstance(message, Message):
            return await self.send(bot, message.chat.id, reply)
        keyboard = markup(reply.keyboard)
        picture = await self._picture(reply)
        shown = message.caption if message.photo else message.text
        if visible_text(reply.text).strip() == (shown or "").strip() and keyboard == message.reply_markup:
            return message  # the same screen: editing would only earn "message is not modified"
        if picture is not None and message.photo:

            async def edit_media(photo: object) -> Message | bool:
                media = InputMediaPhoto(
                    photo,  # type: ignore[arg-type]
                    caption=reply.text,
                    parse_mode=ParseMode.HTML,
                    filename=picture.filename,
                )
                return await bot.edit_message_media(
                    media, chat_id=message.chat.id, message_id=message.message_id, reply_markup=keyboard
                )

            return await self._with_file_id(picture, edit_media)
        if picture is None and message.text is not None:
            return await bot.edit_message_text(
                reply.text,
                chat_id=message.chat.id,
                message_id=message.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
                disable_web_page_preview=True,
            )
        # A text message cannot become a photo (or the reverse): answer below it instead.
        return await self.send(bot, message.chat.id, reply, thread_id=_thread(message))


def _thread(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None
