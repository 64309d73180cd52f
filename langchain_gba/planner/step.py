"""The planner's structured step, built from the agent's tool set.

The tool names become an enum in the schema, so a constrained decoder cannot select a tool that
does not exist; every text field is bounded, so a small model finishes its JSON. The tool is
selected before the task is written: the task is then written *for* that tool (a search query,
a calculation with its numbers), and a model cannot fill the task with a tool's name while it
is still deciding which tool to use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from langchain_gba.prompts import (
    PLAN_AHEAD_FIELD_DESCRIPTIONS,
    PLAN_FIELD_DESCRIPTIONS,
    PLAN_FIELDS,
)

__all__ = [
    "MAX_PLANNED_STEPS",
    "PLAN_FIELDS",
    "Plan",
    "SEED_PLAN_FIELDS",
    "TEACHER_FIELDS",
    "PlanStep",
    "copies_descriptions",
    "plan_model",
    "plan_step_model",
]

SEED_PLAN_FIELDS = ("context_information_summary", "thoughts", "task", "selected_tool")
"""The research system's format: a summary of the context first, the tool last. Kept for
comparison (``bench/planner_format.py``, first steps of the 1.5B planner on the dev requests):
71 tokens and 4.8 s per step against 60 and 3.3 s for ``PLAN_FIELDS``, first tool right 17/35
against 16/35."""

TEACHER_FIELDS = ("user_request", "missing_information_or_action")
"""Written first by a strong (teacher) planner to think before planning; not trained on."""

FIELD_MAX_LENGTH = {"thoughts": 160}
"""Fields shorter than the step's ``max_length``: what a field costs should match its worth."""


COPIED_WORDS = 8
"""Words in a row shared with a field's description that make a task a copy of it. Over the
7,439 tasks of the recorded teacher trajectories and bench results, 8 flags only copies ("What
is still missing to answer the request and the tool that gets it: a search for facts, the
search_w"); 7 also flags a few honest tasks ("Calculate 24 multiplied by 12 using the calculator
for arithmetic on known numbers.")."""


def _word_runs(text: str, n: int) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z_]+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@lru_cache(maxsize=8)
def _description_runs(n: int) -> frozenset[tuple[str, ...]]:
    return frozenset().union(*(_word_runs(t, n) for t in PLAN_FIELD_DESCRIPTIONS.values()))


def copies_descriptions(text: str, words: int = COPIED_WORDS) -> bool:
    """Whether ``text`` copies ``words`` words in a row of a step field's description.

    A small planner trained on a teacher that copied the prompt's descriptions into its steps
    writes them where a task belongs (the shipped 135M student searched Wikipedia for "What is
    still missing to answer the request and the tool that gets it: ..." on 5 of 28 held-out
    lookups): such a text is no task.
    """
    return not _description_runs(words).isdisjoint(_word_runs(text, words))


class PlanStep(BaseModel):
    """Base class of every generated step model (``plan_step_model``).

    Its fields are declared by the generated subclass, in the order the planner writes them;
    every step has ``task`` and ``selected_tool``.
    """

    model_config = ConfigDict(extra="forbid")

    if TYPE_CHECKING:
        task: str
        selected_tool: str


def plan_step_model(
    tool_names: Iterable[str],
    *,
    max_length: int = 200,
    teacher: bool = False,
    fields: Iterable[str] = PLAN_FIELDS,
) -> type[PlanStep]:
    """The step model for a tool set: bounded text fields and ``selected_tool`` as an enum.

    Args:
        tool_names: the names the planner may select (order does not matter).
        max_length: the most characters of each text field (``thoughts``: at most 160).
        teacher: also ask for ``user_request`` and ``missing_information_or_action`` first.
        fields: the step's fields in writing order; must include ``task`` and
            ``selected_tool`` (``PLAN_FIELDS`` or ``SEED_PLAN_FIELDS``).

    Returns:
        A pydantic model (cached per arguments), a subclass of ``PlanStep``.
    """
    names = tuple(sorted(set(tool_names)))
    if not names:
        msg = "A planner needs at least one tool to select."
        raise ValueError(msg)
    order = tuple(fields)
    unknown = [f for f in order if f not in PLAN_FIELD_DESCRIPTIONS]
    if unknown or not {"task", "selected_tool"} <= set(order):
        msg = (
            f"Step fields {list(order)}: every step needs 'task' and 'selected_tool', and only "
            f"these fields are known: {sorted(PLAN_FIELD_DESCRIPTIONS)}."
        )
        raise ValueError(msg)
    return _step_model(names, max_length, teacher, order)


