"""Scores search against the paste corpus (tests/corpus/*.toml): shared by the test and the benchmark."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"


@dataclass(frozen=True)
class Case:
    category: str
    text: str
    code: int
    source: str


@dataclass
class Score:
    """Per category: how often the right code came first, as the only card, or a wrong card was given."""

    total: int = 0
    first: int = 0
    card: int = 0
    wrong_card: int = 0
    listed: int = 0  # answered with a list that holds the right code
    lists: int = 0
    failures: list[tuple[Case, str]] = field(default_factory=list)

    def pct(self, n: int) -> float:
        return 100.0 * n / self.total if self.total else 0.0


def load_cases(corpus_dir: Path = CORPUS_DIR) -> list[Case]:
    cases = []
    for path in sorted(corpus_dir.glob("*.toml")):
        with path.open("rb") as fh:
            for raw in tomllib.load(fh)["case"]:
                cases.append(Case(path.stem, raw["text"].strip("\n"), int(raw["code"]), raw["source"]))
    return cases


def evaluate(searcher, cases: list[Case]) -> dict[str, Score]:
    """Scores by category, plus `all`."""
    scores: dict[str, Score] = {"all": Score()}
    for case in cases:
        result = searcher.search(case.text)
        for name in (case.category, "all"):
            score = scores.setdefault(name, Score())
            score.total += 1
            if result.best == case.code:
                score.first += 1
            # A card: a status code's, or an error page's that names the status it is served with
            # (Cloudflare's 1020 card for a paste that means 403).
            if result.kind == "hit" or (result.kind == "error" and result.best is not None):
                if result.best == case.code:
                    score.card += 1
                else:
                    score.wrong_card += 1
            elif result.kind == "choices":
                score.lists += 1
                score.listed += case.code in result.codes
            if (result.best != case.code or result.kind not in ("hit", "error")) and name == "all":
                score.failures.append((case, f"{result.kind} {list(result.codes)}"))
    return scores


def table(scores: dict[str, Score]) -> str:
    lines = [f"{'category':<10} {'items':>5} {'first':>7} {'card':>7} {'wrong':>5} {'in list':>8}"]
    for name in sorted(scores, key=lambda n: (n == "all", n)):
        s = scores[name]
        in_list = f"{s.listed}/{s.lists}"
        first, card = f"{s.pct(s.first):.1f}%", f"{s.pct(s.card):.1f}%"
        lines.append(f"{name:<10} {s.total:>5} {first:>7} {card:>7} {s.wrong_card:>5} {in_list:>8}")
    return "\n".join(lines)
