"""What the agent's tools share: the args schemas of tools that take a task in plain words."""

from __future__ import annotations

from typing import Annotated

from langchain_core.tools import BaseTool, InjectedToolArg
from pydantic import BaseModel, Field

__all__ = [
    "TaskInput",
    "TaskWithContextInput",
    "TaskWithRequestInput",
    "reads_context",
    "reads_request",
    "takes_task",
]


class TaskInput(BaseModel):
    """Arguments of a tool that takes the planner's task directly (search, calculator)."""

    task: str = Field(
        min_length=1,
        max_length=2000,
        description="The task in plain words, with every value it needs.",
    )


class TaskWithContextInput(TaskInput):
    """Arguments of a task-taking tool that also reads what the run knows so far.

    The agent fills ``context`` with the request and the earlier steps' results, so a task the
    planner wrote without a value ("Calculate my body mass index") can take it from what the
    user said or a search found. Called on its own, the tool gets no context unless given one.
    ``context`` is an injected argument (``InjectedToolArg``): tool-calling models, such as a
    LangChain agent's, see only ``task``.
    """

    context: Annotated[str, InjectedToolArg] = Field(
        default="",
        max_length=8000,
        description=(
            "What is known so far (the request and earlier results), filled in by the agent: "
            "values the task leaves out are taken from here."
        ),
    )


class TaskWithRequestInput(TaskInput):
    """Arguments of a task-taking tool that also reads the user's request (the search tools).

    The planner's task is one step towards the request, in a small model's words; a search that
    also knows the request can find the article the task misnames ("the year 1906 of Pablo
    Picasso's work" for "In which year did Picasso paint Guernica?"). The agent fills
    ``request``, an injected argument (``InjectedToolArg``) that tool-calling models do not see.
    """

    request: Annotated[str, InjectedToolArg] = Field(
        default="",
        max_length=4000,
        description="The user's request the task serves, filled in by the agent.",
    )


def _fields(tool: BaseTool) -> set[str]:
    return set(getattr(tool.get_input_schema(), "model_fields", {}))


def takes_task(tool: BaseTool) -> bool:
    """Whether ``tool`` takes the planner's task text as its only argument (and maybe context).

    Such tools skip the function-calling step: the agent passes ``{"task": ...}`` directly, with
    ``context`` or ``request`` added for tools that read them (:func:`reads_context`,
    :func:`reads_request`).
    """
    fields = _fields(tool)
    return "task" in fields and fields <= {"task", "context", "request"}


def reads_context(tool: BaseTool) -> bool:
    """Whether a task-taking ``tool`` also reads the run's context (``TaskWithContextInput``)."""
    return takes_task(tool) and "context" in _fields(tool)


def reads_request(tool: BaseTool) -> bool:
    """Whether a task-taking ``tool`` also reads the user's request (``TaskWithRequestInput``)."""
    return takes_task(tool) and "request" in _fields(tool)
