"""The cheapest bot that gives the same answer as ours: the yardstick for `benchmarks/bench.py`.

It answers every `/code` with one fixed photo, sent by the file_id it got on its first upload, with a
fixed caption and keyboard that the driver precomputed (the real bot's 404 card), quoting the asker.
So Telegram's side of the work (encoding the request, parsing the returned Message) is the same size
as the real bot's, and what the real bot spends beyond this is its own logic.

It is built with the same options as `bot.adapter.application.build_application` where they cost anything per
update: HTTPXRequest with the same pool and timeouts, AIORateLimiter(max_retries=3),
concurrent_updates(16), long polling with the same timeout and allowed_updates.

Run by the driver as `python benchmarks/minimal_bot.py REPLY_JSON PHOTO` with TELEGRAM_BOT_TOKEN and
TELEGRAM_API_URL set; SIGTERM stops it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from telegram import InlineKeyboardMarkup, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, ApplicationBuilder, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

POLL_TIMEOUT = 30  # as bot.adapter.application.POLL_TIMEOUT


def main(reply_path: str, photo_path: str) -> None:
    reply = json.loads(Path(reply_path).read_text(encoding="utf-8"))
    caption: str = reply["caption"]
    keyboard = InlineKeyboardMarkup.de_json(reply["keyboard"], None)
    photo = Path(photo_path).read_bytes()
    file_id: list[str] = []  # the one cached file_id, once the first upload returned it

    async def code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        sent = await context.bot.send_photo(
            message.chat_id,
            file_id[0] if file_id else photo,
            caption=caption,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
            reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True),
            filename="404.jpg",
        )
        if not file_id and sent.photo:
            file_id.append(sent.photo[-1].file_id)

    api_root = os.environ["TELEGRAM_API_URL"].rstrip("/")
    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{api_root}/bot")
        .base_file_url(f"{api_root}/file/bot")
        .request(HTTPXRequest(connection_pool_size=32, connect_timeout=10, read_timeout=15))
        .get_updates_request(HTTPXRequest(connect_timeout=10, read_timeout=POLL_TIMEOUT + 10))
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(16)
        .build()
    )
    app.add_handler(CommandHandler("code", code))
    app.run_polling(timeout=POLL_TIMEOUT, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main(*sys.argv[1:3])
