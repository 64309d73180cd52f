"""Planners with the real embedded model: the step always validates, prompts are as documented."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from langchain_gba import ChatLlamaCpp
from langchain_gba.planner import (
    PLAN_FIELDS,
    TEACHER_FIELDS,
    FineTunedPlanner,
    PlanStep,
    ZeroShotPlanner,
    plan_step_model,
)
from langchain_gba.prompts import FINE_TUNED_PLANNER

TOOLS = [
    ("search_wikipedia", "Search Wikipedia for facts."),
    ("calculate_number", "Arithmetic on numbers you know."),
    ("final_answer", "Answer the user when the context has the answer."),
]
NAMES = {name for name, _ in TOOLS}
STEPS = [{"task": "Find the population of Paris.", "observation": "Paris has 2,102,650 people."}]


def test_step_model_has_the_fields_in_order_and_a_tool_enum():
    model = plan_step_model(["b", "a"], max_length=50)
    assert tuple(model.model_fields) == PLAN_FIELDS
    schema = model.model_json_schema()
    assert schema["properties"]["selected_tool"]["enum"] == ["a", "b"]
    assert schema["properties"]["thoughts"]["maxLength"] == 50
    assert plan_step_model(["a", "b"], max_length=50) is model  # cached: compiled once
    with pytest.raises(ValidationError):
        model(context_information_summary="", thoughts="", task="x", selected_tool="c")
    teacher = plan_step_model(["a"], teacher=True)
    assert tuple(teacher.model_fields) == (*TEACHER_FIELDS, *PLAN_FIELDS)
    with pytest.raises(ValueError, match="at least one tool"):
        plan_step_model([])


@pytest.mark.parametrize("steps", [[], STEPS], ids=["first-step", "with-context"])
def test_zero_shot_step_always_validates(planner_llm, steps):
    planner = ZeroShotPlanner(planner_llm, max_length=60)
    step = planner.plan("What is twice the population of Paris?", steps, TOOLS)
    assert isinstance(step, PlanStep)
    assert step.selected_tool in NAMES
    assert 1 <= len(step.task) <= 60
    assert tuple(step.model_dump()) == PLAN_FIELDS


async def test_fine_tuned_format_and_teacher_fields(planner_llm):
    planner = FineTunedPlanner(planner_llm, max_length=40, teacher=True)
    ((role, text),) = planner.messages("Hi?", STEPS, TOOLS)
    assert role == "human"
    assert text == FINE_TUNED_PLANNER.format(
        request="Hi?",
        context="Task: Find the population of Paris.\nResult: Paris has 2,102,650 people.",
    )
    step = await planner.aplan("Hi?", STEPS, TOOLS)
    assert tuple(step.model_dump()) == (*TEACHER_FIELDS, *PLAN_FIELDS)
    assert step.selected_tool in NAMES


def test_a_fine_tuned_gguf_file_decodes_like_the_shipped_planner(planner_llm):
    """A planner fine-tuned by the user runs greedy without a repetition penalty, as shipped."""
    planner = FineTunedPlanner(planner_llm.model)
    assert isinstance(planner.model, ChatLlamaCpp)
    assert planner.model.model == planner_llm.model
    assert (planner.model.temperature, planner.model.repeat_penalty) == (0.0, 1.0)
    assert planner.model.context == "planner"
    assert ZeroShotPlanner(planner_llm.model).model.repeat_penalty == 1.1  # zero-shot default


def test_in_process_planner_runs_in_its_own_context(llm):
    planner = ZeroShotPlanner(llm)
    assert isinstance(planner.model, ChatLlamaCpp)
    assert planner.model.context == "planner"
    assert planner.model.loaded is not llm.loaded  # tools' prompts do not evict the planner's
    assert ZeroShotPlanner(llm, own_context=False).model is llm


def test_a_growing_trajectory_only_evaluates_the_new_tokens(planner_llm):
    """The planner's prompt only grows at the end, so llama.cpp reuses the evaluated prefix."""
    planner = ZeroShotPlanner(planner_llm, max_length=40)
    loaded = planner.model.loaded
    request = "What is twice the population of Paris?"
    steps: list[dict[str, str]] = []
    evaluated = []
    for i in range(3):
        before = loaded.prompt_eval_count()
        planner.plan(request, steps, TOOLS)
        evaluated.append(loaded.prompt_eval_count() - before)
        steps.append({"task": f"Step {i} task.", "observation": f"Result number {i}: {i * 7}."})
    prompt = planner_llm.render_prompt(
        planner_llm._convert_input(planner.messages(request, steps[:2], TOOLS)).to_messages()
    )
    full = len(planner_llm.get_token_ids(prompt))
    # the third call's prompt has `full` tokens, but only the new step and the prompt's tail
    # after the context are evaluated
    assert evaluated[2] < full / 3, (evaluated, full)


def test_step_json_from_the_model_is_the_schema(planner_llm):
    """The model's raw text is the step's JSON, fields in order (what finetune/ trains on)."""
    model = plan_step_model(NAMES, max_length=40)
    structured = planner_llm.with_structured_output(model, include_raw=True)
    planner = ZeroShotPlanner(planner_llm, max_length=40)
    out = structured.invoke(planner.messages("Add 2 and 3.", [], TOOLS))
    assert out["parsing_error"] is None
    assert list(json.loads(out["raw"].content)) == list(PLAN_FIELDS)


def test_a_plan_ahead_fine_tuned_planner_plans_in_its_format_and_answers(planner_llm):
    """A student trained on plans (``plans_ahead``): one user message (its tools, the request,
    the results), a plan that validates, and the agent planning ahead with it end to end."""
    from langchain_gba import create_gba_agent
    from langchain_gba.prompts import fine_tuned_plan_prompt
    from langchain_gba.tools.calculate import CalculatorTool

    planner = FineTunedPlanner(planner_llm.model, plans_ahead=True, max_length=60)
    assert planner.can_plan_ahead
    ((role, text),) = planner.ahead_messages("What is 17 * 23?", STEPS, TOOLS)
    assert role == "human" and text == fine_tuned_plan_prompt("What is 17 * 23?", STEPS, TOOLS)
    plan = planner.plan_ahead("What is 17 * 23?", [], TOOLS)
    assert {s.tool for s in plan.steps} <= NAMES - {"final_answer"}
    agent = create_gba_agent(
        [CalculatorTool(llm=planner_llm)], planner=planner, function_calling_model=planner_llm,
        answer_model=planner_llm, max_steps=3, ask_user=False,
    )  # fmt: skip
    out = agent.invoke({"request": "What is 17 * 23?"})
    assert out["status"] in ("answered", "incomplete")  # the untrained 135M may run out of steps
    assert out["steps"] and {s["tool"] for s in out["steps"]} <= NAMES
    assert out["status"] != "answered" or out["answer"]
