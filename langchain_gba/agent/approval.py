"""Approvals: a person approves, edits or rejects a tool call before a tool with side effects runs.

``create_gba_agent(..., interrupt_on={"send_email": True})`` puts the ``approve_call`` node
between writing a call's arguments and running it. For a listed tool the run pauses with a
LangGraph interrupt whose value is an :class:`ApprovalRequest` (the tool, the arguments written
by function calling, the planner's task, the decisions allowed); resume it with
``Command(resume=...)`` and one decision:

- ``{"type": "approve"}`` (or ``"approve"``): the call runs as written;
- ``{"type": "edit", "arguments": {...}}``: the call runs with these arguments, validated
  against the tool's schema first; invalid ones pause the run again with the reason;
- ``{"type": "reject", "message": "..."}`` (or ``"reject"``): the tool does not run; the
  rejection is the step's observation, which the planner reads.

LangChain v1's ``HumanInTheLoopMiddleware`` resume shape, ``{"decisions": [decision]}``, is
accepted too. The call id (``call_id``) is stable for the call across pauses and resumes, so a
tool with side effects can use it as an idempotency key (see ``examples/assistant.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict

from langchain_core.tools import BaseTool
from pydantic import ValidationError

from langchain_gba.exceptions import AgentConfigError, AgentInputError

__all__ = [
    "APPROVE_CALL",
    "ApprovalConfig",
    "ApprovalRequest",
    "Decision",
    "approval_configs",
    "read_decision",
    "validated_arguments",
]

APPROVE_CALL = "approve_call"
"""The approval node's name (and the ``type`` of its interrupt's value)."""

Decision = Literal["approve", "edit", "reject"]
DECISIONS: tuple[Decision, ...] = ("approve", "edit", "reject")


class ApprovalConfig(TypedDict, total=False):
    """How a tool's calls are approved (``True`` in ``interrupt_on`` means all decisions)."""

    allowed_decisions: list[Decision]
    description: str
    """Shown to the person with the call (default: "Approve this call of <tool>?")."""


class ApprovalRequest(TypedDict):
    """The interrupt's value: what the person decides on."""

    type: Literal["approve_call"]
    tool: str
    arguments: dict[str, Any]
    task: str
    call_id: str
    allowed_decisions: list[Decision]
    description: str
    error: NotRequired[str]
    """Why the previous decision was refused (an invalid edit); the run waits for another."""


def approval_configs(
    interrupt_on: Mapping[str, bool | ApprovalConfig] | None, tools: Mapping[str, BaseTool]
) -> dict[str, ApprovalConfig]:
    """The approval settings of the tools that need one.

    Raises:
        AgentConfigError: an unknown tool name, or an unknown or empty list of decisions.
    """
    configs: dict[str, ApprovalConfig] = {}
    for name, setting in (interrupt_on or {}).items():
        if name not in tools:
            msg = (
                f"interrupt_on names {name!r}, which is not one of the agent's tools "
                f"({', '.join(sorted(tools))})."
            )
            raise AgentConfigError(msg)
        if setting is False:
            continue
        config: ApprovalConfig = {} if setting is True else dict(setting)  # type: ignore[assignment]
        allowed = list(config.get("allowed_decisions") or DECISIONS)
        unknown = [d for d in allowed if d not in DECISIONS]
        if unknown or not allowed:
            msg = f"interrupt_on[{name!r}]: decisions must be among {DECISIONS}, not {allowed}."
            raise AgentConfigError(msg)
        configs[name] = {
            "allowed_decisions": allowed,
            "description": config.get("description") or f"Approve this call of {name}?",
        }
    return configs


def read_decision(value: Any, allowed: list[Decision]) -> dict[str, Any]:
    """The decision in a resume value, as ``{"type": ..., ...}``.

    Raises:
        AgentInputError: not a decision, or one that is not allowed for this tool.
    """
    if isinstance(value, Mapping) and "decisions" in value:  # LangChain v1's HITL shape
        decisions = value["decisions"]
        if not isinstance(decisions, list) or len(decisions) != 1:
            msg = "Resume an approval with one decision: {'decisions': [{'type': 'approve'}]}."
            raise AgentInputError(msg)
        value = decisions[0]
    if isinstance(value, str):
        value = {"type": value}
    kind = value.get("type") if isinstance(value, Mapping) else None
    if kind not in DECISIONS:
        msg = (
            f"Not an approval decision: {value!r}. Resume with {{'type': 'approve'}}, "
            "{'type': 'edit', 'arguments': {...}} or {'type': 'reject', 'message': '...'}."
        )
        raise AgentInputError(msg)
    if kind not in allowed:
        msg = f"The decision {kind!r} is not allowed here; allowed: {', '.join(allowed)}."
        raise AgentInputError(msg)
    return dict(value)


def validated_arguments(tool: BaseTool, arguments: Any) -> dict[str, Any]:
    """Edited arguments checked against the tool's schema (the values as given, not coerced).

    Raises:
        AgentInputError: not an object, or invalid for the schema (the message says why).
    """
    if not isinstance(arguments, Mapping):
        msg = f"Edited arguments must be an object of {tool.name}'s arguments, not {arguments!r}."
        raise AgentInputError(msg)
    schema = tool.tool_call_schema  # what the model writes: injected arguments left out
    if isinstance(schema, type) and hasattr(schema, "model_validate"):  # pydantic v2
        try:
            schema.model_validate(dict(arguments))
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}"
                for err in e.errors()
            )
            msg = f"The edited arguments do not fit {tool.name}'s schema: {problems}."
            raise AgentInputError(msg) from e
    return dict(arguments)
