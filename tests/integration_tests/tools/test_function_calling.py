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
def test_a_decision_is_a_valid_call_or_a_refusal(llm, task: str) -> None:  # type: ignore[no-untyped-def]
    decision = FunctionCaller(llm, check_fit=True).decide(triangle_area, task)
    assert isinstance(decision, Decision)
    assert 0.0 <= decision.confidence <= 1.0
    if decision.fits:
        jsonschema.validate(decision.arguments, PARAMETERS)
    else:
        assert decision.arguments is None


def test_the_threshold_is_the_decision(llm) -> None:  # type: ignore[no-untyped-def]
    """The same evidence, two thresholds: never call below it, always call above it."""
    task = "The area of a triangle with base 10 m and height 5 m."
    never = FunctionCaller(llm, check_fit=True, fit_threshold=1.01).decide(triangle_area, task)
    always = FunctionCaller(llm, check_fit=True, fit_threshold=0.0).decide(triangle_area, task)
    assert (never.fits, always.fits) == (False, True)
    assert never.confidence == pytest.approx(always.confidence)
    jsonschema.validate(always.arguments, PARAMETERS)


@pytest.mark.parametrize(
    ("task", "fits"),
    [
        ("The area of a triangle with base 10 m and height 5 m.", True),
        ("The capital city of Brazil.", False),
        ("The area of a circle of radius 3 m.", False),
    ],
)
def test_the_capable_model_calls_only_what_the_function_does(capable_llm, task, fits) -> None:  # type: ignore[no-untyped-def]
    """Qwen2.5-Coder-1.5B at the default threshold: "none" is a choice it makes."""
    decision = FunctionCaller(capable_llm, check_fit=True).decide(triangle_area, task)
    assert decision.fits is fits, decision
    if fits:
        assert decision.arguments == {"base": 10, "height": 5} | (
            {"unit": "m"} if "unit" in (decision.arguments or {}) else {}
        )
