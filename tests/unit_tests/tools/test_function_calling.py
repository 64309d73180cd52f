"""grounded_arguments: optional arguments the task does not give are left to their defaults."""

from __future__ import annotations

import pytest

from langchain_gba.tools.function_calling import grounded_arguments

PARAMETERS = {
    "type": "object",
    "properties": {
        "command": {"type": "string"},
        "unit": {"type": "string", "enum": ["seconds", "milliseconds"]},
        "top_n": {"type": "integer"},
        "details": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "level": {"type": "string"},
    },
    "required": ["command"],
}


def test_made_up_optional_values_are_dropped_required_ones_kept() -> None:
    task = "Shut the pc down with shutdown /s"
    made_up = {"command": "poweroff", "unit": "seconds", "top_n": 5, "tags": ["urgent"]}
    assert grounded_arguments(made_up, PARAMETERS, task) == {"command": "poweroff"}


@pytest.mark.parametrize(
    ("task", "optional"),
    [
        ("Time it in Seconds: run dir", {"unit": "seconds"}),  # case aside
        ("Run dir, show the top 3", {"top_n": 3}),
        ("Run dir, show the top 3", {"top_n": 3.0}),  # 3.0 is given as "3"
        ("Run dir with the details", {"details": True}),  # booleans cannot be quoted
        ("Run dir tagged urgent and home", {"tags": ["urgent", "home"]}),
        ("Run dir in detail", {"level": "detailed"}),  # a word of the value, stemmed
        ("Run dir, show the top 1,000", {"top_n": 1000}),  # thousands separators
        ("Run dir, show the top 20% of it", {"top_n": 0.2}),  # a fraction as a percentage
        ("Run dir, show the top two", {"top_n": 2}),  # a small number spelled out
    ],
)
def test_values_the_task_gives_are_kept(task: str, optional: dict) -> None:
    arguments = {"command": "dir", **optional}
    assert grounded_arguments(arguments, PARAMETERS, task) == arguments


def test_a_number_word_inside_another_word_is_not_given() -> None:
    arguments = {"command": "dir", "top_n": 2}
    assert grounded_arguments(arguments, PARAMETERS, "Run dir on the network") == {"command": "dir"}


def test_the_threshold_is_the_models_own_unless_given() -> None:
    from types import SimpleNamespace

    from langchain_gba.tools.function_calling import (
        FIT_THRESHOLD,
        FIT_THRESHOLDS,
        FunctionCaller,
    )

    def threshold(model: str, given: float | None = None) -> float:
        caller = FunctionCaller(SimpleNamespace(model=model), check_fit=True, fit_threshold=given)  # type: ignore[arg-type]
        return caller.fit_threshold

    assert threshold("qwen2.5-coder-1.5b-instruct") == FIT_THRESHOLDS["qwen2.5-coder-1.5b-instruct"]
    assert threshold("my-model.gguf") == FIT_THRESHOLD
    assert threshold("qwen2.5-coder-1.5b-instruct", 0.9) == 0.9


def test_the_request_beside_the_task_is_shown_and_gives_optional_values() -> None:
    import json

    from scripted import ScriptedChatModel

    from langchain_gba.tools.function_calling import FunctionCaller

    spec = {"name": "run", "description": "Run a command.", "parameters": PARAMETERS}
    written = {"command": "dir", "unit": "seconds"}
    model = ScriptedChatModel(replies=[json.dumps(written)] * 2)
    caller = FunctionCaller(model)
    task, request = "Run dir as asked.", "Run dir and time it in seconds."
    assert caller.described_arguments(spec, task) == {"command": "dir"}
    assert caller.described_arguments(spec, task, request=request) == written
    first, second = ([m.content for m in call if m.type == "human"][0] for call in model.calls)
    assert first == f"Task: {task}"
    assert second == f"The user's request: {request}\n\nTask: {task}"


@pytest.mark.parametrize(
    ("value", "task", "kept"),
    [
        ("19:30", "the anniversary dinner, 7:30 pm, two hours", True),
        ("08:00", "booked for 21 January 2026 at 8:00", True),
        ("10:00", "booked for 21 January 2026", False),  # made up
        ("2026-10-03", "on 3 October 2026", True),
        ("2026-10-04", "on 3 October 2026", False),
    ],
)
def test_a_date_or_time_is_given_in_any_form(value: str, task: str, kept: bool) -> None:
    parameters = {"type": "object", "properties": {"when": {"type": "string"}}, "required": []}
    assert (grounded_arguments({"when": value}, parameters, task) == {"when": value}) is kept
