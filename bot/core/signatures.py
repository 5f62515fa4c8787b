"""Error messages that carry no status number, and the codes they mean: `data/signatures/*.toml`.

"upstream timed out … while reading response header" is nginx answering 504; "SlowDown" is Amazon S3's 503.
Each signature is content (reviewed in a diff, with its source); here they are validated and compiled once,
and a paste is matched against all of them.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from re import _constants as sre_constants  # the regex parser's own vocabulary (stdlib, stable)
from re import _parser as sre_parse

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.core.catalogue import CatalogueError
from bot.core.lang import Lang, choose
from bot.core.resources import DATA_DIR

SIGNATURES_DIR = DATA_DIR / "signatures"


class Signature(BaseModel):
    """One message or error name, the codes it means (most likely first), and where that is documented."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    phrase: str | None = Field(default=None, min_length=4)
    regex: str | None = Field(default=None, min_length=4)
    codes: tuple[int, ...] = Field(min_length=1, max_length=5)
    vendor: str = Field(min_length=2)
    en: str = Field(min_length=3, max_length=80)
    zh: str = Field(min_length=2, max_length=60)
    source: str = Field(pattern=r"^https://\S+$")
    note: str = ""

    @model_validator(mode="after")
    def _one_pattern(self) -> Signature:
        if (self.phrase is None) == (self.regex is None):
            raise ValueError("exactly one of phrase or regex")
        return self

    def label(self, lang: Lang) -> str:
        """What was recognised, in the user's language: `nginx: the upstream timed out`."""
        return choose(lang, self.en, self.zh)

    def pattern(self) -> re.Pattern[str]:
        if self.regex is not None:
            return re.compile(self.regex, re.IGNORECASE)
        words = [re.escape(w) for w in (self.phrase or "").split()]
        body = r"\s+".join(words)
        head = r"(?<!\w)" if re.match(r"\w", self.phrase or "") else ""
        tail = r"(?!\w)" if re.search(r"\w$", self.phrase or "") else ""
        return re.compile(head + body + tail, re.IGNORECASE)


MIN_ANCHOR = 3
_SPACE = [(sre_constants.CATEGORY, sre_constants.CATEGORY_SPACE)]


def _required(items: list) -> list[list[str]] | None:
    """What any text matching this parsed sequence contains, as alternatives of strings that must all be
    there (`[["upstream timed out"], ["no live", "upstreams"]]`), or None when that cannot be told."""
    runs: list[str] = []
    inner: list[list[str]] | None = None
    run = ""
    for op, arg in items:
        if op is sre_constants.LITERAL:
            run += chr(arg)
            continue
        if op is sre_constants.MAX_REPEAT and arg[0] >= 1 and list(arg[2]) == [(sre_constants.IN, _SPACE)]:
            run += " "  # `\s+`: the text searched is normalised, its white space one space
            continue
        runs.append(run)
        run = ""
        if inner is None and op is sre_constants.SUBPATTERN:
            inner = _required(list(arg[3]))
        elif inner is None and op is sre_constants.BRANCH:
            branches = [_required(list(branch)) for branch in arg[1]]
            if all(b is not None for b in branches):
                inner = [conj for b in branches if b for conj in b]
    runs.append(run)
    needed = [r.strip().lower() for r in runs if len(r.strip()) >= MIN_ANCHOR]
    if needed:
        return [needed + conj for conj in inner] if inner else [needed]
    return inner


def anchors(pattern: str) -> tuple[tuple[str, ...], ...] | None:
    """Lower-case strings a text must hold for `pattern` to match: any one of the tuples, all of its
    strings. None when that cannot be told. Checking `anchor in text` first skips almost every regex."""
    found = _required(list(sre_parse.parse(pattern, re.IGNORECASE)))
    return tuple(tuple(dict.fromkeys(conj)) for conj in found) if found else None


def split_anchors(
    found: tuple[tuple[str, ...], ...] | None,
) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """Each set of strings a match needs, as (the longest, the others): the longest is the rarest."""
    if found is None:
        return None
    return tuple((max(c, key=len), tuple(n for n in c if n != max(c, key=len))) for c in found)


_WORDS = re.compile(r"[a-z0-9_]+")
LONG_TEXT = 400  # characters: below this, plain substring searches are cheaper than splitting into words


