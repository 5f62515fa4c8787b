"""The status-code catalogue: loads and validates `data/codes/*.toml` and `data/classes.toml`.

Pure: imports nothing from `telegram`. Validation happens once at start so that a broken
entry stops the program with the file and field named, instead of failing in front of a user.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.core.lang import LANGS, Lang, choose
from bot.core.resources import DATA_DIR

__all__ = ["LANGS", "Catalogue", "CatalogueError", "Entry", "Lang", "load_catalogue"]


class CatalogueError(Exception):
    """A catalogue file is missing, unreadable or has an invalid field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _nonempty_items(items: tuple[str, ...]) -> tuple[str, ...]:
    if any(not item for item in items):
        raise ValueError("items must not be empty strings")
    return items


class Text(_Strict):
    """What an entry says in one language."""

    title: str = Field(min_length=1, max_length=60)
    summary: str = Field(min_length=10, max_length=200)
    description: str = Field(min_length=40, max_length=600)
    tip: str = Field(min_length=8, max_length=220)
    causes: tuple[str, ...] = Field(min_length=1)
    client_fix: tuple[str, ...] = Field(min_length=1)
    server_fix: tuple[str, ...] = Field(min_length=1)
    keywords: tuple[str, ...] = ()

    _check_lists = field_validator("causes", "client_fix", "server_fix", "keywords")(_nonempty_items)


class Source(_Strict):
    """A document an entry's facts were checked against: an RFC section, the IANA registry, a vendor page."""

    title: str = Field(min_length=3, max_length=200)
    url: str = Field(pattern=r"^https://[^\s]+$")


class OtherText(_Strict):
    title: str = Field(min_length=1, max_length=60)
    description: str = Field(min_length=20, max_length=400)


class OtherMeaning(_Strict):
    """Another vendor's meaning of the same number (499, 420, 530, 451…)."""

    vendor: str = Field(min_length=2)
    # "draft" marks a meaning only proposed in an Internet-Draft (419 Purpose Declined).
    status: Literal["vendor", "draft"] = "vendor"
    sources: tuple[Source, ...] = ()
    en: OtherText
    zh: OtherText

    def text(self, lang: Lang) -> OtherText:
        return choose(lang, self.en, self.zh)


class Entry(_Strict):
    """One status code with everything the bot can say about it."""

    # Vendors use numbers outside 100-599 too (LinkedIn's 999); those are always unofficial.
    code: int = Field(ge=100, le=999)
    # Such a number has no class; the entry names the class it is browsed under (999: 4, a refusal).
    browse_class: int | None = Field(default=None, ge=1, le=5)
    emoji: str = Field(min_length=1, max_length=12)
    status: Literal["standard", "temporary", "unused", "obsoleted", "unofficial"]
    # For IANA temporary registrations (RFC 7120): when registered and when the registration expires.
    registered: date | None = None
    expires: date | None = None
    vendors: tuple[str, ...] = ()
    spec: str = Field(min_length=3)
    spec_url: str = Field(pattern=r"^https://[^\s]+$")
    mdn_url: str = Field(default="", pattern=r"^(https://developer\.mozilla\.org/en-US/docs/[^\s]+)?$")
    former_names: tuple[str, ...] = ()
    # Names people use that are not, or never were, the registered reason phrase ("I'm a teapot").
    aka: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    cacheable: bool
    retry: Literal["not-needed", "safe", "idempotent-only", "fix-first"]
    fault: Literal["none", "client", "server", "network"]
    confused_with: tuple[int, ...] = ()
    constants: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    en: Text
    zh: Text
    also: tuple[OtherMeaning, ...] = ()

    _check_lists = field_validator("vendors", "former_names", "aka", "headers", "constants")(_nonempty_items)

    @model_validator(mode="after")
    def _out_of_range_is_unofficial(self) -> Entry:
        if (self.code > 599) != (self.browse_class is not None):
            raise ValueError("browse_class is set exactly for codes above 599")
        if self.code > 599 and self.status != "unofficial":
            raise ValueError("codes above 599 are never registered: status must be unofficial")
        return self

    @property
    def in_range(self) -> bool:
        """Inside 100-599, the range RFC 9110 gives status codes."""
        return self.code <= 599

    @property
    def status_class(self) -> int:
        """The first digit, 1 to 5; for a number outside the range, the class it is browsed under."""
        return self.browse_class or self.code // 100

    @property
    def official(self) -> bool:
        return self.status != "unofficial"

    def text(self, lang: Lang) -> Text:
        return choose(lang, self.en, self.zh)

    def label(self, lang: Lang = "en") -> str:
        """`404 Not Found` or `404 未找到`."""
        return f"{self.code} {self.text(lang).title}"


