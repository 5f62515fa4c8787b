"""A fake Telegram Bot API server for tests, spoken to by the real python-telegram-bot over real HTTP.

Why a server and not mocks: the bot's requests then go through PTB's real encoding (form-encoded, or
multipart when files are attached, nested objects as JSON strings) and PTB's real error mapping, so a
test sees what production would see. The fake validates like Telegram (HTML entities, text and
caption lengths, inline keyboards, "message is not modified", stale callback queries...) so that bugs
Telegram would reject fail the tests too.

It uses only the standard library and runs in a daemon thread, so it does not depend on the test's
event loop. It listens on 127.0.0.1 only, on a random free port.

Usage::

    with FakeTelegram() as fake:
        app = (
            Application.builder()
            .token(fake.token)
            .base_url(f"{fake.base_url}/bot")
            .base_file_url(f"{fake.base_url}/file/bot")
            .build()
        )
        ...
        mark = fake.mark()
        fake.user_message("/start")
        call = await fake.wait_for("sendMessage", after=mark)
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import email.parser
import email.policy
import itertools
import json
import re
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_GROUP_ID",
    "DEFAULT_SUPERGROUP_ID",
    "DEFAULT_TOKEN",
    "DEFAULT_USER_ID",
    "NOT_MODIFIED",
    "ApiError",
    "Call",
    "FakeTelegram",
    "HtmlParseError",
    "detect_entities",
    "parse_html",
]

DEFAULT_TOKEN = "777000111:AAHfakeTokenForTestsOnly-0123456789ab"
DEFAULT_USER_ID = 100_001
DEFAULT_GROUP_ID = -4_000_000_001
DEFAULT_SUPERGROUP_ID = -1_001_000_000_001
DEFAULT_CHANNEL_ID = -1_002_000_000_001

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")

# Fields that are free text: never JSON-decoded even when they look like "[1, 2]".
_TEXT_FIELDS = frozenset(
    {
        "text", "caption", "query", "title", "description", "short_description", "name", "secret_token",
        "url", "photo", "document", "sticker", "next_offset", "switch_pm_text", "switch_pm_parameter",
        "data", "inline_message_id", "callback_query_id", "inline_query_id", "file_id", "emoji",
        "business_connection_id", "message_effect_id", "language_code", "parse_mode", "action",
        "ip_address",
    }
)  # fmt: skip
_INT_FIELDS = frozenset(
    {
        "chat_id", "message_id", "user_id", "offset", "limit", "timeout", "cache_time",
        "reply_to_message_id", "message_thread_id", "max_connections", "from_chat_id",
    }
)  # fmt: skip
_BOOL_FIELDS = frozenset(
    {
        "disable_notification", "protect_content", "allow_sending_without_reply", "show_alert",
        "is_personal", "drop_pending_updates", "disable_web_page_preview", "has_spoiler",
        "show_caption_above_media", "allow_paid_broadcast", "is_big",
    }
)  # fmt: skip
HOLD_LIMIT = 30.0  # seconds a held call waits at most, should a test forget to release it
_UPDATE_TYPES_NOT_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_BUTTON_ACTIONS = (
    "callback_data", "url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "login_url", "web_app", "callback_game", "pay", "copy_text",
)  # fmt: skip
_INLINE_RESULT_TYPES = frozenset(
    {
        "article", "photo", "gif", "mpeg4_gif", "video", "audio", "voice", "document", "location",
        "venue", "contact", "game", "sticker",
    }
)  # fmt: skip
_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    }
)  # fmt: skip
_SCOPE_TYPES = frozenset(
    {
        "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
        "chat_administrators", "chat_member",
    }
)  # fmt: skip
# Methods that only need to succeed; their parameters are still recorded in `calls`.
_TRUE_METHODS = (
    "setChatMenuButton", "setMessageReaction", "setMyDefaultAdministratorRights", "pinChatMessage",
    "unpinChatMessage", "unpinAllChatMessages", "leaveChat", "close", "logOut",
)  # fmt: skip


class ApiError(Exception):
    """A Bot API error answer; raise it from a custom method added with `FakeTelegram.add_method`."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def response(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Call:
    """One request the bot made, with the answer it got (`response` is `{}` for a dropped connection)."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    response: dict[str, Any]
    status: int = 200
    dropped: bool = False
    index: int = -1
    token: str = ""
    received_at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        """Whether Telegram answered `"ok": true`."""
        return self.response.get("ok") is True

    @property
    def result(self) -> Any:
        """The `result` of a successful answer (None otherwise)."""
        return self.response.get("result")

    @property
    def description(self) -> str | None:
        """The error description of a failed answer."""
        return self.response.get("description")


@dataclass
class _Fault:
    kind: str  # "fail" | "drop" | "hold" | "cut"
    status: int = 0
    description: str = ""
    parameters: dict[str, Any] | None = None
    gate: threading.Event | None = None  # "hold": answered once set


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str


# --------------------------------------------------------------------------- HTML parsing (Telegram rules)


class HtmlParseError(ValueError):
    """Text is not valid Telegram HTML; the message is what follows "can't parse entities: "."""


_ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
    "span": "spoiler", "a": "text_link", "code": "code", "pre": "pre", "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}  # fmt: skip
_HTML_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([A-Za-z][A-Za-z0-9]*));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_ATTR_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_UNQUOTED_VALUE_RE = re.compile(r"[^\s\"'<>=`]+")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entities(src: str, start: int, end: int) -> str:
    """Decode &...; entities in src[start:end] strictly (only the four named ones and numeric ones)."""
    out: list[str] = []
    i = start
    while i < end:
        ch = src[i]
        if ch != "&":
            out.append(ch)
            i += 1
            continue
        m = _HTML_ENTITY_RE.match(src, i, end)
        if not m or (m.group(3) is not None and m.group(3) not in _NAMED_ENTITIES):
            raise HtmlParseError(
                f"Unsupported HTML entity or unescaped '&' at byte offset {_byte_offset(src, i)}; only "
                "&lt; &gt; &amp; &quot; and numeric entities are allowed"
            )
        if m.group(3) is not None:
            out.append(_NAMED_ENTITIES[m.group(3)])
        else:
            code = int(m.group(1)) if m.group(1) is not None else int(m.group(2), 16)
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise HtmlParseError(f"Invalid numeric HTML entity at byte offset {_byte_offset(src, i)}")
            out.append(chr(code))
        i = m.end()
    return "".join(out)


def parse_html(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into (plain text, entities) with UTF-16 offsets like Telegram.

    Stricter than Telegram in one way: a bare '&' or an unknown named entity is an error (the Bot API
    documentation requires escaping them; Telegram itself tolerates a bare '&').
    """
    out: list[str] = []
    u16 = 0
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[dict[str, Any]] = []
    pre_language: dict[int, str] = {}
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch == "&":
            m = _HTML_ENTITY_RE.match(src, i)
            end = m.end() if m else i + 1
            piece = _decode_entities(src, i, end)
            out.append(piece)
            u16 += _utf16_len(piece)
            i = end
            continue
        if ch != "<":
            out.append(ch)
            u16 += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue
        tag_start = i
        if src.startswith("</", i):
            m = _TAG_NAME_RE.match(src, i + 2)
            name = m.group(0).lower() if m else ""
            j = m.end() if m else i + 2
            while j < n and src[j].isspace():
                j += 1
            if j >= n or src[j] != ">":
                raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(src, tag_start)}")
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {_byte_offset(src, tag_start)}")
            open_name, start_u16, attrs = stack[-1]
            if name != open_name:
                raise HtmlParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(src, tag_start)}, "
                    f'expected "</{open_name}>", found "</{name}>"'
                )
            stack.pop()
            length = u16 - start_u16
            if open_name == "code" and stack and stack[-1][0] == "pre" and stack[-1][1] == start_u16:
                language = attrs.get("class", "")
                if language.startswith("language-") and len(language) > len("language-"):
                    pre_language[len(stack) - 1] = language[len("language-") :]
                    i = j + 1
                    continue
            if length > 0:
                entity: dict[str, Any] = {
                    "type": _ENTITY_TYPES[open_name],
                    "offset": start_u16,
                    "length": length,
                }
                if open_name == "a":
                    href = attrs.get("href", "")
                    if not href:
                        entity = {}
                    else:
                        entity["url"] = href
                elif open_name == "tg-emoji":
                    entity["custom_emoji_id"] = attrs["emoji-id"]
                elif open_name == "blockquote" and "expandable" in attrs:
                    entity["type"] = "expandable_blockquote"
                elif open_name == "pre" and len(stack) in pre_language:
                    entity["language"] = pre_language.pop(len(stack))
                if entity:
                    entities.append(entity)
            pre_language.pop(len(stack), None)
            i = j + 1
            continue
        m = _TAG_NAME_RE.match(src, i + 1)
        if not m:
            raise HtmlParseError(f"Empty tag name at byte offset {_byte_offset(src, tag_start)}")
        name = m.group(0).lower()
        if name not in _ENTITY_TYPES:
            raise HtmlParseError(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(src, tag_start)}'
            )
        attrs: dict[str, str] = {}
        j = m.end()
        while True:
            while j < n and src[j].isspace():
                j += 1
            if j >= n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(src, tag_start)}")
            if src[j] == ">":
                j += 1
                break
            am = _ATTR_NAME_RE.match(src, j)
            if not am:
                raise HtmlParseError(
                    f'Unexpected character in declaration of an attribute of the tag "{name}" at byte offset '
                    f"{_byte_offset(src, j)}"
                )
            attr_name = am.group(0).lower()
            j = am.end()
            while j < n and src[j].isspace():
                j += 1
            value = ""
            if j < n and src[j] == "=":
                j += 1
                while j < n and src[j].isspace():
                    j += 1
                if j < n and src[j] in "\"'":
                    close = src.find(src[j], j + 1)
                    if close < 0:
                        raise HtmlParseError(
                            f"Unclosed start tag at byte offset {_byte_offset(src, tag_start)}"
                        )
                    value = _decode_entities(src, j + 1, close)
                    j = close + 1
                else:
                    vm = _UNQUOTED_VALUE_RE.match(src, j)
                    if not vm:
                        raise HtmlParseError(
                            f'Expected attribute value of the tag "{name}" '
                            f"at byte offset {_byte_offset(src, j)}"
                        )
                    value = _decode_entities(src, j, vm.end())
                    j = vm.end()
            attrs[attr_name] = value
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(src, tag_start)}'
            )
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise HtmlParseError(
                f"Invalid custom emoji identifier at byte offset {_byte_offset(src, tag_start)}"
            )
        stack.append((name, u16, attrs))
        i = j
    if stack:
        raise HtmlParseError(f"Can't find end tag corresponding to start tag {stack[-1][0]}")
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


