"""The webhook server: Telegram posts updates here; load balancers ask `/healthz` and `/readyz`.

PTB's built-in webhook server has no health routes, so this is a small tornado app (tornado comes with
PTB's webhooks extra) that checks the secret header and hands updates to the Application's queue.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from http import HTTPStatus
from urllib.parse import urlsplit

import tornado.web
from telegram import Update
from telegram.ext import Application

from bot.adapter.inbox import Inbox

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few kilobytes; anything much larger is not from Telegram.
MAX_BODY = 1024 * 1024
BODY_TIMEOUT = 10.0  # seconds a client may take to send its request; slow ones are cut off
IDLE_TIMEOUT = 60.0


def url_path(webhook_url: str) -> str:
    """The path Telegram will post to, taken from WEBHOOK_URL (`https://host/telegram` → `/telegram`)."""
    path = urlsplit(webhook_url).path or "/"
    return path if path.startswith("/") else f"/{path}"


@tornado.web.stream_request_body
class UpdateHandler(tornado.web.RequestHandler):
    """POSTed updates: the secret header is checked before any of the body is read; a body over MAX_BODY
    is refused; what is not an update gets 400; an update is queued for the Application."""

    def initialize(self, app: Application, secret: str, inbox: Inbox) -> None:
        self.app = app
        self.secret = secret
        self.inbox = inbox
        self.chunks: list[bytes] = []
        self.size = 0

    def prepare(self) -> None:
        if self.request.method != "POST":
            raise tornado.web.HTTPError(HTTPStatus.METHOD_NOT_ALLOWED)
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("Refused a webhook request without the right secret token")
            self._refuse(HTTPStatus.FORBIDDEN)
            return
        length = self.request.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > MAX_BODY:
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        self.request.connection.set_max_body_size(MAX_BODY)

    def _refuse(self, status: HTTPStatus) -> None:
        """Answer now and close: the body, whatever it holds, is never read."""
        self.set_status(status)
        self.set_header("Connection", "close")
        self.finish()
        self.request.connection.stream.close()

    def data_received(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > MAX_BODY:  # a body sent without Content-Length, or lying about it
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        self.chunks.append(chunk)

    async def post(self) -> None:
        if self._finished:
            return
        body = b"".join(self.chunks)
        try:
            data = json.loads(body)
            update = Update.de_json(data, self.app.bot) if isinstance(data, dict) else None
        except Exception:
            update = None
        if update is None:
            log.info("Refused a webhook body that is not an update (%d bytes)", self.size)
            self.set_status(HTTPStatus.BAD_REQUEST)
            return
        await self.inbox.accept(update, body)  # 200 only once the update is kept (or handled)
        self.set_status(HTTPStatus.OK)


class HealthHandler(tornado.web.RequestHandler):
    """`/healthz`: the process serves HTTP. `/readyz`: the bot is initialised and running; "degraded"
    (still 200: the bot answers) while its store is unreachable."""

    def initialize(self, app: Application, readiness: bool, inbox: Inbox) -> None:
        self.app = app
        self.readiness = readiness
        self.inbox = inbox

    def get(self) -> None:
        ready = self.app.running if self.readiness else True
        self.set_status(HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        if not ready:
            self.finish("starting\n")
        elif self.readiness and self.inbox.store.degraded:
            self.finish(f"degraded: the {self.inbox.store.engine} store is unavailable\n")
        else:
            self.finish("ok\n")


def make_webhook_app(
    app: Application, webhook_url: str, secret: str, inbox: Inbox
) -> tornado.web.Application:
    return tornado.web.Application(
        [
            # Matched literally: tornado reads routes as regular expressions ("/hook+v1", "/t/[x]").
            (re.escape(url_path(webhook_url)), UpdateHandler, {"app": app, "secret": secret, "inbox": inbox}),
            ("/healthz", HealthHandler, {"app": app, "readiness": False, "inbox": inbox}),
            ("/readyz", HealthHandler, {"app": app, "readiness": True, "inbox": inbox}),
        ]
    )
