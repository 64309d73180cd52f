"""Tool calling for chat models that constrain decoding: ``bind_tools`` without a native format.

Small models do not call tools reliably in their chat template's own format (Qwen2.5-Coder-1.5B
prints the call as a JSON block in its text, which no parser picks up). Here the model's reply
is decided, then written under constraint:

1. after tool results (``tool_choice="auto"``): whether they answer the request (the model's
   probability of "Yes", ``TOOL_RESULTS_QUESTION``); if so, a text reply;
2. call a tool or reply in text: the model's probability of each tool's name, and of ``none``,
   as its reply's first token, with the request and the tool results after it in view
   (``TOOL_DECISION_SYSTEM``; one forward pass). A function with typed arguments is then also
   put to the fit decision the agent's function calling uses (``FunctionCaller(check_fit=True)``,
   its threshold tuned on BFCL): whether calling it does the request; if not, a text reply. A
   tool that takes one string in plain words (a task, a query) is not: its "Yes" barely depends
   on the request;
3. a call's arguments, decoded under the tool's JSON schema's grammar: they always validate. A
   call that repeats one already made (same arguments) becomes a text reply.

``tool_choice="any"`` (or ``"required"``) decides among the tools only; a tool's name skips the
decision; ``"none"`` always replies in text.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolCall,
    ToolMessage,
)
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.utils.function_calling import convert_to_openai_tool

from langchain_gba.exceptions import UnsupportedSchemaError
from langchain_gba.prompts import (
    TOOL_DECISION_SYSTEM,
    TOOL_RESULTS_QUESTION,
    TOOL_RESULTS_REPLY,
    TOOL_RESULTS_SYSTEM,
    TOOL_TASK,
    format_tools,
)
from langchain_gba.structured.choice import choice_probabilities
from langchain_gba.structured.output import constraint_for
from langchain_gba.structured.route import structured_model
from langchain_gba.tools.function_calling import (
    YES_NO,
    FunctionCaller,
)

__all__ = [
    "NO_TOOL",
    "TOOL_STRING_LENGTH",
    "ToolCaller",
    "call_chunk",
    "decide_reply",
    "conversation_task",
    "normalize_tool_choice",
    "prepare_tools",
    "reply_messages",
    "takes_text",
    "openai_tools",
]

ToolChoice = Literal["auto", "any", "none"] | str
"""``"auto"``, ``"any"``, ``"none"``, or the name of the tool to call."""


def openai_tools(tools: Sequence[Any]) -> list[dict[str, Any]]:
    """Tools in OpenAI's format (``convert_to_openai_tool``).

    Each may be a ``BaseTool``, a pydantic model, a function, or a dict in that format.
    """
    return [convert_to_openai_tool(t) for t in tools]


def normalize_tool_choice(tool_choice: Any, names: Sequence[str]) -> ToolChoice:
    """LangChain's ``tool_choice`` forms as ``"auto"``, ``"any"``, ``"none"`` or a tool name.

    Accepts ``None``/``"auto"``, ``"any"``/``"required"``/``True``, ``"none"``/``False``, a tool's
    name, and ``{"type": "function", "function": {"name": ...}}``.

    Raises:
        ValueError: a name (or dict) that names no bound tool, or an unknown form.
    """
    if tool_choice is None or tool_choice == "auto":
        return "auto"
    if tool_choice is True or tool_choice in ("any", "required"):
        if len(names) == 1:
            return names[0]
        return "any"
    if tool_choice is False or tool_choice == "none":
        return "none"
    name = tool_choice
    if isinstance(tool_choice, Mapping):
        name = (tool_choice.get("function") or {}).get("name") or tool_choice.get("name")
    if isinstance(name, str) and name in names:
        return name
    msg = (
        f"tool_choice={tool_choice!r} names no bound tool. Use 'auto', 'any' (or 'required'), "
        f"'none', or one of the bound tools' names: {list(names)}."
    )
    raise ValueError(msg)


@dataclass(frozen=True)
class Conversation:
    """What a call is decided on: the user's last request and the tool results after it."""

    request: str
    results: tuple[tuple[str, str], ...] = ()
    """``(call, result)`` pairs: ``name({"arg": ...})`` and the tool's text."""

    def repeats(self, name: str, arguments: Mapping[str, Any]) -> bool:
        """Whether this call was made already (its result is among the results)."""
        return any(call == _shown(name, arguments) for call, _ in self.results)

    def task(self) -> str:
        """The task a function's arguments are written for."""
        if not self.results:
            return self.request
        return TOOL_TASK.format(request=self.request, results=format_tool_results(self.results))


