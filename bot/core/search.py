"""From anything a user types to a ranked answer: codes, classes, status lines, log lines, phrases, Chinese.

Evidence is weighed in tiers, strongest first: a number in a status position (a status line, a `status`
field, a log format's status column, a number followed by its reason phrase), then a known error message
(`data/signatures/`), then a number standing alone, then the words of the query (exact phrases, then
rapidfuzz). Pure: no I/O after the index is built, and total by construction: every step works on a
normalised string and returns a result.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process

from bot.core.catalogue import Catalogue, Entry
from bot.core.comparisons import Comparisons, codes_compared, load_comparisons
from bot.core.nostatus import NoStatus, NoStatusCatalogue, load_nostatus
from bot.core.ranking import Ranker
from bot.core.signatures import Signature, Signatures, load_signatures
from bot.core.vocabulary import Vocabulary

Kind = Literal["hit", "choices", "class", "unknown", "miss", "empty", "error", "compare"]

# Long pastes are scanned for codes in full, but only a short prefix is worth fuzzy matching.
MAX_SCAN = 20_000
MAX_FUZZY = 80
MAX_PHRASE = 120  # longer than any name or keyword: no need to look the whole text up as one
# Answers to short queries remembered, most recent first: people ask for the same few codes again and
# again (`404`, `502`, `not found`), and inline mode asks again at every keystroke.
CACHED_QUERIES = 4096
CACHED_QUERY_CHARS = MAX_PHRASE  # a paste is rarely sent twice, and would hold memory for nothing
HIT_SCORE = 88.0
CHOICE_SCORE = 62.0
HIT_MARGIN = 6.0
NEAR_SCORE = 50.0
MAX_CHOICES = 5
FUZZY_LIMIT = 24
WORD_SCORE = 75.0  # a query word and a catalogue word this alike are the same word with a typo
MAX_QUERY_WORDS = 8
# BM25 scores of a plain-words question (bot/core/ranking.py): at least this much to be offered at all,
# this much and this far ahead of the next code to be the answer; offered codes score within a fraction
# of the best.
WORDS_CHOICE = 4.0
WORDS_HIT = 7.0
WORDS_MARGIN = 1.3
WORDS_CLOSE = 0.7
# Words too common to tell codes apart; they would only make every text a candidate.
_STOPWORDS = frozenset(
    ("a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "i", "in", "is", "it"),
) | frozenset(("its", "my", "of", "on", "or", "our", "the", "this", "to", "was", "we", "with", "you", "your"))
# Weighted scores below NEAR_SCORE are never shown (see _fuzzy), and weights are at most 1, so lower raw
# scores need not be ranked at all.
FUZZY_CUTOFF = NEAR_SCORE - 1  # a margin: WRatio may drop a score a hair above its cutoff

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]+")
_APOSTROPHES = re.compile(r"['’`]")
_LONE_LETTER = re.compile(r"(?<!\S)[a-z](?!\S)")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_BARE_CODE = re.compile(r"#?(\d{3})")
_CLASS = re.compile(r"([1-5])\s*xx")
# A three-digit number standing alone: not part of a longer number, a decimal, an IP, a time or a version.
_NUMBER = re.compile(r"(?<![\w.:/\-+])(\d{3})(?![\w%]|[.:/]\d)")
# Words right before a number that make it a status code: "HTTP/1.1 503", "status 404", "returned 502".
_STRONG_BEFORE = re.compile(
    r"(?:https?/[\d.]+\"?|status(?:\s*code)?(?:\s*of)?|code|error|err|returned|responded\s+with|response"
    r"|responded|got|http|状态码|状态|错误码|错误|返回)\W{0,3}$",
)
_STRONG_AFTER = re.compile(r"^\s*(?:client\s+error|server\s+error|error\b)")

# Evidence tiers (see the module docstring): a status position beats a known message beats a lone number.
STATUS_POSITION = 100.0
SIGNATURE = 90.0
LONE_NUMBER = 60.0
# Numbers in a status position, in a normalised (lower-case) paste.
# Each with the strings one of which a match needs: a pattern is run only when the paste holds one (most
# of them have no literal prefix for the regex engine to skip ahead with).
_STATUS_POSITIONS: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    (("http/",), re.compile(r"\bhttp/\d(?:\.\d)?\"?\s+(\d{3})(?!\d)")),  # HTTP/1.1 503, "GET / HTTP/1.1" 404
    # JSON and key=value fields: "status":415, statusCode=429, elb_status_code 502, HTTPSTATUS:403
    (
        ("status", "code"),
        re.compile(
            r"(?:\b|_)(?:http_?)?(?:status|statuscode|status_code|status-code|response_?code|http_?code"
            r"|httpstatus|elb_status_code|error_?code|code)[\"']?\s*[:=]\s*[\"']?(\d{3})(?!\d)"
        ),
    ),
    (
        ("e",),
        re.compile(r"(?:^|\bcode\s+|\berr!\s+)e(\d{3})\b"),
    ),  # npm's `npm ERR! code E404`, or `E429` alone
    (('"',), re.compile(r"\"\s(\d{3})\s(?:\d+|-)")),  # Common/Combined Log Format: "GET / HTTP/1.1" 404 153
    # ALB/ELB logs: elb_status_code target_status_code received_bytes sent_bytes "request"
    (('"',), re.compile(r"(?<=\s)(\d{3})\s(?:\d{3}|-)\s\d+\s\d+\s\"")),
    (
        ("statut", "état", "状态", "錯誤", "错误码"),
        re.compile(r"(?:statut|état|状态码|状态|錯誤|错误码)\s*[:：]?\s*(\d{3})(?!\d)"),
    ),
    ((".htm",), re.compile(r"/(\d{3})\.html?\b")),  # error pages named by status: "/usr/share/nginx/502.html"
)
# A three-digit number standing alone. Chinese may touch it (`触发504`, `499的`); letters, digits and the
# punctuation of ids, versions, times, paths and sizes may not (`29#29`, `*184`, `1.404`, `10:404`).
_LONE = re.compile(
    r"(?<![0-9a-z_.:#*/\\@$%+=-])(\d{3})"
    r"(?:(?=timeout|errors?\b|err\b|status)|(?![0-9a-z_#%]|[.:/]\d|\s?(?:ms|bytes|kb|mb|px|秒|毫秒)\b))"
)
# Chinese written against Latin letters or digits (`报NoSuchKey，`, `触发504`): a space between them lets
# word boundaries work as they do in English.
_CJK_LATIN = re.compile(
    r"(?<=[\u3400-\u9fff\uf900-\ufaff])(?=[a-z0-9])|(?<=[a-z0-9])(?=[\u3400-\u9fff\uf900-\ufaff])"
)
# A reason phrase in a field of its own: Maven's `ReasonPhrase:Unauthorized`, `reason phrase: Not Found`.
_REASON_FIELD = re.compile(r"\breason[ _-]?phrase\s*[:=]\s*([a-z][a-z' -]{2,40}?)\s*(?:[.,;)(\]]|$|->)")
# Words just before a number that make it something else: a line, port, pid, worker, size or count.
_NOT_A_STATUS_BEFORE = re.compile(
    r"(?:\bline|\bport|\bpid|\btid|\bworker|\bconnection|\bsize|\blength|\bbytes|\bretry|\battempt|\bversion"
    r"|\bv|\bid|\bno\.|\bdelta|\bafter|\btook|\bin|\blimit|\bmax|\bworkers?|additionally,\s+a|行|第)\W{0,2}$"
)


def normalise(text: str) -> str:
    """Casefold, unify widths (NFKC), drop control characters and squeeze spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text).casefold()
    return _SPACES.sub(" ", text).strip()


