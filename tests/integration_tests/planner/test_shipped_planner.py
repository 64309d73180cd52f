"""The fine-tuned planner that ships in the package: found, loaded on its base, planning."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from langchain_gba._files import sha256_file
from langchain_gba.models import resolve_model_path
from langchain_gba.planner import PLAN_FIELDS, FineTunedPlanner, PlanStep
from langchain_gba.planner.fine_tuned import (
    ADAPTERS_DIR,
    DEFAULT_FINE_TUNED_PLANNER,
    shipped_planners,
)

TOOLS = [
    ("search_wikipedia", "Search Wikipedia for facts."),
    ("calculate_number", "Arithmetic on numbers you know."),
    ("ask_user", "Ask the user for details about themselves."),
    ("final_answer", "Answer the user when the context has the answer."),
]


@pytest.fixture(scope="module")
def shipped():  # type: ignore[no-untyped-def]
    planners = shipped_planners()
    assert DEFAULT_FINE_TUNED_PLANNER in planners, f"no adapter in {ADAPTERS_DIR}"
    return planners[DEFAULT_FINE_TUNED_PLANNER]


STEP_STUDENT = "smollm2-135m-planner"


@pytest.fixture(scope="module")
def planner():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the installed base is the one it was trained on
        return FineTunedPlanner(STEP_STUDENT)


def test_the_shipped_adapter_is_small_and_names_the_installed_base(shipped):
    assert shipped.adapter.stat().st_size < 16_000_000
    base = resolve_model_path(shipped.base_model)
    assert shipped.card["base_gguf_sha256"] == sha256_file(base)
    card = json.loads(shipped.adapter.with_suffix(".json").read_text(encoding="utf-8"))
    assert card["adapter_sha256"] == sha256_file(shipped.adapter)
    assert card["base_model"] == "smollm2-135m-instruct"
    assert card["format"] == "ahead"


def test_the_default_student_plans_ahead_steps_only():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the installed base is the one it was trained on
        planner = FineTunedPlanner()
    assert planner.can_plan_ahead
    for request, first in [
        ("What is 15% of 80?", "calculate_number"),
        ("How old will I be in 2040?", "ask_user"),
        ("Hello! How are you today?", None),
    ]:
        plan = planner.plan_ahead(request, [], TOOLS).model_dump()
        assert plan["thoughts"] == ""  # taught without thoughts: the steps only
        assert (plan["steps"][0]["tool"] if plan["steps"] else None) == first, (request, plan)
        assert all(s["task"].strip() for s in plan["steps"])


def test_an_exported_adapter_runs_from_its_path_with_its_card(shipped, tmp_path):
    """``FineTunedPlanner("runs/.../name-209.gguf")``: base model and format from the card."""
    adapter = tmp_path / "my-plans-209.gguf"
    adapter.write_bytes(shipped.adapter.read_bytes())
    card = {**shipped.card, "adapter": adapter.name}
    adapter.with_suffix(".json").write_text(json.dumps(card), encoding="utf-8")
    planner = FineTunedPlanner(str(adapter))
    assert planner.can_plan_ahead
    plan = planner.plan_ahead("What is 15% of 80?", [], TOOLS)
    assert plan.steps and plan.steps[0].tool == "calculate_number", plan


def test_the_default_student_plans_no_calculation_the_grammar_leaves_out():
    """``facts_before_calculation``: refused, it would calculate again; left out, it cannot."""
    planner = FineTunedPlanner()
    request = "I weigh 72 kg. How much more than me can the largest Galápagos tortoise weigh?"
    refused = [
        {
            "task": request,
            "tool": "calculate_number",
            "observation": "Error: neither the task nor the results so far give every number "
            "this calculation needs, and the calculator does not guess numbers. Find the "
            "missing facts first (a search, or the user for details about them), then "
            "calculate with them.",
            "error": True,
        }
    ]
    free = planner.plan_ahead(request, refused, TOOLS)
    assert free.steps[0].tool == "calculate_number", free  # the case the option is for
    plan = planner.plan_ahead(request, refused, TOOLS, without=("calculate_number",))
    assert plan.steps, plan
    assert {s.tool for s in plan.steps} <= {"search_wikipedia", "ask_user"}
    assert all(s.task.strip() for s in plan.steps)


def test_the_step_student_writes_valid_steps(planner):
    # the adapter merged into its base, once, in the cache (bench/merged_lora.py: faster)
    assert planner.model.lora_path is None
    assert Path(planner.model.model).parent.name == "merged"
    for request, steps in [
        ("What is the capital of Australia?", []),
        ("Hello! How are you today?", []),
        (
            "What is the capital of Australia?",
            [{"task": "Find the capital of Australia.", "observation": "Canberra."}],
        ),
    ]:
        step = planner.plan(request, steps, TOOLS)
        assert isinstance(step, PlanStep)
        assert tuple(step.model_dump()) == PLAN_FIELDS
        assert step.selected_tool in {name for name, _ in TOOLS}
        assert step.task.strip()


PLAN_AHEAD_STUDENT = "qwen-0.5b-plans"


def test_the_plan_ahead_student_ships_on_its_installed_base():
    shipped = shipped_planners()[PLAN_AHEAD_STUDENT]
    assert shipped.base_model == "qwen2.5-coder-0.5b-instruct"
    assert shipped.card["format"] == "ahead"
    assert shipped.card["adapter_sha256"] == sha256_file(shipped.adapter)
    assert shipped.card["base_gguf_sha256"] == sha256_file(resolve_model_path(shipped.base_model))


def test_the_plan_ahead_student_plans_the_first_tool_a_request_needs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the installed base is the one it was trained on
        planner = FineTunedPlanner(PLAN_AHEAD_STUDENT)
    assert planner.can_plan_ahead
    tools = [*TOOLS, ("search_internet", "Search the internet for current information.")]
    for request, first in [
        ("What is 15% of 80?", "calculate_number"),
        ("Who wrote the novel Don Quixote?", "search_wikipedia"),
    ]:
        steps = planner.plan_ahead(request, [], tools).model_dump()["steps"]
        assert steps and steps[0]["tool"] == first, (request, steps)
        assert all(s["task"].strip() for s in steps)
