"""choice_probabilities on the real tiny model, in process and through a llama.cpp server."""

from __future__ import annotations

import pytest

from langchain_gba.chat_models.llama_server import ChatLlamaServer
from langchain_gba.structured.choice import choice_probabilities

QUESTION = [
    ("system", "You answer with Yes or No."),
    ("human", "Is Paris the capital of France?"),
]


def test_in_process_probabilities_are_a_distribution_over_the_choices(llm) -> None:  # type: ignore[no-untyped-def]
    p = choice_probabilities(llm, QUESTION, ("Yes", "No"))
    assert set(p) == {"Yes", "No"}
    assert sum(p.values()) == pytest.approx(1.0)
    assert 0.0 < p["Yes"] < 1.0  # a probability, not a greedy 0/1


def test_the_next_call_is_unaffected(llm) -> None:  # type: ignore[no-untyped-def]
    """Reading the logits generates one token: the model's next reply is its usual one."""
    before = llm.invoke(QUESTION).content
    choice_probabilities(llm, QUESTION, ("Yes", "No"))
    assert llm.invoke(QUESTION).content == before


def test_server_logprobs_match_the_in_process_model(llm, llama_server: str) -> None:  # type: ignore[no-untyped-def]
    """The same model behind llama_cpp.server: its top_logprobs give the same probabilities."""
    server = ChatLlamaServer(base_url=llama_server, max_tokens=8)
    remote = choice_probabilities(server, QUESTION, ("Yes", "No"))
    local = choice_probabilities(llm, QUESTION, ("Yes", "No"))
    assert remote["Yes"] == pytest.approx(local["Yes"], abs=0.05)
