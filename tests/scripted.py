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
        if not self.replies:
            raise AssertionError("the scripted model ran out of replies")
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self.replies.pop(0)))])

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return with_prompted_output(self, schema)


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
