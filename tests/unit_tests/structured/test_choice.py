"""choice_probabilities: renormalized logprobs, and the greedy fallback for other chat models."""

from __future__ import annotations

import math

import pytest
from scripted import ScriptedChatModel

from langchain_gba.structured.choice import choice_probabilities, normalized


def test_logprobs_are_renormalized_over_the_choices() -> None:
    p = normalized({"Yes": math.log(0.6), "No": math.log(0.2), "{": math.log(0.2)}, ("Yes", "No"))
    assert p == pytest.approx({"Yes": 0.75, "No": 0.25})


def test_a_choice_the_model_never_starts_with_gets_zero() -> None:
    assert normalized({"Yes": -3.0}, ("Yes", "No")) == {"Yes": 1.0, "No": 0.0}


def test_no_evidence_is_an_even_split() -> None:
    assert normalized({"Yes": -math.inf}, ("Yes", "No")) == {"Yes": 0.5, "No": 0.5}


def test_a_model_without_logprobs_gives_its_greedy_choice() -> None:
    model = ScriptedChatModel(replies=['{"answer": "No"}'])
    assert choice_probabilities(model, "Is it?", ("Yes", "No")) == {"Yes": 0.0, "No": 1.0}


def test_no_choices_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="at least one choice"):
        choice_probabilities(ScriptedChatModel(replies=[]), "Is it?", ())