def _words(text: str) -> str:
    """Letters, digits and single spaces: `I'm a teapot!` → `im a teapot`."""
    return _SPACES.sub(" ", _PUNCT.sub(" ", _APOSTROPHES.sub("", text))).strip()


def _key(text: str) -> str:
    """Loose key for exact phrase and framework-constant matching: letters and digits only."""
    return re.sub(r"[\W_]+", "", normalise(text))


@dataclass(frozen=True)
class Candidate:
    """A code with how sure we are (0 to 100)."""

    code: int
    score: float


@dataclass(frozen=True)
class SearchResult:
    """The answer to one query.

    hit: one code, sure. choices: a few codes, ranked. class: a whole class (`4xx`).
    unknown: a number that is not a status code we know, with the nearest real ones.
    error: no status at all (curl 7, ERR_NAME_NOT_RESOLVED, CORS, Cloudflare 1020); candidates are the
    related codes. compare: "301 vs 308", the codes to compare. miss: nothing matched; candidates hold
    suggestions. empty: nothing was typed.
    """

    kind: Kind
    candidates: tuple[Candidate, ...] = ()
    status_class: int | None = None
    unknown_code: int | None = None
    from_text: bool = False  # the codes were found inside pasted text, not typed alone
    recognised: Signature | None = None  # the known error message the answer rests on, if any
    error: NoStatus | None = None  # for kind "error"

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(c.code for c in self.candidates)

    @property
    def outcome(self) -> str:
        """For metrics: hit (one code or a class), ambiguous (a choice) or miss."""
        outcomes = {"hit": "hit", "class": "hit", "error": "hit", "compare": "hit", "choices": "ambiguous"}
        return outcomes.get(self.kind, "miss")

    @property
    def best(self) -> int | None:
        """The code of the answer: for an error without a status, the status its page is served with."""
        if self.kind == "error":
            return self.error.served_with if self.error else None
        return self.candidates[0].code if self.candidates else None


