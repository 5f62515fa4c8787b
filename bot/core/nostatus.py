"""Errors that are not HTTP status codes: `data/errors/*.toml`.

`curl: (7) Failed to connect`, `net::ERR_NAME_NOT_RESOLVED`, `ECONNREFUSED`, a CORS block, status 000,
Cloudflare's 1xxx pages: no status arrived (or the page hides it), and people still paste them asking what
went wrong. Each entry explains one, links the status codes it is confused with, and carries the patterns
that recognise it in a paste.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.core.catalogue import CatalogueError, Source, Text, load_models
from bot.core.lang import Lang, choose
from bot.core.resources import DATA_DIR
from bot.core.signatures import AnchorIndex, anchors, split_anchors

Anchors = tuple[tuple[str, tuple[str, ...]], ...] | None

ERRORS_DIR = DATA_DIR / "errors"

Family = Literal["no-response", "curl", "browser", "cors", "os", "cloudflare"]
FAMILIES: tuple[Family, ...] = ("no-response", "curl", "browser", "cors", "os", "cloudflare")


class NoStatus(BaseModel):
    """One error without an HTTP status: what it means, what to do, and how to recognise it."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(pattern=r"^[a-z0-9-]{2,24}$")
    family: Family
    badge: str = Field(min_length=1, max_length=14)
    emoji: str = Field(min_length=1, max_length=12)
    patterns: tuple[str, ...] = Field(min_length=1)
    related: tuple[int, ...] = ()
    served_with: int | None = Field(default=None, ge=100, le=599)  # Cloudflare's 1xxx: the HTTP status
    sources: tuple[Source, ...] = Field(min_length=1)
    en: Text
    zh: Text

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r}: {exc}") from None
        return patterns

    def text(self, lang: Lang) -> Text:
        return choose(lang, self.en, self.zh)

    @property
    def picture(self) -> str:
        """The name of its card: `err-curl-7`."""
        return f"err-{self.id}"


@dataclass(frozen=True)
class NoStatusHit:
    entry: NoStatus
    start: int
    length: int


@dataclass(frozen=True)
class NoStatusCatalogue:
    """All entries, in file order by family, with their patterns compiled once."""

    entries: tuple[NoStatus, ...]

    @cached_property
    def by_id(self) -> dict[str, NoStatus]:
        return {e.id: e for e in self.entries}

    @cached_property
    def _compiled(self) -> list[tuple[NoStatus, re.Pattern[str], Anchors]]:
        return [
            (e, re.compile(p, re.IGNORECASE), split_anchors(anchors(p)))
            for e in self.entries
            for p in e.patterns
        ]

    @cached_property
    def _candidates(self) -> AnchorIndex:
        return AnchorIndex([(i, needles) for i, (_, _, needles) in enumerate(self._compiled)])

    def __iter__(self) -> Iterator[NoStatus]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, error_id: str) -> NoStatus | None:
        return self.by_id.get(error_id)

    def in_family(self, family: str) -> tuple[NoStatus, ...]:
        return tuple(e for e in self.entries if e.family == family)

    def find(self, text: str) -> list[NoStatusHit]:
        """Entries recognised in a normalised paste, longest match first (the most specific message)."""
        best: dict[str, NoStatusHit] = {}
        for i in self._candidates.candidates(text.lower()):
            entry, pattern, _ = self._compiled[i]
            m = pattern.search(text)
            if m is None:
                continue
            hit = NoStatusHit(entry, m.start(), m.end() - m.start())
            known = best.get(entry.id)
            if known is None or hit.length > known.length:
                best[entry.id] = hit
        return sorted(best.values(), key=lambda h: (-h.length, h.start))


def load_nostatus(known_codes: frozenset[int], directory: Path = ERRORS_DIR) -> NoStatusCatalogue:
    """Load and check every entry; a broken one stops the program naming the file and the field."""
    entries = []
    for path, entry in load_models(directory, NoStatus, "id"):
        codes = (*entry.related, *([entry.served_with] if entry.served_with else ()))
        unknown = [c for c in codes if c not in known_codes]
        if unknown:
            raise CatalogueError(f"{path}: field related: {unknown} not in the catalogue")
        entries.append(entry)
    order = {family: i for i, family in enumerate(FAMILIES)}
    # curl 6 before curl 18: numbers in ids sort as numbers.
    entries.sort(
        key=lambda e: (order[e.family], [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", e.id)])
    )
    return NoStatusCatalogue(tuple(entries))
