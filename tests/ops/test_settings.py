"""Settings: defaults, validation with one clear line, and the token kept secret."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ops.settings import SettingsError, load_settings

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in list(__import__("os").environ):
        if name.startswith(("TELEGRAM_", "BOT_", "WEBHOOK_", "LOG_", "METRICS_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults():
    s = load_settings()
    assert s.token is None
    assert s.api_root == "https://api.telegram.org"
    assert s.bot_mode == "polling" and s.bot_default_language == "en"
    assert s.webhook_listen == "0.0.0.0" and s.webhook_port == 8443
    assert s.bot_allowed_chats == frozenset()


def test_a_dotenv_file_is_read(tmp_path):
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nBOT_DEFAULT_LANGUAGE=zh\n")
    s = load_settings()
    assert s.token == TOKEN and s.bot_default_language == "zh"


def test_allowed_chats_are_comma_separated_ids(monkeypatch):
    monkeypatch.setenv("BOT_ALLOWED_CHATS", "-1001234567890, 42")
    assert load_settings().bot_allowed_chats == {-1001234567890, 42}


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"WEBHOOK_PORT": "eighty"}, "WEBHOOK_PORT"),
        ({"BOT_MODE": "push"}, "BOT_MODE"),
        ({"BOT_DEFAULT_LANGUAGE": "fr"}, "BOT_DEFAULT_LANGUAGE"),
        ({"TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL"),
        ({"TELEGRAM_PROXY": "proxy.local:3128"}, "TELEGRAM_PROXY"),
        ({"BOT_ALLOWED_CHATS": "team"}, "BOT_ALLOWED_CHATS"),
        ({"BOT_MODE": "webhook", "WEBHOOK_SECRET": "s3cret-long-enough-1"}, "WEBHOOK_URL"),
        ({"BOT_MODE": "webhook", "WEBHOOK_URL": "https://bot.example.com/hook"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_SECRET": "has spaces"}, "WEBHOOK_SECRET"),
    ],
)
def test_a_wrong_setting_is_one_line_naming_the_variable(monkeypatch, env, variable):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    assert variable in message and "\n" not in message


def test_a_malformed_token_is_refused_without_echoing_it(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not-a-token-secret-value")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "TELEGRAM_BOT_TOKEN" in str(error.value)
    assert "secret-value" not in str(error.value)


def test_the_token_is_hidden_in_repr(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    s = load_settings()
    assert TOKEN not in repr(s) and TOKEN not in str(s.model_dump())


@given(
    st.dictionaries(
        st.sampled_from(["WEBHOOK_PORT", "BOT_MODE", "BOT_ALLOWED_CHATS", "LOG_LEVEL", "TELEGRAM_API_URL"]),
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
        ),
    )
)
def test_settings_parsing_only_ever_raises_settings_error(env):
    import os

    saved = {k: os.environ.get(k) for k in env}
    try:
        os.environ.update(env)
        try:
            load_settings(_env_file=None)
        except SettingsError as exc:
            assert "\n" not in str(exc)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_a_short_webhook_secret_is_refused_naming_the_variable():
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET: must be at least 16 characters"):
        load_settings(
            _env_file=None, bot_mode="webhook", webhook_url="https://x.example/h", webhook_secret="a"
        )


@pytest.mark.parametrize(
    ("url", "api", "risky"),
    [
        ("http://127.0.0.1:8081/hook", "https://api.telegram.org", False),
        ("http://10.0.0.5/hook", "https://api.telegram.org", False),
        ("http://bot.example.com/hook", "http://127.0.0.1:8081", False),  # a self-hosted Bot API server
        ("http://bot.example.com/hook", "https://api.telegram.org", True),
        ("https://bot.example.com/hook", "https://api.telegram.org", False),
    ],
)
def test_plain_http_webhooks_are_allowed_and_warned_about_only_where_telegram_would_refuse(url, api, risky):
    settings = load_settings(
        _env_file=None,
        bot_mode="webhook",
        webhook_url=url,
        webhook_secret="0123456789abcdef",
        telegram_api_url=api,
    )
    assert settings.plain_http_webhook_risk is risky
