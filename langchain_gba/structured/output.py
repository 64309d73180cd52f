"""The structured-output plumbing every backend shares: constraint, tracing format, parser."""

from __future__ import annotations

from functools import partial
from operator import itemgetter
from typing import Any, Literal, cast

from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema

from langchain_gba.structured.schema import (
    SchemaLike,
    bound_strings,
    close_objects,
    parse_output,
    to_json_schema,
)

__all__ = [
    "Method",
    "any_json_object",
    "constraint_for",
    "parse_message",
    "structured_chain",
    "tracing_format",
]

Method = Literal["json_schema", "json_mode", "grammar", "function_calling"]


def constraint_for(
    schema: SchemaLike, method: str, max_string_length: int | None = None
) -> dict[str, Any]:
    """The JSON schema that decoding is constrained to for ``method``.

    ``json_schema`` and ``grammar`` constrain to the schema itself, with objects closed to
    undeclared keys and string bounds when ``max_string_length`` is given; ``json_mode`` only to
    a JSON object. ``function_calling`` (LangChain's default elsewhere) means ``json_schema``:
    the constrained output is the schema's arguments.
    """
    if method in ("json_schema", "grammar", "function_calling"):
        constraint = close_objects(to_json_schema(schema))
        if max_string_length is not None:
            constraint = bound_strings(constraint, max_string_length)
        return constraint
    if method == "json_mode":
        if max_string_length is None:
            return {"type": "object"}
        return any_json_object(max_string_length)
    msg = (
        "method must be one of 'json_schema', 'json_mode', 'grammar', 'function_calling', "
        f"not {method!r}"
    )
    raise ValueError(msg)


def any_json_object(max_string_length: int, max_items: int = 8) -> dict[str, Any]:
    """A schema for any JSON object with bounded strings (keys excepted), arrays and objects.

    Without the item bounds a small model can repeat the same key or element until
    ``max_tokens`` cuts the JSON off.
    """
    value = {
        "anyOf": [
            {"type": "string", "maxLength": max_string_length},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
            {"type": "array", "items": {"$ref": "#/$defs/value"}, "maxItems": max_items},
            {
                "type": "object",
                "additionalProperties": {"$ref": "#/$defs/value"},
                "maxProperties": max_items,
            },
        ]
    }
    return {
        "$defs": {"value": value},
        "type": "object",
        "additionalProperties": {"$ref": "#/$defs/value"},
        "maxProperties": max_items,
    }


def tracing_format(schema: SchemaLike, method: str) -> dict[str, Any]:
    """The ``ls_structured_output_format`` LangChain passes to callbacks and tracing."""
    try:
        ls_schema = convert_to_json_schema(cast(Any, schema))
    except Exception:
        ls_schema = to_json_schema(schema)
    return {"kwargs": {"method": method}, "schema": ls_schema}


def parse_message(message: BaseMessage, *, schema: SchemaLike) -> Any:
    """Parse a model message against ``schema`` (see ``parse_output`` for the errors)."""
    return parse_output(
        message.text, schema, finish_reason=message.response_metadata.get("finish_reason")
    )


def structured_chain(
    bound: Runnable[Any, BaseMessage], schema: SchemaLike, *, include_raw: bool
) -> Runnable[Any, Any]:
    """``bound | parser``, or with ``include_raw`` a ``{"raw", "parsed", "parsing_error"}`` dict."""
    parser = RunnableLambda(partial(parse_message, schema=schema), name="parse_structured")
    if not include_raw:
        return bound | parser
    with_parsed = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    )
    without = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=bound) | with_parsed.with_fallbacks(
        [without], exception_key="parsing_error"
    )
