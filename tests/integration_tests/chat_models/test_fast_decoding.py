"""Several tokens per forward pass (the grammar's forced tokens as guesses) with the real model."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from langchain_gba import ChatLlamaCpp, StructuredOutputError
from langchain_gba.chat_models._decode import greedy_decode
from langchain_gba.planner import ZeroShotPlanner
from langchain_gba.planner.planners import tool_descriptions
from langchain_gba.tools import CalculatorTool


class Copy(BaseModel):
    sentence: str = Field(max_length=120)
    words: int = Field(ge=0, le=100)


PROMPTS = [
    "Copy this sentence: 'The quick brown fox jumps over the lazy dog near the river bank.' "
    "and count its words.",
    "Copy this sentence: 'Paris is the capital of France.' and count its words.",
]
STEPS = [[], [{"task": "Multiply 12 by 7", "observation": "12 * 7 = 84"}]]


def planner_request(model: ChatLlamaCpp, steps: list[dict[str, Any]]) -> tuple[Any, ...]:
    """The planner's prompt tokens, sampling settings and grammar for "What is 12 times 7?"."""
    tools = [CalculatorTool()]
    planner = ZeroShotPlanner(model)
    system, user = planner.fitted_messages("What is 12 times 7?", steps, tool_descriptions(tools))
    messages = [SystemMessage(system[1]), HumanMessage(user[1])]
    schema = planner.step_model(tools).model_json_schema()
    model.loaded.llama.reset()
    return model._request(messages, None, {"json_schema": schema})


@pytest.mark.parametrize("steps", STEPS)
def test_one_token_per_pass_chooses_as_llama_cpp_samples(
    planner_llm: ChatLlamaCpp, steps: list[dict[str, Any]]
) -> None:
    """The choice (grammar mask, repetition penalty, highest logit) is llama-cpp-python's own."""
    llama = planner_llm.loaded.llama
    tokens, params, processor = planner_request(planner_llm, steps)
    ours = greedy_decode(
        llama,
        tokens,
        matcher=processor.matcher,
        max_tokens=params["max_tokens"],
        end_tokens=planner_llm.loaded.end_tokens,
        repeat_penalty=params["repeat_penalty"],
        n_draft=0,
    )
    tokens, params, processor = planner_request(planner_llm, steps)
    theirs = llama.create_completion(prompt=tokens, **params)["choices"][0]["text"]
    assert llama.detokenize(ours.tokens).decode() == theirs
    assert ours.passes == len(ours.tokens)  # the prompt's pass, then one per token but the last


@pytest.mark.parametrize("prompt", PROMPTS)
def test_guesses_write_the_same_output_in_fewer_passes(llm: ChatLlamaCpp, prompt: str) -> None:
    guessing = llm.model_copy(update={"draft_tokens": 10})
    schema = Copy.model_json_schema()
    llm.loaded.llama.reset()  # both start from an empty context
    fast = guessing.invoke(prompt, json_schema=schema, max_tokens=80)
    llm.loaded.llama.reset()
    slow = llm.invoke(prompt, json_schema=schema, max_tokens=80)  # the default: one per pass
    assert fast.content == slow.content
    Copy.model_validate_json(fast.text)
    n_out = fast.usage_metadata["output_tokens"] if fast.usage_metadata else 0
    assert fast.response_metadata["decode_passes"] < 0.75 * n_out  # the keys went in batches
    assert slow.response_metadata["decode_passes"] == slow.usage_metadata["output_tokens"]


def test_a_cut_output_still_raises(llm: ChatLlamaCpp) -> None:
    with pytest.raises(StructuredOutputError):
        llm.with_structured_output(Copy).invoke(PROMPTS[0], max_tokens=5)
