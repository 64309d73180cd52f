"""The agent's state: the request, the trajectory of steps, the answer."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

__all__ = ["AgentInput", "AgentOutput", "AgentState", "Status", "Step", "add_steps"]

Status = Literal["running", "answered", "incomplete", "failed"]
"""``answered``: final answer given; ``incomplete``: step limit reached; ``failed``: the planner's
output could not be used (see ``error``)."""


class Step(TypedDict):
    """One step of the trajectory: what the planner asked, which tool did it, what it observed."""

    task: str
    tool: str
    arguments: dict[str, Any]
    observation: str
    error: bool
    """True when the observation is an error (the tool raised, or no valid arguments)."""
    plan: dict[str, Any]
    """The planner's full step (summary, thoughts, task, tool). The loop guard marks a repeated
    step with ``repeat_of`` (the 1-based step it repeats) and its own final step with
    ``stopped``."""


def add_steps(left: list[Step] | None, right: list[Step] | None) -> list[Step]:
    """Append steps; an empty list resets the trajectory (a new request on the same thread)."""
    if right is None:
        return list(left or [])
    if not right:
        return []
    return [*(left or []), *right]


class AgentInput(TypedDict, total=False):
    """What a run starts from: a ``request``, or chat ``messages`` (the last human one is it)."""

    request: str
    messages: list[AnyMessage]


class AgentOutput(TypedDict, total=False):
    """What a run returns."""

    request: str
    steps: list[Step]
    answer: str | None
    status: Status
    error: str | None
    loops: int
    messages: list[AnyMessage]


class AgentState(TypedDict):
    """The graph's state (checkpointed per thread)."""

    request: NotRequired[str]
    messages: Annotated[list[AnyMessage], add_messages]
    steps: Annotated[list[Step], add_steps]
    plan: NotRequired[dict[str, Any] | None]
    """The step planned (``selected_tool``, ``task``, the planner's other fields), until its
    observation is recorded in ``steps``; None between steps."""
    call: NotRequired[dict[str, Any] | None]
    """The call to make: ``{"tool": name, "arguments": {...}}``, written from the plan (None when
    no valid arguments could be written: the failure is recorded as a step)."""
    answer: NotRequired[str | None]
    status: NotRequired[Status]
    error: NotRequired[str | None]
    loops: NotRequired[int]
    """How often this run's planner repeated a task already done (see ``max_loops``)."""
    pending: NotRequired[list[dict[str, Any]] | None]
    """With ``planning="ahead"``: the planned steps still to run (``{"tool", "task"}``), ``[]``
    when the plan ran (the answer is next), None when there is no plan (the planner plans)."""
