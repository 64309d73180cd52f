"""Structured output for backends that cannot constrain decoding: prompt, validate, retry."""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.utils.json import parse_json_markdown

from langchain_gba.exceptions import StructuredOutputError
from langchain_gba.prompts import STRUCTURED_OUTPUT_INSTRUCTION, STRUCTURED_OUTPUT_RETRY
from langchain_gba.structured.output import constraint_for
from langchain_gba.structured.schema import SchemaLike, parse_output

__all__ = ["with_prompted_output"]


def _messages(model: BaseChatModel, value: LanguageModelInput, schema_text: str) -> list[Any]:
    messages = list(model._convert_input(value).to_messages())
    instruction = STRUCTURED_OUTPUT_INSTRUCTION.format(schema=schema_text)
    if messages and isinstance(messages[0], SystemMessage):
        messages[0] = SystemMessage(f"{messages[0].text}\n\n{instruction}")
    else:
        messages.insert(0, SystemMessage(instruction))
    return messages


def _parse(message: BaseMessage, schema: SchemaLike) -> Any:
    text = message.text
    finish_reason = message.response_metadata.get("finish_reason")
    try:
        return parse_output(text, schema, finish_reason=finish_reason)
    except StructuredOutputError as e:
        if not e.reason.startswith("invalid JSON"):
            raise
        try:  # a JSON object wrapped in prose or a Markdown fence
            data = parse_json_markdown(text)
        except (ValueError, json.JSONDecodeError):
            raise e from None
        return parse_output(json.dumps(data), schema)


def with_prompted_output(
    model: BaseChatModel,
    schema: SchemaLike,
    *,
    max_retries: int = 2,
    max_string_length: int | None = None,
) -> Runnable[LanguageModelInput, Any]:
    """Ask for JSON in the prompt, validate it, and retry with the error fed back.

    For OpenAI-compatible endpoints that support neither ``json_schema`` nor a grammar. After
    ``1 + max_retries`` rejected replies it raises ``StructuredOutputError`` carrying the last raw
    reply and the reason.
    """
    schema_text = json.dumps(constraint_for(schema, "json_schema", max_string_length))

    def dialogue(value: LanguageModelInput) -> Generator[list[Any], BaseMessage, Any]:
        """Yields the messages to send, receives the reply; returns the parsed output."""
        messages = _messages(model, value, schema_text)
        for attempt in range(max_retries + 1):
            reply = yield messages
            try:
                return _parse(reply, schema)
            except StructuredOutputError as e:
                if attempt == max_retries:
                    raise _give_up(e, max_retries) from e
                messages = [*messages, AIMessage(reply.text), HumanMessage(_retry(e))]
        raise AssertionError("unreachable")

    def invoke(value: LanguageModelInput, config: RunnableConfig) -> Any:
        turns = dialogue(value)
        messages = next(turns)
        while True:
            try:
                messages = turns.send(model.invoke(messages, config))
            except StopIteration as done:
                return done.value

    async def ainvoke(value: LanguageModelInput, config: RunnableConfig) -> Any:
        turns = dialogue(value)
        messages = next(turns)
        while True:
            try:
                messages = turns.send(await model.ainvoke(messages, config))
            except StopIteration as done:
                return done.value

    return RunnableLambda(invoke, afunc=ainvoke, name="prompted_structured_output")


def _retry(error: StructuredOutputError) -> str:
    return STRUCTURED_OUTPUT_RETRY.format(reason=error.reason)


def _give_up(error: StructuredOutputError, max_retries: int) -> StructuredOutputError:
    msg = f"No valid structured output after {max_retries + 1} attempts. Last error: {error}"
    return StructuredOutputError(msg, raw=error.raw, reason=error.reason)
