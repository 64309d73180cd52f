"""``FunctionCaller``: turn a task in plain words into a function's arguments, constrained."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_function

from langchain_gba._text import words
from langchain_gba.dates import dates_in, iso_date, iso_time, same_day, times_in
from langchain_gba.prompts import (
    FUNCTION_CALLING_REQUEST_USER,
    FUNCTION_CALLING_SYSTEM,
    FUNCTION_CALLING_USER,
    FUNCTION_DECISION_SYSTEM,
    FUNCTION_FIT_QUESTIONS,
    format_parameters,
)
from langchain_gba.structured.choice import YES_NO, choice_probabilities
from langchain_gba.structured.route import structured_model

__all__ = [
    "FIT_THRESHOLD",
    "FIT_THRESHOLDS",
    "Decision",
    "FunctionCaller",
    "FunctionLike",
    "decision_system",
    "function_spec",
    "grounded_arguments",
]

FunctionLike = BaseTool | Mapping[str, Any]
"""A LangChain tool, or an OpenAI-style function ``{"name", "description", "parameters"}``."""

_EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}
FIT_THRESHOLD = 0.79
"""Call when the model's probability of "Yes" reaches this (models not in ``FIT_THRESHOLDS``)."""
FIT_THRESHOLDS: dict[str, float] = {
    "qwen2.5-coder-1.5b-instruct": 0.79,
    "qwen2.5-coder-0.5b-instruct": 0.48,  # weaker evidence: its "Yes" depends less on the fit
}
"""Per embedded model, tuned on BFCL items apart from the reported ones (the threshold with the
best summed accuracy over the six categories, ``bench/bfcl.py --sweep`` on ``--fit-threshold 0``
runs): both on items 150-249 of each category (540 items; the 0.5B's was also the best on
its first 116). Another model may be surer or less sure of itself: measure it the same way and
pass ``FunctionCaller(fit_threshold=...)``."""


@dataclass(frozen=True)
class Decision:
    """Whether a function does a task, how sure the model is, and the call's arguments."""

    fits: bool
    confidence: float
    """The model's probability that the function does the task (its "Yes" to the question)."""
    arguments: dict[str, Any] | None = None
    """The arguments when it fits; None when it does not."""


def grounded_arguments(
    arguments: Mapping[str, Any], parameters: Mapping[str, Any], task: str
) -> dict[str, Any]:
    """``arguments`` without the optional ones whose values the task does not give.

    Small models fill optional arguments with plausible values ("unit": "seconds") that the task
    never mentions, although told to leave them out; the function's default is the better call.
    A value is given when it, or one of its words (the first four letters of a word of three or
    more), is in the task; a number also as ``1,000,000`` or a fraction as a percentage; booleans
    are kept (the task says "include the details", not "true").
    Required arguments are always kept.
    """
    required = set(parameters.get("required") or ())
    stems = _stems(task)
    return {
        name: value
        for name, value in arguments.items()
        if name in required or _given(value, task.lower(), stems)
    }


def _stems(text: str) -> set[str]:
    return {w[:4] for w in words(text) if len(w) >= 3}


def _given(value: Any, task: str, stems: set[str]) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return any(form in task for form in _number_forms(value)) or _number_word(value, task)
    if isinstance(value, str):
        text = value.strip().lower()
        if (moment := _moment_given(text, task)) is not None:
            return moment
        return not text or text in task or bool(_stems(text) & stems)
    if isinstance(value, list):
        return all(_given(v, task, stems) for v in value)
    if isinstance(value, Mapping):
        return all(_given(v, task, stems) for v in value.values())
    return False


def _moment_given(value: str, task: str) -> bool | None:
    """For a date or a time, whether ``task`` writes it in any form; None for other values.

    "8:00" for ``08:00``, "7:30 pm" for ``19:30``, "3 October 2026" for ``2026-10-03``: the
    time "7:30 pm" was dropped from an anniversary dinner as not given.
    """
    if (time := iso_time(value)) is not None:
        return time in times_in(task)
    if (day := iso_date(value)) is not None:
        return any(same_day(day, d) for d in dates_in(task))
    return None


def _number_forms(value: float) -> set[str]:
    """How a task may write a number: ``1000000``, ``1,000,000``, ``0.2`` as ``20%``."""
    forms = {str(value)}
    if float(value).is_integer():
        forms |= {str(int(value)), f"{int(value):,}"}
    if 0 < abs(value) < 1:
        percent = round(value * 100, 6)
        forms.add(f"{int(percent) if float(percent).is_integer() else percent}%")
    return forms


NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
"""Small numbers a task spells out ("two dice")."""


def _number_word(value: float, task: str) -> bool:
    if not float(value).is_integer() or not 0 <= value < len(NUMBER_WORDS):
        return False
    return re.search(rf"\b{NUMBER_WORDS[int(value)]}\b", task) is not None


def _asked(task: str, request: str | None) -> str:
    """The function-calling step's question: the task, with the user's request if given."""
    if request is None:
        return FUNCTION_CALLING_USER.format(task=task)
    return FUNCTION_CALLING_REQUEST_USER.format(request=request, task=task)


