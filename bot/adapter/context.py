"""A typed `CallbackContext`: handlers reach the shared services as `context.services`, not through an
untyped `bot_data` lookup (python-telegram-bot's `ContextTypes(context=...)`, as in its contexttypesbot
example).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

if TYPE_CHECKING:
    from bot.adapter.services import Services

SERVICES_KEY = "services"


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """The context every handler of this bot receives."""

    @property
    def services(self) -> Services:
        return services_of(self.application)


def services_of(application: Application) -> Services:
    """The services one Application was built with (set once by `build_application`)."""
    return application.bot_data[SERVICES_KEY]


CONTEXT_TYPES = ContextTypes(context=BotContext)