def _inner_word(anchor: str) -> str | None:
    """The longest word of `anchor` that does not touch its ends: the characters around it are, inside
    the anchor and so in any text holding it, not word characters."""
    inner = [m.group() for m in _WORDS.finditer(anchor) if m.start() > 0 and m.end() < len(anchor)]
    return max(inner, key=len) if inner else None


class AnchorIndex:
    """Which patterns may match a text, from the anchors it contains: each distinct anchor is looked for
    once per text, and only the patterns of the anchors found are considered, so a short question costs
    a few microseconds whatever the number of patterns."""

    def __init__(
        self,
        items: list[tuple[int, tuple[tuple[str, tuple[str, ...]], ...] | None]],
        bounded: frozenset[str] = frozenset(),
    ) -> None:
        self._always = [i for i, needles in items if needles is None]
        self._by_anchor: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for i, needles in items:
            for first, rest in needles or ():
                self._by_anchor.setdefault(first, []).append((i, rest))
        self._anchors = sorted(self._by_anchor)
        # A word inside an anchor, delimited within it on both sides, must be a whole word of any text the
        # anchor is in: on a long paste, one set lookup rules most anchors out before a substring search.
        # `bounded` anchors are whole phrases matched on word boundaries: any of their words will do.
        self._inner = {
            a: (max(_WORDS.findall(a), key=len) if a in bounded and _WORDS.search(a) else _inner_word(a))
            for a in self._anchors
        }

    def candidates(self, lowered: str) -> list[int]:
        """Indexes of the patterns worth running on `lowered`, in their original order."""
        found = set(self._always)
        words = set(_WORDS.findall(lowered)) if len(lowered) > LONG_TEXT else None
        for anchor in self._anchors:
            inner = self._inner[anchor]
            if words is not None and inner is not None and inner not in words:
                continue
            if anchor in lowered:
                for i, rest in self._by_anchor[anchor]:
                    if i not in found and all(n in lowered for n in rest):
                        found.add(i)
        return sorted(found)


@dataclass(frozen=True)
class SignatureHit:
    signature: Signature
    start: int
    length: int


class Signatures:
    """All signatures, compiled: `find(text)` lists what a paste contains, in order of appearance."""

    def __init__(self, signatures: tuple[Signature, ...]) -> None:
        self.signatures = signatures
        self._compiled = [
            (s, p, split_anchors(anchors(p.pattern))) for s in signatures for p in (s.pattern(),)
        ]
        bounded = frozenset(
            " ".join(s.phrase.lower().split())
            for s in signatures
            if s.phrase and re.match(r"\w", s.phrase) and re.search(r"\w$", s.phrase)
        )
        self._candidates = AnchorIndex(
            [(i, needles) for i, (_, _, needles) in enumerate(self._compiled)], bounded
        )

    def __len__(self) -> int:
        return len(self.signatures)

    def find(self, text: str) -> list[SignatureHit]:
        """Signatures found in `text`, which is normalised (white space folded to single spaces)."""
        hits = []
        for i in self._candidates.candidates(text.lower()):
            signature, pattern, _ = self._compiled[i]
            m = pattern.search(text)
            if m is not None:
                hits.append(SignatureHit(signature, m.start(), m.end() - m.start()))
        # A message inside a longer one that was recognised too says less: keep the longer.
        hits.sort(key=lambda h: (h.start, -h.length))
        kept: list[SignatureHit] = []
        for hit in hits:
            if kept and hit.start + hit.length <= kept[-1].start + kept[-1].length:
                continue
            kept.append(hit)
        return kept


def load_signatures(known_codes: set[int] | frozenset[int], directory: Path = SIGNATURES_DIR) -> Signatures:
    """Load and check every signature file; a bad entry stops the program naming file and entry."""
    found: list[Signature] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            with path.open("rb") as fh:
                raw = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CatalogueError(f"{path}: {exc}") from None
        for number, item in enumerate(raw.get("signature", []), start=1):
            where = f"{path}: signature {number}"
            try:
                signature = Signature.model_validate(item)
                signature.pattern()
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first["loc"]) or "(entry)"
                raise CatalogueError(f"{where}: field {field}: {first['msg']}") from None
            except re.error as exc:
                raise CatalogueError(f"{where}: field regex: {exc}") from None
            unknown = [c for c in signature.codes if c not in known_codes]
            if unknown:
                raise CatalogueError(f"{where}: field codes: {unknown} not in the catalogue")
            found.append(signature)
    return Signatures(tuple(found))