def _shown(name: str, arguments: Mapping[str, Any]) -> str:
    return f"{name}({json.dumps(arguments, ensure_ascii=False, sort_keys=True)})"


def format_tool_results(results: Sequence[tuple[str, str]]) -> str:
    """``- call: result`` lines."""
    return "\n".join(f"- {call}: {' '.join(result.split())}" for call, result in results)


def _last_request(messages: Sequence[BaseMessage]) -> int:
    return max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)


def reply_messages(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """What a text reply is written from: the results of this turn's calls in one message.

    The conversation before the last request stays as it is; the request and the calls and
    results after it become one human message (``TOOL_RESULTS_REPLY``).
    """
    conversation = conversation_task(messages)
    if not conversation.results:
        return list(messages)
    text = TOOL_RESULTS_REPLY.format(
        request=conversation.request, results=format_tool_results(conversation.results)
    )
    return [*messages[: max(_last_request(messages), 0)], HumanMessage(text)]


def conversation_task(messages: Sequence[BaseMessage]) -> Conversation:
    """The last human message, and the calls and results that followed it."""
    last = _last_request(messages)
    request = messages[last].text if last >= 0 else "\n".join(m.text for m in messages)
    calls: dict[str, str] = {}
    results = []
    for message in messages[last + 1 :]:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                calls[call.get("id") or ""] = _shown(call["name"], call["args"])
        elif isinstance(message, ToolMessage):
            shown = calls.get(message.tool_call_id, message.name or "tool")
            results.append((shown, message.text))
    return Conversation(request, tuple(results))


def takes_text(spec: Mapping[str, Any]) -> bool:
    """Whether a function takes one string in plain words (a task, a query) and nothing else."""
    properties = (spec.get("parameters") or {}).get("properties") or {}
    if len(properties) != 1:
        return False
    (schema,) = properties.values()
    constrained = {"enum", "const", "pattern", "format"} & set(schema)
    return schema.get("type") == "string" and not constrained


NO_TOOL = "none"
"""The decision's label for a text reply."""


class ToolCaller:
    """Decides and writes a model's tool call for a conversation (see the module docstring).

    Args:
        model: the chat model; it must support constrained structured output (``ChatLlamaCpp``,
            ``ChatLlamaServer``) for arguments that always validate.
        tools: the bound tools, in OpenAI's format.
        tool_choice: a ``normalize_tool_choice`` value.
        max_string_length: bound for string arguments without one.
    """

    def __init__(
        self,
        model: BaseChatModel,
        tools: Sequence[Mapping[str, Any]],
        tool_choice: ToolChoice = "auto",
        *,
        max_string_length: int | None = 300,
    ) -> None:
        self.model = model
        self.functions = {t["function"]["name"]: dict(t["function"]) for t in tools}
        self.tool_choice = tool_choice
        self.fit = FunctionCaller(model, max_string_length=max_string_length, check_fit=True)

    def call(self, messages: Sequence[BaseMessage]) -> ToolCall | None:
        """The tool call for ``messages``; None when the model should reply in text."""
        if self.tool_choice == "none" or not self.functions:
            return None
        conversation = conversation_task(messages)
        if self.tool_choice in self.functions:
            name = self.tool_choice
        else:
            auto = self.tool_choice == "auto"
            if auto and conversation.results and self.answered(conversation):
                return None
            name = self.decide(conversation, reply=auto)
            if name == NO_TOOL:
                return None
        spec = self.functions[name]
        if self.tool_choice == "auto" and not takes_text(spec):
            decision = self.fit.decide(spec, conversation.task())
            if not decision.fits:
                return None
            arguments = decision.arguments or {}
        else:
            arguments = self.fit.described_arguments(spec, conversation.task())
        if self.tool_choice == "auto" and conversation.repeats(name, arguments):
            return None  # its result is above: a reply, not the same call again
        return ToolCall(name=name, args=arguments, id=f"call_{uuid.uuid4().hex[:24]}")

    def answered(self, conversation: Conversation) -> bool:
        """Whether the tool results answer the request (the probability of "Yes" ≥ 1/2)."""
        question = TOOL_RESULTS_QUESTION.format(
            request=conversation.request, results=format_tool_results(conversation.results)
        )
        messages = [("system", TOOL_RESULTS_SYSTEM), ("human", question)]
        return choice_probabilities(self.model, messages, YES_NO)[YES_NO[0]] >= 0.5

    def decide(self, conversation: Conversation, *, reply: bool = True) -> str:
        """The tool to call, or ``NO_TOOL`` (only when ``reply``), for a conversation.

        The most probable first token of the reply among the names (one forward pass); names
        that share a first token, or a model without next-token probabilities (a server), get
        a constrained choice.
        """
        names = list(self.functions)
        if not reply and len(names) == 1:
            return names[0]
        listed = [(n, f.get("description", "")) for n, f in self.functions.items()]
        system = TOOL_DECISION_SYSTEM.format(tools=format_tools(listed))
        messages = [("system", system), ("human", conversation.task())]
        labels = [*names, NO_TOOL] if reply else names
        if not self._first_tokens_differ(labels):
            return self._constrained_choice(messages, labels)
        probabilities = choice_probabilities(self.model, messages, labels)
        return max(labels, key=lambda label: probabilities[label])

    def _first_tokens_differ(self, labels: Sequence[str]) -> bool:
        """Whether the model's next-token probabilities tell ``labels`` apart.

        Only an in-process model reads them for any token (``first_token_logprobs``); a server's
        ``top_logprobs`` name whole tokens, not a tool's name: there, a constrained choice.
        """
        if not hasattr(self.model, "first_token_logprobs"):
            return False
        firsts = {tuple(self.model.get_token_ids(label)[:1]) for label in labels}
        return len(firsts) == len(labels)

    def _constrained_choice(self, messages: list[tuple[str, str]], labels: list[str]) -> str:
        schema = {
            "type": "object",
            "properties": {"name": {"type": "string", "enum": labels}},
            "required": ["name"],
        }
        return str(structured_model(self.model, schema).invoke(messages)["name"])


def tool_names(tools: Sequence[Mapping[str, Any]]) -> list[str]:
    """The names of tools in OpenAI's format."""
    return [t["function"]["name"] for t in tools]


TOOL_STRING_LENGTH = 300
"""``maxLength`` of a tool's string arguments that have none: a small model finishes its JSON."""


def prepare_tools(
    tools: Sequence[Any], tool_choice: Any, check: Callable[[dict[str, Any]], object]
) -> tuple[list[dict[str, Any]], ToolChoice]:
    """The tools in OpenAI's format and the normalized ``tool_choice``, for ``bind_tools``.

    ``check`` compiles each tool's argument constraint (the grammar engine of the model).

    Raises:
        UnsupportedSchemaError: naming the tool whose schema cannot be constrained, and why.
        ValueError: ``tool_choice`` names no tool.
    """
    formatted = openai_tools(tools)
    choice = normalize_tool_choice(tool_choice, tool_names(formatted))
    for tool in formatted:
        function = tool["function"]
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        try:
            check(constraint_for(parameters, "json_schema", TOOL_STRING_LENGTH))
        except UnsupportedSchemaError as e:
            msg = f"The arguments of tool {function['name']!r} cannot be constrained: {e}"
            raise UnsupportedSchemaError(msg) from e
    return formatted, choice


def decide_reply(
    model: BaseChatModel, messages: list[BaseMessage], kwargs: dict[str, Any]
) -> tuple[AIMessage | None, list[BaseMessage]]:
    """For a chat model's ``_generate``: the tool-call reply, or None and what a text reply reads.

    Pops the bound ``tools``, ``tool_choice`` and ``parallel_tool_calls`` from ``kwargs``. A
    call is decided only when tools are bound; a text reply after this turn's tool results reads
    them in one message (``reply_messages``).
    """
    tools = kwargs.pop("tools", None)
    choice = kwargs.pop("tool_choice", None) or "auto"
    kwargs.pop("parallel_tool_calls", None)
    if not tools:
        return None, messages
    call = ToolCaller(model, tools, choice, max_string_length=TOOL_STRING_LENGTH).call(messages)
    if call is None:
        return None, reply_messages(messages)
    name = getattr(model, "model", None) or getattr(model, "model_name", None)
    message = AIMessage(
        content="",
        tool_calls=[call],
        response_metadata={"model_name": name, "finish_reason": "tool_calls"},
    )
    return message, messages


def call_chunk(message: AIMessage) -> AIMessageChunk:
    """A tool-call reply as the one chunk a stream yields (``tool_call_chunks``)."""
    return AIMessageChunk(
        content="",
        tool_call_chunks=[
            tool_call_chunk(name=c["name"], args=json.dumps(c["args"]), id=c["id"], index=i)
            for i, c in enumerate(message.tool_calls)
        ],
        chunk_position="last",
        response_metadata=message.response_metadata,
    )
