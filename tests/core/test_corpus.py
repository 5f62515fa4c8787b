"""Search against real pastes (tests/corpus/): what people met in public threads, with its source.

The bar: the right code first for 97 %, the single right card for 92 %, and never a wrong single card
(a wrong card is worse than a short list). The per-category table is printed, so a change that helps one
kind of paste and hurts another shows.
"""

from __future__ import annotations

import pytest
from corpus_eval import evaluate as score_corpus
from corpus_eval import load_cases, table

FIRST_FLOOR = 97.0  # % of pastes whose right code comes first
CARD_FLOOR = 92.0  # % answered with the single right card
WRONG_CARDS_MAX = 0  # single cards with a wrong code: a wrong card is worse than a short list
CATEGORIES = ("servers", "cdn", "cli", "clients", "cloud", "chinese", "phrases")


@pytest.fixture(scope="module")
def scores(searcher):
    return score_corpus(searcher, load_cases())


def test_the_corpus_is_real_and_large_enough():
    cases = load_cases()
    assert len(cases) >= 400
    for category in CATEGORIES:
        assert sum(c.category == category for c in cases) >= 25, category
    assert all(c.source.startswith("https://") for c in cases)


def test_search_finds_the_right_code_in_real_pastes(scores, capsys):
    overall = scores["all"]
    with capsys.disabled():
        print("\n" + table(scores))
    assert overall.pct(overall.first) >= FIRST_FLOOR
    assert overall.pct(overall.card) >= CARD_FLOOR
    assert overall.wrong_card <= WRONG_CARDS_MAX


def test_a_pick_list_holds_the_right_code(scores):
    overall = scores["all"]
    assert overall.listed >= 0.9 * overall.lists
