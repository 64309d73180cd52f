"""``ask_user``: a question back to the user, through LangGraph's ``interrupt``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from langchain_core.callbacks import CallbackManagerForToolRun
from langchain_core.tools import ArgsSchema, BaseTool, ToolException

from langchain_gba.exceptions import ToolError
from langchain_gba.tools.base import TaskInput

__all__ = ["ASK_USER", "AskUserTool", "addresses_user", "speaks_to_user"]

ASK_USER = "ask_user"

_THE_USER = re.compile(r"\b(?:you|your|yours|yourself|yourselves|me|my|mine|myself)\b", re.I)
_WORD = re.compile(r"[\w']+")


def addresses_user(question: str) -> bool:
    """Whether ``question`` asks the user about themselves: it says "you", "your", "I", "my".

    "I" and "my" come from a question copied from the request ("What is the capital of the
    country where I was born?"). The 1.5B planner asks the user for facts about the world ("How
    long is the Nile in kilometers?", "When did Beethoven's Ninth Symphony first perform?"); the
    agent sends a question that speaks of no user to a search instead (``create_gba_agent``).
    "I" after a capitalized word is a numeral ("World War I").
    """
    if _THE_USER.search(question):
        return True
    words = _WORD.findall(question)
    return any(
        w.split("'")[0] == "I" and (k == 0 or not words[k - 1][:1].isupper())
        for k, w in enumerate(words)
    )


_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|yourself|yourselves)\b", re.I)
_QUOTED = re.compile(r"(?<!\w)['\"\u2018\u201c][^'\"\u2019\u201d]*['\"\u2019\u201d](?!\w)")


def speaks_to_user(task: str) -> bool:
    """Whether ``task`` is written to the user: it says "you" or "your" outside quotes.

    The 1.5B planner sent questions for the user to the search ("What is your hourly wage?",
    "What is the title and author of your current book?"), and a summary answered them from
    whatever it found; the agent asks the user instead. A quoted "you" is a word, not the user
    ("What is the German word for 'thank you'?").
    """
    return bool(_SECOND_PERSON.search(_QUOTED.sub(" ", task)))


class AskUserTool(BaseTool):
    """Ask the user the task's question and return the reply.

    In an agent graph the run pauses with a LangGraph interrupt whose value is
    ``{"type": "ask_user", "question": ...}``; resume it with
    ``agent.invoke(Command(resume="the reply"), config)`` (the graph needs a checkpointer). With
    ``ask`` set (e.g. ``input``) the tool calls it instead; the simulation swaps in a simulated
    user: any tool named ``ask_user`` replaces this one.
    """

    name: str = ASK_USER
    description: str = (
        "Ask the user a question about themselves, when the request needs a personal detail "
        "only the user knows (their city, age, dates, budget, preferences, choices). Never for "
        "general facts: search for those. Give the question in plain words."
    )
    args_schema: ArgsSchema | None = TaskInput
    handle_tool_error: bool | str | Callable[[ToolException], str] | None = True
    """Failures (a ``ToolException``) are returned as the message, in a ``ToolMessage`` with
    ``status="error"`` when called with a tool call, as LangGraph's ``ToolNode`` expects;
    ``False`` raises them."""

    ask: Callable[[str], str] | None = None
    """Called with the question instead of interrupting the graph (e.g. ``input``)."""

    def _run(
        self, task: str, run_manager: CallbackManagerForToolRun | None = None, **_: Any
    ) -> str:
        if self.ask is not None:
            return str(self.ask(task))
        from langgraph.config import get_config
        from langgraph.types import interrupt

        try:
            configurable = get_config().get("configurable") or {}
        except RuntimeError as e:  # not inside a graph run
            msg = (
                "ask_user interrupts a LangGraph run; outside one, pass ask=... "
                "(e.g. AskUserTool(ask=input))."
            )
            raise ToolError(msg) from e
        if not configurable.get("thread_id"):  # a checkpointed run always has one
            msg = (
                "ask_user cannot wait for the user's reply: the run has no thread to resume. "
                "Build the agent with checkpointer=InMemorySaver() (or a SqliteSaver) and run "
                "it with config={'configurable': {'thread_id': ...}}, or use AskUserTool(ask=...)."
            )
            raise ToolError(msg)
        reply = interrupt({"type": ASK_USER, "question": task})
        return reply if isinstance(reply, str) else str(reply)
