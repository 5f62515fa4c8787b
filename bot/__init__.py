"""HTTP Status Bot: explains HTTP status codes in Telegram, in English and Chinese."""

__version__ = "1.0.0"