class StatusClass(_Strict):
    """One of the five classes, 1xx to 5xx."""

    digit: int = Field(ge=1, le=5)
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    emoji: str = Field(min_length=1, max_length=12)
    en_title: str
    zh_title: str
    en_meaning: str
    zh_meaning: str

    @property
    def name(self) -> str:
        return f"{self.digit}xx"

    def title(self, lang: Lang) -> str:
        return choose(lang, self.en_title, self.zh_title)

    def meaning(self, lang: Lang) -> str:
        return choose(lang, self.en_meaning, self.zh_meaning)


@dataclass(frozen=True)
class Catalogue:
    """All entries, in code order, with the class descriptions."""

    entries: tuple[Entry, ...]
    classes: tuple[StatusClass, ...]

    @cached_property
    def by_code(self) -> dict[int, Entry]:
        return {e.code: e for e in self.entries}

    @cached_property
    def codes(self) -> tuple[int, ...]:
        return tuple(e.code for e in self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, code: object) -> bool:
        return code in self.by_code

    def get(self, code: int) -> Entry | None:
        return self.by_code.get(code)

    def status_class(self, digit: int) -> StatusClass:
        return self.classes[digit - 1]

    def in_class(self, digit: int) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.status_class == digit)

    def neighbours(self, code: int) -> tuple[Entry | None, Entry | None]:
        """The previous and next codes in catalogue order (wrapping around the ends)."""
        codes = self.codes
        i = codes.index(code)
        return self.by_code[codes[i - 1]], self.by_code[codes[(i + 1) % len(codes)]]

    def nearest(self, code: int, count: int = 3) -> tuple[Entry, ...]:
        """Real codes closest to `code`, preferring its own class: for "999 is not a status code"."""
        ranked = sorted(self.entries, key=lambda e: (e.status_class != code // 100, abs(e.code - code)))
        return tuple(ranked[:count])


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(file)"
    return f"field {where}: {first['msg']}"


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from None


def load_entry(path: Path) -> Entry:
    """Load one code file; the file name must be the code."""
    raw = _read_toml(path)
    try:
        entry = Entry.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(f"{path}: {_describe(exc)}") from None
    if path.stem != str(entry.code):
        raise CatalogueError(f"{path}: field code: {entry.code} does not match the file name")
    return entry


def load_classes(path: Path) -> tuple[StatusClass, ...]:
    raw = _read_toml(path)
    classes = []
    for digit in range(1, 6):
        name = f"{digit}xx"
        try:
            classes.append(StatusClass.model_validate({"digit": digit, **raw.get(name, {})}))
        except ValidationError as exc:
            raise CatalogueError(f"{path}: [{name}] {_describe(exc)}") from None
    return tuple(classes)


def load_catalogue(data_dir: Path = DATA_DIR) -> Catalogue:
    """Load and cross-check the whole catalogue; raises CatalogueError naming file and field."""
    code_dir = data_dir / "codes"
    paths = sorted(code_dir.glob("*.toml"))
    if not paths:
        raise CatalogueError(f"{code_dir}: no code files found")
    entries = sorted((load_entry(p) for p in paths), key=lambda e: e.code)
    known = {e.code for e in entries}
    for entry in entries:
        unknown = [c for c in entry.confused_with if c not in known or c == entry.code]
        if unknown:
            raise CatalogueError(
                f"{code_dir / f'{entry.code}.toml'}: field confused_with: {unknown} not in the catalogue"
            )
    return Catalogue(entries=tuple(entries), classes=load_classes(data_dir / "classes.toml"))


M = TypeVar("M", bound=BaseModel)


def load_models(directory: Path, model: type[M], name_field: str) -> list[tuple[Path, M]]:
    """Every `*.toml` in `directory` as `model`, the file name matching `name_field`; a broken file stops
    the program with the file and the field named (the errors, comparisons and other content folders)."""
    loaded = []
    for path in sorted(directory.glob("*.toml")):
        try:
            item = model.model_validate(_read_toml(path))
        except ValidationError as exc:
            raise CatalogueError(f"{path}: {_describe(exc)}") from None
        if path.stem != str(getattr(item, name_field)):
            raise CatalogueError(f"{path}: field {name_field}: does not match the file name")
        loaded.append((path, item))
    return loaded