@dataclass(frozen=True)
class _Evidence:
    """One reason to think a paste means `code`: how strong (a tier above), where, and which message."""

    code: int
    score: float
    at: int
    signature: Signature | None = None


@dataclass(frozen=True)
class _Choices:
    """One script's fuzzy choices, prepared once so a lookup does less per query.

    `unique`: each distinct text once, `copies[u]`: the positions in `texts` of `unique[u]`.
    `haystack`: the texts joined by NUL (never in a normalised text), `starts`: where each begins.
    """

    texts: list[str]
    refs: list[tuple[int, float]]
    unique: list[str]
    copies: list[tuple[int, ...]]
    haystack: str
    starts: list[int]
    # For choosing which texts are worth scoring: every word (Latin) and character (CJK) of the
    # unique texts, with the unique texts that hold it.
    vocabulary: Vocabulary
    by_word: dict[str, tuple[int, ...]]
    by_char: dict[str, tuple[int, ...]]
    whole: Vocabulary  # the unique texts, for scoring a query against each as a whole

    @classmethod
    def of(cls, texts: list[str], refs: list[tuple[int, float]]) -> _Choices:
        positions: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            positions.setdefault(text, []).append(i)
        starts, at = [], 0
        for text in texts:
            starts.append(at)
            at += len(text) + 1
        unique = list(positions)
        by_word: dict[str, set[int]] = {}
        by_char: dict[str, set[int]] = {}
        for u, text in enumerate(unique):
            for word in text.split():
                by_word.setdefault(word, set()).add(u)
            for char in _CJK.findall(text):
                by_char.setdefault(char, set()).add(u)
        return cls(
            texts,
            refs,
            unique,
            [tuple(p) for p in positions.values()],
            "\0".join(texts),
            starts,
            Vocabulary(sorted(by_word)),
            {w: tuple(sorted(us)) for w, us in by_word.items()},
            {c: tuple(sorted(us)) for c, us in by_char.items()},
            Vocabulary(unique),
        )

    def candidates(self, query: str) -> list[int]:
        """The unique texts worth scoring in full: those sharing a word, give or take a typo, or a Chinese
        character with the query, and those close to it as a whole. WRatio on all of them would cost
        ~0.6 ms a lookup; this keeps the same best answers at a fraction of the cost."""
        found: set[int] = set()
        for char in set(_CJK.findall(query)):
            found.update(self.by_char.get(char, ()))
        words = [w for w in _CJK.sub(" ", query).split() if len(w) >= 2 and w not in _STOPWORDS]
        words = words[:MAX_QUERY_WORDS]
        if 1 < len(words) <= 3:
            words.append("".join(words))  # "wi fi" is also "wifi"
        for word in words:
            near = self.vocabulary.near(word, WORD_SCORE)
            for similar, _, _ in process.extract(
                word, near, scorer=fuzz.ratio, score_cutoff=WORD_SCORE, limit=None
            ):
                found.update(self.by_word[similar])
        texts, at = self.whole.near_at(query, CHOICE_SCORE)  # QRatio is ratio, 0 for an empty text
        for _, _, k in process.extract(
            query, texts, scorer=fuzz.QRatio, score_cutoff=CHOICE_SCORE, limit=MAX_CHOICES * 2
        ):
            found.add(at[k])
        return sorted(found)

    def containing(self, needle: str) -> Iterator[int]:
        """Positions of the texts that contain `needle`, in order: `needle in text` for all, in C."""
        if "\0" in needle:
            yield from (i for i, text in enumerate(self.texts) if needle in text)
            return
        at = self.haystack.find(needle)
        while at != -1:
            i = bisect.bisect_right(self.starts, at) - 1
            yield i
            at = self.haystack.find(needle, self.starts[i + 1]) if i + 1 < len(self.starts) else -1


