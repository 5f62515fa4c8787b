"""Codes people mix up, side by side: `data/comparisons/*.toml`, and reading "301 vs 308" in a query.

Each set holds the rows that tell its codes apart (for redirects: permanent or not, may the method change,
cacheable by default…) and a line per code on when to use it. Any other two or more codes are compared on
the facts every entry has (class, registration, cacheable, retry, who acts).
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.core.catalogue import CatalogueError, Source, load_models
from bot.core.lang import Lang, choose
from bot.core.resources import DATA_DIR

COMPARISONS_DIR = DATA_DIR / "comparisons"
MAX_CODES = 5  # columns that fit a phone screen and a 64-byte button


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Heading(_Strict):
    title: str = Field(min_length=3, max_length=60)
    summary: str = Field(min_length=10, max_length=300)


class Row(_Strict):
    """One fact, with its value for each code of the set, in both languages."""

    en: str = Field(min_length=2, max_length=40)
    zh: str = Field(min_length=1, max_length=20)
    en_values: tuple[str, ...]
    zh_values: tuple[str, ...]

    def label(self, lang: Lang) -> str:
        return choose(lang, self.en, self.zh)

    def values(self, lang: Lang) -> tuple[str, ...]:
        return choose(lang, self.en_values, self.zh_values)


class UseWhen(_Strict):
    en: tuple[str, ...]
    zh: tuple[str, ...]


class Comparison(_Strict):
    """A set of codes people confuse, and what tells them apart."""

    id: str = Field(pattern=r"^[a-z0-9-]{2,24}$")
    codes: tuple[int, ...] = Field(min_length=2, max_length=MAX_CODES)
    sources: tuple[Source, ...] = Field(min_length=1)
    en: Heading
    zh: Heading
    row: tuple[Row, ...] = Field(min_length=2, max_length=7)
    use_when: UseWhen

    @model_validator(mode="after")
    def _one_value_per_code(self) -> Comparison:
        n = len(self.codes)
        for row in self.row:
            if len(row.en_values) != n or len(row.zh_values) != n:
                raise ValueError(f"row {row.en!r}: one value per code ({n}) in both languages")
        if len(self.use_when.en) != n or len(self.use_when.zh) != n:
            raise ValueError(f"use_when: one line per code ({n}) in both languages")
        return self

    def heading(self, lang: Lang) -> Heading:
        return choose(lang, self.en, self.zh)

    def use(self, code: int, lang: Lang) -> str:
        return choose(lang, self.use_when.en, self.use_when.zh)[self.codes.index(code)]

    @property
    def picture(self) -> str:
        return f"cmp-{self.id}"


@dataclass(frozen=True)
class Comparisons:
    sets: tuple[Comparison, ...]

    @cached_property
    def by_id(self) -> dict[str, Comparison]:
        return {c.id: c for c in self.sets}

    def __iter__(self) -> Iterator[Comparison]:
        return iter(self.sets)

    def get(self, set_id: str) -> Comparison | None:
        return self.by_id.get(set_id)

    def of(self, code: int) -> Comparison | None:
        """The set a code belongs to (its card's ⚖ button), the smallest if several."""
        holding = [c for c in self.sets if code in c.codes]
        return min(holding, key=lambda c: len(c.codes)) if holding else None

    def covering(self, codes: tuple[int, ...]) -> Comparison | None:
        """The smallest set holding all of `codes`, if any."""
        holding = [c for c in self.sets if set(codes) <= set(c.codes)]
        return min(holding, key=lambda c: len(c.codes)) if holding else None


def load_comparisons(known: Container[int], directory: Path = COMPARISONS_DIR) -> Comparisons:
    """Load and check every set; a broken one stops the program naming the file and the field."""
    sets = []
    for path, comparison in load_models(directory, Comparison, "id"):
        unknown = [c for c in comparison.codes if c not in known]
        if unknown:
            raise CatalogueError(f"{path}: field codes: {unknown} not in the catalogue")
        sets.append(comparison)
    return Comparisons(tuple(sets))


# -- reading a comparison in a query -----------------------------------------------------------------

_NUMBER = re.compile(r"(?<!\d)([1-9]\d\d)(?!\d)")
# Words that ask for a comparison; one of them (or /compare) must be there.
_ASKS = re.compile(
    r"/compare\b|\bvs\.?(?!\w)|\bversus\b|\bor\b|\bcompare\b|\bcompared\b|\bdifference\b|\bdiff\b"
    r"|区别|差别|不同|对比|比较|还是|和|与|跟|或"
)
# What may stand around the codes in such a question, and nothing else: a log line with two codes in it
# is not a question.
_FILLER = re.compile(
    r"/compare(?:@\w+)?|\b(?:vs|versus|or|and|compare|compared|with|to|difference|differences|diff|between|"
    r"what|what's|whats|is|are|the|of|http|status|codes?|which|one|should|i|use|when)\b|[.,;:!?？，、。/&()'-]"
    r"|区别|差别|不同|对比|比较|还是|和|与|跟|或|的|是|什么|啥|有|哪个|该|用|之间|状态码|请问|吗|呢"
)


def codes_compared(text: str, known: frozenset[int] | set[int]) -> tuple[int, ...] | None:
    """`/compare 301 308`, `301 vs 308`, `401 和 403 的区别`, `502 or 504` → the codes, in order; None when
    the text is not a comparison of two to five known codes."""
    lowered = text.casefold().strip()
    if len(lowered) > 120 or not _ASKS.search(lowered):
        return None
    codes = tuple(dict.fromkeys(int(c) for c in _NUMBER.findall(lowered)))
    if not 2 <= len(codes) <= MAX_CODES or any(c not in known for c in codes):
        return None
    rest = _FILLER.sub(" ", _NUMBER.sub(" ", lowered))
    return codes if not rest.split() else None
