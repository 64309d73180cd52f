"""The trajectory's steps: building them, finding repeats, and what a tool's result reads as."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, Literal

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool, ToolException

from langchain_gba._text import words
from langchain_gba.agent.state import Step
from langchain_gba.prompts import format_context
from langchain_gba.tools.final_answer import FINAL_ANSWER
from langchain_gba.tools.search.summarize import finding

__all__ = [
    "MAX_CONTEXT_CHARS",
    "argument_patterns",
    "earlier_step",
    "findings",
    "error_observation",
    "identifying",
    "known_so_far",
    "new_step",
    "observation_text",
    "same_action",
    "tool_observation",
]

logger = logging.getLogger(__name__)


MAX_CONTEXT_CHARS = 6000
"""At most this much of the run's results goes to a tool that reads the context (the latest)."""


def known_so_far(request: str, steps: Sequence[Step]) -> str:
    """The request and the results of the steps that ran (no errors, repeats or answers).

    What a tool that reads the context (the calculator) gets beside its task: the latest results
    that fit ``MAX_CONTEXT_CHARS``, in ``format_context``'s form, without searches' sources.
    """
    ran = [
        s
        for s in steps
        if not s.get("error") and "repeat_of" not in s.get("plan", {}) and s["tool"] != FINAL_ANSWER
    ]
    ran = findings(ran)
    head = f"Request: {request}\n\n"
    while ran and len(head) + len(format_context(ran)) > MAX_CONTEXT_CHARS:
        ran = ran[1:]
    return (head + format_context(ran))[:MAX_CONTEXT_CHARS]


def findings(steps: Sequence[Step]) -> list[Step]:
    """``steps`` with each search result cut to its finding (no list of sources, ``finding``)."""
    return [{**s, "observation": finding(str(s["observation"]))} for s in steps]


def new_step(plan: dict[str, Any], args: dict[str, Any], observation: str, *, error: bool) -> Step:
    """A step of the trajectory: the plan's task and tool, the call's arguments, the result."""
    return Step(
        task=plan.get("task", ""),
        tool=plan.get("selected_tool", ""),
        arguments=args,
        observation=observation,
        error=error,
        plan={k: v for k, v in plan.items() if k != "arguments"},
    )


def _normalized(text: str) -> str:
    return " ".join(words(text))


def earlier_step(
    steps: Sequence[Step],
    tool: str,
    field: Literal["task", "observation"],
    text: str,
    *,
    failed: bool = False,
) -> int | None:
    """The index of an earlier step of ``tool`` whose ``field`` matches ``text``.

    Compared without case, punctuation or spacing: the same task planned again, or the same
    result returned again. Failed steps count only with ``failed``: a failed task may be tried
    again (the results may have changed since), but the same failure again is no progress.
    """
    same = [i for i in same_steps(steps, tool, field, text) if failed or not steps[i]["error"]]
    return same[0] if same else None


def same_steps(
    steps: Sequence[Step], tool: str, field: Literal["task", "observation"], text: str
) -> list[int]:
    """The indices of the steps of ``tool`` (failed ones too) whose ``field`` matches ``text``."""
    wanted = _normalized(text)
    return [
        i
        for i, step in enumerate(steps)
        if step["tool"] == tool and _normalized(str(step[field])) == wanted
    ]


def tool_observation(result: Any) -> tuple[Any, bool]:
    """A tool's result and whether it is a failure the tool handled (``status="error"``)."""
    if isinstance(result, ToolMessage):
        if result.status == "error":
            return f"Error: {' '.join(result.text.split()) or 'no details'}", True
        return result.content, False
    return result, False


def error_observation(name: str, e: BaseException) -> str:
    """The observation of a tool that raised: a tool's own message, or what broke."""
    detail = " ".join(str(e).split()) or "no details"
    if isinstance(e, ToolException):  # written for the agent (CalculationError, SearxngError)
        return f"Error: {detail}"
    logger.warning("Tool %s raised", name, exc_info=e)
    return f"Error: {name} failed: {type(e).__name__}: {detail}"


def observation_text(out: Any) -> str:
    """A tool's output as observation text."""
    content = getattr(out, "content", out)  # a ToolMessage or message-like object
    if isinstance(content, str):
        return content
    try:
        return json.dumps(content, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(content)


def _schema(tool: BaseTool) -> dict[str, Any]:
    """The JSON schema of the tool's arguments (as a model writes them)."""
    schema = tool.tool_call_schema
    if isinstance(schema, dict):
        return schema
    return schema.model_json_schema()  # type: ignore[union-attr]


def _target_keys(schema: dict[str, Any]) -> list[str]:
    """The arguments that say what an action acts on (see ``identifying``)."""
    props: dict[str, Any] = dict(schema.get("properties", {}))
    required = set(schema.get("required", ()))

    def constrained(spec: dict[str, Any]) -> bool:  # an Optional's constraint is in anyOf
        return any(x in s for s in (spec, *spec.get("anyOf", ())) for x in _CONSTRAINTS)

    def typed(spec: dict[str, Any]) -> bool:
        return spec.get("type") not in (None, "string")

    keys = [k for k, spec in props.items() if constrained(spec) or (typed(spec) and k in required)]
    return keys or [k for k, spec in props.items() if typed(spec)] or list(props)


_CONSTRAINTS = ("pattern", "format", "enum")


def argument_patterns(tool: BaseTool) -> list[str]:
    """The ``pattern`` of each of the tool's string arguments that has one (an Optional's too)."""
    found = []
    for spec in _schema(tool).get("properties", {}).values():
        for option in (spec, *spec.get("anyOf", ())):
            if isinstance(option.get("pattern"), str):
                found.append(option["pattern"])
    return found


def _on_target(args: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties", {})
    return {k: args.get(k, props[k].get("default")) for k in _target_keys(schema)}


def identifying(tool: BaseTool, args: dict[str, Any]) -> dict[str, Any]:
    """The arguments that say what an action acts on: constrained ones, not free text.

    Arguments whose schema has a ``pattern``, ``format`` or ``enum`` (an address, a date, a
    time, optional ones too) and required ones of a type other than string (an amount),
    defaults filled in; else every argument of such a type, else all of them. An optional
    number is how, not what: the 1.5B planner put "Flight to Oslo" on 2026-08-01 at 06:40 again
    with 120 minutes instead of 60.
    """
    return _on_target(args, _schema(tool))


def same_action(steps: Sequence[Step], tool: BaseTool, args: dict[str, Any]) -> int | None:
    """The index of an earlier successful step of ``tool`` that acted on the same target.

    The same ``identifying`` arguments (an email to the same recipient, an event at the same
    date and time): the small planner, having sent an email, often plans it again in new words.
    """
    schema = _schema(tool)  # once, not per earlier step
    wanted = _on_target(args, schema)
    for i, step in enumerate(steps):
        if step["tool"] != tool.name or step["error"] or step["plan"].get("rejected"):
            continue
        if "repeat_of" in step["plan"]:
            continue
        if _on_target(step["arguments"], schema) == wanted:
            return i
    return None
