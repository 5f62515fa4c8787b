"""Runs the Application until SIGINT/SIGTERM, in polling or webhook mode, and exits 0 when asked to stop."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import threading
from urllib.parse import urlsplit

from prometheus_client import start_http_server
from telegram import Update
from telegram.error import InvalidToken, NetworkError, TimedOut
from telegram.ext import Application

from bot.adapter.application import POLL_TIMEOUT, build_application
from bot.adapter.context import services_of
from bot.adapter.services import Services
from bot.ops.activity import SUMMARY_EVERY
from bot.ops.heartbeat import Heartbeat, heartbeat_paths
from bot.ops.logs import setup_logging
from bot.ops.settings import Settings

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The bot cannot run as configured: one line for the operator, and the exit code."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def secrets_of(settings: Settings) -> list[str]:
    secrets = [settings.token or ""]
    if settings.webhook_secret:
        secrets.append(settings.webhook_secret.get_secret_value())
    secrets += settings.store_secrets
    return [s for s in secrets if s]


def scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "<secret>")
    return text


def run(settings: Settings) -> int:
    """The blocking entry of `python -m bot run`: whatever goes wrong ends in one line, never a secret."""
    secrets = secrets_of(settings)
    setup_logging(settings.log_level, settings.log_format, secrets)
    try:
        app = build_application(settings)
        settle_heap()
        return asyncio.run(serve(app, settings))
    except StartupError:
        raise
    except InvalidToken:
        raise StartupError(
            "the Bot API server rejected TELEGRAM_BOT_TOKEN: check it with @BotFather "
            "(or TELEGRAM_API_URL, if you run your own Bot API server)"
        ) from None
    except Exception as exc:  # the last stop before a traceback would print the token
        log.debug("Stopped by an unexpected error", exc_info=True)
        raise StartupError(f"unexpected {type(exc).__name__}: {scrub(str(exc), secrets)}", 1) from None


def settle_heap() -> int:
    """Set what start-up built (the catalogue, its indexes, python-telegram-bot's classes: it lives as
    long as the process) outside the garbage collector's reach, once start-up's own garbage is gone, so
    a full collection scans only what serving made since: a pause of a few milliseconds, not 50.
    Returns how many objects were set aside."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


async def serve(
    app: Application,
    settings: Settings,
    stop: asyncio.Event | None = None,
    *,
    poll_timeout: int = POLL_TIMEOUT,
) -> int:
    """Start, serve until `stop` is set (or a signal arrives), then shut down cleanly."""
    stop = stop or asyncio.Event()
    # asyncio can only take signals in the main thread of a POSIX process (tests run serve() elsewhere).
    if os.name == "posix" and threading.current_thread() is threading.main_thread():
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    services = services_of(app)
    exit_code = 0

    def shutdown(code: int) -> None:
        nonlocal exit_code
        if code:
            log.error(
                "The Bot API server rejected TELEGRAM_BOT_TOKEN (revoked?); stopping with exit code %d", code
            )
        exit_code = exit_code or code
        stop.set()

    services.shutdown = shutdown
    metrics_server = None
    if settings.metrics_port:
        try:
            metrics_server, _ = start_http_server(
                settings.metrics_port, settings.metrics_listen, registry=services.metrics.registry
            )
        except OSError as exc:
            where = f"METRICS_LISTEN={settings.metrics_listen} METRICS_PORT={settings.metrics_port}"
            raise StartupError(f"cannot serve metrics on {where}: {exc.strerror or exc}") from None
        log.info("Metrics on http://%s:%d/metrics", settings.metrics_listen, settings.metrics_port)
    try:
        code = await _serve(app, settings, stop, services, poll_timeout)
        return exit_code or code
    finally:
        if metrics_server is not None:  # free the port: a restart in the same process binds it again
            metrics_server.shutdown()
            metrics_server.server_close()


