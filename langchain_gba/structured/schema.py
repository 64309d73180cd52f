"""Schemas: pydantic models or JSON-schema dicts → JSON schema, bounds, and typed parsing."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any, cast

import jsonschema
from langchain_core.utils.function_calling import convert_to_json_schema
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.v1 import BaseModel as V1BaseModel
from pydantic.v1 import ValidationError as V1ValidationError

from langchain_gba.exceptions import StructuredOutputError, UnsupportedSchemaError

__all__ = [
    "SchemaLike",
    "bound_numbers",
    "bound_strings",
    "close_objects",
    "max_output_chars",
    "parse_output",
    "schema_key",
    "subschemas",
    "to_json_schema",
]

SchemaLike = type[BaseModel] | Mapping[str, Any] | type
"""A pydantic model class, a JSON-schema dict, or another type pydantic can describe."""


def _is_model(schema: Any) -> bool:
    return isinstance(schema, type) and issubclass(schema, BaseModel)


def _is_v1_model(schema: Any) -> bool:
    return isinstance(schema, type) and issubclass(schema, V1BaseModel)


def to_json_schema(schema: SchemaLike) -> dict[str, Any]:
    """Return the JSON schema of a pydantic model, a schema dict, or a type (e.g. a TypedDict)."""
    if _is_model(schema):
        return schema.model_json_schema()  # type: ignore[union-attr]
    if _is_v1_model(schema):
        return schema.schema()  # type: ignore[union-attr]
    if isinstance(schema, Mapping):
        # An OpenAI-style wrapper {"name", "schema"} is accepted too.
        if "schema" in schema and "type" not in schema and isinstance(schema["schema"], Mapping):
            return copy.deepcopy(dict(schema["schema"]))
        return copy.deepcopy(dict(schema))
    try:
        return convert_to_json_schema(schema)
    except Exception:  # noqa: BLE001 - fall back to pydantic for plain types (Literal, list[int])
        pass
    try:
        return TypeAdapter(schema).json_schema()
    except Exception as e:
        msg = (
            f"Cannot build a JSON schema from {schema!r}: pass a pydantic model, a TypedDict, "
            "a type pydantic understands (e.g. Literal['a', 'b']), or a JSON-schema dict."
        )
        raise UnsupportedSchemaError(msg) from e


def _langchain_describes(schema: Any) -> bool:
    """Whether LangChain's converter handles ``schema`` (TypedDicts, with its default rules)."""
    try:
        convert_to_json_schema(schema)
    except Exception:  # noqa: BLE001
        return False
    return True


def _is_plain_type(schema: Any) -> bool:
    return not isinstance(schema, Mapping) and not _is_model(schema) and not _is_v1_model(schema)


def schema_key(json_schema: Mapping[str, Any]) -> str:
    """A canonical string of a JSON schema, used as a cache key."""
    return json.dumps(json_schema, sort_keys=True, separators=(",", ":"))


_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = (
    "items",
    "additionalItems",
    "additionalProperties",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
)


