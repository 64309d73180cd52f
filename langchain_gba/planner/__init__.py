"""Planners and the step schema they write."""

from langchain_gba.planner.planners import (
    FineTunedPlanner,
    Planner,
    ToolLike,
    ZeroShotPlanner,
    tool_descriptions,
)
from langchain_gba.planner.step import (
    PLAN_FIELDS,
    SEED_PLAN_FIELDS,
    TEACHER_FIELDS,
    PlanStep,
    copies_descriptions,
    plan_step_model,
)

__all__ = [
    "PLAN_FIELDS",
    "SEED_PLAN_FIELDS",
    "TEACHER_FIELDS",
    "FineTunedPlanner",
    "PlanStep",
    "Planner",
    "ToolLike",
    "ZeroShotPlanner",
    "copies_descriptions",
    "plan_step_model",
    "tool_descriptions",
]
