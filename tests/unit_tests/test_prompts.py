"""The planner prompt's examples: shown where they fit the tools and fields, valid steps."""

from __future__ import annotations

import json

from langchain_gba.planner import PLAN_FIELDS, SEED_PLAN_FIELDS, ZeroShotPlanner, plan_step_model
from langchain_gba.prompts import (
    PLANNER_EXAMPLES,
    PlannerExample,
    format_examples,
    zero_shot_planner_messages,
)
from tests.scripted import ScriptedChatModel

DEFAULT_TOOLS = [
    ("search_wikipedia", "Search Wikipedia for facts."),
    ("calculate_number", "Arithmetic on numbers you know."),
    ("ask_user", "Ask the user about themselves."),
    ("final_answer", "Answer the user."),
]


def _system(tools, **kwargs) -> str:
    return zero_shot_planner_messages("Q?", [], tools, **kwargs)[0][1]


def _example_steps(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_every_default_example_is_a_valid_step_for_the_default_tools():
    names = [name for name, _ in DEFAULT_TOOLS]
    step_model = plan_step_model(names)
    steps = _example_steps(format_examples(PLANNER_EXAMPLES, PLAN_FIELDS, names))
    assert len(steps) == len(PLANNER_EXAMPLES)
    for step in steps:
        assert list(step) == list(PLAN_FIELDS)
        step_model.model_validate(step)  # within the fields' bounds, a known tool


def test_examples_naming_a_missing_tool_are_left_out():
    tools = [t for t in DEFAULT_TOOLS if t[0] != "ask_user"]
    system = _system(tools)
    assert "Examples:" in system
    chosen = {s["selected_tool"] for s in _example_steps(system)}
    assert chosen == {"search_wikipedia", "calculate_number", "final_answer"}
    # an example whose earlier step used a missing tool goes too
    no_search = [t for t in DEFAULT_TOOLS if t[0] != "search_wikipedia"]
    assert "Amazon" not in _system(no_search) and "Golden Gate" not in _system(no_search)


def test_an_app_with_only_its_own_tools_gets_no_examples():
    # the direct-answer examples alone would teach the planner to answer without tools
    tools = [("search_archive", "Search the archive."), ("final_answer", "Answer the user.")]
    assert "Examples:" not in _system(tools)


def test_later_step_examples_show_their_results():
    system = _system(DEFAULT_TOOLS)
    assert "Results so far:\nTask: How long is the Amazon River?\nResult: " in system


def test_no_examples_for_other_fields_or_when_turned_off():
    assert "Examples:" not in _system(DEFAULT_TOOLS, fields=SEED_PLAN_FIELDS)
    assert "Examples:" not in _system(DEFAULT_TOOLS, examples=())
    # without examples the prompt reads as before: fields, blank line, the closing rules
    assert '"task": ' in _system(DEFAULT_TOOLS, examples=())
    assert "\n\nSelect final_answer" in _system(DEFAULT_TOOLS, examples=())


def test_a_planner_shows_its_own_examples():
    mine = PlannerExample(
        "Book a room for Friday.",
        {"thoughts": "Missing: nothing.", "selected_tool": "book_room", "task": "Friday"},
    )
    tools = [("book_room", "Book a meeting room."), ("final_answer", "Answer the user.")]
    planner = ZeroShotPlanner(ScriptedChatModel(replies=[]), examples=[mine])
    system = planner.messages("Book a room for Monday.", [], tools)[0][1]
    assert _example_steps(system) == [dict(mine.step)]
    assert "Golden Gate" not in system


def test_format_parameters_lists_types_requirement_choices_and_defaults() -> None:
    from langchain_gba.prompts import format_parameters

    schema = {
        "type": "object",
        "properties": {
            "base": {"type": "number", "description": "The base,\n in metres."},
            "unit": {"type": "string", "enum": ["m", "cm"], "default": "m"},
            "tags": {"type": ["array", "null"]},
        },
        "required": ["base"],
    }
    assert format_parameters(schema).splitlines() == [
        "- base (number, required): The base, in metres.",
        '- unit (string, optional): One of: "m", "cm". Default: "m".',
        "- tags (array or null, optional)",
    ]
    assert format_parameters({"type": "object", "properties": {}}) == "(none)"


def test_the_span_example_is_shown_second_only_when_asked_for():
    from langchain_gba.prompts import (
        PLAN_AHEAD_EXAMPLES,
        SPAN_PLAN_EXAMPLE,
        SPAN_PLAN_EXAMPLES,
        plan_ahead_messages,
    )

    tools = [("search_wikipedia", "Search."), ("calculate_number", "Calculate.")]
    assert SPAN_PLAN_EXAMPLE not in PLAN_AHEAD_EXAMPLES
    assert SPAN_PLAN_EXAMPLES[1] is SPAN_PLAN_EXAMPLE
    assert SPAN_PLAN_EXAMPLES[:1] + SPAN_PLAN_EXAMPLES[2:] == PLAN_AHEAD_EXAMPLES
    merkel = "Angela Merkel Chancellor of Germany"
    assert merkel not in plan_ahead_messages("Q?", [], tools)[0][1]
    shown = plan_ahead_messages("Q?", [], tools, examples=SPAN_PLAN_EXAMPLES)[0][1]
    assert shown.index("Golden Gate") < shown.index(merkel) < shown.index("Amazon River")