def subschemas(json_schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every schema in ``json_schema``, itself first, following the keywords that hold schemas.

    A walk over every dict would take a property named ``type`` or ``properties``, or a
    ``default`` that happens to be an object, for a schema.
    """
    yield json_schema
    children: list[Any] = []
    for key in _SCHEMA_MAPS:
        if isinstance(json_schema.get(key), dict):
            children += json_schema[key].values()
    for key in _SCHEMA_LISTS:
        if isinstance(json_schema.get(key), list):
            children += json_schema[key]
    for key in _SCHEMA_VALUES:
        value = json_schema.get(key)
        children += value if isinstance(value, list) else [value]  # draft-4 tuple "items"
    for child in children:
        if isinstance(child, dict):
            yield from subschemas(child)


def bound_strings(json_schema: Mapping[str, Any], max_length: int) -> dict[str, Any]:
    """Return a copy where every string without ``maxLength``/``enum``/``const`` gets one.

    Small models can ramble inside a string until ``max_tokens`` cuts the JSON off; a bound lets
    the constrained decoder close the string in time.
    """
    out = copy.deepcopy(dict(json_schema))
    for node in subschemas(out):
        if (
            node.get("type") == "string"
            and "maxLength" not in node
            and not {"enum", "const", "pattern", "format"} & node.keys()
        ):
            node["maxLength"] = max_length
    return out


NUMBER_DIGITS = 16
"""Integer digits a number without bounds may take under constrained decoding."""
FRACTION_DIGITS = 10
"""Decimals a number without ``multipleOf`` may take under constrained decoding."""


def bound_numbers(
    json_schema: Mapping[str, Any], digits: int = NUMBER_DIGITS, decimals: int = FRACTION_DIGITS
) -> dict[str, Any]:
    """Return a copy where integers and numbers get bounded digits where the schema has none.

    JSON Schema does not bound a number's digits, so a constrained decoder lets a small model
    write ``2200000…`` or ``0.3333…`` until ``max_tokens``; llama.cpp's GBNF converter caps them
    at 16 the same way. Open sides get ``minimum``/``maximum`` of ``digits`` nines, numbers
    without ``multipleOf`` get ``multipleOf: 10**-decimals``.
    """
    out = copy.deepcopy(dict(json_schema))
    largest = 10**digits - 1

    for node in subschemas(out):
        kind = node.get("type")
        kinds = {k for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str)}
        if {"integer", "number"} & kinds and not {"enum", "const"} & node.keys():
            if not {"minimum", "exclusiveMinimum"} & node.keys():
                node["minimum"] = -largest
            if not {"maximum", "exclusiveMaximum"} & node.keys():
                node["maximum"] = largest
            if "number" in kinds and "multipleOf" not in node:
                node["multipleOf"] = float(f"1e-{decimals}")
    return out


NUMBER_CHARS = 2 + NUMBER_DIGITS + FRACTION_DIGITS
"""Characters a number takes at most under in-process constrained decoding (``bound_numbers``)."""


def max_output_chars(json_schema: Mapping[str, Any]) -> int | None:
    r"""The most characters a JSON value of ``json_schema`` can take, or None if unbounded.

    Bounded: strings with ``maxLength`` (an escape such as ``\u00e9`` counted as 6 characters),
    ``enum``/``const``, booleans, null, numbers (``NUMBER_CHARS``), arrays with ``maxItems`` and
    closed objects (``additionalProperties: false``) of bounded values; ``anyOf``/``oneOf`` take
    their longest branch, local ``$ref``s are followed (a recursive one is unbounded).
    Constrained decoding cannot write more, so this bounds a structured output's tokens.
    """
    root = dict(json_schema)

    def resolve(ref: str) -> Any:
        node: Any = root
        for part in ref.removeprefix("#/").split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        return node

    def size(node: Any, seen: frozenset[str]) -> int | None:
        if not isinstance(node, dict):
            return None
        if "$ref" in node:
            ref = node["$ref"]
            if ref in seen or not str(ref).startswith("#/"):
                return None
            return size(resolve(ref), seen | {ref})
        if "const" in node:
            return len(json.dumps(node["const"]))
        if "enum" in node:
            return max((len(json.dumps(v)) for v in node["enum"]), default=0)
        for key in ("anyOf", "oneOf"):
            if key in node:
                sizes = [size(branch, seen) for branch in node[key]]
                return None if None in sizes else max(sizes)  # type: ignore[type-var]
        kind = node.get("type")
        if isinstance(kind, list):
            sizes = [size({**node, "type": k}, seen) for k in kind]
            return None if None in sizes else max(sizes)  # type: ignore[type-var]
        if kind == "string":
            limit = node.get("maxLength")
            return None if limit is None else 6 * int(limit) + 2
        if kind in ("integer", "number"):
            return NUMBER_CHARS
        if kind in ("boolean", "null"):
            return 5
        if kind == "array":
            items, most = node.get("items", {}), node.get("maxItems")
            item = size(items, seen)
            return None if most is None or item is None else 2 + int(most) * (item + 2)
        if kind == "object":
            if node.get("additionalProperties", True) is not False:
                return None
            total = 2
            for name, value in (node.get("properties") or {}).items():
                part = size(value, seen)
                if part is None:
                    return None
                total += len(json.dumps(name)) + 4 + part
            return total
        return None

    return size(root, frozenset())


def close_objects(json_schema: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy where objects with ``properties`` get ``additionalProperties: false``.

    An object that already says ``additionalProperties`` is left alone.
    JSON Schema allows undeclared keys by default, so a constrained decoder would let a model
    invent keys with unbounded values; pydantic ignores such keys anyway. An explicit
    ``additionalProperties`` (e.g. ``extra="allow"``) is kept.
    """
    out = copy.deepcopy(dict(json_schema))
    for node in subschemas(out):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
    return out


def parse_output(text: str, schema: SchemaLike, *, finish_reason: str | None = None) -> Any:
    """Parse and validate model output against ``schema``.

    Returns an instance of the pydantic model, or the parsed JSON for a schema dict.

    Raises:
        StructuredOutputError: cut off by ``max_tokens``, invalid JSON, or failed validation; it
            carries the raw text and the reason.
    """
    if finish_reason == "length":
        msg = (
            "The structured output was cut off by max_tokens before the JSON was complete. "
            "Raise max_tokens, or bound string lengths in the schema (maxLength / "
            "max_string_length=) so that the model can finish."
        )
        raise StructuredOutputError(msg, raw=text, reason="length")
    try:
        # strict=False: a raw newline inside a string (which JSON forbids) is kept as text;
        # llama-cpp-python's server grammar for response_format lets models write them.
        data = json.loads(text, strict=False)
    except json.JSONDecodeError as e:
        msg = f"The model output is not valid JSON ({e}). Output: {text[:200]!r}"
        raise StructuredOutputError(msg, raw=text, reason=f"invalid JSON: {e}") from e
    try:
        if _is_model(schema):
            return schema.model_validate(data)  # type: ignore[union-attr]
        if _is_v1_model(schema):
            return schema.parse_obj(data)  # type: ignore[union-attr]
        if _is_plain_type(schema) and not _langchain_describes(schema):
            return TypeAdapter(cast(Any, schema)).validate_python(data)
        jsonschema.validate(data, to_json_schema(schema))
        return data
    except (ValidationError, V1ValidationError, jsonschema.ValidationError) as e:
        detail = str(e).splitlines()[0] if isinstance(e, jsonschema.ValidationError) else str(e)
        msg = f"The model output does not match the schema: {detail}"
        raise StructuredOutputError(msg, raw=text, reason=f"validation: {detail}") from e
