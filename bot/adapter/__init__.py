"""The Telegram adapter: turns updates into screen calls and screens into Bot API calls. The only package, with
ops, that imports python-telegram-bot."""
