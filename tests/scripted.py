"""A scripted chat model for routing tests: it replies with the given texts, in order."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from langchain_gba.structured.prompted import with_prompted_output


class ScriptedChatModel(BaseChatModel):
    """Replies with ``replies`` one by one; records the messages of every call."""

    replies: list[str]
    calls: list[list[BaseMessage]] = []

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.calls.append(list(messages))
        if _asks_early_answer(messages) and not (self.replies and _is_yes_no(self.replies[0])):
            reply = json.dumps({"answer": "No"})  # not scripted: plan the next step as before
            return ChatResult(generations=[ChatGeneration(message=AIMessage(reply))])
        if not self.replies:
            raise AssertionError("the scripted model ran out of replies")
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self.replies.pop(0)))])

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return with_prompted_output(self, schema)


def _asks_early_answer(messages: list[BaseMessage]) -> bool:
    """Whether this is the agent's early-answer question (``RESULTS_ANSWER_QUESTION``)."""
    from langchain_gba.prompts import RESULTS_ANSWER_QUESTION

    return bool(messages) and str(messages[-1].content).endswith(RESULTS_ANSWER_QUESTION.strip())


def _is_yes_no(reply: str) -> bool:
    try:
        return json.loads(reply).get("answer") in ("Yes", "No")
    except (ValueError, AttributeError):
        return False


def step(tool: str, task: str = "do it") -> str:
    """A planner reply selecting ``tool``."""
    return json.dumps(
        {
            "thoughts": "next",
            "selected_tool": tool,
            "task": task,
        }
    )


def answer(text: str) -> str:
    """A final-answer writer reply."""
    return json.dumps({"answer": text})