# --------------------------------------------------------------------------- small helpers


def _image_info(data: bytes) -> tuple[str, int, int] | None:
    """(extension, width, height) of a PNG/JPEG/GIF/WEBP/BMP image; 0 sizes when unknown; None if no image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "png", width, height
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 <= len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker == 0xFF:
                i += 1
                continue
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            (length,) = struct.unpack(">H", data[i + 2 : i + 4])
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return "jpg", width, height
            i += 2 + length
        return "jpg", 0, 0
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "gif", width, height
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", 0, 0
    if data[:2] == b"BM" and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return "bmp", width, abs(height)
    return None


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _as_dict(obj: Any) -> dict[str, Any]:
    """Accept a dict or a PTB object (anything with to_dict) and return a deep-copied dict."""
    if hasattr(obj, "to_dict"):
        obj = obj.to_dict()
    if not isinstance(obj, Mapping):
        raise TypeError(f"expected a dict or a telegram object, got {type(obj).__name__}")
    return copy.deepcopy(dict(obj))


def _coerce(name: str, value: Any) -> Any:
    """Turn form strings into what Telegram would understand them as (JSON objects, ints, bools)."""
    if not isinstance(value, str):
        if name in _TEXT_FIELDS and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value
    if name in _TEXT_FIELDS:
        return value
    if name in _INT_FIELDS and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    if name in _BOOL_FIELDS and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    stripped = value.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except ValueError:
            return value
    return value


_CMD_RE = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])")
_MENTION_RE = re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{3,32}(?![\w@])")
_URL_RE = re.compile(r"(?<![\w@/])https?://[^\s<>\"]+")


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram attaches to a user's plain text: bot_command, mention, url (UTF-16 offsets)."""
    found: list[tuple[int, int, str]] = []
    for kind, regex in (("bot_command", _CMD_RE), ("mention", _MENTION_RE), ("url", _URL_RE)):
        for m in regex.finditer(text):
            end = m.end()
            if kind == "url":
                while end > m.start() and text[end - 1] in ".,;:!?)]}'":
                    end -= 1
            found.append((m.start(), end, kind))
    found.sort()
    entities = []
    last_end = -1
    for start, end, kind in found:
        if start < last_end:
            continue
        entities.append(
            {"type": kind, "offset": _utf16_len(text[:start]), "length": _utf16_len(text[start:end])}
        )
        last_end = end
    return entities


