"""``FunctionCaller``: turn a task in plain words into a function's arguments, constrained."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_function

from langchain_gba.prompts import (
    FUNCTION_CALLING_SYSTEM,
    FUNCTION_CALLING_USER,
    FUNCTION_DECISION_SYSTEM,
    format_parameters,
)
from langchain_gba.structured.route import structured_model

__all__ = ["Decision", "FunctionCaller", "FunctionLike", "decision_schema", "function_spec"]

FunctionLike = BaseTool | Mapping[str, Any]
"""A LangChain tool, or an OpenAI-style function ``{"name", "description", "parameters"}``."""

_EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}
ASKED_MAX_LENGTH = 150


@dataclass(frozen=True)
class Decision:
    """Whether a function does a task, what the task asks for, and the call's arguments."""

    fits: bool
    asked: str
    arguments: dict[str, Any] | None = None
    """The arguments when it fits; None when it does not."""


def decision_schema(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The decision's JSON schema: ``asked``, then ``fits``, then (only if true) ``arguments``.

    ``asked`` comes first so the choice rests on a statement of what the task wants; ``false``
    ends the object, so declining costs no made-up arguments.
    """
    asked = {"type": "string", "minLength": 1, "maxLength": ASKED_MAX_LENGTH}
    return {
        "anyOf": [
            {
                "type": "object",
                "properties": {"asked": asked, "fits": {"const": True}, "arguments": parameters},
                "required": ["asked", "fits", "arguments"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"asked": asked, "fits": {"const": False}},
                "required": ["asked", "fits"],
                "additionalProperties": False,
            },
        ]
    }


def function_spec(function: FunctionLike) -> dict[str, Any]:
    """``{"name", "description", "parameters"}`` of a tool or an OpenAI-style function dict."""
    if isinstance(function, BaseTool):
        spec = convert_to_openai_function(function)
    else:
        spec = dict(function.get("function", function))  # {"type": "function", "function": ...}
    spec.setdefault("description", "")
    spec["parameters"] = dict(spec.get("parameters") or _EMPTY_PARAMETERS)
    spec["parameters"].setdefault("type", "object")
    return spec


class FunctionCaller:
    """The agent's function-calling step: task → arguments valid for the function's schema.

    With langchain-gba's chat models the arguments are produced by constrained decoding, so they
    always parse and validate; with other chat models through their structured output (or the
    prompted route with retries, ``method="prompted"``).

    Example:
        .. code-block:: python

            caller = FunctionCaller(ChatLlamaCpp())
            caller.arguments(send_email_tool, "Email bob@example.com that I am late")
            # {'recipient': 'bob@example.com', 'subject': 'Late', 'body': 'I am late.'}

    Args:
        model: the chat model that writes the arguments.
        max_string_length: bound for string arguments without one, so a small model finishes.
        method: the structured-output route (see ``structured_model``).
        check_fit: the agent's step may decline: the model first says what the task asks for
            and whether the function does it (``decision``), and writes arguments only if so.
    """

    def __init__(
        self,
        model: BaseChatModel,
        *,
        max_string_length: int | None = 300,
        method: str = "auto",
        check_fit: bool = False,
    ) -> None:
        self.model = model
        self.max_string_length = max_string_length
        self.method = method
        self.check_fit = check_fit

    def runnable(self, function: FunctionLike) -> Runnable[Any, dict[str, Any]]:
        """A runnable from ``{"task": ...}`` to the arguments of ``function``."""
        spec = function_spec(function)
        structured = structured_model(
            self.model,
            spec["parameters"],
            method=self.method,
            max_string_length=self.max_string_length,
        )
        system = FUNCTION_CALLING_SYSTEM.format(
            name=spec["name"], description=" ".join(spec["description"].split())
        )

        def messages(value: Mapping[str, Any]) -> list[tuple[str, str]]:
            return [("system", system), ("human", FUNCTION_CALLING_USER.format(task=value["task"]))]

        return (messages | structured).with_config(run_name=f"function_calling:{spec['name']}")

    def arguments(self, function: FunctionLike, task: str) -> dict[str, Any]:
        """The arguments of ``function`` for ``task``.

        Raises:
            StructuredOutputError: the model's output was cut off or (unconstrained backends)
                did not validate after the retries.
        """
        return dict(self.runnable(function).invoke({"task": task}))

    def decision(self, function: FunctionLike) -> Runnable[Any, Decision]:
        """A runnable from ``{"task": ...}`` to a :class:`Decision` on ``function``.

        The model sees the function's description and its arguments' descriptions; decoding is
        constrained to :func:`decision_schema`.
        """
        spec = function_spec(function)
        structured = structured_model(
            self.model,
            decision_schema(spec["parameters"]),
            method=self.method,
            max_string_length=self.max_string_length,
        )
        system = FUNCTION_DECISION_SYSTEM.format(
            name=spec["name"],
            description=" ".join(spec["description"].split()),
            parameters=format_parameters(spec["parameters"]),
        )

        def messages(value: Mapping[str, Any]) -> list[tuple[str, str]]:
            return [("system", system), ("human", FUNCTION_CALLING_USER.format(task=value["task"]))]

        def parsed(out: Mapping[str, Any]) -> Decision:
            asked = " ".join(str(out.get("asked", "")).split())
            if out.get("fits") is True:
                return Decision(True, asked, dict(out.get("arguments") or {}))
            return Decision(False, asked)

        return (messages | structured | parsed).with_config(
            run_name=f"function_decision:{spec['name']}"
        )

    def decide(self, function: FunctionLike, task: str) -> Decision:
        """Whether ``function`` does ``task``, and its arguments if it does.

        Raises:
            StructuredOutputError: as :meth:`arguments`.
        """
        return self.decision(function).invoke({"task": task})
