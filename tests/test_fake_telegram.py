"""Tests of the fake Telegram server itself, so that bot tests built on it can trust what it says.

Raw HTTP (httpx) checks the wire formats and Telegram-like answers; the PTB tests check that the real
library talks to it without surprises.
"""

from __future__ import annotations

import contextlib
import datetime as dtm
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import telegram
from fake_telegram import (
    NOT_MODIFIED,
    FakeTelegram,
    HtmlParseError,
    detect_entities,
    parse_html,
)
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes


def png(width: int, height: int, seed: int = 0) -> bytes:
    """A real PNG, so the fake's image checks accept it and the dimensions are known."""
    rows = (b"\x00" + bytes((x * 7 + y * 3 + seed) % 256 for x in range(width * 3)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


KEYBOARD = {"inline_keyboard": [[{"text": "404", "callback_data": "code:404"}]]}


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server
    assert not server.errors, server.errors


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http


def api(client: httpx.Client, fake: FakeTelegram, method: str, **kwargs: Any) -> httpx.Response:
    return client.post(f"{fake.api_url}/{method}", **kwargs)


def send_text(client: httpx.Client, fake: FakeTelegram, **params: Any) -> dict[str, Any]:
    return api(client, fake, "sendMessage", json={"chat_id": 42, **params}).json()


# ----------------------------------------------------------------------------- wire formats


def test_listens_on_loopback_only(fake: FakeTelegram) -> None:
    assert fake.base_url.startswith("http://127.0.0.1:")
    assert fake._server is not None and fake._server.server_address[0] == "127.0.0.1"


def test_get_me_by_get_and_post(fake: FakeTelegram, client: httpx.Client) -> None:
    for response in (client.get(f"{fake.api_url}/getMe"), api(client, fake, "getme")):
        assert response.status_code == 200
        body = response.json()
        assert body["ok"] is True
        assert body["result"]["id"] == fake.bot_id
        assert body["result"]["is_bot"] is True
        assert body["result"]["supports_inline_queries"] is True
    assert [c.method for c in fake.calls] == ["getMe", "getMe"]


def test_json_body(fake: FakeTelegram, client: httpx.Client) -> None:
    body = send_text(client, fake, text="hello", reply_markup=KEYBOARD)
    assert body["ok"] is True
    msg = body["result"]
    assert msg["text"] == "hello"
    assert msg["chat"]["id"] == 42
    assert msg["from"]["id"] == fake.bot_id
    assert msg["reply_markup"] == KEYBOARD
    assert fake.message(42, msg["message_id"]) == msg


def test_form_body_decodes_like_telegram(fake: FakeTelegram, client: httpx.Client) -> None:
    """PTB sends form fields as strings and nested objects as JSON strings."""
    data = {
        "chat_id": "42",
        "text": "[1, 2]",
        "reply_markup": '{"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}',
        "disable_notification": "true",
    }
    body = api(client, fake, "sendMessage", data=data).json()
    assert body["ok"] is True
    params = fake.last("sendMessage").params
    assert params["chat_id"] == 42
    assert params["text"] == "[1, 2]"  # free text is never JSON-decoded
    assert params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "b"
    assert params["disable_notification"] is True
    assert body["result"]["reply_markup"] == params["reply_markup"]


def test_multipart_upload_round_trips_binary(fake: FakeTelegram, client: httpx.Client) -> None:
    photo = png(120, 80) + bytes(range(256)) + b"\r\n--x\r\n\r\r\n\n"  # trailing junk is ignored by viewers
    response = api(
        client,
        fake,
        "sendPhoto",
        data={
            "chat_id": "42",
            "caption": "<b>Card</b>",
            "parse_mode": "HTML",
            "reply_markup": '{"inline_keyboard": []}',
        },
        files={"photo": ("card.png", photo, "image/png")},
    )
    body = response.json()
    assert body["ok"] is True, body
    sizes = body["result"]["photo"]
    assert sizes[-1]["file_id"].startswith("AgAC-photo-")
    assert (sizes[-1]["width"], sizes[-1]["height"]) == (120, 80)
    assert body["result"]["caption"] == "Card"
    assert body["result"]["caption_entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    call = fake.last("sendPhoto")
    assert call.files == {"photo": photo}
    assert call.params["chat_id"] == 42
    assert fake.file_bytes(sizes[-1]["file_id"]) == photo

    info = api(client, fake, "getFile", json={"file_id": sizes[-1]["file_id"]}).json()["result"]
    downloaded = client.get(f"{fake.base_url}/file/bot{fake.token}/{info['file_path']}")
    assert downloaded.status_code == 200
    assert downloaded.content == photo
    assert client.get(f"{fake.base_url}/file/bot{fake.token}/photos/nope.png").status_code == 404


def test_unknown_token_and_method(fake: FakeTelegram, client: httpx.Client) -> None:
    wrong = client.post(f"{fake.base_url}/bot123:wrong/getMe")
    assert wrong.status_code == 401
    assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    malformed = client.post(f"{fake.base_url}/botnot-a-token/getMe")
    assert malformed.status_code == 404
    unknown = api(client, fake, "sendTelepathy")
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


# ----------------------------------------------------------------------------- getUpdates


def test_long_poll_returns_promptly_when_update_is_pushed(fake: FakeTelegram, client: httpx.Client) -> None:
    result: dict[str, Any] = {}

    def poll() -> None:
        started = time.monotonic()
        result["body"] = api(client, fake, "getUpdates", data={"timeout": "10"}).json()
        result["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive(), "getUpdates should wait for an update"
    update = fake.user_message("/start")
    thread.join(5)
    assert result["elapsed"] < 2
    assert result["body"]["result"] == [update]


def test_long_poll_times_out_with_empty_result(fake: FakeTelegram, client: httpx.Client) -> None:
    started = time.monotonic()
    body = api(client, fake, "getUpdates", json={"timeout": 1}).json()
    elapsed = time.monotonic() - started
    assert body == {"ok": True, "result": []}
    assert 0.9 <= elapsed < 3


def test_offset_confirms_and_limit(fake: FakeTelegram, client: httpx.Client) -> None:
    ids = [fake.user_message(f"m{i}")["update_id"] for i in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    first = api(client, fake, "getUpdates", json={"limit": 2}).json()["result"]
    assert [u["update_id"] for u in first] == ids[:2]
    again = api(client, fake, "getUpdates", json={}).json()["result"]
    assert [u["update_id"] for u in again] == ids  # unconfirmed updates are delivered again
    rest = api(client, fake, "getUpdates", json={"offset": ids[1] + 1}).json()["result"]
    assert [u["update_id"] for u in rest] == ids[2:]
    assert api(client, fake, "getUpdates", json={"offset": ids[2] + 1}).json()["result"] == []
    assert fake.pending_updates == []


def test_message_ids_increase_per_chat(fake: FakeTelegram) -> None:
    a1 = fake.user_message("a", chat_id=1, user_id=1)["message"]["message_id"]
    b1 = fake.user_message("b", chat_id=2, user_id=2)["message"]["message_id"]
    a2 = fake.user_message("a", chat_id=1, user_id=1)["message"]["message_id"]
    assert (a1, b1, a2) == (1, 1, 2)


def test_allowed_updates_filters(fake: FakeTelegram, client: httpx.Client) -> None:
    fake.user_message("text")
    fake.inline_query("404")
    body = api(client, fake, "getUpdates", data={"allowed_updates": '["inline_query"]'}).json()
    assert [next(k for k in u if k != "update_id") for u in body["result"]] == ["inline_query"]


def test_stop_unblocks_long_poll(client: httpx.Client) -> None:
    fake = FakeTelegram().start()
    done = threading.Event()

    def poll() -> None:
        with contextlib.suppress(httpx.HTTPError):
            api(client, fake, "getUpdates", json={"timeout": 30})
        done.set()

    threading.Thread(target=poll, daemon=True).start()
    time.sleep(0.2)
    started = time.monotonic()
    fake.stop()
    assert done.wait(3)
    assert time.monotonic() - started < 2


def test_newer_get_updates_terminates_older(fake: FakeTelegram) -> None:
    result: dict[str, Any] = {}

    def poll() -> None:
        with httpx.Client(timeout=10) as other:
            result["response"] = api(other, fake, "getUpdates", json={"timeout": 5})

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.2)
    with httpx.Client() as second:
        assert api(second, fake, "getUpdates", json={"timeout": 0}).json()["ok"] is True
    thread.join(5)
    assert result["response"].status_code == 409
    assert "terminated by other getUpdates request" in result["response"].json()["description"]


def test_webhook_blocks_polling(fake: FakeTelegram, client: httpx.Client) -> None:
    bad = api(client, fake, "setWebhook", json={"url": "http://example.com/hook"}).json()
    assert bad["description"] == "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
    hook = {"url": "https://example.com/hook", "secret_token": "s3cr3t", "allowed_updates": ["message"]}
    assert api(client, fake, "setWebhook", json=hook).json() == {"ok": True, "result": True}
    assert fake.webhook == hook
    update = fake.user_message("hi")
    info = api(client, fake, "getWebhookInfo").json()["result"]
    assert info["url"] == hook["url"] and info["pending_update_count"] == 1
    conflict = api(client, fake, "getUpdates")
    assert conflict.status_code == 409
    assert api(client, fake, "deleteWebhook", json={"drop_pending_updates": True}).json()["result"] is True
    assert fake.webhook["url"] == ""
    assert api(client, fake, "getUpdates").json()["result"] == []
    assert update["message"]["text"] == "hi"


# ----------------------------------------------------------------------------- update helpers


def test_user_message_entities_like_telegram() -> None:
    text = "😀 /start@http_status_test_bot see @alice and https://httpstatuses.io/404. /help"
    entities = detect_entities(text)
    assert [e["type"] for e in entities] == ["bot_command", "mention", "url", "bot_command"]
    assert entities[0] == {"type": "bot_command", "offset": 3, "length": len("/start@http_status_test_bot")}
    url = entities[2]
    assert url["length"] == len("https://httpstatuses.io/404")  # trailing '.' is not part of the URL
    assert detect_entities("a/b and mail@example.com") == []


def test_user_message_group_and_reply(fake: FakeTelegram, client: httpx.Client) -> None:
    sent = send_text(client, fake, chat_id=-100555, text="card")["result"]
    update = fake.user_message(
        "/code@http_status_test_bot 404",
        chat_id=-100555,
        chat_type="supergroup",
        reply_to_message=sent,
        language_code="zh",
    )
    msg = update["message"]
    assert msg["chat"]["type"] == "supergroup"
    assert msg["from"]["language_code"] == "zh"
    assert msg["reply_to_message"]["message_id"] == sent["message_id"]
    assert msg["entities"][0]["type"] == "bot_command"
    assert msg["message_id"] == sent["message_id"] + 1


def test_other_update_kinds(fake: FakeTelegram) -> None:
    first = fake.user_message("hello")
    edited = fake.edited_message(first, "hello /help")
    assert edited["edited_message"]["text"] == "hello /help"
    assert edited["edited_message"]["entities"][0]["type"] == "bot_command"
    assert "edit_date" in edited["edited_message"]
    post = fake.channel_post("news")
    assert post["channel_post"]["chat"]["type"] == "channel" and "from" not in post["channel_post"]
    sticker = fake.sticker_message(emoji="🐱")
    assert sticker["message"]["sticker"]["emoji"] == "🐱" and "text" not in sticker["message"]
    raw = {
        "message_id": 77,
        "date": 0,
        "chat": {"id": 5, "type": "private", "first_name": "Raw"},
        "text": "hi",
    }
    fake.push_update({"message": raw})
    assert fake.message(5, 77) == raw  # stored, so the bot may reply to it
    custom = fake.push_update({"my_chat_member": {"x": 1}})
    ids = [u["update_id"] for u in (first, edited, post, sticker, custom)]
    assert ids == sorted(ids)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("source", "plain", "entities"),
    [
        (
            '<b>bold</b> <i>it</i> <a href="https://x.y/?a=1&amp;b=2">link</a>',
            "bold it link",
            [
                {"type": "bold", "offset": 0, "length": 4},
                {"type": "italic", "offset": 5, "length": 2},
                {"type": "text_link", "offset": 8, "length": 4, "url": "https://x.y/?a=1&b=2"},
            ],
        ),
        ("a &lt; b &gt; c &amp; &quot;d&quot; &#39;&#x1F600;", 'a < b > c & "d" \'😀', []),
        ("😀<B>x</B>", "😀x", [{"type": "bold", "offset": 2, "length": 1}]),
        (
            '<pre><code class="language-python">x = 1</code></pre>',
            "x = 1",
            [{"type": "pre", "offset": 0, "length": 5, "language": "python"}],
        ),
        (
            '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>'
            "<blockquote expandable>q</blockquote>",
            "stq",
            [
                {"type": "spoiler", "offset": 0, "length": 1},
                {"type": "spoiler", "offset": 1, "length": 1},
                {"type": "expandable_blockquote", "offset": 2, "length": 1},
            ],
        ),
        (
            "<b>a<i>b</i></b>",
            "ab",
            [{"type": "bold", "offset": 0, "length": 2}, {"type": "italic", "offset": 1, "length": 1}],
        ),
    ],
)
def test_parse_html_valid(source: str, plain: str, entities: list[dict[str, Any]]) -> None:
    assert parse_html(source) == (plain, entities)


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("<b>x", "Can't find end tag corresponding to start tag b"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<div>x</div>", 'Unsupported start tag "div"'),
        ("<br/>", 'Unsupported start tag "br"'),
        ("1 < 2", "Empty tag name"),
        ("AT&T", "Unsupported HTML entity"),
        ("&nbsp;", "Unsupported HTML entity"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("x</b>", "Unexpected end tag"),
        ("<b", "Unclosed start tag"),
    ],
)
def test_parse_html_invalid(source: str, error: str) -> None:
    with pytest.raises(HtmlParseError, match=error):
        parse_html(source)


def test_text_length_is_measured_after_html_parsing(fake: FakeTelegram, client: httpx.Client) -> None:
    assert send_text(client, fake, text="<b>" + "&lt;" * 4096 + "</b>", parse_mode="HTML")["ok"] is True
    too_long = send_text(client, fake, text="x" * 4097)
    assert too_long == {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}
    assert send_text(client, fake, text="<b> </b>", parse_mode="HTML")["description"] == (
        "Bad Request: message text is empty"
    )
    bad = send_text(client, fake, text="1 < 2", parse_mode="HTML")
    assert bad["description"].startswith("Bad Request: can't parse entities: Empty tag name")
    caption = api(
        client,
        fake,
        "sendPhoto",
        data={"chat_id": "1", "caption": "c" * 1025},
        files={"photo": ("p.png", png(10, 10), "image/png")},
    ).json()
    assert caption["description"] == "Bad Request: message caption is too long"


@pytest.mark.parametrize(
    ("button", "error"),
    [
        ({"text": "a", "callback_data": "x" * 65}, "Bad Request: BUTTON_DATA_INVALID"),
        ({"text": "a", "callback_data": "é" * 33}, "Bad Request: BUTTON_DATA_INVALID"),  # 66 bytes
        ({"text": "a", "callback_data": ""}, "Bad Request: BUTTON_DATA_INVALID"),
        ({"text": "a", "url": "ftp://example.com"}, "Bad Request: BUTTON_URL_INVALID"),
        ({"text": "a", "url": "https://"}, "Bad Request: BUTTON_URL_INVALID"),
        ({"text": "a"}, "Bad Request: text buttons are unallowed in the inline keyboard"),
        ({"text": "a", "url": "https://x.y", "callback_data": "x"}, "Bad Request: BUTTON_TYPE_INVALID"),
    ],
)
def test_inline_keyboard_validation(
    fake: FakeTelegram, client: httpx.Client, button: dict[str, Any], error: str
) -> None:
    body = send_text(client, fake, text="t", reply_markup={"inline_keyboard": [[button]]})
    assert body == {"ok": False, "error_code": 400, "description": error}


def test_inline_keyboard_accepts_valid_buttons(fake: FakeTelegram, client: httpx.Client) -> None:
    markup = {
        "inline_keyboard": [
            [
                {"text": "a", "callback_data": "é" * 32},
                {"text": "b", "url": "tg://resolve?domain=x"},
                {"text": "c", "switch_inline_query": ""},
                {"text": "d", "switch_inline_query_current_chat": "404"},
            ]
        ]
    }
    assert send_text(client, fake, text="t", reply_markup=markup)["ok"] is True


def test_edits_and_not_modified(fake: FakeTelegram, client: httpx.Client) -> None:
    msg = send_text(client, fake, text="<b>one</b>", parse_mode="HTML", reply_markup=KEYBOARD)["result"]
    ref = {"chat_id": 42, "message_id": msg["message_id"]}
    same = api(
        client,
        fake,
        "editMessageText",
        json={**ref, "text": "<b>one</b>", "parse_mode": "HTML", "reply_markup": KEYBOARD},
    ).json()
    assert same == {"ok": False, "error_code": 400, "description": NOT_MODIFIED}
    plain = api(client, fake, "editMessageText", json={**ref, "text": "one", "reply_markup": KEYBOARD}).json()
    assert plain["ok"] is True and "entities" not in plain["result"]  # losing the bold is a change
    no_keyboard = api(client, fake, "editMessageText", json={**ref, "text": "one"}).json()
    assert no_keyboard["ok"] is True and "reply_markup" not in no_keyboard["result"]
    assert fake.message(42, msg["message_id"])["text"] == "one"
    again = api(client, fake, "editMessageReplyMarkup", json=ref).json()
    assert again["description"] == NOT_MODIFIED
    missing = api(
        client, fake, "editMessageText", json={"chat_id": 42, "message_id": 999, "text": "x"}
    ).json()
    assert missing["description"] == "Bad Request: message to edit not found"
    on_text = api(client, fake, "editMessageCaption", json={**ref, "caption": "c"}).json()
    assert on_text["description"] == "Bad Request: there is no caption in the message to edit"
    user_msg = fake.user_message("mine", chat_id=42, user_id=42)["message"]
    foreign = api(
        client,
        fake,
        "editMessageText",
        json={"chat_id": 42, "message_id": user_msg["message_id"], "text": "x"},
    ).json()
    assert foreign["description"] == "Bad Request: message can't be edited"
    assert api(client, fake, "deleteMessage", json=ref).json()["result"] is True
    assert api(client, fake, "deleteMessage", json=ref).json()["description"] == (
        "Bad Request: message to delete not found"
    )


def test_edit_media_with_attach_and_file_id(fake: FakeTelegram, client: httpx.Client) -> None:
    sent = api(
        client,
        fake,
        "sendPhoto",
        data={"chat_id": "7", "caption": "a"},
        files={"photo": ("p.png", png(30, 30), "image/png")},
    ).json()["result"]
    ref = {"chat_id": "7", "message_id": str(sent["message_id"])}
    media = '{"type": "photo", "media": "attach://pic", "caption": "b"}'
    edited = api(
        client,
        fake,
        "editMessageMedia",
        data={**ref, "media": media},
        files={"pic": ("q.png", png(40, 20), "image/png")},
    ).json()
    assert edited["ok"] is True, edited
    assert edited["result"]["caption"] == "b"
    new_id = edited["result"]["photo"][-1]["file_id"]
    assert new_id != sent["photo"][-1]["file_id"]
    same = api(
        client,
        fake,
        "editMessageMedia",
        json={**ref, "media": {"type": "photo", "media": new_id, "caption": "b"}},
    ).json()
    assert same["description"] == NOT_MODIFIED
    old = api(
        client,
        fake,
        "editMessageMedia",
        json={**ref, "media": {"type": "photo", "media": sent["photo"][-1]["file_id"]}},
    ).json()
    assert old["ok"] is True and "caption" not in old["result"]


def test_send_photo_file_ids_and_urls(fake: FakeTelegram, client: httpx.Client) -> None:
    sent = api(
        client, fake, "sendPhoto", data={"chat_id": "1"}, files={"photo": ("p.png", png(10, 10), "image/png")}
    ).json()["result"]
    file_id = sent["photo"][-1]["file_id"]
    again = api(client, fake, "sendPhoto", json={"chat_id": 1, "photo": file_id}).json()
    assert again["ok"] is True and again["result"]["photo"] == sent["photo"]
    for value in ("https://example.com/cat.jpg", "AgAC-unknown"):
        body = api(client, fake, "sendPhoto", json={"chat_id": 1, "photo": value}).json()
        assert body["description"] == "Bad Request: wrong file identifier/HTTP URL specified"
    fake.forget_file_ids()
    stale = api(client, fake, "sendPhoto", json={"chat_id": 1, "photo": file_id}).json()
    assert stale["description"] == "Bad Request: wrong file identifier/HTTP URL specified"
    not_image = api(
        client,
        fake,
        "sendPhoto",
        data={"chat_id": "1"},
        files={"photo": ("p.png", b"not an image", "image/png")},
    ).json()
    assert not_image["description"] == "Bad Request: IMAGE_PROCESS_FAILED"


def test_reply_parameters(fake: FakeTelegram, client: httpx.Client) -> None:
    question = fake.user_message("/code 404", chat_id=42, user_id=42)["message"]
    reply = send_text(client, fake, text="404", reply_parameters={"message_id": question["message_id"]})
    assert reply["result"]["reply_to_message"]["text"] == "/code 404"
    missing = send_text(client, fake, text="x", reply_parameters={"message_id": 999})
    assert missing["description"] == "Bad Request: message to be replied not found"
    allowed = send_text(
        client, fake, text="x", reply_parameters={"message_id": 999, "allow_sending_without_reply": True}
    )
    assert allowed["ok"] is True and "reply_to_message" not in allowed["result"]


def test_queries(fake: FakeTelegram, client: httpx.Client) -> None:
    msg = send_text(client, fake, text="pick", reply_markup=KEYBOARD)["result"]
    with pytest.raises(ValueError, match="no button"):
        fake.callback(msg, "code:500")
    query = fake.callback(msg, "code:404", language_code="zh")["callback_query"]
    assert query["message"]["reply_markup"] == KEYBOARD and query["from"]["language_code"] == "zh"
    answer = {"callback_query_id": query["id"], "text": "ok"}
    assert api(client, fake, "answerCallbackQuery", json=answer).json()["ok"] is True
    twice = api(client, fake, "answerCallbackQuery", json=answer).json()
    assert twice["description"] == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    unknown = api(client, fake, "answerCallbackQuery", json={"callback_query_id": "1"}).json()
    assert unknown["error_code"] == 400
    old = fake.callback(msg, "anything", inaccessible=True)["callback_query"]
    assert old["message"] == {"chat": msg["chat"], "message_id": msg["message_id"], "date": 0}

    cq = fake.callback(None, "code:404", inline_message_id="AgAAAInline1")["callback_query"]
    assert cq["inline_message_id"] == "AgAAAInline1" and "message" not in cq
    inline_edit = {"inline_message_id": "AgAAAInline1", "text": "404", "reply_markup": KEYBOARD}
    assert api(client, fake, "editMessageText", json=inline_edit).json() == {"ok": True, "result": True}
    assert api(client, fake, "editMessageText", json=inline_edit).json()["description"] == NOT_MODIFIED
    unknown_inline = {**inline_edit, "inline_message_id": "nope"}
    assert api(client, fake, "editMessageText", json=unknown_inline).json()["description"] == (
        "Bad Request: MESSAGE_ID_INVALID"
    )

    inline = fake.inline_query("404")["inline_query"]
    article = {"type": "article", "title": "404", "input_message_content": {"message_text": "Not Found"}}
    too_many = [{**article, "id": str(i)} for i in range(51)]
    body = api(client, fake, "answerInlineQuery", json={"inline_query_id": inline["id"], "results": too_many})
    assert body.json()["description"] == "Bad Request: RESULTS_TOO_MUCH"
    dup = [{**article, "id": "a"}, {**article, "id": "a"}]
    body = api(client, fake, "answerInlineQuery", json={"inline_query_id": inline["id"], "results": dup})
    assert body.json()["description"] == "Bad Request: RESULT_ID_DUPLICATE"
    fine = {"inline_query_id": inline["id"], "results": too_many[:50], "cache_time": 0}
    assert api(client, fake, "answerInlineQuery", json=fine).json()["ok"] is True
    assert api(client, fake, "answerInlineQuery", json=fine).json()["error_code"] == 400


def test_commands_per_scope_and_language(fake: FakeTelegram, client: httpx.Client) -> None:
    en = [{"command": "start", "description": "Start"}]
    zh = [{"command": "start", "description": "开始"}]
    assert api(client, fake, "setMyCommands", json={"commands": en}).json()["ok"] is True
    assert api(client, fake, "setMyCommands", json={"commands": zh, "language_code": "zh"}).json()["ok"]
    group = {"type": "all_group_chats"}
    assert api(
        client,
        fake,
        "setMyCommands",
        data={
            "commands": '[{"command": "code", "description": "C"}]',
            "scope": '{"type": "all_group_chats"}',
        },
    ).json()["ok"]
    assert api(client, fake, "getMyCommands", json={"language_code": "zh"}).json()["result"] == zh
    assert fake.commands() == en
    assert fake.commands(group)[0]["command"] == "code"
    bad = api(client, fake, "setMyCommands", json={"commands": [{"command": "Start!", "description": "x"}]})
    assert bad.json()["description"] == "Bad Request: BOT_COMMAND_INVALID"
    assert api(client, fake, "deleteMyCommands", json={"language_code": "zh"}).json()["result"] is True
    assert fake.commands(language_code="zh") == []


# ----------------------------------------------------------------------------- faults and waiting


def test_fail_next(fake: FakeTelegram, client: httpx.Client) -> None:
    fake.fail_next("sendMessage", retry_after=3, times=2)
    for _ in range(2):
        response = api(client, fake, "sendMessage", json={"chat_id": 1, "text": "x"})
        assert response.status_code == 429
        assert response.json() == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        }
    assert fake.messages_in(1) == []  # failed calls have no side effects
    assert send_text(client, fake, chat_id=1, text="x")["ok"] is True
    fake.fail_next("getMe", status=502)
    assert api(client, fake, "getMe").status_code == 502
    with pytest.raises(ValueError, match="does not serve"):
        fake.fail_next("sendTelepathy")


def test_drop_next(fake: FakeTelegram, client: httpx.Client) -> None:
    fake.drop_next("getMe")
    with pytest.raises(httpx.RemoteProtocolError):
        api(client, fake, "getMe")
    assert api(client, fake, "getMe").json()["ok"] is True
    dropped = fake.calls_to("getMe")[0]
    assert dropped.dropped and dropped.response == {}


def test_wait_for_sync_and_errors(fake: FakeTelegram, client: httpx.Client) -> None:
    send_text(client, fake, text="first")
    mark = fake.mark()

    def later() -> None:
        time.sleep(0.1)
        with httpx.Client() as other:
            send_text(other, fake, text="second")

    threading.Thread(target=later).start()
    call = fake.wait_for_sync("sendMessage", after=mark)
    assert call.params["text"] == "second" and call.index >= mark
    assert fake.wait_for_sync("sendMessage", lambda c: c.params["text"] == "first").index == 0
    with pytest.raises(TimeoutError, match="sendMessage, sendMessage"):
        fake.wait_for_sync("sendPhoto", timeout=0.1)
    with pytest.raises(LookupError):
        fake.last("sendPhoto")


# ----------------------------------------------------------------------------- real PTB


def ptb_bot(fake: FakeTelegram) -> telegram.Bot:
    return telegram.Bot(
        fake.token, base_url=f"{fake.base_url}/bot", base_file_url=f"{fake.base_url}/file/bot"
    )


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")
async def test_ptb_bot_smoke(fake: FakeTelegram) -> None:
    card, other = png(64, 48), png(32, 32, seed=9)
    async with ptb_bot(fake) as bot:
        me = await bot.get_me()
        assert (me.id, me.username) == (fake.bot_id, fake.username)

        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("404", callback_data="code:404")]])
        first = await bot.send_photo(
            42, card, caption="<b>404</b> Not Found", parse_mode="HTML", reply_markup=keyboard
        )
        file_id = first.photo[-1].file_id
        assert file_id.startswith("AgAC-photo-")
        assert first.caption == "404 Not Found" and first.reply_markup == keyboard
        assert fake.last("sendPhoto").files["photo"] == card

        second = await bot.send_photo(42, file_id, caption="again")
        assert second.photo[-1].file_id == file_id
        assert fake.last("sendPhoto").files == {}

        edited = await bot.edit_message_media(
            InputMediaPhoto(other, caption="edited"),
            chat_id=42,
            message_id=first.message_id,
            reply_markup=keyboard,
        )
        assert isinstance(edited, telegram.Message)
        assert edited.caption == "edited" and edited.photo[-1].file_id != file_id
        call = fake.last("editMessageMedia")
        assert call.params["media"]["media"].startswith("attach://")
        assert list(call.files.values()) == [other]

        downloaded = await (await bot.get_file(edited.photo[-1].file_id)).download_as_bytearray()
        assert bytes(downloaded) == other

        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_reply_markup(42, first.message_id, reply_markup=keyboard)
        fake.fail_next("sendMessage", retry_after=7)
        with pytest.raises(RetryAfter):  # not reading .retry_after: PTB 22 warns about its type change
            await bot.send_message(42, "x")
        assert fake.last("sendMessage").response["parameters"] == {"retry_after": 7}
        fake.drop_next("sendMessage")
        with pytest.raises(NetworkError):
            await bot.send_message(42, "x")
        fake.forget_file_ids()
        with pytest.raises(BadRequest, match="Wrong file identifier"):
            await bot.send_photo(42, file_id)


@pytest.mark.asyncio
async def test_ptb_application_polling_round_trip(fake: FakeTelegram) -> None:
    async def start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("404", callback_data="code:404")]])
        await update.message.reply_text("<b>Pick</b>", parse_mode="HTML", reply_markup=keyboard)

    async def pressed(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"You chose {query.data}")

    app = (
        Application.builder()
        .token(fake.token)
        .base_url(f"{fake.base_url}/bot")
        .base_file_url(f"{fake.base_url}/file/bot")
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=dtm.timedelta(seconds=5))
        try:
            mark = fake.mark()
            fake.user_message("/start")
            sent = await fake.wait_for("sendMessage", after=mark)
            assert sent.ok and sent.result["text"] == "Pick"

            mark = fake.mark()
            fake.callback(sent.result, "code:404")
            edit = await fake.wait_for("editMessageText", after=mark)
            assert edit.ok and edit.result["text"] == "You chose code:404"
            assert fake.calls_to("answerCallbackQuery")[-1].ok
        finally:
            await app.updater.stop()
            await app.stop()
    assert fake.pending_updates == []  # the shutdown getUpdates confirmed everything