# --------------------------------------------------------------------------- HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # Skip HTTPServer's getfqdn() reverse lookup: slow on some hosts and useless here.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away or we are stopping
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle plus delayed ACKs add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: pytest output should show the test, not an access log."""

    def do_GET(self) -> None:
        self.server.fake._handle(self)

    def do_POST(self) -> None:
        self.server.fake._handle(self)

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_bytes(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def send_json(self, status: int, payload: dict[str, Any]) -> None:
        self.send_bytes(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json")

    def drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not msg.is_multipart():
        raise _bad("can't parse multipart/form-data request")
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            files[name] = data
        else:
            charset = part.get_content_charset() or "utf-8"
            params[name] = data.decode(charset, errors="replace")
    return params, files


# --------------------------------------------------------------------------- the fake


class FakeTelegram:
    """Fake Bot API server. Thread-safe: the server threads and the test share one lock.

    Public state worth reading in tests: `calls`, `errors` (bugs in the fake itself), `webhook`,
    `pending_updates`, `message()`, `messages_in()`, `commands()`, `file_bytes()`.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        first_name: str = "HTTP Status Bot",
        username: str = "http_status_test_bot",
        can_join_groups: bool = True,
        can_read_all_group_messages: bool = False,
        supports_inline_queries: bool = True,
        strict_images: bool = True,
        first_update_id: int = 500_000_001,
    ) -> None:
        if not _TOKEN_RE.fullmatch(token):
            raise ValueError(f"token {token!r} is not shaped like a Telegram token ('<digits>:<secret>')")
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.username = username
        self.strict_images = strict_images
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": can_join_groups,
            "can_read_all_group_messages": can_read_all_group_messages,
            "supports_inline_queries": supports_inline_queries,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.calls: list[Call] = []
        self.errors: list[str] = []
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._stopping = False
        self._port = 0
        # Bot API state
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = first_update_id
        self._poll_generation = 0
        self._allowed_updates: list[str] = []
        self._webhook: dict[str, Any] = {"url": "", "secret_token": None, "allowed_updates": None}
        self._chats: dict[int, dict[str, Any]] = {}
        self._blocked: set[int] = set()
        self._next_mid: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._bot_sent: set[tuple[int, int]] = set()
        self._inline_messages: dict[str, dict[str, Any] | None] = {}
        self._files: dict[str, _StoredFile] = {}
        self._file_paths: dict[str, _StoredFile] = {}
        self._photo_sizes: dict[str, list[dict[str, Any]]] = {}
        self._known_file_ids: set[str] = set()
        self._file_counter = itertools.count(1)
        self._callback_queries: dict[str, bool] = {}
        self._inline_queries: dict[str, bool] = {}
        self._query_counter = itertools.count(1)
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._gates: list[threading.Event] = []  # of held calls, all released on stop
        self._methods: dict[str, tuple[str, Callable[[dict[str, Any], dict[str, bytes]], Any]]] = {}
        for name, fn in (
            ("getMe", self._get_me),
            ("getUpdates", self._get_updates),
            ("deleteWebhook", self._delete_webhook),
            ("setWebhook", self._set_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("setMyCommands", self._set_my_commands),
            ("getMyCommands", self._get_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
            ("sendMessage", self._send_message),
            ("sendPhoto", self._send_photo),
            ("editMessageText", self._edit_message_text),
            ("editMessageCaption", self._edit_message_caption),
            ("editMessageMedia", self._edit_message_media),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("deleteMessage", self._delete_message),
            ("answerCallbackQuery", self._answer_callback_query),
            ("answerInlineQuery", self._answer_inline_query),
            ("getChat", self._get_chat),
            ("getFile", self._get_file),
            ("sendChatAction", self._send_chat_action),
            ("setMyDescription", self._bot_text_setter("description", 512)),
            ("getMyDescription", self._bot_text_getter("description")),
            ("setMyShortDescription", self._bot_text_setter("short_description", 120)),
            ("getMyShortDescription", self._bot_text_getter("short_description")),
            ("setMyName", self._bot_text_setter("name", 64)),
            ("getMyName", self._bot_text_getter("name")),
        ):
            self.add_method(name, fn)
        for name in _TRUE_METHODS:
            self.add_method(name, lambda params, files: True)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeTelegram:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeTelegram is already started")
        self._stopping = False
        self._server = _Server(self)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-telegram",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; long polls in progress return an empty result at once, idle connections close."""
        if self._server is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        with self._lock:
            for gate in self._gates:
                gate.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (0 before start())."""
        return self._port

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`; give PTB `base_url + "/bot"` and `base_url + "/file/bot"`."""
        if not self._port:
            raise RuntimeError("FakeTelegram is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """`{base_url}/bot{token}`: prefix of method URLs, handy for raw HTTP tests."""
        return f"{self.base_url}/bot{self.token}"

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    # ------------------------------------------------------------------ extension and faults

    def add_method(self, name: str, fn: Callable[[dict[str, Any], dict[str, bytes]], Any]) -> None:
        """Serve another Bot API method: `fn(params, files)` returns the result or raises ApiError.

        Called with the fake's lock held; method names are case-insensitive like Telegram's.
        """
        self._methods[name.lower()] = (name, fn)

    def _canonical(self, method: str) -> str:
        try:
            return self._methods[method.lower()][0]
        except KeyError:
            raise ValueError(f"the fake does not serve {method!r}; see FakeTelegram.add_method") from None

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail before doing anything (no side effects).

        A 429 gets `parameters.retry_after` (1 unless given), which PTB turns into RetryAfter.
        """
        name = self._canonical(method)
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                400: "Bad Request: injected failure",
                401: "Unauthorized",
                403: "Forbidden: bot was blocked by the user",
                404: "Not Found",
                409: "Conflict: terminated by other getUpdates request; make sure that only one bot "
                "instance is running",
                429: f"Too Many Requests: retry after {retry_after}",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(status, f"Error {status}")
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        with self._lock:
            queue = self._faults.setdefault(name, deque())
            queue.extend(_Fault("fail", status, description, parameters) for _ in range(times))

    def drop_next(self, method: str, times: int = 1) -> None:
        """Make the next `times` calls of `method` end with the connection closed and no answer."""
        name = self._canonical(method)
        with self._lock:
            self._faults.setdefault(name, deque()).extend(_Fault("drop") for _ in range(times))

    def cut_next(self, method: str) -> None:
        """Serve `method` as usual, but send only the first half of the body of its next answer (a proxy
        that broke off mid-response; a long poll waiting already is cut too): JSON the client cannot
        read."""
        name = self._canonical(method)
        with self._lock:
            self._faults.setdefault(name, deque()).append(_Fault("cut"))

    def hold_next(self, method: str) -> threading.Event:
        """Make the next call of `method` wait, unanswered, until the returned event is set (a slow
        Telegram); it is then served as usual. Released by `stop()` at the latest."""
        name = self._canonical(method)
        gate = threading.Event()
        with self._lock:
            self._faults.setdefault(name, deque()).append(_Fault("hold", gate=gate))
            self._gates.append(gate)
        return gate

    def clear_faults(self) -> None:
        """Forget faults that were injected but not yet triggered."""
        with self._lock:
            self._faults.clear()

    def forget_file_ids(self) -> None:
        """Make every file_id issued so far unknown, as when Telegram rejects a cached file_id."""
        with self._lock:
            self._known_file_ids.clear()

    def block(self, chat_id: int) -> None:
        """Simulate a user who blocked the bot: sending to the chat gets 403 Forbidden."""
        with self._lock:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Undo `block`."""
        with self._lock:
            self._blocked.discard(chat_id)

    # ------------------------------------------------------------------ inspecting calls

    def mark(self) -> int:
        """Index to pass as `after=` so that only calls made from now on are considered."""
        with self._lock:
            return len(self.calls)

    def calls_to(self, method: str) -> list[Call]:
        """All recorded calls of one method (name as Telegram spells it, case-insensitive)."""
        with self._lock:
            return [c for c in self.calls if c.method.lower() == method.lower()]

    def last(self, method: str) -> Call:
        """The most recent call of `method`; LookupError if there was none."""
        found = self.calls_to(method)
        if not found:
            raise LookupError(f"no {method} call was recorded; calls: {self._summary(0)}")
        return found[-1]

    def clear_calls(self) -> None:
        """Forget recorded calls (indices restart at 0)."""
        with self._lock:
            self.calls.clear()

    def _find(self, method: str, predicate: Callable[[Call], bool] | None, after: int) -> Call | None:
        with self._lock:
            candidates = list(self.calls[after:])
        for call in candidates:
            if call.method.lower() == method.lower() and (predicate is None or predicate(call)):
                return call
        return None

    def _summary(self, after: int) -> str:
        with self._lock:
            calls = self.calls[after:]
        parts = [c.method if c.ok else f"{c.method} ({c.description or 'dropped'})" for c in calls]
        return ", ".join(parts[-30:]) or "none"

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,
        after: int = 0,
    ) -> Call:
        """First call of `method` at index >= `after` matching `predicate`; TimeoutError if none in time.

        Take `after` from `mark()` before triggering the bot, so earlier calls cannot match.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self._find(method, predicate, after)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"no matching {method} call within {timeout}s; calls: {self._summary(after)}"
                )
            await asyncio.sleep(0.01)

    def wait_for_sync(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,
        after: int = 0,
    ) -> Call:
        """Blocking variant of `wait_for` for tests without an event loop."""
        deadline = time.monotonic() + timeout
        while True:
            found = self._find(method, predicate, after)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"no matching {method} call within {timeout}s; calls: {self._summary(after)}"
                )
            time.sleep(0.01)

    # ------------------------------------------------------------------ inspecting state

    @property
    def webhook(self) -> dict[str, Any]:
        """What setWebhook recorded: url, secret_token, allowed_updates (url "" when unset)."""
        with self._lock:
            return copy.deepcopy(self._webhook)

    def wait_confirmed(self, timeout: float) -> bool:
        """Block until every queued update was confirmed by a getUpdates offset; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._updates, timeout)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._lock:
            return copy.deepcopy(self._updates)

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """Current state of a stored message (after edits), or None if unknown or deleted."""
        with self._lock:
            msg = self._messages.get((chat_id, message_id))
            return copy.deepcopy(msg) if msg is not None else None

    def messages_in(self, chat_id: int, *, from_bot: bool | None = None) -> list[dict[str, Any]]:
        """Stored messages of a chat in id order; `from_bot` filters on who sent them."""
        with self._lock:
            found = [m for (cid, _), m in sorted(self._messages.items()) if cid == chat_id]
        if from_bot is not None:
            found = [m for m in found if (m.get("from", {}).get("id") == self.bot_id) == from_bot]
        return copy.deepcopy(found)

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """Commands set for a scope (default scope when None) and language."""
        with self._lock:
            return copy.deepcopy(self._commands.get((self._scope_key(scope), language_code), []))

    def file_bytes(self, file_id: str) -> bytes:
        """Bytes uploaded for a file_id (still available after forget_file_ids)."""
        with self._lock:
            return self._files[file_id].data

    # ------------------------------------------------------------------ driving the bot: updates

    def push_update(self, update: Mapping[str, Any]) -> dict[str, Any]:
        """Queue any update for getUpdates (an update_id is assigned if missing) and return it.

        A message it carries is stored (and its chat learnt), so the bot can reply to or look it up.
        """
        data = copy.deepcopy(dict(update))
        json.dumps(data)  # fail here, not in the server thread, on something not JSON-serialisable
        with self._cond:
            for kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
                msg = data.get(kind)
                if isinstance(msg, dict) and isinstance(msg.get("chat"), dict) and "message_id" in msg:
                    chat_id = msg["chat"]["id"]
                    self._chats.setdefault(chat_id, copy.deepcopy(msg["chat"]))
                    self._messages[(chat_id, msg["message_id"])] = copy.deepcopy(msg)
                    self._next_mid[chat_id] = max(self._next_mid.get(chat_id, 1), msg["message_id"] + 1)
            if "update_id" not in data:
                data["update_id"] = self._next_update_id
            self._next_update_id = max(self._next_update_id, data["update_id"]) + 1
            self._updates.append(data)
            self._cond.notify_all()
        return copy.deepcopy(data)

    def user_message(
        self,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        user_id: int = DEFAULT_USER_ID,
        first_name: str = "Alice",
        username: str | None = "alice",
        language_code: str | None = "en",
        reply_to_message: Mapping[str, Any] | None = None,
        chat_title: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A user writes `text`; entities (bot_command, mention, url) are computed like Telegram does.

        `reply_to_message` is the message replied to (e.g. a stored bot message); `extra` is merged
        into the Message (e.g. {"message_thread_id": 5}).
        """
        fields: dict[str, Any] = {"text": text}
        entities = detect_entities(text)
        if entities:
            fields["entities"] = entities
        return self._user_update(
            "message",
            fields,
            chat_id,
            chat_type,
            user_id,
            first_name,
            username,
            language_code,
            reply_to_message,
            chat_title,
            extra,
        )

    def sticker_message(
        self,
        *,
        emoji: str = "😀",
        chat_id: int | None = None,
        chat_type: str = "private",
        user_id: int = DEFAULT_USER_ID,
        first_name: str = "Alice",
        username: str | None = "alice",
        language_code: str | None = "en",
        set_name: str = "TestStickers",
    ) -> dict[str, Any]:
        """A user sends a sticker: a message without text, for "I only understand text" paths."""
        with self._lock:
            n = next(self._file_counter)
        sticker = {
            "file_id": f"CAACAgIAAxk-sticker-{n}",
            "file_unique_id": f"AgAD-sticker-{n}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": set_name,
            "file_size": 24_000,
        }
        return self._user_update(
            "message",
            {"sticker": sticker},
            chat_id,
            chat_type,
            user_id,
            first_name,
            username,
            language_code,
            None,
            None,
            None,
        )

    def edited_message(self, message: Mapping[str, Any], text: str) -> dict[str, Any]:
        """The user edits an earlier message (a Message dict or the update that carried it)."""
        original = _as_dict(message)
        if "message_id" not in original and "message" in original:
            original = original["message"]
        key = (original["chat"]["id"], original["message_id"])
        with self._lock:
            current = copy.deepcopy(self._messages.get(key, original))
            current["text"] = text
            current.pop("entities", None)
            entities = detect_entities(text)
            if entities:
                current["entities"] = entities
            current["edit_date"] = max(int(time.time()), current.get("date", 0))
            self._messages[key] = copy.deepcopy(current)
        return self.push_update({"edited_message": current})

    def channel_post(
        self,
        text: str,
        *,
        chat_id: int = DEFAULT_CHANNEL_ID,
        title: str = "Test Channel",
        username: str | None = "test_channel",
    ) -> dict[str, Any]:
        """A post in a channel where the bot is an administrator (no `from`, a `sender_chat`)."""
        chat: dict[str, Any] = {"id": chat_id, "type": "channel", "title": title}
        if username:
            chat["username"] = username
        with self._lock:
            self._chats[chat_id] = copy.deepcopy(chat)
            msg = {
                "message_id": self._take_mid(chat_id),
                "sender_chat": chat,
                "date": int(time.time()),
                "chat": chat,
                "text": text,
            }
            entities = detect_entities(text)
            if entities:
                msg["entities"] = entities
            self._messages[(chat_id, msg["message_id"])] = copy.deepcopy(msg)
        return self.push_update({"channel_post": msg})

    def callback(
        self,
        message: Mapping[str, Any] | Any | None,
        data: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        first_name: str = "Alice",
        username: str | None = "alice",
        language_code: str | None = "en",
        inaccessible: bool = False,
        inline_message_id: str | None = None,
        check: bool = True,
    ) -> dict[str, Any]:
        """The user presses the button with `data` on a bot message (its current stored version is used).

        `inaccessible=True` sends the message as Telegram does for messages older than 48 hours
        (only chat, message_id and date 0). Pass `message=None, inline_message_id=...` for a button on
        a message sent in inline mode. With `check`, a `data` that no button carries raises ValueError.
        """
        user = self._user(user_id, first_name, username, language_code)
        query: dict[str, Any] = {"from": user, "data": data}
        with self._lock:
            query["id"] = str(8_000_000_000_000_000_000 + next(self._query_counter))
            if message is not None:
                msg = _as_dict(message)
                key = (msg["chat"]["id"], msg["message_id"])
                current = copy.deepcopy(self._messages.get(key, msg))
                if inaccessible:
                    query["message"] = {
                        "chat": current["chat"],
                        "message_id": current["message_id"],
                        "date": 0,
                    }
                else:
                    query["message"] = current
                    if check and data not in self._callback_datas(current.get("reply_markup")):
                        raise ValueError(f"no button with callback_data {data!r} on message {key}")
                query["chat_instance"] = str(7_000_000_000 + abs(key[0]) % 1_000_000_007)
            elif inline_message_id is not None:
                known = self._inline_messages.get(inline_message_id)
                if (
                    check
                    and known is not None
                    and data not in self._callback_datas(known.get("reply_markup"))
                ):
                    raise ValueError(
                        f"no button with callback_data {data!r} on inline message {inline_message_id}"
                    )
                self._inline_messages.setdefault(inline_message_id, None)
                query["inline_message_id"] = inline_message_id
                query["chat_instance"] = str(6_000_000_000 + sum(map(ord, inline_message_id)))
            else:
                raise ValueError("callback() needs a message or an inline_message_id")
            self._callback_queries[query["id"]] = False
        return self.push_update({"callback_query": query})

    def inline_query(
        self,
        query: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        first_name: str = "Alice",
        username: str | None = "alice",
        language_code: str | None = "en",
        offset: str = "",
        chat_type: str | None = "private",
    ) -> dict[str, Any]:
        """The user types `@bot query` in some chat."""
        inline: dict[str, Any] = {
            "from": self._user(user_id, first_name, username, language_code),
            "query": query,
            "offset": offset,
        }
        if chat_type is not None:
            inline["chat_type"] = chat_type
        with self._lock:
            inline["id"] = str(9_000_000_000_000_000_000 + next(self._query_counter))
            self._inline_queries[inline["id"]] = False
        return self.push_update({"inline_query": inline})

    @staticmethod
    def _user(
        user_id: int, first_name: str, username: str | None, language_code: str | None
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def _user_update(
        self,
        kind: str,
        fields: dict[str, Any],
        chat_id: int | None,
        chat_type: str,
        user_id: int,
        first_name: str,
        username: str | None,
        language_code: str | None,
        reply_to_message: Mapping[str, Any] | None,
        chat_title: str | None,
        extra: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        user = self._user(user_id, first_name, username, language_code)
        if chat_type == "private":
            chat: dict[str, Any] = {
                "id": chat_id if chat_id is not None else user_id,
                "type": "private",
                "first_name": first_name,
            }
            if username:
                chat["username"] = username
        elif chat_type in ("group", "supergroup"):
            default_id = DEFAULT_GROUP_ID if chat_type == "group" else DEFAULT_SUPERGROUP_ID
            chat = {
                "id": chat_id if chat_id is not None else default_id,
                "type": chat_type,
                "title": chat_title or "Test Group",
            }
        else:
            raise ValueError(f"chat_type must be private, group or supergroup, not {chat_type!r}")
        with self._lock:
            self._chats[chat["id"]] = copy.deepcopy(chat)
            msg: dict[str, Any] = {
                "message_id": self._take_mid(chat["id"]),
                "from": user,
                "chat": chat,
                "date": int(time.time()),
                **fields,
            }
            if reply_to_message is not None:
                replied = _as_dict(reply_to_message)
                replied.pop("reply_to_message", None)
                msg["reply_to_message"] = replied
            if extra:
                msg.update(copy.deepcopy(dict(extra)))
            self._messages[(chat["id"], msg["message_id"])] = copy.deepcopy(msg)
        return self.push_update({kind: msg})

    @staticmethod
    def _callback_datas(markup: Mapping[str, Any] | None) -> set[str]:
        if not markup:
            return set()
        return {
            button["callback_data"]
            for row in markup.get("inline_keyboard", [])
            for button in row
            if "callback_data" in button
        }

    # ------------------------------------------------------------------ HTTP dispatch

    def _handle(self, handler: _Handler) -> None:
        url = urlsplit(handler.path)
        try:
            body = handler.read_body()
        except (OSError, ValueError):
            handler.close_connection = True
            return
        if handler.command == "GET" and url.path.startswith("/file/bot"):
            self._serve_file(handler, unquote(url.path[len("/file/bot") :]))
            return
        m = re.fullmatch(r"/bot([^/]*)/([A-Za-z0-9_]*)", url.path)
        if not m:
            handler.send_json(404, ApiError(404, "Not Found").response())
            return
        token, raw_method = m.groups()
        received_at = time.monotonic()
        entry = self._methods.get(raw_method.lower())
        method = entry[0] if entry else raw_method
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        try:
            if token != self.token:
                raise (
                    ApiError(401, "Unauthorized")
                    if _TOKEN_RE.fullmatch(token)
                    else ApiError(404, "Not Found")
                )
            if entry is None:
                raise ApiError(404, "Not Found")
            params, files = self._decode(handler, body, url.query)
            with self._lock:
                queue = self._faults.get(method)
                # A cut is of the next answer sent: a long poll already waiting is cut too.
                fault = queue.popleft() if queue and queue[0].kind != "cut" else None
            if fault is not None and fault.kind == "hold":
                assert fault.gate is not None
                fault.gate.wait(HOLD_LIMIT)
                fault = None
            if fault is not None and fault.kind == "drop":
                self._record(Call(method, params, files, {}, 0, True, token=token, received_at=received_at))
                handler.drop()
                return
            if fault is not None:
                raise ApiError(fault.status, fault.description, fault.parameters)
            with self._cond:
                result = copy.deepcopy(entry[1](params, files))
            status, response = 200, {"ok": True, "result": result}
            with self._lock:
                queue = self._faults.get(method)
                cut = bool(queue) and queue[0].kind == "cut"
                if cut:
                    queue.popleft()
            if cut:
                self._record(
                    Call(method, params, files, response, status, token=token, received_at=received_at)
                )
                whole = json.dumps(response, ensure_ascii=False).encode("utf-8")
                handler.send_bytes(status, whole[: len(whole) // 2], "application/json")
                return
        except ApiError as err:
            status, response = err.status, err.response()
        except Exception as exc:  # a bug in the fake: answer 500 and keep it for the test to see
            trace = traceback.format_exc()
            with self._lock:
                self.errors.append(f"{method}: {trace}")
            print(f"FakeTelegram bug in {method}:\n{trace}", file=sys.stderr)
            status, response = 500, ApiError(500, f"Internal Server Error: fake bug: {exc!r}").response()
        self._record(Call(method, params, files, response, status, token=token, received_at=received_at))
        handler.send_json(status, response)

    def _record(self, call: Call) -> None:
        with self._lock:
            call.index = len(self.calls)
            self.calls.append(call)

    def _decode(self, handler: _Handler, body: bytes, query: str) -> tuple[dict[str, Any], dict[str, bytes]]:
        raw: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        files: dict[str, bytes] = {}
        content_type = handler.headers.get("Content-Type", "")
        mime = content_type.split(";", 1)[0].strip().lower()
        if mime == "application/json":
            try:
                decoded = json.loads(body.decode("utf-8")) if body.strip() else {}
            except ValueError:
                raise _bad("can't parse JSON object") from None
            if not isinstance(decoded, dict):
                raise _bad("can't parse JSON object")
            raw.update(decoded)
        elif mime == "multipart/form-data":
            values, files = _parse_multipart(body, content_type)
            raw.update(values)
        elif body:
            raw.update(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
        return {name: _coerce(name, value) for name, value in raw.items()}, files

    def _serve_file(self, handler: _Handler, rest: str) -> None:
        token, _, path = rest.partition("/")
        with self._lock:
            stored = self._file_paths.get(path) if token == self.token else None
        if stored is None:
            handler.send_json(404, ApiError(404, "Not Found").response())
        else:
            handler.send_bytes(200, stored.data, "application/octet-stream")

    # ------------------------------------------------------------------ param helpers

    @staticmethod
    def _int(params: Mapping[str, Any], name: str, default: int | None = None) -> int | None:
        value = params.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(f"invalid {name} specified")
        return value

    @staticmethod
    def _bool(params: Mapping[str, Any], name: str) -> bool:
        value = params.get(name, False)
        return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))

    @staticmethod
    def _json(params: Mapping[str, Any], name: str, what: str) -> Any:
        value = params.get(name)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise _bad(f"can't parse {what} JSON object") from None
        return value

    def _take_mid(self, chat_id: int) -> int:
        mid = self._next_mid.get(chat_id, 1)
        self._next_mid[chat_id] = mid + 1
        return mid

    def _chat(self, params: Mapping[str, Any], *, create: bool) -> dict[str, Any]:
        value = params.get("chat_id")
        if value is None or value == "":
            raise _bad("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            for chat in self._chats.values():
                if chat.get("username", "").lower() == value[1:].lower():
                    return chat
            raise _bad("chat not found")
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad("chat not found")
        if value not in self._chats:
            if not create:
                raise _bad("chat not found")
            if value > 0:
                chat: dict[str, Any] = {"id": value, "type": "private", "first_name": f"User {value}"}
            elif str(value).startswith("-100"):
                chat = {"id": value, "type": "supergroup", "title": f"Supergroup {value}"}
            else:
                chat = {"id": value, "type": "group", "title": f"Group {value}"}
            self._chats[value] = chat
        return self._chats[value]

    def _check_can_send(self, chat: Mapping[str, Any]) -> None:
        if chat["id"] in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _format(
        self, text: Any, parse_mode: Any, entities: Any, *, caption: bool
    ) -> tuple[str, list[dict[str, Any]]]:
        text = "" if text is None else str(text)
        if isinstance(entities, str):
            try:
                entities = json.loads(entities)
            except ValueError:
                raise _bad("can't parse entities JSON object") from None
        if entities is not None:
            if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
                raise _bad("can't parse entities JSON object")
            plain, parsed = text, [dict(e) for e in entities]
        elif parse_mode in (None, ""):
            plain, parsed = text, []
        elif str(parse_mode).lower() == "html":
            try:
                plain, parsed = parse_html(text)
            except HtmlParseError as err:
                raise _bad(f"can't parse entities: {err}") from None
        elif str(parse_mode).lower() in ("markdown", "markdownv2"):
            plain, parsed = text, []  # not validated by the fake
        else:
            raise _bad("unsupported parse_mode")
        if caption:
            if len(plain) > 1024:
                raise _bad("message caption is too long")
        else:
            if not plain.strip():
                raise _bad("message text is empty")
            if len(plain) > 4096:
                raise _bad("message is too long")
        return plain, parsed

    def _markup(self, params: Mapping[str, Any], *, inline_only: bool) -> dict[str, Any] | None:
        markup = self._json(params, "reply_markup", "reply keyboard markup")
        if markup is None or markup == "":
            return None
        return self._validate_markup(markup, inline_only=inline_only)

    def _validate_markup(self, markup: Any, *, inline_only: bool) -> dict[str, Any]:
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
            count = 0
            for row in rows:
                for button in row:
                    count += 1
                    self._validate_button(button)
            if count > 100:
                raise _bad("reply markup is too long")
            return copy.deepcopy(markup)
        if inline_only:
            raise _bad("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
            for row in rows:
                for button in row:
                    text = (
                        button
                        if isinstance(button, str)
                        else button.get("text")
                        if isinstance(button, dict)
                        else None
                    )
                    if not isinstance(text, str) or not text:
                        raise _bad("keyboard button text is empty")
            return copy.deepcopy(markup)
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return copy.deepcopy(markup)
        raise _bad("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _validate_button(button: Any) -> None:
        if not isinstance(button, dict):
            raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        if not isinstance(button.get("text"), str):
            raise _bad("can't parse inline keyboard button: Can't find field \"text\"")
        if not button["text"].strip():
            raise _bad("BUTTON_TEXT_INVALID")
        actions = [name for name in _BUTTON_ACTIONS if name in button]
        if not actions:
            raise _bad("text buttons are unallowed in the inline keyboard")
        if len(actions) > 1:
            raise _bad("BUTTON_TYPE_INVALID")  # Telegram would silently use one; the fake refuses
        action = actions[0]
        value = button[action]
        if action == "callback_data":
            if not isinstance(value, str) or not 1 <= len(value.encode("utf-8")) <= 64:
                raise _bad("BUTTON_DATA_INVALID")
        elif action in ("url", "login_url"):
            url = value.get("url") if isinstance(value, dict) else value
            parts = urlsplit(url) if isinstance(url, str) else None
            if (
                parts is None
                or parts.scheme.lower() not in ("http", "https", "tg")
                or (parts.scheme.lower() in ("http", "https") and not parts.hostname)
            ):
                raise _bad("BUTTON_URL_INVALID")
        elif action == "web_app":
            url = value.get("url") if isinstance(value, dict) else None
            if not isinstance(url, str) or not url.lower().startswith("https://"):
                raise _bad(
                    f"inline keyboard button Web App URL '{url}' is invalid: Only HTTPS links are allowed"
                )
        elif action in ("switch_inline_query", "switch_inline_query_current_chat"):
            if not isinstance(value, str):
                raise _bad(f'can\'t parse inline keyboard button: Field "{action}" must be of type String')
        elif action == "copy_text":
            text = value.get("text") if isinstance(value, dict) else None
            if not isinstance(text, str) or not 1 <= len(text) <= 256:
                raise _bad("COPY_TEXT_INVALID")

    def _reply_to(self, chat: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any] | None:
        reply = self._json(params, "reply_parameters", "reply parameters")
        allow = self._bool(params, "allow_sending_without_reply")
        chat_id, message_id = chat["id"], None
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = allow or reply.get("allow_sending_without_reply") is True
            if reply.get("chat_id") not in (None, ""):
                chat_id = self._chat({"chat_id": reply["chat_id"]}, create=False)["id"]
        elif reply is not None:
            raise _bad("can't parse reply parameters JSON object")
        if message_id is None:
            message_id = self._int(params, "reply_to_message_id")
        if message_id is None:
            return None
        replied = self._messages.get((chat_id, message_id))
        if replied is None:
            if allow:
                return None
            raise _bad("message to be replied not found")
        replied = copy.deepcopy(replied)
        replied.pop("reply_to_message", None)
        return replied

    def _new_bot_message(
        self, chat: dict[str, Any], params: Mapping[str, Any], content: dict[str, Any]
    ) -> dict[str, Any]:
        markup = self._markup(params, inline_only=False)
        reply = self._reply_to(chat, params)
        msg: dict[str, Any] = {"message_id": self._take_mid(chat["id"])}
        if chat["type"] == "channel":
            msg["sender_chat"] = copy.deepcopy(chat)
        else:
            msg["from"] = {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}
        msg["date"] = int(time.time())
        msg["chat"] = copy.deepcopy(chat)
        if params.get("message_thread_id") is not None:
            msg["message_thread_id"] = params["message_thread_id"]
        if reply is not None:
            msg["reply_to_message"] = reply
        msg.update(content)
        if markup is not None and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        self._messages[(chat["id"], msg["message_id"])] = copy.deepcopy(msg)
        self._bot_sent.add((chat["id"], msg["message_id"]))
        return msg

    @staticmethod
    def _text_content(plain: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
        content: dict[str, Any] = {"text": plain}
        if entities:
            content["entities"] = entities
        return content

    @staticmethod
    def _caption_content(
        plain: str, entities: list[dict[str, Any]], params: Mapping[str, Any]
    ) -> dict[str, Any]:
        content: dict[str, Any] = {}
        if plain:
            content["caption"] = plain
            if entities:
                content["caption_entities"] = entities
        if params.get("show_caption_above_media") is True:
            content["show_caption_above_media"] = True
        return content

    # ------------------------------------------------------------------ files

    def _register_photo(self, data: bytes) -> list[dict[str, Any]]:
        if not data:
            raise _bad("file must be non-empty")
        if len(data) > 10 * 1024 * 1024:
            raise _bad("PHOTO_INVALID_DIMENSIONS")
        info = _image_info(data)
        if info is None:
            if self.strict_images:
                raise _bad("IMAGE_PROCESS_FAILED")
            info = ("jpg", 0, 0)
        ext, width, height = info
        if width and height and (width + height > 10_000 or max(width, height) / min(width, height) > 20):
            raise _bad("PHOTO_INVALID_DIMENSIONS")
        width, height = width or 512, height or 512
        n = next(self._file_counter)
        full_id, unique = f"AgAC-photo-{n}", f"AQAD-photo-{n}"
        stored = _StoredFile(full_id, unique, data, f"photos/file_{n}.{ext}")
        sizes: list[dict[str, Any]] = []
        if max(width, height) > 90:
            scale = 90 / max(width, height)
            thumb_id = f"{full_id}-s"
            sizes.append(
                {
                    "file_id": thumb_id,
                    "file_unique_id": f"{unique}-s",
                    "file_size": max(1, len(data) // 20),
                    "width": max(1, round(width * scale)),
                    "height": max(1, round(height * scale)),
                }
            )
            self._files[thumb_id] = stored
            self._known_file_ids.add(thumb_id)
        sizes.append(
            {
                "file_id": full_id,
                "file_unique_id": unique,
                "file_size": len(data),
                "width": width,
                "height": height,
            }
        )
        self._files[full_id] = stored
        self._file_paths[stored.file_path] = stored
        self._known_file_ids.add(full_id)
        for size in sizes:
            self._photo_sizes[size["file_id"]] = sizes
        return copy.deepcopy(sizes)

    def _photo_from(self, value: Any, files: Mapping[str, bytes]) -> list[dict[str, Any]]:
        """Photo sizes for an InputFile-ish value: uploaded bytes, attach://name or a known file_id."""
        if isinstance(value, bytes):
            return self._register_photo(value)
        if not isinstance(value, str) or not value:
            raise _bad("there is no photo in the request")
        if value.startswith("attach://"):
            name = value[len("attach://") :]
            if name not in files:
                raise _bad(f'can\'t find attached file "{name}"')
            return self._register_photo(files[name])
        if value not in self._known_file_ids or value not in self._photo_sizes:
            raise ApiError(400, _WRONG_FILE)
        return copy.deepcopy(self._photo_sizes[value])

    # ------------------------------------------------------------------ methods: bot and updates

    def _get_me(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self.bot_user

    def _get_updates(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if self._webhook["url"]:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
                "the webhook first",
            )
        offset = self._int(params, "offset")
        limit = min(max(self._int(params, "limit", 100) or 100, 1), 100)
        timeout = params.get("timeout", 0)
        timeout = (
            float(timeout) if isinstance(timeout, int | float) and not isinstance(timeout, bool) else 0.0
        )
        allowed = self._json(params, "allowed_updates", "allowed updates")
        if allowed is not None:
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                raise _bad("can't parse allowed updates JSON object")
            self._allowed_updates = list(allowed)
        self._poll_generation += 1
        generation = self._poll_generation
        self._cond.notify_all()  # terminate an older long poll, as Telegram does with a 409
        if offset is not None:
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._cond.notify_all()  # wake wait_confirmed(): some updates may be confirmed now
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
                    "is running",
                )
            self._updates = [u for u in self._updates if self._update_allowed(u)]
            ready = self._updates[:limit]
            if ready or self._stopping:
                return ready
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self._cond.wait(remaining)

    def _update_allowed(self, update: Mapping[str, Any]) -> bool:
        kind = next((k for k in update if k != "update_id"), "")
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _UPDATE_TYPES_NOT_DEFAULT

    def _delete_webhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self._webhook = {"url": "", "secret_token": None, "allowed_updates": None}
        if self._bool(params, "drop_pending_updates"):
            self._updates.clear()
        return True

    def _set_webhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        url = params.get("url", "")
        if not isinstance(url, str):
            raise _bad("bad webhook: invalid URL")
        if url:
            parts = urlsplit(url)
            if parts.scheme.lower() != "https" or not parts.hostname:
                raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
            if (parts.port or 443) not in (80, 88, 443, 8443):
                raise _bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = params.get("secret_token")
        if secret not in (None, "") and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _bad("secret token contains unallowed characters")
        allowed = self._json(params, "allowed_updates", "allowed updates")
        if allowed is not None and not isinstance(allowed, list):
            raise _bad("can't parse allowed updates JSON object")
        if self._bool(params, "drop_pending_updates"):
            self._updates.clear()
        self._webhook = {"url": url, "secret_token": secret or None, "allowed_updates": allowed}
        if allowed is not None:
            self._allowed_updates = list(allowed)
        if url:
            self._poll_generation += 1  # a waiting getUpdates gets the 409 like on Telegram
            self._cond.notify_all()
        return True

    def _get_webhook_info(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        info: dict[str, Any] = {
            "url": self._webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook["url"]:
            info["max_connections"] = 40
            info["ip_address"] = "127.0.0.1"
        if self._webhook["allowed_updates"] is not None:
            info["allowed_updates"] = self._webhook["allowed_updates"]
        return info

    # ------------------------------------------------------------------ methods: commands and bot texts

    def _scope_key(self, scope: Any) -> str:
        if scope is None or scope == "":
            scope = {"type": "default"}
        if not isinstance(scope, Mapping) or scope.get("type") not in _SCOPE_TYPES:
            raise _bad("unsupported bot command scope type")
        return json.dumps(dict(scope), sort_keys=True)

    def _commands_key(self, params: Mapping[str, Any]) -> tuple[str, str]:
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", str(language)):
            raise _bad("invalid language code specified")
        return self._scope_key(self._json(params, "scope", "bot command scope")), str(language)

    def _set_my_commands(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        commands = self._json(params, "commands", "bot commands")
        if not isinstance(commands, list):
            raise _bad("can't parse bot commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand: BotCommand must be an Object")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        self._commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    def _get_my_commands(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self._commands.get(self._commands_key(params), [])

    def _delete_my_commands(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _bot_text_setter(
        self, field_name: str, limit: int
    ) -> Callable[[dict[str, Any], dict[str, bytes]], Any]:
        def setter(params: dict[str, Any], files: dict[str, bytes]) -> Any:
            value = str(params.get(field_name) or "")
            if len(value) > limit:
                raise _bad(f"{field_name.upper()}_INVALID")
            self._bot_texts[(field_name, str(params.get("language_code") or ""))] = value
            return True

        return setter

    def _bot_text_getter(self, field_name: str) -> Callable[[dict[str, Any], dict[str, bytes]], Any]:
        def getter(params: dict[str, Any], files: dict[str, bytes]) -> Any:
            language = str(params.get("language_code") or "")
            value = self._bot_texts.get((field_name, language), self._bot_texts.get((field_name, ""), ""))
            if field_name == "name" and not value:
                value = self.bot_user["first_name"]
            return {field_name: value}

        return getter

    # ------------------------------------------------------------------ methods: chats and messages

    def _get_chat(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat = dict(self._chat(params, create=False))
        chat.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        return chat

    def _send_chat_action(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat = self._chat(params, create=True)
        self._check_can_send(chat)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _send_message(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat = self._chat(params, create=True)
        self._check_can_send(chat)
        plain, entities = self._format(
            params.get("text"), params.get("parse_mode"), params.get("entities"), caption=False
        )
        return self._new_bot_message(chat, params, self._text_content(plain, entities))

    def _send_photo(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat = self._chat(params, create=True)
        self._check_can_send(chat)
        plain, entities = self._format(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities"), caption=True
        )
        value = files["photo"] if "photo" in files else params.get("photo")
        if isinstance(value, str) and value.lower().startswith(("http://", "https://")):
            raise ApiError(400, _WRONG_FILE)  # the bot never sends URLs; a URL here is a bug
        self._markup(params, inline_only=False)  # validate before spending a file id
        content: dict[str, Any] = {"photo": self._photo_from(value, files)}
        content.update(self._caption_content(plain, entities, params))
        if params.get("has_spoiler") is True:
            content["has_media_spoiler"] = True
        return self._new_bot_message(chat, params, content)

    def _edit_target(self, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any] | None]:
        """(key, stored message) for an edit; the key is a str for inline messages."""
        inline_id = params.get("inline_message_id")
        if inline_id not in (None, ""):
            if inline_id not in self._inline_messages:
                raise _bad("MESSAGE_ID_INVALID")
            return str(inline_id), self._inline_messages[inline_id]
        message_id = self._int(params, "message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        chat = self._chat(params, create=False)
        stored = self._messages.get((chat["id"], message_id))
        if stored is None:
            raise _bad("message to edit not found")
        if (chat["id"], message_id) not in self._bot_sent:
            raise _bad("message can't be edited")
        return (chat["id"], message_id), stored

    def _apply_edit(
        self,
        key: Any,
        stored: dict[str, Any] | None,
        content: dict[str, Any],
        clear: tuple[str, ...],
        markup: dict[str, Any] | None,
    ) -> Any:
        """Check "not modified", then store the edited message and return it (True for inline ones)."""
        keys = ("text", "entities", "caption", "caption_entities", "photo", "show_caption_above_media")
        if stored is not None:
            new = copy.deepcopy(stored)
            for name in clear:
                new.pop(name, None)
            new.update(copy.deepcopy(content))
            if markup is None:
                new.pop("reply_markup", None)
            else:
                new["reply_markup"] = markup
            if _same([stored.get(k) for k in keys], [new.get(k) for k in keys]) and _same(
                stored.get("reply_markup"), new.get("reply_markup")
            ):
                raise ApiError(400, NOT_MODIFIED)
        else:
            new = copy.deepcopy(content)
            if markup is not None:
                new["reply_markup"] = markup
        if isinstance(key, str):
            self._inline_messages[key] = new
            return True
        new["edit_date"] = max(int(time.time()), new.get("date", 0))
        self._messages[key] = new
        return new

    def _edit_message_text(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        key, stored = self._edit_target(params)
        if stored is not None and "text" not in stored:
            raise _bad("there is no text in the message to edit")
        plain, entities = self._format(
            params.get("text"), params.get("parse_mode"), params.get("entities"), caption=False
        )
        markup = self._markup(params, inline_only=True)
        return self._apply_edit(key, stored, self._text_content(plain, entities), ("entities",), markup)

    def _edit_message_caption(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        key, stored = self._edit_target(params)
        if stored is not None and "photo" not in stored:
            raise _bad("there is no caption in the message to edit")
        plain, entities = self._format(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities"), caption=True
        )
        markup = self._markup(params, inline_only=True)
        content = self._caption_content(plain, entities, params)
        return self._apply_edit(
            key, stored, content, ("caption", "caption_entities", "show_caption_above_media"), markup
        )

    def _edit_message_media(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        key, stored = self._edit_target(params)
        media = self._json(params, "media", "InputMedia")
        if not isinstance(media, dict) or "media" not in media:
            raise _bad("can't parse InputMedia JSON object")
        if media.get("type") != "photo":
            raise _bad(f"the fake only supports editing to photo media, not {media.get('type')!r}")
        if stored is not None and "photo" not in stored:
            raise _bad("there is no media in the message to edit")
        plain, entities = self._format(
            media.get("caption"), media.get("parse_mode"), media.get("caption_entities"), caption=True
        )
        markup = self._markup(params, inline_only=True)
        value = media["media"]
        if isinstance(value, str) and value.lower().startswith(("http://", "https://")):
            raise ApiError(400, _WRONG_FILE)
        content: dict[str, Any] = {"photo": self._photo_from(value, files)}
        content.update(self._caption_content(plain, entities, media))
        if media.get("has_spoiler") is True:
            content["has_media_spoiler"] = True
        clear = ("caption", "caption_entities", "show_caption_above_media", "has_media_spoiler")
        return self._apply_edit(key, stored, content, clear, markup)

    def _edit_message_reply_markup(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        key, stored = self._edit_target(params)
        markup = self._markup(params, inline_only=True)
        return self._apply_edit(key, stored, {}, (), markup)

    def _delete_message(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat = self._chat(params, create=False)
        message_id = self._int(params, "message_id")
        if message_id is None or self._messages.pop((chat["id"], message_id), None) is None:
            raise _bad("message to delete not found")
        return True

    def _get_file(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        file_id = params.get("file_id")
        if not isinstance(file_id, str) or file_id not in self._known_file_ids:
            raise _bad("invalid file_id")
        stored = self._files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    # ------------------------------------------------------------------ methods: queries

    def _answer_callback_query(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        url = params.get("url")
        if url not in (None, "") and not str(url).lower().startswith(("http://", "https://", "tg://")):
            raise _bad("URL_INVALID")
        query_id = str(params.get("callback_query_id", ""))
        if self._callback_queries.get(query_id, True):
            raise ApiError(400, _QUERY_TOO_OLD)
        self._callback_queries[query_id] = True
        return True

    def _answer_inline_query(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        results = self._json(params, "results", "inline query results")
        if not isinstance(results, list):
            raise _bad("can't parse inline query results JSON object")
        if len(results) > 50:
            raise _bad("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            self._validate_inline_result(result, seen)
        next_offset = params.get("next_offset")
        if next_offset is not None and len(str(next_offset).encode("utf-8")) > 64:
            raise _bad("NEXT_OFFSET_INVALID")
        button = self._json(params, "button", "InlineQueryResultsButton")
        if button is not None:
            if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                raise _bad("BUTTON_TEXT_INVALID")
            start = button.get("start_parameter")
            if start is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", str(start)):
                raise _bad("START_PARAM_INVALID")
        query_id = str(params.get("inline_query_id", ""))
        if self._inline_queries.get(query_id, True):
            raise ApiError(400, _QUERY_TOO_OLD)
        self._inline_queries[query_id] = True
        return True

    def _validate_inline_result(self, result: Any, seen: set[str]) -> None:
        if not isinstance(result, dict):
            raise _bad("can't parse inline query result: InlineQueryResult must be an Object")
        result_id = result.get("id")
        if not isinstance(result_id, str) or not 1 <= len(result_id.encode("utf-8")) <= 64:
            raise _bad("RESULT_ID_INVALID")
        if result_id in seen:
            raise _bad("RESULT_ID_DUPLICATE")
        seen.add(result_id)
        kind = result.get("type")
        if kind not in _INLINE_RESULT_TYPES:
            raise _bad("RESULT_TYPE_INVALID")
        if kind == "article" and not str(result.get("title", "")).strip():
            raise _bad('can\'t parse inline query result: Field "title" must be of type String')
        content = result.get("input_message_content")
        if kind == "article" and not isinstance(content, dict):
            raise _bad("can't parse inline query result: Can't find field \"input_message_content\"")
        if isinstance(content, dict) and "message_text" in content:
            self._format(
                content["message_text"], content.get("parse_mode"), content.get("entities"), caption=False
            )
        if "caption" in result:
            self._format(
                result["caption"], result.get("parse_mode"), result.get("caption_entities"), caption=True
            )
        if kind == "photo":
            if "photo_file_id" in result:
                if result["photo_file_id"] not in self._known_file_ids:
                    raise ApiError(400, _WRONG_FILE)
            else:
                for name in ("photo_url", "thumbnail_url"):
                    if not str(result.get(name, "")).lower().startswith(("http://", "https://")):
                        raise _bad("PHOTO_INVALID")
        if "reply_markup" in result:
            self._validate_markup(result["reply_markup"], inline_only=True)
