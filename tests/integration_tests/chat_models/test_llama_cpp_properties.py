"""Property: for random pydantic models, constrained output always validates."""

from enum import Enum
from typing import Any, Literal, Optional

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, create_model

from langchain_gba import ChatLlamaCpp

names = st.sampled_from(["name", "city", "score", "tags", "kind", "note", "size", "owner", "ok"])
words = st.lists(
    st.sampled_from(["red", "blue", "cat", "dog", "x1", "y-2", "yes"]),
    min_size=1,
    max_size=4,
    unique=True,
)


@st.composite
def field_types(draw: st.DrawFn, depth: int = 0) -> tuple[Any, Any]:
    """A (type, Field) pair: bounded strings and numbers, enums, Literals, lists, optionals,
    and nested models."""
    kinds = ["str", "int", "float", "bool", "literal", "enum", "list", "optional"]
    if depth < 2:
        kinds.append("nested")
    kind = draw(st.sampled_from(kinds))
    if kind == "str":
        return str, Field(max_length=draw(st.integers(1, 24)))
    if kind == "int":
        lo = draw(st.integers(-1000, 1000))
        return int, Field(ge=lo, le=lo + draw(st.integers(0, 5000)))
    if kind == "float":
        lo = draw(st.integers(-10_000, 10_000)) / 100  # bounds as people write them
        return float, Field(ge=lo, le=lo + draw(st.integers(1, 10_000)) / 100)
    if kind == "bool":
        return bool, Field()
    if kind == "literal":
        return Literal[tuple(draw(words))], Field()  # type: ignore[misc]
    if kind == "enum":
        return Enum("E", {w.replace("-", "_"): w for w in draw(words)}), Field()  # type: ignore[misc]
    if kind == "list":
        inner, _ = draw(field_types(depth + 1).filter(lambda t: t[0] is not bool))
        return list[inner], Field(max_length=draw(st.integers(0, 3)))  # type: ignore[valid-type]
    if kind == "optional":
        inner, field = draw(field_types(depth + 1))
        return Optional[inner], Field(default=None)  # noqa: UP045
    return draw(models(depth + 1)), Field()


@st.composite
def models(draw: st.DrawFn, depth: int = 0) -> type[BaseModel]:
    keys = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    fields = {k: draw(field_types(depth)) for k in keys}
    return create_model(f"M{depth}", **fields)  # type: ignore[call-overload]


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(schema=models())
def test_random_models_always_validate(schema: type[BaseModel]) -> None:
    model = ChatLlamaCpp(model="smollm2-135m-instruct", max_tokens=400)
    out = model.with_structured_output(schema).invoke("Fill in an example.")
    assert isinstance(out, schema)
    schema.model_validate_json(out.model_dump_json())
