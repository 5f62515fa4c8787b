"""The webhook server: Telegram posts updates here; load balancers ask `/healthz` and `/readyz`.

PTB's built-in webhook server has no health routes, so this is a small tornado app (tornado comes with
PTB's webhooks extra) that checks the secret header and hands updates to the Application's queue.
"""

from __future__ import annotations

import hmac
import json
import logging
from http import HTTPStatus
from urllib.parse import urlsplit

import tornado.web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def url_path(webhook_url: str) -> str:
    """The path Telegram will post to, taken from WEBHOOK_URL (`https://host/telegram` → `/telegram`)."""
    path = urlsplit(webhook_url).path or "/"
    return path if path.startswith("/") else f"/{path}"


class UpdateHandler(tornado.web.RequestHandler):
    """POSTed updates: refused without the right secret, queued for the Application otherwise."""

    def initialize(self, app: Application, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("Refused a webhook request without the right secret token")
            self.set_status(HTTPStatus.FORBIDDEN)
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError):
            self.set_status(HTTPStatus.BAD_REQUEST)
            return
        if update is None:
            self.set_status(HTTPStatus.BAD_REQUEST)
            return
        await self.app.update_queue.put(update)
        self.set_status(HTTPStatus.OK)


class HealthHandler(tornado.web.RequestHandler):
    """`/healthz`: the process serves HTTP. `/readyz`: the bot is initialised and running."""

    def initialize(self, app: Application, readiness: bool) -> None:
        self.app = app
        self.readiness = readiness

    def get(self) -> None:
        ready = self.app.running if self.readiness else True
        self.set_status(HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("ok\n" if ready else "starting\n")


def make_webhook_app(app: Application, webhook_url: str, secret: str) -> tornado.web.Application:
    return tornado.web.Application(
        [
            (url_path(webhook_url), UpdateHandler, {"app": app, "secret": secret}),
            ("/healthz", HealthHandler, {"app": app, "readiness": False}),
            ("/readyz", HealthHandler, {"app": app, "readiness": True}),
        ]
    )
