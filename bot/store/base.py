"""The store's interface, shared by both engines, and the records it holds (plain tuples: validating
operators' files is the command line's business, bot/terminal/state.py)."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import NamedTuple

from bot.core.lang import Lang

log = logging.getLogger(__name__)

# Telegram keeps an update for 24 hours; an id seen within that time is not handled twice.
SEEN_SECONDS = 24 * 3600
LANG_CACHE = 20_000  # users whose language (or its absence) a store remembers: about 2 MB


class LanguageCache:
    """The languages of the users seen last, or None for "no choice": asked for on every update, so
    a recent user costs no database read. Least recently used dropped first."""

    def __init__(self, size: int = LANG_CACHE) -> None:
        self.size = size
        self._langs: OrderedDict[int, Lang | None] = OrderedDict()

    def __contains__(self, user_id: int) -> bool:
        return user_id in self._langs

    def __len__(self) -> int:
        return len(self._langs)

    def get(self, user_id: int) -> Lang | None:
        """The cached language of a user the cache holds (check with `in` first)."""
        self._langs.move_to_end(user_id)
        return self._langs[user_id]

    def put(self, user_id: int, lang: Lang | None) -> None:
        self._langs[user_id] = lang
        self._langs.move_to_end(user_id)
        if len(self._langs) > self.size:
            self._langs.popitem(last=False)

    def update(self, user_id: int, lang: Lang | None) -> None:
        """A change made elsewhere: followed for a user the cache holds, others stay unknown."""
        if user_id in self._langs:
            self._langs[user_id] = lang

    def clear(self) -> None:
        self._langs.clear()


class StoreError(Exception):
    """The store cannot be opened or used as configured: one line for the operator."""


class Language(NamedTuple):
    """A user's language choice, as stored, exported and imported."""

    user_id: int
    lang: Lang


class FileId(NamedTuple):
    """The Telegram file_id of one of our pictures (its key names the picture and its content)."""

    key: str
    file_id: str


class Store(ABC):
    """Every method a handler awaits returns quickly and never raises: a store that fails is logged
    once, reported by `degraded`, and the bot answers without it (languages from Telegram, pictures
    uploaded again, updates handled before they are acknowledged)."""

    degraded: bool = False
    engine: str = "store"
    # Set by the bot: where kept updates found while running (a replica that went away) are handed.
    on_unfinished: Callable[[list[tuple[int, bytes]]], None] | None = None

    @abstractmethod
    async def open(self) -> None:
        """Connect and prepare; called once before the first update."""

    @abstractmethod
    async def close(self) -> None:
        """Finish pending writes and let go of connections."""

    @abstractmethod
    async def flush(self) -> None:
        """Returns once every write handed over so far (done marks included) is stored."""

    # -- languages ------------------------------------------------------------------------------

    @abstractmethod
    async def language(self, user_id: int) -> Lang | None: ...

    @abstractmethod
    async def set_language(self, user_id: int, lang: Lang) -> None:
        """Returns once the choice is stored, so the user's next message sees it on any replica."""

    def preload_languages(self, user_ids: Sequence[int]) -> None:
        """The languages of a polled batch's senders, read at once before each of their updates asks
        for its own. Redis brings them back in the round trip that keeps a batch (`inbox_add`)."""
        return None

    # -- file ids -------------------------------------------------------------------------------

    @abstractmethod
    def known_file_id(self, key: str) -> str | None:
        """This process's copy, without a round trip: for inline answers, which must be quick."""

    @abstractmethod
    async def file_id(self, key: str) -> str | None: ...

    @abstractmethod
    async def remember_file_id(self, key: str, file_id: str) -> None: ...

    @abstractmethod
    async def forget_file_id(self, key: str) -> None: ...

    # -- inbox ----------------------------------------------------------------------------------

    @abstractmethod
    async def inbox_add(
        self, updates: Sequence[tuple[int, bytes]], users: Sequence[int] = ()
    ) -> set[int] | None:
        """Keep updates durably before they are acknowledged. Returns the ids not seen before (the
        others are repeats to skip), or None when they could not be kept: handle them before
        acknowledging. `users`, their senders, are whose languages the handlers will ask for next:
        an engine across a network may bring them back in the same round trip."""

    @abstractmethod
    def inbox_done(self, update_id: int) -> None:
        """The update was handled; it is not handled again. Returns at once (written in the background)."""

    @abstractmethod
    async def inbox_unfinished(self) -> list[tuple[int, bytes]]:
        """Updates kept but never marked done (a crash, a kill), oldest first, to handle on start."""

    @abstractmethod
    async def recent_ids(self, limit: int) -> list[int]:
        """The newest update ids kept (done or not): what Telegram may still deliver again."""

    # -- operators ------------------------------------------------------------------------------

    @abstractmethod
    async def stats(self) -> dict[str, int | str]: ...

    @abstractmethod
    def export(self) -> AsyncIterator[dict]:
        """Every language and file_id as a record, streamed."""

    @abstractmethod
    async def import_records(self, records: Iterable[Language | FileId]) -> int:
        """Write records (later ones win); idempotent. Returns how many were written."""


def batched(items: Iterable, size: int) -> Iterable[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
