"""The one factory: `build_application(settings)` makes the configured Application for `python -m bot`,
for the end-to-end tests and for the benchmark alike."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram import BotCommand, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.adapter import handlers, inline
from bot.adapter.context import CONTEXT_TYPES, SERVICES_KEY, BotContext, services_of
from bot.adapter.delivery import Delivery
from bot.adapter.fairness import ChatRateLimiter, FairUpdateProcessor
from bot.adapter.inbox import Inbox
from bot.adapter.requests import ApiRequest, UpdatesRequest, refused_method
from bot.adapter.services import Services
from bot.art.illustrations import Illustrations
from bot.core.catalogue import Catalogue, load_catalogue
from bot.core.i18n import load_strings, t
from bot.core.lang import LANGS, choose, telegram_lang
from bot.core.markup import HTML
from bot.core.search import Searcher
from bot.ops.activity import SLOW
from bot.ops.metrics import MISSES_FILE, Metrics, MissRecorder
from bot.ops.settings import Settings, SettingsError
from bot.screens.views import COMMANDS, Views
from bot.store import open_store

log = logging.getLogger(__name__)

POLL_TIMEOUT = 30  # seconds a getUpdates long poll waits on Telegram's side
CONCURRENT_UPDATES = 16  # updates handled at once, at most one per chat (FairUpdateProcessor)


def build_services(
    settings: Settings, catalogue: Catalogue | None = None, searcher: Searcher | None = None
) -> Services:
    """Load and index everything once, before the first update. A catalogue and searcher built already
    (by the tests, which start many bots) may be passed in; they hold no state of their own."""
    catalogue = catalogue or (searcher.catalogue if searcher else load_catalogue())
    load_strings()
    searcher = searcher or Searcher.load(catalogue)
    store = open_store(settings.bot_state_dir, settings.store_url, settings.bot_replica_id)
    illustrations = Illustrations(catalogue.codes, settings.bot_illustrations_dir)
    return Services(
        settings=settings,
        catalogue=catalogue,
        searcher=searcher,
        views=Views(catalogue, searcher, HTML),
        store=store,
        inbox=Inbox(store),
        illustrations=illustrations,
        delivery=Delivery(store, illustrations),
        metrics=Metrics(
            MissRecorder(settings.bot_state_dir / MISSES_FILE) if settings.bot_record_misses else None
        ),
    )


def build_application(
    settings: Settings, *, catalogue: Catalogue | None = None, searcher: Searcher | None = None
) -> Application:
    """The configured Application: API root, proxy, rate limiter, handlers, services."""
    token = settings.token
    if not token:
        raise SettingsError("Invalid setting TELEGRAM_BOT_TOKEN: not set")
    services = build_services(settings, catalogue, searcher)
    proxy = settings.telegram_proxy
    request = ApiRequest(
        services.metrics,
        services.reject_token,
        connection_pool_size=32,
        proxy=proxy,
        connect_timeout=10,
        read_timeout=15,
    )
    updates_request = UpdatesRequest(
        services.metrics,
        services.reject_token,
        on_answer=services.beat,  # each answered getUpdates proves polling is alive
        inbox=services.inbox,
        proxy=proxy,
        connect_timeout=10,
        read_timeout=POLL_TIMEOUT + 10,
    )
    processor = FairUpdateProcessor(CONCURRENT_UPDATES)
    app = (
        ApplicationBuilder()
        .application_class(TimedApplication)
        .context_types(CONTEXT_TYPES)
        .token(token)
        .base_url(f"{settings.api_root}/bot")
        .base_file_url(f"{settings.api_root}/file/bot")
        .request(request)
        .get_updates_request(updates_request)
        .rate_limiter(ChatRateLimiter(settings.bot_private_chat_rate, max_retries=3))
        .concurrent_updates(processor)
        .post_init(_post_init)
        .build()
    )
    app.bot_data[SERVICES_KEY] = services
    services.inbox.app = app
    processor.on_flood = lambda update: _slow_down(app, update)
    _register(app)
    return app


def _register(app: Application) -> None:
    """All handlers in one place. Groups run in order; ApplicationHandlerStop ends the chain."""
    # -1: refuse chats that are not allowed, before anything else (only when BOT_ALLOWED_CHATS is set:
    # otherwise it would cost every update a handler call for nothing).
    if services_of(app).settings.bot_allowed_chats:
        app.add_handler(TypeHandler(Update, handlers.only_allowed_chats), group=-1)

    new_messages = filters.UpdateType.MESSAGE  # edited messages are not answered twice
    # The menu commands (also `/code@BotName` in groups); Views.command routes them.
    app.add_handler(CommandHandler(COMMANDS, handlers.command, filters=new_messages))
    app.add_handler(CallbackQueryHandler(handlers.button))
    app.add_handler(InlineQueryHandler(inline.inline_query))
    # `/404` in a private chat reads as a lookup; unknown commands in groups may belong to other bots.
    app.add_handler(
        MessageHandler(new_messages & filters.ChatType.PRIVATE & filters.COMMAND, handlers.command)
    )
    app.add_handler(MessageHandler(new_messages & filters.TEXT & ~filters.COMMAND, handlers.text_message))
    app.add_handler(
        MessageHandler(new_messages & ~filters.TEXT & ~filters.StatusUpdate.ALL, handlers.other_message)
    )

    app.add_error_handler(_error)


async def _slow_down(app: Application, update: Update) -> None:
    """Tell a chat that floods the bot, once, that its messages are answered in turn."""
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    services = services_of(app)
    user = update.effective_user
    lang = (await services.store.language(user.id) if user else None) or telegram_lang(
        user.language_code if user else None, services.settings.bot_default_language
    )
    with contextlib.suppress(TelegramError):
        await app.bot.send_message(chat.id, t("slow_down", lang))


async def _post_init(app: Application) -> None:
    """Check the user's own pictures (in a thread: decoding is slow) and register the command menu in
    both languages; a failure here must not stop the bot."""
    await asyncio.to_thread(services_of(app).illustrations.prepare)
    for lang in LANGS:
        commands = [BotCommand(c, t(f"cmd_{c}", lang)) for c in COMMANDS]
        try:
            # English is the menu for every language Telegram has no menu of ours for.
            await app.bot.set_my_commands(commands, language_code=choose(lang, None, lang))
        except TelegramError as exc:
            log.warning("Could not register the %s command menu: %s", lang, exc)


class TimedApplication(Application):
    """Counts, times and logs every update around all its handlers, whichever of them stops it, and
    marks it done in the inbox; repeats of updates kept before are skipped."""

    async def process_update(self, update: object) -> None:
        services = services_of(self)
        if isinstance(update, Update) and update.update_id in services.inbox.repeats:
            services.inbox.repeats.discard(update.update_id)  # handled already, or being handled
            return
        started = time.perf_counter()
        try:
            await super().process_update(update)
        finally:
            if isinstance(update, Update):
                _record(services, update, time.perf_counter() - started)
                services.inbox.finished(update)


def _record(services: Services, update: Update, seconds: float) -> None:
    """Counted in the metrics and the log's summary; a line of its own at DEBUG, or at INFO when slow
    (bot/ops/activity.py says why). The kind and the chat type, nothing personal."""
    kind = update_kind(update)
    chat = update.effective_chat
    chat_type = chat.type if chat else "none"
    services.metrics.update(kind, seconds)
    services.activity.add(kind, chat_type, seconds)
    level = logging.INFO if seconds >= SLOW else logging.DEBUG
    if log.isEnabledFor(level):
        log.log(
            level,
            "handled %s in %s chat in %.1f ms",
            kind,
            chat_type,
            seconds * 1000,
            extra={"update_kind": kind, "chat_type": chat_type, "seconds": round(seconds, 4)},
        )


def update_kind(update: Update) -> str:
    """`message`, `callback_query`, `inline_query`…: the first field set on the update."""
    for name in (
        "message",
        "callback_query",
        "inline_query",
        "edited_message",
        "channel_post",
        "my_chat_member",
    ):
        if getattr(update, name, None) is not None:
            return name
    return "other"


async def _error(update: object, context: BotContext) -> None:
    """Log every failure; Telegram's passing troubles never stop the bot. A refused request (400) is our
    bug, not Telegram's weather: an error, with the method."""
    error = context.error
    if isinstance(error, BadRequest):  # a NetworkError subclass in python-telegram-bot: test it first
        log.error("Telegram refused %s: %s", refused_method.get() or "a request", error)
    elif isinstance(error, (NetworkError, TimedOut, RetryAfter)):
        log.warning("Telegram is unreachable or busy: %s", error)
    else:
        log.error("Update failed", exc_info=error)
    query = update.callback_query if isinstance(update, Update) else None
    if query is not None and not context.services.answered(query.id):
        with contextlib.suppress(TelegramError):
            await query.answer()
