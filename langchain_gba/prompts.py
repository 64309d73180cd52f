"""Every prompt langchain-gba sends, in one place; agent, simulation and fine-tuning share them.

The planner's formats are the contract between the agent, the simulation that records
trajectories, and the fine-tuning that trains on them: change them here, and only here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "CALCULATOR_SYSTEM",
    "CALCULATOR_USER",
    "FINAL_ANSWER_SYSTEM",
    "FINAL_ANSWER_USER",
    "FINE_TUNED_PLANNER",
    "FUNCTION_CALLING_SYSTEM",
    "FUNCTION_CALLING_USER",
    "NO_PREVIOUS_STEPS",
    "NO_INFORMATION",
    "STRUCTURED_OUTPUT_INSTRUCTION",
    "STRUCTURED_OUTPUT_RETRY",
    "SEARCH_SUMMARY_SYSTEM",
    "SEARCH_SUMMARY_USER",
    "ZERO_SHOT_PLANNER_SYSTEM",
    "ZERO_SHOT_PLANNER_USER",
    "fine_tuned_planner_prompt",
    "format_context",
    "format_tools",
    "zero_shot_planner_messages",
]

# -- structured output on backends that cannot constrain decoding --------------------------------

STRUCTURED_OUTPUT_INSTRUCTION = (
    "Reply with only one JSON object, no other text, that matches this JSON schema:\n{schema}"
)
STRUCTURED_OUTPUT_RETRY = (
    "Your reply was rejected: {reason}\nReply again with only the corrected JSON object."
)

# -- the planner's view of the trajectory ---------------------------------------------------------

NO_PREVIOUS_STEPS = "No previous steps."
"""The context when nothing has been done yet."""


def format_context(steps: Iterable[Mapping[str, Any]]) -> str:
    """The trajectory so far as ``Task: ... / Result: ...`` pairs separated by blank lines.

    Each step needs ``task`` and ``observation``. Used by every planner format, so a step costs
    the same tokens whichever planner reads it, and the text only ever grows at the end (the
    prompt prefix is reused between steps).
    """
    parts = [f"Task: {s['task']}\nResult: {s['observation']}" for s in steps]
    return "\n\n".join(parts) if parts else NO_PREVIOUS_STEPS


def format_tools(tools: Iterable[tuple[str, str]]) -> str:
    """``- name: description`` lines, sorted by name (the seed's zero-shot format)."""
    return "\n".join(f"- {name}: {' '.join(desc.split())}" for name, desc in sorted(tools))


# -- zero-shot planner (instruct models; with a strong model, the teacher) -----------------------

ZERO_SHOT_PLANNER_SYSTEM = """\
You are the planner of an assistant. You never answer from memory: you plan the next step and \
pick the tool that does it. Tools:
{tools}

Reply with JSON: "context_information_summary" (what the previous steps found, with numbers), \
"thoughts" (your reasoning), "task" (the next step only, in plain words, with every value it \
needs), "selected_tool" (one of: {tool_names}). Use the context information only. When the \
context answers the request, select final_answer."""

ZERO_SHOT_PLANNER_USER = """\
Request:
```
{request}
```

Context information:
```
{context}
```"""


def zero_shot_planner_messages(
    request: str, steps: Sequence[Mapping[str, Any]], tools: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """System + user messages of the zero-shot planner; ``tools`` are (name, description)."""
    tools = sorted(tools)
    system = ZERO_SHOT_PLANNER_SYSTEM.format(
        tools=format_tools(tools), tool_names=", ".join(name for name, _ in tools)
    )
    user = ZERO_SHOT_PLANNER_USER.format(request=request, context=format_context(steps))
    return [("system", system), ("human", user)]


# -- fine-tuned planner (the format finetune/ trains on and simulation/ exports) -----------------

FINE_TUNED_PLANNER = """\
Request: {request}

{context}

Plan the next step."""
"""No tool list: a fine-tuned planner learns its tools from the training data."""


def fine_tuned_planner_prompt(request: str, steps: Sequence[Mapping[str, Any]]) -> str:
    """The fine-tuned planner's prompt: the request, the ``Task/Result`` pairs, the instruction."""
    return FINE_TUNED_PLANNER.format(request=request, context=format_context(steps))


# -- function calling -------------------------------------------------------------------------

FUNCTION_CALLING_SYSTEM = """\
You call the function {name}: {description}
Write its arguments as JSON. Take every value from the task; leave out optional arguments the \
task does not give."""

FUNCTION_CALLING_USER = "Task: {task}"

# -- final answer -----------------------------------------------------------------------------

FINAL_ANSWER_SYSTEM = """\
You write the answer to the user's request from the results of the steps taken. Write one or two \
short sentences with the facts and numbers the user asked for. Use the results only."""

FINAL_ANSWER_USER = """\
Request: {request}

{context}

Task: {task}"""

# -- search tools -----------------------------------------------------------------------------

NO_INFORMATION = "No information found."
"""What a search tool answers when its sources say nothing about the task."""

SEARCH_SUMMARY_SYSTEM = (
    "You answer a task using only the numbered sources you are given. "
    "Write one or two short sentences that answer the task, with the facts and numbers it needs. "
    f"If the sources do not contain the answer, write exactly: {NO_INFORMATION}"
)

SEARCH_SUMMARY_USER = "Sources:\n\n{sources}\n\nTask: {task}\nAnswer:"
"""Formatted with ``sources`` (numbered, ``[1] Title\\ntext``) and ``task``."""

# -- calculate_number -------------------------------------------------------------------------

CALCULATOR_SYSTEM = """\
You turn a calculation task into one arithmetic expression. Use only the numbers in the task, \
the operators + - * / ** and parentheses, and these functions: {functions}; constants: \
{constants}. Reply with JSON: {{"expression": "..."}}"""
"""Formatted with ``functions`` and ``constants`` (comma-separated names). Kept short: with the
embedded 135M model, examples and extra rules in this prompt made the expressions worse."""

CALCULATOR_USER = "Task: {task}"
