"""The planner's structured step, built from the agent's tool set.

The tool names become an enum in the schema, so a constrained decoder cannot select a tool that
does not exist; every text field is bounded, so a small model finishes its JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

__all__ = ["PLAN_FIELDS", "TEACHER_FIELDS", "PlanStep", "plan_step_model"]

PLAN_FIELDS = ("context_information_summary", "thoughts", "task", "selected_tool")
"""The step's fields in the order the planner writes them (the fine-tuning target)."""

TEACHER_FIELDS = ("user_request", "missing_information_or_action")
"""Written first by a strong (teacher) planner to think before planning; not trained on."""

_DESCRIPTIONS = {
    "user_request": "The user's request, restated.",
    "missing_information_or_action": "What is still missing to answer the request.",
    "context_information_summary": "What the previous steps found, with their numbers.",
    "thoughts": "Reasoning about what to do next.",
    "task": "The next step only, in plain words, with every value it needs.",
    "selected_tool": "The tool that does the task.",
}


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
    tool_names: Iterable[str], *, max_length: int = 200, teacher: bool = False
) -> type[PlanStep]:
    """The step model for a tool set: bounded text fields and ``selected_tool`` as an enum.

    Args:
        tool_names: the names the planner may select (order does not matter).
        max_length: the most characters of each text field.
        teacher: also ask for ``user_request`` and ``missing_information_or_action`` first.

    Returns:
        A pydantic model (cached per arguments), a subclass of ``PlanStep``.
    """
    names = tuple(sorted(set(tool_names)))
    if not names:
        msg = "A planner needs at least one tool to select."
        raise ValueError(msg)
    return _step_model(names, max_length, teacher)


@lru_cache(maxsize=64)
def _step_model(names: tuple[str, ...], max_length: int, teacher: bool) -> type[PlanStep]:
    fields: dict[str, Any] = {}
    for name in (*TEACHER_FIELDS, *PLAN_FIELDS) if teacher else PLAN_FIELDS:
        if name == "selected_tool":
            tool_type: Any = Literal[names]  # type: ignore[valid-type]
            fields[name] = (tool_type, Field(description=_DESCRIPTIONS[name]))
        else:
            bounds: dict[str, Any] = {"min_length": 1} if name == "task" else {}
            fields[name] = (
                str,
                Field(max_length=max_length, description=_DESCRIPTIONS[name], **bounds),
            )
    return create_model("PlanStep", __base__=PlanStep, **fields)
