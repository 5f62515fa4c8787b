"""Words compared with `fuzz.ratio` against a cutoff, grouped so that most are never compared.

`fuzz.ratio` is 100 × (1 − Indel distance / (len(a) + len(b))), and the distance is at least the
difference in length, so a word can reach the cutoff only if 200 × min(len) / (len(a) + len(b)) does.
For a typical query word that rules out half of a catalogue's vocabulary before rapidfuzz sees it; the
words left keep their order, so ties are broken as over the whole list.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence


class Vocabulary:
    def __init__(self, words: Iterable[str]) -> None:
        self.words = list(words)
        self._lengths = sorted({len(w) for w in self.words})
        # Per query length and cutoff (a few dozen at most): the words, and their positions compactly.
        self._near: dict[tuple[int, float], tuple[list[str], Sequence[int]]] = {}

    def __len__(self) -> int:
        return len(self.words)

    def near(self, word: str, cutoff: float) -> list[str]:
        """The words, in order, whose length lets them score `cutoff` or more against `word`."""
        return self.near_at(word, cutoff)[0]

    def near_at(self, word: str, cutoff: float) -> tuple[list[str], Sequence[int]]:
        """`near`, and where each of those words is in `words`."""
        key = (len(word), cutoff)
        found = self._near.get(key)
        if found is None:
            size = len(word)
            fits = {n for n in self._lengths if 200 * min(size, n) >= (cutoff - 1e-6) * (size + n)}
            at = array("I", (i for i, w in enumerate(self.words) if len(w) in fits))
            found = self._near[key] = ([self.words[i] for i in at], at)
        return found
