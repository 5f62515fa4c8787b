"""The cheapest bot that gives the same answers as ours: the yardstick for `benchmarks/bench.py`.

It answers each `/code` text the driver sends with the very card the real bot sends for it (the same
picture, caption and keyboard, precomputed by the driver from the real bot's views), quoting the asker,
each picture sent by the file_id it got on its first upload. So Telegram's side of the work (encoding
the request, parsing the returned Message and its caption entities) is the same size as the real bot's,
and what the real bot spends beyond this is its own logic.

It is built with the same options as `bot.adapter.application.build_application` where they cost anything per
update: HTTPXRequest with the same pool and timeouts, AIORateLimiter(max_retries=3),
concurrent_updates(16), long polling with the same timeout and allowed_updates.

Run by the driver as `python benchmarks/minimal_bot.py REPLIES_JSON` with TELEGRAM_BOT_TOKEN and
TELEGRAM_API_URL set, REPLIES_JSON mapping each message text to {caption, keyboard, photo}; SIGTERM
stops it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from telegram import InlineKeyboardMarkup, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

POLL_TIMEOUT = 30  # as bot.adapter.application.POLL_TIMEOUT


def build(
    replies_path: str, token: str, api_root: str, overall_rate: float = 30.0
) -> tuple[Application, Callable[[], None]]:
    """The minimal bot's Application, and what `run_polling` takes; `overall_rate` only for
    `cpu_pairs.py`, which lifts the 30 messages a second for both bots alike."""
    replies = {
        text: (reply["caption"], InlineKeyboardMarkup.de_json(reply["keyboard"], None), Path(reply["photo"]))
        for text, reply in json.loads(Path(replies_path).read_text(encoding="utf-8")).items()
    }
    file_ids: dict[Path, str] = {}  # each picture's file_id, once its first upload returned it

    async def code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        reply = replies.get(message.text) if message is not None and message.text else None
        if message is None or reply is None:
            return
        caption, keyboard, photo = reply
        sent = await context.bot.send_photo(
            message.chat_id,
            file_ids.get(photo) or photo.read_bytes(),
            caption=caption,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
            reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True),
            filename=photo.name,
        )
        if photo not in file_ids and sent.photo:
            file_ids[photo] = sent.photo[-1].file_id

    api_root = api_root.rstrip("/")
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_root}/bot")
        .base_file_url(f"{api_root}/file/bot")
        .request(HTTPXRequest(connection_pool_size=32, connect_timeout=10, read_timeout=15))
        .get_updates_request(HTTPXRequest(connect_timeout=10, read_timeout=POLL_TIMEOUT + 10))
        .rate_limiter(AIORateLimiter(overall_max_rate=overall_rate, max_retries=3))
        .concurrent_updates(16)
        .build()
    )
    app.add_handler(CommandHandler("code", code))
    return app, lambda: app.run_polling(timeout=POLL_TIMEOUT, allowed_updates=Update.ALL_TYPES)


def main(replies_path: str) -> None:
    _, run = build(replies_path, os.environ["TELEGRAM_BOT_TOKEN"], os.environ["TELEGRAM_API_URL"])
    run()


if __name__ == "__main__":
    main(sys.argv[1])
