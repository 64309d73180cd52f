from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from langchain_gba.exceptions import StructuredOutputError
from langchain_gba.structured import bound_numbers, bound_strings, parse_output, to_json_schema


class Point(BaseModel):
    x: int = Field(ge=0, le=10)
    label: Literal["a", "b"]


class Joke(TypedDict):
    setup: Annotated[str, ..., "the setup"]


def test_to_json_schema_accepts_models_dicts_typeddicts_and_openai_wrappers() -> None:
    assert to_json_schema(Point)["properties"]["x"]["maximum"] == 10
    assert to_json_schema({"type": "object"}) == {"type": "object"}
    assert to_json_schema({"name": "p", "schema": {"type": "integer"}}) == {"type": "integer"}
    assert "setup" in to_json_schema(Joke)["properties"]


def test_bound_strings_bounds_only_free_strings() -> None:
    schema = {
        "type": "object",
        "properties": {
            "free": {"type": "string"},
            "short": {"type": "string", "maxLength": 3},
            "choice": {"type": "string", "enum": ["x"]},
            "items": {"type": "array", "items": {"type": "string"}},
        },
    }
    out = bound_strings(schema, 50)
    assert out["properties"]["free"]["maxLength"] == 50
    assert out["properties"]["short"]["maxLength"] == 3
    assert "maxLength" not in out["properties"]["choice"]
    assert out["properties"]["items"]["items"]["maxLength"] == 50
    assert "maxLength" not in schema["properties"]["free"]  # the input is not modified


def test_bound_numbers_bounds_only_open_sides() -> None:
    schema = {
        "type": "object",
        "properties": {
            "free": {"type": "integer"},
            "low": {"type": "number", "minimum": 0},
            "either": {"type": ["integer", "null"]},
            "choice": {"type": "integer", "enum": [1, 2]},
            "type": {"type": "number"},  # a property named "type"
        },
    }
    out = bound_numbers(schema, digits=3, decimals=2)
    assert out["properties"]["type"]["maximum"] == 999
    free, low = out["properties"]["free"], out["properties"]["low"]
    assert (free["minimum"], free["maximum"], "multipleOf" in free) == (-999, 999, False)
    assert (low["minimum"], low["maximum"], low["multipleOf"]) == (0, 999, 0.01)
    assert out["properties"]["either"]["maximum"] == 999
    assert "maximum" not in out["properties"]["choice"]
    assert "minimum" not in schema["properties"]["free"]  # the input is not modified


def test_the_bounds_follow_schema_keywords_not_every_dict() -> None:
    """Parameters named "properties" or "type", and object defaults, are not schemas."""
    from langchain_gba.structured.schema import close_objects, subschemas

    schema = {
        "type": "object",
        "properties": {
            "properties": {"type": "string"},
            "type": {"type": "string", "default": {"type": "string"}},
            "items": {"type": "array", "items": {"type": "object", "properties": {}}},
        },
        "$defs": {"n": {"anyOf": [{"type": "number"}, {"type": "null"}]}},
    }
    closed = close_objects(schema)
    assert set(closed["properties"]) == {"properties", "type", "items"}
    assert closed["additionalProperties"] is False
    assert closed["properties"]["items"]["items"]["additionalProperties"] is False
    bounded = bound_strings(schema, 5)
    assert bounded["properties"]["type"]["default"] == {"type": "string"}
    assert bounded["properties"]["properties"]["maxLength"] == 5
    assert bound_numbers(schema)["$defs"]["n"]["anyOf"][0]["maximum"] == 10**16 - 1
    assert len(list(subschemas(schema))) == 8


def test_a_raw_newline_in_a_string_is_kept() -> None:
    """llama-cpp-python's server grammar lets a model write one; JSON forbids it."""
    assert parse_output('{"text": "a\nb"}', {"type": "object"}) == {"text": "a\nb"}


def test_parse_output_returns_instances_or_dicts() -> None:
    assert parse_output('{"x": 3, "label": "a"}', Point) == Point(x=3, label="a")
    assert parse_output('{"x": 3}', {"type": "object"}) == {"x": 3}


@pytest.mark.parametrize(
    ("text", "finish", "reason"),
    [
        ('{"x": 3, "lab', "length", "length"),
        ("not json", "stop", "invalid JSON"),
        ('{"x": 30, "label": "a"}', "stop", "validation"),
    ],
)
def test_parse_output_raises_typed_errors_with_raw_text(text: str, finish: str, reason: str):
    with pytest.raises(StructuredOutputError) as info:
        parse_output(text, Point, finish_reason=finish)
    assert info.value.raw == text
    assert info.value.reason.startswith(reason)


def test_dict_schema_is_validated_with_jsonschema() -> None:
    with pytest.raises(StructuredOutputError, match="does not match"):
        parse_output('{"a": "x"}', {"type": "object", "properties": {"a": {"type": "integer"}}})


def test_max_output_chars_bounds_closed_bounded_schemas() -> None:
    from langchain_gba.structured.schema import NUMBER_CHARS, max_output_chars

    step = {
        "type": "object",
        "properties": {
            "tool": {"enum": ["search", "calculate"]},
            "task": {"type": "string", "maxLength": 10},
            "n": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "boolean"}, "maxItems": 2},
        },
        "additionalProperties": False,
    }
    keys = sum(len(k) + 2 + 4 for k in step["properties"])
    values = len('"calculate"') + (6 * 10 + 2) + NUMBER_CHARS + (2 + 2 * (5 + 2))
    assert max_output_chars(step) == 2 + keys + values
    assert max_output_chars({"type": "string"}) is None  # unbounded string
    assert max_output_chars({**step, "additionalProperties": True}) is None  # open object
    assert max_output_chars({"type": "array", "items": {"type": "null"}}) is None  # no maxItems
    recursive = {
        "$defs": {"n": {"type": "array", "maxItems": 2, "items": {"$ref": "#/$defs/n"}}},
        "$ref": "#/$defs/n",
    }
    assert max_output_chars(recursive) is None
    assert max_output_chars({"anyOf": [{"type": "null"}, {"const": "abcdefgh"}]}) == 10
