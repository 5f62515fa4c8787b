"""The length filter before `fuzz.ratio`: it never leaves out a word that reaches the cutoff, keeps the
words in order, and leaves out most of the others."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from bot.core.vocabulary import Vocabulary

WORDS = st.text(alphabet="abcdefghij网关", min_size=0, max_size=14)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=60), WORDS, st.sampled_from([62.0, 75.0, 86.0, 50.0, 100.0]))
def test_no_word_that_reaches_the_cutoff_is_left_out(words, query, cutoff):
    vocabulary = Vocabulary(words)
    near, at = vocabulary.near_at(query, cutoff)
    assert near == [words[i] for i in at] and list(at) == sorted(at)  # in order, where they were
    reaching = [i for i, w in enumerate(words) if fuzz.ratio(query, w) >= cutoff]
    assert set(reaching) <= set(at)
    # and rapidfuzz's answer over the few is its answer over all, ties included
    whole = process.extractOne(query, words, scorer=fuzz.ratio, score_cutoff=cutoff)
    few = process.extractOne(query, near, scorer=fuzz.ratio, score_cutoff=cutoff)
    assert (whole is None) == (few is None)
    if whole is not None and few is not None:
        assert (whole[0], whole[1], whole[2]) == (few[0], few[1], at[few[2]])


def test_most_of_a_catalogue_vocabulary_is_never_compared():
    from bot.core.catalogue import load_catalogue
    from bot.core.ranking import TYPO_SCORE, Ranker

    vocabulary = Ranker(load_catalogue()).vocabulary
    assert len(vocabulary.near("gatway", TYPO_SCORE)) < len(vocabulary) / 2
