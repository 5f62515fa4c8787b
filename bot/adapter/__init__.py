"""The Telegram adapter: turns updates into screen calls and screens into Bot API calls.

With ops, the only package that imports python-telegram-bot."""