@dataclass
class _Index:
    titles: dict[str, set[int]] = field(default_factory=dict)  # reason phrases, current and former
    exact: dict[str, set[int]] = field(default_factory=dict)
    phrases: dict[int, tuple[str, ...]] = field(default_factory=dict)  # code -> titles, for log-line context
    latin: list[str] = field(default_factory=list)
    latin_refs: list[tuple[int, float]] = field(default_factory=list)  # (code, weight) per choice
    cjk: list[str] = field(default_factory=list)
    cjk_refs: list[tuple[int, float]] = field(default_factory=list)

    def add(
        self, code: int, text: str, *, exact: bool = True, fuzzy: bool = True, weight: float = 1.0
    ) -> None:
        key = _key(text)
        if not key:
            return
        if exact:
            self.exact.setdefault(key, set()).add(code)
        if not fuzzy:
            return
        norm = _words(normalise(text))
        if _CJK.search(norm):
            self.cjk.append(norm)
            self.cjk_refs.append((code, weight))
        else:
            self.latin.append(norm)
            self.latin_refs.append((code, weight))


def _entry_phrases(entry: Entry) -> Iterable[str]:
    yield entry.en.title
    yield entry.zh.title
    yield from entry.former_names
    yield from entry.aka


def _constant(text: str) -> str:
    """`HTTPStatus.CONTENT_TOO_LARGE (Python 3.13+)` → `HTTPStatus.CONTENT_TOO_LARGE`."""
    return text.split(" (", 1)[0]


def _other_phrases(entry: Entry) -> Iterable[str]:
    for other in entry.also:
        yield other.en.title
        yield other.zh.title


