"""Which codes a question in plain words is about: BM25 over what each entry says.

Fuzzy matching (rapidfuzz) is right for a reason phrase with a typo ("bad gatway"); a question ("the server
says my upload is too big") shares words, not spelling, with the entry. BM25 weighs each shared word by how
rare it is in the catalogue, so "upload" counts and "server" barely does.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from rapidfuzz import fuzz, process

from bot.core.catalogue import Catalogue, Entry
from bot.core.vocabulary import Vocabulary

# BM25's usual constants: term-frequency saturation and length normalisation.
K1 = 1.2
B = 0.6
# A word in a title, former name or keyword says more than a word in the prose around it.
NAME_WEIGHT = 3
TYPO_SCORE = 86.0  # a query word this alike to a catalogue word is that word, misspelt
_WORD = re.compile(r"[a-z0-9][a-z0-9'_-]*[a-z0-9]|[a-z0-9]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_STOP = frozenset(
    (
        "a",
        "after",
        "again",
        "always",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "for",
        "from",
        "get",
        "gets",
        "got",
        "has",
        "have",
        "i",
        "i'm",
        "if",
        "in",
        "into",
        "is",
        "it",
        "it's",
        "its",
        "just",
        "keep",
        "keeps",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "say",
        "says",
        "so",
        "some",
        "still",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "too",
        "us",
        "very",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "won't",
        "you",
        "your",
    )
)


def stem(word: str) -> str:
    """A crude English stem: enough that `requests`, `requested` and `request` meet."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


# Addresses, hosts, paths and anything with a digit say nothing about which code a question is about:
# "john@example.com" must not find the entry that mentions example.com.
_NOT_WORDS = re.compile(r"\S*[@/\\]\S*|\S+\.\S+|\S*\d\S*")


def terms(text: str) -> list[str]:
    """Stemmed English words without stop words, and Chinese as overlapping character pairs."""
    text = _NOT_WORDS.sub(" ", text.casefold())
    found = [stem(w) for w in _WORD.findall(text) if w not in _STOP and len(w) > 1]
    for run in _CJK.findall(text):
        found.extend(run[i : i + 2] for i in range(len(run) - 1)) if len(run) > 1 else found.append(run)
    return found


def _document(entry: Entry) -> Counter[str]:
    names: list[str] = []
    prose: list[str] = []
    for text in (entry.en, entry.zh):
        names += [text.title, *text.keywords]
        prose += [text.summary, text.tip, text.description, *text.causes]
    names += [*entry.former_names, *entry.aka]
    counts: Counter[str] = Counter()
    for name in names:
        for term in terms(name):
            counts[term] += NAME_WEIGHT
    for line in prose:
        counts.update(terms(line))
    return counts


class Ranker:
    """BM25 over the catalogue, built once."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.codes = list(catalogue.codes)
        self.docs = [_document(e) for e in catalogue]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.average = sum(self.lengths) / max(len(self.lengths), 1)
        frequency: Counter[str] = Counter()
        for doc in self.docs:
            frequency.update(doc.keys())
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in frequency.items()}
        self.vocabulary = Vocabulary(t for t in self.idf if t.isascii() and len(t) > 3)

    def _known(self, words: Iterable[str]) -> list[str]:
        """Query terms as the catalogue spells them: unknown words are matched to a close known one."""
        known = []
        for word in words:
            if word in self.idf:
                known.append(word)
            elif word.isascii() and len(word) > 3:
                match = process.extractOne(
                    word, self.vocabulary.near(word, TYPO_SCORE), scorer=fuzz.ratio, score_cutoff=TYPO_SCORE
                )
                if match is not None:
                    known.append(match[0])
        return known

    def rank(self, query: str, limit: int = 5) -> list[tuple[int, float, int]]:
        """(code, score, words shared) best first; only codes sharing a meaningful word with the query."""
        query_terms = list(dict.fromkeys(self._known(terms(query))))  # each word once
        if not query_terms:
            return []
        scores = []
        for i, doc in enumerate(self.docs):
            score = 0.0
            shared = 0
            norm = K1 * (1 - B + B * self.lengths[i] / self.average)
            for term in query_terms:
                tf = doc.get(term, 0)
                if tf:
                    score += self.idf[term] * tf * (K1 + 1) / (tf + norm)
                    shared += 1
            if score > 0:
                scores.append((self.codes[i], score, shared))
        scores.sort(key=lambda cs: -cs[1])
        return scores[:limit]
