"""FunctionCaller on the real embedded SmolLM2-135M: arguments and decisions always validate."""

from __future__ import annotations

import jsonschema
import pytest
from langchain_core.tools import tool

from langchain_gba.tools.function_calling import Decision, FunctionCaller, function_spec


@tool
def triangle_area(base: float, height: float, unit: str = "m") -> float:
    """Calculate the area of a triangle from its base and height."""
    return base * height / 2


PARAMETERS = function_spec(triangle_area)["parameters"]


def test_arguments_validate(llm) -> None:  # type: ignore[no-untyped-def]
    args = FunctionCaller(llm).arguments(
        triangle_area, "The area of a triangle, base 10, height 5."
    )
    jsonschema.validate(args, PARAMETERS)


@pytest.mark.parametrize(
    "task",
    ["The area of a triangle with base 10 m and height 5 m.", "The capital city of Brazil."],
)
def test_a_decision_is_a_valid_call_or_a_reasoned_refusal(llm, task: str) -> None:  # type: ignore[no-untyped-def]
    roomy = llm.model_copy(update={"max_tokens": 192})  # the same loaded model
    decision = FunctionCaller(roomy, check_fit=True).decide(triangle_area, task)
    assert isinstance(decision, Decision)
    assert decision.asked  # what the task asks for comes first, always
    if decision.fits:
        jsonschema.validate(decision.arguments, PARAMETERS)
    else:
        assert decision.arguments is None