@lru_cache(maxsize=64)
def _step_model(
    names: tuple[str, ...], max_length: int, teacher: bool, order: tuple[str, ...]
) -> type[PlanStep]:
    fields: dict[str, Any] = {}
    for name in (*TEACHER_FIELDS, *order) if teacher else order:
        description = PLAN_FIELD_DESCRIPTIONS[name]
        if name == "selected_tool":
            tool_type: Any = Literal[names]  # type: ignore[valid-type]
            fields[name] = (tool_type, Field(description=description))
        else:
            bounds: dict[str, Any] = {"min_length": 1} if name == "task" else {}
            longest = min(max_length, FIELD_MAX_LENGTH.get(name, max_length))
            fields[name] = (str, Field(max_length=longest, description=description, **bounds))
    return create_model("PlanStep", __base__=PlanStep, **fields)


MAX_PLANNED_STEPS = 4
"""The most steps a plan ahead holds: one search per fact, then a calculation."""


class Plan(BaseModel):
    """Base class of every generated plan model (``plan_model``): the steps still needed.

    ``steps`` is a list of ``{"tool", "task"}`` objects in the order they run; empty when the
    results so far (or no tool at all) answer the request.
    """

    model_config = ConfigDict(extra="forbid")

    if TYPE_CHECKING:
        thoughts: str
        steps: list[Any]


def plan_model(
    tool_names: Iterable[str],
    *,
    max_length: int = 200,
    max_steps: int = MAX_PLANNED_STEPS,
    min_steps: int = 0,
) -> type[Plan]:
    """The plan-ahead model for a tool set: ``thoughts``, then the ``steps``.

    ``steps`` holds ``min_steps`` to ``max_steps`` items, each ``{"tool": <one of tool_names>,
    "task": <bounded text>}``; ``final_answer`` is not a step (the answer follows the plan).
    Cached per arguments.
    """
    names = tuple(sorted(set(tool_names)))
    if not names:
        msg = "A planner needs at least one tool to select."
        raise ValueError(msg)
    if not 0 <= min_steps <= max_steps:
        msg = f"min_steps must be between 0 and max_steps ({max_steps}), got {min_steps}."
        raise ValueError(msg)
    return _plan_model(names, max_length, max_steps, min_steps)


@lru_cache(maxsize=32)
def _plan_model(
    names: tuple[str, ...], max_length: int, max_steps: int, min_steps: int
) -> type[Plan]:
    planned = create_model(
        "PlannedStep",
        __config__=ConfigDict(extra="forbid"),
        tool=(Literal[names], Field(description=PLAN_AHEAD_FIELD_DESCRIPTIONS["tool"])),  # type: ignore[valid-type,arg-type]
        task=(
            str,
            Field(
                min_length=1,
                max_length=max_length,
                description=PLAN_AHEAD_FIELD_DESCRIPTIONS["task"],
            ),
        ),
    )
    return create_model(
        "Plan",
        __base__=Plan,
        thoughts=(
            str,
            Field(
                max_length=FIELD_MAX_LENGTH["thoughts"],
                description=PLAN_AHEAD_FIELD_DESCRIPTIONS["thoughts"],
            ),
        ),
        steps=(
            list[planned],  # type: ignore[valid-type]
            Field(
                min_length=min_steps,
                max_length=max_steps,
                description=PLAN_AHEAD_FIELD_DESCRIPTIONS["steps"],
            ),
        ),
    )
