"""Settings from the environment and `.env`, validated once at start.

A wrong value stops the program with one line naming the variable (never echoing its value: it may be
the token).
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Telegram takes 1-256 characters; we ask for 16 or more: a short secret can be guessed, and the log
# scrubber would blank every occurrence of it in ordinary text, which gives it away.
MIN_SECRET = 16


def default_state_dir() -> Path:
    """A per-user state folder: $XDG_STATE_HOME/http-status-bot, or ~/.local/state/http-status-bot."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "http-status-bot"


class SettingsError(Exception):
    """One line for the operator: which variable is wrong and why."""


class Settings(BaseSettings):
    """Everything an operator can set. Names are the environment variables, upper-cased."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = Field("https://api.telegram.org", pattern=r"^https?://[^\s/]+(:\d+)?(/[^\s]*)?$")
    telegram_proxy: str | None = Field(None, pattern=r"^(https?|socks5h?)://[^\s]+$")
    bot_mode: Literal["polling", "webhook"] = "polling"
    # https for Telegram's servers; a self-hosted `telegram-bot-api --local` also posts to plain http.
    webhook_url: str | None = Field(None, pattern=r"^https?://[^\s/]+[^\s]*$")
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    bot_state_dir: Path = Field(default_factory=default_state_dir)
    bot_default_language: Literal["en", "zh"] = "en"
    bot_illustrations_dir: Path | None = None
    bot_allowed_chats: Annotated[frozenset[int], NoDecode] = frozenset()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    metrics_port: int = Field(0, ge=0, le=65535)
    metrics_listen: str = "127.0.0.1"
    # Keep the texts of queries that found nothing (cut short, no user ids) in BOT_STATE_DIR/misses.jsonl,
    # for `python -m bot misses`. Off by default: they are what users typed.
    bot_record_misses: bool = False
    # How long to keep retrying, at start, a Bot API server that does not answer (it may be starting too).
    bot_startup_retry: float = Field(60.0, ge=0, le=3600)
    # Redis for state shared by several replicas (redis://[:password@]host:6379/0, rediss:// for TLS,
    # unix:///path.sock); unset: SQLite in BOT_STATE_DIR. Secret: it may hold a password.
    bot_store_url: SecretStr | None = None
    # This replica's name in the shared store, unique per replica (a pod's or container's host name).
    bot_replica_id: str = Field(default_factory=socket.gethostname, min_length=1, max_length=100)
    # Messages a second the bot sends into one private chat: Telegram allows about one.
    bot_private_chat_rate: float = Field(1.0, gt=0, le=100)

    @field_validator(
        "telegram_bot_token",
        "webhook_secret",
        "telegram_proxy",
        "webhook_url",
        "bot_store_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("bot_state_dir", mode="before")
    @classmethod
    def _state_dir_not_blank(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty: name a folder, or leave it unset for the default")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_port(cls, value: str) -> str:
        from urllib.parse import urlsplit

        try:
            urlsplit(value).port  # noqa: B018 - raises for a port outside 0-65535
        except ValueError:
            raise ValueError("has a port outside 1-65535") from None
        return value

    @field_validator("bot_illustrations_dir", mode="before")
    @classmethod
    def _blank_dir_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("bot_allowed_chats", mode="before")
    @classmethod
    def _chat_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(re.fullmatch(r"-?\d+", p) for p in parts):
                raise ValueError("must be comma-separated chat ids such as -1001234567890,42")
            return frozenset(int(p) for p in parts)
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN.fullmatch(value.get_secret_value().strip()):
            raise ValueError("does not look like a token from @BotFather (digits, a colon, then letters)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        if value is not None and len(value.get_secret_value()) < MIN_SECRET:
            raise ValueError(f"must be at least {MIN_SECRET} characters, so it cannot be guessed")
        return value

    @field_validator("bot_store_url")
    @classmethod
    def _store_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.match(r"(rediss?|unix)://", value.get_secret_value()):
            raise ValueError(
                "must start with redis://, rediss:// or unix:// (unset: SQLite in BOT_STATE_DIR)"
            )
        return value

    @model_validator(mode="after")
    def _webhook_needs(self) -> Settings:
        if self.bot_mode == "webhook":
            if self.webhook_url is None:
                raise ValueError("WEBHOOK_URL is required when BOT_MODE=webhook")
            if self.webhook_secret is None:
                raise ValueError("WEBHOOK_SECRET is required when BOT_MODE=webhook")
        return self

    @property
    def token(self) -> str | None:
        return self.telegram_bot_token.get_secret_value().strip() if self.telegram_bot_token else None

    @property
    def store_url(self) -> str | None:
        return self.bot_store_url.get_secret_value() if self.bot_store_url else None

    @property
    def store_secrets(self) -> list[str]:
        """The store URL's password, for the log scrubber."""
        from urllib.parse import unquote, urlsplit

        if not self.store_url:
            return []
        parts = urlsplit(self.store_url)
        return [unquote(parts.password)] if parts.password and len(parts.password) >= 4 else []

    @property
    def api_root(self) -> str:
        return self.telegram_api_url.rstrip("/")

    @property
    def plain_http_webhook_risk(self) -> bool:
        """A plain-http WEBHOOK_URL on a public host while talking to Telegram's own servers (which refuse
        it): worth a warning at start. Loopback, private hosts and self-hosted Bot API servers are fine."""
        import ipaddress
        from urllib.parse import urlsplit

        if not self.webhook_url or not self.webhook_url.startswith("http://"):
            return False
        if urlsplit(self.api_root).hostname != "api.telegram.org":
            return False
        host = urlsplit(self.webhook_url).hostname or ""
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return host not in ("localhost",) and not host.endswith((".local", ".internal", ".lan"))
        return not (address.is_loopback or address.is_private)


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a bad one raises SettingsError with a single line for the operator."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except UnicodeDecodeError:
        raise SettingsError("The .env file is not UTF-8 text: save it as UTF-8") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first["loc"]]
        name = loc[0].upper() if loc else ""
        message = first["msg"].removeprefix("Value error, ")
        where = f" {name}" if name else ""
        raise SettingsError(f"Invalid setting{where}: {message}") from None
