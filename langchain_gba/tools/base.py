"""What the agent's tools share: the args schema of tools that take a task in plain words."""

from __future__ import annotations

from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field

__all__ = ["TaskInput", "takes_task"]


class TaskInput(BaseModel):
    """Arguments of a tool that takes the planner's task directly (search, calculator)."""

    task: str = Field(
        min_length=1,
        max_length=2000,
        description="The task in plain words, with every value it needs.",
    )


def takes_task(tool: BaseTool) -> bool:
    """Whether ``tool`` takes the planner's task text as its only argument.

    Such tools skip the function-calling step: the agent passes ``{"task": ...}`` directly.
    """
    schema = tool.get_input_schema()
    fields = getattr(schema, "model_fields", {})
    return set(fields) == {"task"}