class Searcher:
    """Looks things up in one catalogue. Build once; `search` is cheap and thread-safe."""

    def __init__(
        self,
        catalogue: Catalogue,
        signatures: Signatures | None = None,
        nostatus: NoStatusCatalogue | None = None,
        comparisons: Comparisons | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.comparisons = comparisons or Comparisons(())
        self.signatures = signatures or Signatures(())
        self.nostatus = nostatus or NoStatusCatalogue(())
        # Errors without a status by name, badge or keyword: `curl 7`, `1020`, `ECONNREFUSED`, `跨域`.
        self._nostatus_names: dict[str, NoStatus] = {}
        for error in self.nostatus:
            for name in (
                error.id,
                error.badge,
                error.en.title,
                error.zh.title,
                *error.en.keywords,
                *error.zh.keywords,
            ):
                if key := _key(name):
                    self._nostatus_names.setdefault(key, error)
        index = _Index()
        for entry in catalogue:
            for phrase in _entry_phrases(entry):
                index.add(entry.code, phrase)
                if key := _key(phrase):
                    index.titles.setdefault(key, set()).add(entry.code)
            # Another vendor's meaning ("Redirect" for 451) must not outrank the codes that own the word.
            for phrase in _other_phrases(entry):
                index.add(entry.code, phrase, exact=False, weight=0.9)
            for keyword in (*entry.en.keywords, *entry.zh.keywords):
                index.add(entry.code, keyword)
            for constant in entry.constants:
                index.add(entry.code, _constant(constant), fuzzy=False)
            index.phrases[entry.code] = tuple(
                _words(normalise(p)) for p in (*_entry_phrases(entry), *_other_phrases(entry))
            )
        self._index = index
        self._ranker = Ranker(catalogue)
        self._known = frozenset(catalogue.codes)
        self._latin = _Choices.of(index.latin, index.latin_refs)
        self._cjk = _Choices.of(index.cjk, index.cjk_refs)
        # The catalogue and indexes never change once built, and results are immutable: safe to share.
        self._remembered = functools.lru_cache(maxsize=CACHED_QUERIES)(self._search)

    @classmethod
    def load(cls, catalogue: Catalogue) -> Searcher:
        """The searcher the bot uses: the catalogue and the bundled signatures."""
        codes = frozenset(catalogue.codes)
        nostatus = load_nostatus(codes)
        nostatus.find("")  # compile its patterns now, at start, not at the first paste
        return cls(catalogue, load_signatures(codes), nostatus, load_comparisons(codes))

    # -- public -----------------------------------------------------------------------------------

    def search(self, text: str) -> SearchResult:
        """Answer any user text; a short query asked lately is answered from memory."""
        if len(text) <= CACHED_QUERY_CHARS:
            return self._remembered(text)
        return self._search(text)

    def forget(self) -> None:
        """Drop the remembered answers (the benchmark times a query seen for the first time)."""
        self._remembered.cache_clear()

    def codes_in_text(self, text: str) -> tuple[int, ...]:
        """Catalogue codes mentioned in pasted text (log lines, tracebacks), best evidence first."""
        found = self._scan(normalise(text[:MAX_SCAN]))[0]
        strongest: dict[int, float] = {}
        for evidence in found:
            strongest[evidence.code] = max(strongest.get(evidence.code, 0.0), evidence.score)
        return tuple(sorted(strongest, key=lambda code: -strongest[code]))

    # -- steps ------------------------------------------------------------------------------------

    def _search(self, raw: str) -> SearchResult:
        query = normalise(raw[:MAX_SCAN])
        if not query:
            return SearchResult("empty")
        if compared := codes_compared(query, self._known):  # "301 vs 308", "401 和 403 的区别"
            return SearchResult("compare", tuple(Candidate(c, 100.0) for c in compared))
        key = _key(query) if len(query) <= MAX_PHRASE else ""
        if (m := _BARE_CODE.fullmatch(query)) and int(m.group(1)) in self.catalogue:
            return self._code(int(m.group(1)))
        if error := self._nostatus_names.get(key):  # `000`, `1020`, `curl 7`, `econnrefused`, `跨域`
            return self._error(error)
        if m := _BARE_CODE.fullmatch(query):
            return self._code(int(m.group(1)))
        if m := _CLASS.fullmatch(query):
            return SearchResult("class", status_class=int(m.group(1)))
        if codes := self._index.titles.get(key):
            # An exact reason phrase, current or former, wins outright: `Permanent Redirect` is 308.
            return SearchResult("hit", (Candidate(self._prefer_official(codes)[0], 100.0),))
        if codes := self._index.exact.get(key):
            return self._exact(sorted(codes), query)
        found, unknown = self._scan(query)
        # A status in a status position, or a known message, outranks an error without a status (nginx's
        # "connect() failed (111: Connection refused) while connecting to upstream" is a 502); a lone
        # number does not ("curl: (7) … port 443" is no 443).
        if found and max(e.score for e in found) >= SIGNATURE - 5:
            return self._weighed(found)
        if errors := self.nostatus.find(_CJK_LATIN.sub(" ", query)):
            return self._error(errors[0].entry)
        if found:
            return self._weighed(found)
        if unknown is not None:
            return self._code(unknown)
        if self._is_paste(query):  # a paste with no evidence: nothing credible, say so
            return SearchResult("miss")
        return self._fuzzy(query[:MAX_FUZZY])

    @staticmethod
    def _is_paste(query: str) -> bool:
        """Program output rather than a question: long, or several lines (normalised text has none left,
        so count words)."""
        return len(query) > MAX_FUZZY * 2 or len(query.split()) > 16

    def _error(self, error: NoStatus) -> SearchResult:
        related = tuple(Candidate(c, 0.0) for c in error.related if c in self.catalogue)
        return SearchResult("error", related, from_text=True, error=error)

    def _code(self, code: int) -> SearchResult:
        if code in self.catalogue:
            return SearchResult("hit", (Candidate(code, 100.0),))
        nearest = tuple(Candidate(e.code, 0.0) for e in self.catalogue.nearest(code))
        return SearchResult("unknown", nearest, unknown_code=code)

    def _exact(self, codes: list[int], query: str) -> SearchResult:
        """An exact phrase: sure, unless the words are generic ("timeout") and other codes fit as well."""
        exact = [Candidate(c, 100.0) for c in self._prefer_official(codes)]
        words = f" {_words(query)} "
        wider: list[int] = []
        for choices in (self._latin, self._cjk):
            for i in choices.containing(words.strip()):
                alias, (code, _) = choices.texts[i], choices.refs[i]
                if code not in codes and code not in wider and (_CJK.search(alias) or words in f" {alias} "):
                    wider.append(code)
        if not wider:
            return self._ranked(exact)
        others = [Candidate(c, 90.0) for c in self._prefer_official(wider)]
        return SearchResult("choices", tuple([*exact, *others][:MAX_CHOICES]))

    def _prefer_official(self, codes: Iterable[int]) -> list[int]:
        """Registered codes before vendors' ones, then by number."""
        return sorted(codes, key=lambda c: (not self.catalogue.by_code[c].official, c))

    def _ranked(self, candidates: list[Candidate], *, from_text: bool = False) -> SearchResult:
        if len(candidates) == 1:
            return SearchResult("hit", tuple(candidates), from_text=from_text)
        return SearchResult("choices", tuple(candidates[:MAX_CHOICES]), from_text=from_text)

    def _scan(self, query: str) -> tuple[list[_Evidence], int | None]:
        """Every piece of evidence for a status code in pasted text, in order of appearance."""
        if _CJK.search(query):
            query = _CJK_LATIN.sub(" ", query)
        found: list[_Evidence] = []
        taken: set[int] = set()  # start positions of numbers already read in a status position
        unknown: int | None = None
        for needs, pattern in _STATUS_POSITIONS:
            if not any(n in query for n in needs):
                continue
            for m in pattern.finditer(query):
                code = int(m.group(1))
                taken.add(m.start(1))
                if code in self.catalogue:
                    found.append(_Evidence(code, STATUS_POSITION, m.start(1)))
                elif unknown is None and code >= 100:
                    unknown = code
        for m in _REASON_FIELD.finditer(query):
            if codes := self._index.titles.get(_key(m.group(1))):
                found.append(_Evidence(self._prefer_official(codes)[0], STATUS_POSITION, m.start(1)))
        for hit in self.signatures.find(query):
            signature = hit.signature
            for rank, code in enumerate(signature.codes):
                found.append(_Evidence(code, SIGNATURE - rank, hit.start, signature))
        for m in _LONE.finditer(query):
            if m.start(1) in taken:
                continue
            code = int(m.group(1))
            known = code in self.catalogue
            if not known and (unknown is not None or found):
                continue  # only the first unknown number matters, and only when nothing else was found
            before = query[max(0, m.start() - 24) : m.start()]
            after = query[m.end() : m.end() + 48]
            if _NOT_A_STATUS_BEFORE.search(before):
                continue
            strong = bool(_STRONG_BEFORE.search(before) or _STRONG_AFTER.search(after))
            if not known:
                if strong and unknown is None and 100 <= code <= 999:
                    unknown = code
                continue
            after_words = _words(after)
            named = any(p and after_words.startswith(p) for p in self._index.phrases[code])
            score = STATUS_POSITION if (strong or named) else LONE_NUMBER
            found.append(_Evidence(code, score, m.start(1)))
        found.sort(key=lambda e: e.at)
        return found, (unknown if not found else None)

    def _weighed(self, found: list[_Evidence]) -> SearchResult:
        """One answer from the evidence: the strongest tier decides; in it, a failure beats a success and
        the last failure beats the first (a log's earlier lines are what went right before it broke)."""
        top = max(e.score for e in found)
        tier = [e for e in found if e.score >= top - 5]
        failures = [e for e in tier if e.code >= 400]
        tier = failures or tier
        # Of several messages, the most specific (fewest codes), then the latest, is what the paste is about.
        messages = [e.signature for e in tier if e.signature is not None]
        recognised = min(reversed(messages), key=lambda s: len(s.codes)) if messages else None
        if top == SIGNATURE or (recognised is not None and top < STATUS_POSITION):
            # A known message: its own most likely code, unless a number in the paste picks another of the
            # codes the messages found may mean ("403 - API rate limit exceeded … TooManyRequests").
            signature = recognised or next(e.signature for e in tier if e.signature)
            numbers = [e.code for e in found if e.signature is None]
            for candidate in (e for e in found if e.signature is not None):
                if candidate.code in numbers:
                    return SearchResult(
                        "hit",
                        (Candidate(candidate.code, top),),
                        from_text=True,
                        recognised=candidate.signature,
                    )
            codes = [c for c in signature.codes if c in self.catalogue]
            kind: Kind = "hit" if len(codes) == 1 else "choices"
            candidates = tuple(Candidate(c, top - i) for i, c in enumerate(codes))
            return SearchResult(kind, candidates, from_text=True, recognised=signature)
        # The last failure: in a log, what came before it is what still worked.
        return SearchResult("hit", (Candidate(tier[-1].code, top),), from_text=True)

    def _fuzzy_ranked(self, query: str) -> list[Candidate]:
        """Every code whose names or keywords resemble the query, best first (rapidfuzz WRatio)."""
        choices = self._cjk if _CJK.search(query) else self._latin
        subset = choices.candidates(query)
        # Each distinct text is scored once; its copies are then ranked as process.extract ranks a list
        # (score, then position) and cut to the same limit, so the result is as if all were scored.
        found = process.extract(
            query,
            [choices.unique[u] for u in subset],
            scorer=fuzz.WRatio,
            limit=FUZZY_LIMIT,
            score_cutoff=FUZZY_CUTOFF,
            processor=None,
        )
        copies = sorted((-score, i) for _, score, k in found for i in choices.copies[subset[k]])[:FUZZY_LIMIT]
        best: dict[int, float] = {}
        for score, i in copies:
            code, weight = choices.refs[i]
            best[code] = max(best.get(code, 0.0), -score * weight)
        official = self.catalogue.by_code
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], not official[kv[0]].official, kv[0]))
        return [Candidate(c, s) for c, s in ranked]

    def _fuzzy(self, query: str) -> SearchResult:
        # Lone letters ("b", "i" from pasted markup) would match any title containing that word.
        query = _words(_LONE_LETTER.sub(" ", _words(query)))
        if not query:
            return SearchResult("miss", self._popular())
        ranked = self._fuzzy_ranked(query)
        top = ranked[0].score if ranked else 0.0
        if top >= HIT_SCORE and (len(ranked) == 1 or ranked[1].score <= top - HIT_MARGIN):
            return SearchResult("hit", (ranked[0],))  # a name with a typo: "bad gatway"
        if words := self._by_words(query):
            return words
        if not ranked or top < CHOICE_SCORE:
            near = [c for c in ranked[:3] if c.score >= NEAR_SCORE] or list(self._popular()[:4])
            return SearchResult("miss", tuple(near))
        close = [c for c in ranked if c.score >= max(CHOICE_SCORE, top - 15)]
        return SearchResult("choices", tuple(close[:MAX_CHOICES]))

    def _by_words(self, query: str) -> SearchResult | None:
        """A question in plain words, ranked by the words it shares with each entry (BM25); None when the
        words say too little to offer anything."""
        ranked = self._ranker.rank(query)
        if not ranked or ranked[0][1] < WORDS_CHOICE:
            return None
        best, top, shared = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        # One shared word is a hint, never the answer: "<script>alert(1)</script>" is about no code.
        if top >= WORDS_HIT and top >= second * WORDS_MARGIN and shared >= 2:
            return SearchResult("hit", (Candidate(best, top),))
        close = [Candidate(code, score) for code, score, _ in ranked if score >= top * WORDS_CLOSE]
        return SearchResult("choices", tuple(close[:MAX_CHOICES]))

    def _popular(self) -> tuple[Candidate, ...]:
        return tuple(Candidate(c, 0.0) for c in POPULAR if c in self.catalogue)


# What people look up most: the default suggestions and the empty inline query.
POPULAR = (404, 500, 502, 403, 401, 503, 504, 301, 302, 429, 400, 200)
