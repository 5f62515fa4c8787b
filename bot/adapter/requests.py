"""The HTTP side of the Bot API calls: count failures for the metrics, and keep polling alive.

python-telegram-bot polls again from the same offset when it cannot read a batch of updates (it logs the
error and drops nothing), so one malformed update would be fetched and refused forever while every
later update waits behind it. `UpdatesRequest` notices a batch answered twice for the same offset and
replaces the updates that cannot be read by their bare ids, so polling moves past them. It also hands
each batch to the inbox before python-telegram-bot sees it (repeats become bare ids), and lets the inbox
keep what is unfinished before a getUpdates confirms it. The batch it read is what python-telegram-bot
gets, so a batch is parsed once, not twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import TelegramError
from telegram.request import HTTPXRequest, RequestData

from bot.ops.metrics import Metrics

if TYPE_CHECKING:
    from bot.adapter.inbox import Inbox

log = logging.getLogger(__name__)

_EMPTY_ANSWER = b'{"ok":true,"result":[]}'
# The Bot API method Telegram last refused in this task, for the error handler's log line.
refused_method: ContextVar[str | None] = ContextVar("refused_method", default=None)


class ApiRequest(HTTPXRequest):
    """HTTPXRequest that counts failed Bot API calls by method, for the metrics endpoint."""

    def __init__(
        self, metrics: Metrics, on_rejected: Callable[[], None] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._metrics = metrics
        self._on_rejected = on_rejected

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]  # never the whole URL: it holds the token
        try:
            code, payload = await super().do_request(url, method, request_data, *args, **kwargs)
        except TelegramError:
            self._metrics.api_errors.labels(api_method).inc()
            raise
        if code >= 400:
            self._metrics.api_errors.labels(api_method).inc()
            refused_method.set(api_method)
        if code == 401 and self._on_rejected is not None:  # Unauthorized: the token is no longer valid
            self._on_rejected()
        return code, payload


class UpdatesRequest(ApiRequest):
    """The getUpdates connection: a heartbeat on every answer, and no batch refused forever."""

    def __init__(
        self,
        metrics: Metrics,
        on_rejected: Callable[[], None] | None,
        on_answer: Callable[[], None],
        inbox: Inbox | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(metrics, on_rejected, **kwargs)
        self._on_answer = on_answer
        self._inbox = inbox
        self._last_offset: object = None
        self._last_had_updates = False
        self._parsed: tuple[bytes, dict[str, Any]] | None = None  # the last answer, and what it holds

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        polling = url.endswith("/getUpdates")
        offset = request_data.parameters.get("offset") if polling and request_data else None
        if type(offset) is int and self._inbox is not None:
            # This request confirms every update below `offset`: each must be handled or kept first.
            await self._inbox.confirming(offset)
        code, payload = await super().do_request(url, method, request_data, *args, **kwargs)
        if code != 200 or not polling:
            return code, payload
        self._on_answer()
        again = self._last_had_updates and offset == self._last_offset
        if again:
            payload = readable_updates(payload)  # the same batch again: it could not be read last time
        self._last_offset = offset
        self._last_had_updates = len(payload) > len(_EMPTY_ANSWER) * 2 or (
            payload.replace(b" ", b"") != _EMPTY_ANSWER
        )
        if self._last_had_updates and self._inbox is not None:
            # A batch fetched again was never queued: keep what is new, but skip nothing.
            payload = self._keep(payload, skip_repeats=not again)
        return code, payload

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        """The batch `_keep` read already, when this is its payload; any other, parsed as usual."""
        parsed, self._parsed = self._parsed, None
        if parsed is not None and parsed[0] is payload:
            return parsed[1]
        return super().parse_json_payload(payload)

    def _keep(self, payload: bytes, *, skip_repeats: bool) -> bytes:
        """Hand the batch's updates to the inbox; repeats of updates kept before become bare ids."""
        assert self._inbox is not None
        self._parsed = None
        parsed = _batch(payload)
        if parsed is None:
            return payload
        answer, updates = parsed
        result = []
        senders = []
        for update in updates:
            update_id = update.get("update_id") if isinstance(update, dict) else None
            if type(update_id) is not int:
                result.append(update)
                continue
            sender = _sender(update)
            if self._inbox.polled(update_id, update, sender) or not skip_repeats:
                result.append(update)  # (a batch fetched again was never queued: it skips nothing)
                if sender is not None:
                    senders.append(sender)
            else:
                self._inbox.repeats.add(update_id)
                result.append({"update_id": update_id})
        self._inbox.store.preload_languages(senders)
        if result != updates:
            answer["result"] = result
            payload = json.dumps(answer).encode()
        self._parsed = (payload, answer)
        return payload


def _sender(update: dict[str, Any]) -> int | None:
    """The id of who sent an update (its message's, query's… `from`), without building the Update."""
    for value in update.values():
        if isinstance(value, dict):
            sender = value.get("from")
            if isinstance(sender, dict) and type(sender.get("id")) is int:
                return sender["id"]
    return None


def _batch(payload: bytes) -> tuple[dict[str, Any], list[Any]] | None:
    """A getUpdates answer and its list of updates; None when it is not one (PTB reports that)."""
    try:
        answer = json.loads(payload)
        updates = answer["result"]
    except (ValueError, KeyError, TypeError):
        return None
    return (answer, updates) if isinstance(updates, list) else None


def readable_updates(payload: bytes) -> bytes:
    """The answer with every update python-telegram-bot cannot read replaced by its bare update_id."""
    parsed = _batch(payload)
    if parsed is None:
        return payload
    answer, updates = parsed
    readable = []
    for update in updates:
        try:
            Update.de_json(update, None)
        except Exception as exc:  # whatever the parser raises, the update is unreadable
            update_id = update.get("update_id") if isinstance(update, dict) else None
            # The type only: a parser's message may quote what the user sent.
            log.warning("Skipping update %s: it cannot be read (%s)", update_id, type(exc).__name__)
            if isinstance(update_id, int):
                readable.append({"update_id": update_id})
        else:
            readable.append(update)
    if readable == updates:
        return payload
    answer["result"] = readable
    return json.dumps(answer).encode()
