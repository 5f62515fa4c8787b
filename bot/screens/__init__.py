"""Screens: what the bot answers, as plain data (text, picture name, keyboard, what changes).

Built from the core only; the Telegram adapter and the offline console only deliver them."""