async def _serve(
    app: Application, settings: Settings, stop: asyncio.Event, services: Services, poll_timeout: int
) -> int:
    server = None
    await services.store.open()
    if services.store.degraded:
        log.warning("Running with the %s store degraded: see the warning above", services.store.engine)
    await _initialize(app, settings)
    async with app:
        if app.post_init is not None:  # only Application.run_* call it themselves
            await app.post_init(app)
        # What the last run acknowledged and never finished goes first, before any new update.
        services.store.on_unfinished = services.inbox.hand_over
        await services.inbox.replay()
        if settings.bot_mode == "webhook":
            server = await _start_webhook(app, settings)
        else:
            await _start_polling(app, settings, poll_timeout)
        await app.start()
        log.info("Bot @%s is running (%s mode)", app.bot.username, settings.bot_mode)
        summaries = asyncio.create_task(_summarise(services))
        await stop.wait()
        summaries.cancel()
        log.info("Stopping")
        if server is not None:
            server.stop()
        if app.updater and app.updater.running:
            try:
                await app.updater.stop()  # its last getUpdates confirms what was handled
            except InvalidToken:
                if not services.token_rejected:
                    raise  # (a token revoked meanwhile is why we stop: nothing left to confirm)
        await app.stop()
    await services.store.close()
    if services.metrics.recorder is not None:
        services.metrics.recorder.close()
    _log_summary(services)  # what was handled while stopping
    return 0


async def _summarise(services: Services) -> None:
    """Log what was handled every SUMMARY_EVERY seconds (when anything was), until cancelled."""
    while True:
        await asyncio.sleep(SUMMARY_EVERY)
        _log_summary(services)


def _log_summary(services: Services) -> None:
    summary = services.activity.summary()
    if summary is not None:
        message, args, fields = summary
        log.info(message, *args, extra=fields)


async def _initialize(app: Application, settings: Settings) -> None:
    """Reach the Bot API (getMe), retrying with backoff while it is down, for BOT_STARTUP_RETRY seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.bot_startup_retry
    delay = 1.0
    while True:
        try:
            await app.initialize()
            return
        except InvalidToken:
            raise
        except (NetworkError, TimedOut) as exc:
            if loop.time() + delay > deadline:
                host = urlsplit(settings.api_root).hostname
                raise StartupError(
                    f"cannot reach the Bot API server at TELEGRAM_API_URL (host {host}): {exc}", 1
                ) from None
            log.warning("The Bot API server is unreachable (%s); retrying in %.0f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


async def _start_polling(app: Application, settings: Settings, poll_timeout: int) -> None:
    heartbeat = Heartbeat(heartbeat_paths(settings))
    heartbeat()
    services_of(app).heartbeat = heartbeat
    assert app.updater is not None
    await app.updater.start_polling(
        timeout=poll_timeout, allowed_updates=Update.ALL_TYPES, error_callback=_polling_error
    )


def _polling_error(error: Exception) -> None:
    log.warning("getUpdates failed, retrying: %s", error)


async def _start_webhook(app: Application, settings: Settings):
    from tornado.httpserver import HTTPServer

    from bot.ops.webhook import BODY_TIMEOUT, IDLE_TIMEOUT, MAX_BODY, make_webhook_app

    assert settings.webhook_url is not None and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    if settings.plain_http_webhook_risk:
        log.warning("WEBHOOK_URL is plain http on a public host: Telegram's servers only post to https")
    server = HTTPServer(
        make_webhook_app(app, settings.webhook_url, secret, services_of(app).inbox),
        max_body_size=MAX_BODY,
        body_timeout=BODY_TIMEOUT,
        idle_connection_timeout=IDLE_TIMEOUT,
    )
    try:
        server.listen(settings.webhook_port, settings.webhook_listen)
    except OSError as exc:  # a busy port, or an address this machine does not have
        where = f"WEBHOOK_LISTEN={settings.webhook_listen} WEBHOOK_PORT={settings.webhook_port}"
        raise StartupError(f"cannot listen on {where}: {exc.strerror or exc}") from None
    await app.bot.set_webhook(settings.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
    log.info("Webhook server on %s:%d", settings.webhook_listen, settings.webhook_port)
    return server
