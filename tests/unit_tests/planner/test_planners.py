"""Planners' plan-ahead schemas, with a scripted model."""

from __future__ import annotations

import json

import pytest
from langchain_core.tools import tool
from scripted import ScriptedChatModel

from langchain_gba.planner import ZeroShotPlanner
from langchain_gba.tools import CalculatorTool


def _plan(*steps: tuple[str, str]) -> str:
    return json.dumps({"thoughts": "", "steps": [{"tool": t, "task": k} for t, k in steps]})


@tool
def lookup(task: str) -> str:
    """Look a fact up."""
    return task


def test_a_tool_left_out_is_listed_but_cannot_be_selected() -> None:
    model = ScriptedChatModel(
        replies=[_plan(("calculate_number", "8849 - 8611")), _plan(("lookup", "K2's height"))]
    )
    planner = ZeroShotPlanner(model)
    tools = [CalculatorTool(), lookup]
    plan = planner.plan_ahead("How much higher?", [], tools, without=("calculate_number",))
    assert [s.tool for s in plan.steps] == ["lookup"]
    assert "calculate_number" in model.calls[0][0].content  # still described
    assert "rejected" in model.calls[1][-1].content


def test_leaving_out_every_tool_is_an_error() -> None:
    planner = ZeroShotPlanner(ScriptedChatModel(replies=[]))
    with pytest.raises(ValueError, match="every tool is left out"):
        planner.plan_ahead("x", [], [CalculatorTool()], without=("calculate_number",))
