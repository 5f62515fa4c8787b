"""The pure core: the catalogue, search, strings and markup. Imports nothing from Telegram, tornado, Pillow or
Prometheus (import-linter checks it), so the console, `ask` and the bot all share it."""
