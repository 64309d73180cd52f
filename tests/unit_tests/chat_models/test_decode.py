"""Prompt lookup: the guesses copied from the prompt and output (no model needed)."""

from __future__ import annotations

from langchain_gba.chat_models._decode import prompt_lookup


def test_the_tokens_after_the_latest_earlier_occurrence_of_the_tail() -> None:
    #          the tail (7, 8, 9) occurred twice before: the latest occurrence wins
    sequence = [7, 8, 9, 1, 2, 7, 8, 9, 3, 4, 5, 6, 7, 8, 9]
    assert prompt_lookup(sequence, 3) == [3, 4, 5]


def test_shorter_tails_when_the_long_one_never_occurred() -> None:
    assert prompt_lookup([1, 2, 3, 9, 2, 3], 2) == [9, 2]  # (2, 3) occurred at 1
    assert prompt_lookup([5, 6, 7, 1, 2, 7], 4) == [1, 2, 7]  # only (7,) occurred


def test_no_guess_without_an_earlier_occurrence() -> None:
    assert prompt_lookup([1, 2, 3, 4], 5) == []
    assert prompt_lookup([1], 5) == []
    assert prompt_lookup([], 5) == []