def decision_system(spec: Mapping[str, Any]) -> str:
    """The decision's system prompt for a :func:`function_spec` (shared by its questions)."""
    return FUNCTION_DECISION_SYSTEM.format(
        name=spec["name"],
        description=" ".join(spec["description"].split()),
        parameters=format_parameters(spec["parameters"]),
    )


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
        check_fit: the agent's step may decline (``decision``): the model is asked whether
            the function does the task, and writes arguments only if its probability of "Yes"
            reaches ``fit_threshold``.
        fit_threshold: see ``check_fit`` (default: the model's in ``FIT_THRESHOLDS``, else
            ``FIT_THRESHOLD``).
    """

    def __init__(
        self,
        model: BaseChatModel,
        *,
        max_string_length: int | None = 300,
        method: str = "auto",
        check_fit: bool = False,
        fit_threshold: float | None = None,
    ) -> None:
        self.model = model
        self.max_string_length = max_string_length
        self.method = method
        self.check_fit = check_fit
        if fit_threshold is None:
            fit_threshold = FIT_THRESHOLDS.get(str(getattr(model, "model", "")), FIT_THRESHOLD)
        self.fit_threshold = fit_threshold

    def _structured(self, spec: Mapping[str, Any]) -> Runnable[Any, Any]:
        """The model constrained to a function's parameters (its arguments as a dict)."""
        return structured_model(
            self.model,
            spec["parameters"],
            method=self.method,
            max_string_length=self.max_string_length,
        )

    def runnable(self, function: FunctionLike) -> Runnable[Any, dict[str, Any]]:
        """A runnable from ``{"task": ...}`` to the arguments of ``function``.

        With ``"request"`` in the input too, the user's request is shown beside the task
        (``FUNCTION_CALLING_REQUEST_USER``).
        """
        spec = function_spec(function)
        structured = self._structured(spec)
        system = FUNCTION_CALLING_SYSTEM.format(
            name=spec["name"], description=" ".join(spec["description"].split())
        )

        def messages(value: Mapping[str, Any]) -> list[tuple[str, str]]:
            return [("system", system), ("human", _asked(value["task"], value.get("request")))]

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

        Two questions with one system prompt (the function's description and its arguments'
        descriptions): does calling it do the task (``FUNCTION_FIT_QUESTIONS``; the mean
        probability of "Yes" over its wordings, see :func:`choice_probabilities`), then, if that
        reaches ``fit_threshold``, its arguments, constrained to its schema. With
        ``"request"`` in the input, the arguments are written with the user's request beside
        the task (the question stays on the task alone).
        """
        spec = function_spec(function)
        system = decision_system(spec)

        def decide(value: Mapping[str, Any], config: RunnableConfig) -> Decision:
            task = value["task"]
            confidence = fmean(
                choice_probabilities(
                    self.model,
                    [("system", system), ("human", q.format(task=task, name=spec["name"]))],
                    YES_NO,
                )[YES_NO[0]]
                for q in FUNCTION_FIT_QUESTIONS
            )
            if confidence < self.fit_threshold:
                return Decision(False, confidence)
            arguments = self.described_arguments(spec, task, config, request=value.get("request"))
            return Decision(True, confidence, arguments)

        return RunnableLambda(decide).with_config(run_name=f"function_decision:{spec['name']}")

    def described(self, function: FunctionLike) -> Runnable[Any, dict[str, Any]]:
        """A runnable from ``{"task": ...}`` (and ``"request"``) to ``described_arguments``.

        The decision's way of writing arguments without its question: for a call whose tool
        is already settled.
        """
        spec = function_spec(function)

        def write(value: Mapping[str, Any], config: RunnableConfig) -> dict[str, Any]:
            return self.described_arguments(
                spec, value["task"], config, request=value.get("request")
            )

        return RunnableLambda(write).with_config(run_name=f"function_calling:{spec['name']}")

    def described_arguments(
        self,
        function: FunctionLike,
        task: str,
        config: RunnableConfig | None = None,
        *,
        request: str | None = None,
    ) -> dict[str, Any]:
        """The arguments of ``function`` for ``task``, its arguments described in the prompt.

        The decision's prompt (``decision_system``: the function's and its arguments'
        descriptions); optional arguments the task does not give are dropped
        (``grounded_arguments``). With the function's description alone (``arguments``),
        Qwen2.5-Coder-1.5B wrote a task-taking tool's ``task`` as the tool's name or its
        description. With ``request``, the user's request is shown beside the task, and an
        optional argument the request gives is kept.
        """
        spec = function_spec(function)
        structured = self._structured(spec)
        messages = [("system", decision_system(spec)), ("human", _asked(task, request))]
        given = task if request is None else f"{task}\n{request}"
        return grounded_arguments(structured.invoke(messages, config), spec["parameters"], given)

    def decide(self, function: FunctionLike, task: str) -> Decision:
        """Whether ``function`` does ``task``, and its arguments if it does.

        Raises:
            StructuredOutputError: as :meth:`arguments`.
        """
        return self.decision(function).invoke({"task": task})
