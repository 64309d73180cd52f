"""``FunctionCaller``: turn a task in plain words into a function's arguments, constrained."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_function

from langchain_gba.prompts import FUNCTION_CALLING_SYSTEM, FUNCTION_CALLING_USER
from langchain_gba.structured.route import structured_model

__all__ = ["FunctionCaller", "FunctionLike", "function_spec"]

FunctionLike = BaseTool | Mapping[str, Any]
"""A LangChain tool, or an OpenAI-style function ``{"name", "description", "parameters"}``."""

_EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


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
    """

    def __init__(
        self,
        model: BaseChatModel,
        *,
        max_string_length: int | None = 300,
        method: str = "auto",
    ) -> None:
        self.model = model
        self.max_string_length = max_string_length
        self.method = method

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
