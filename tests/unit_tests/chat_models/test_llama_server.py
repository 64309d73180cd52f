"""ChatLlamaServer's structured output: what each method sends to the server (no server needed)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from langchain_gba.chat_models.llama_server import ChatLlamaServer
from langchain_gba.exceptions import UnsupportedSchemaError


class Booking(BaseModel):
    minutes: int = Field(ge=5, le=1440)
    note: str = Field(max_length=1500)


def _sent(llm: ChatLlamaServer, schema: Any, **kwargs: Any) -> dict[str, Any]:
    """The ``extra_body`` the structured runnable sends with each request."""
    chain = llm.with_structured_output(schema, **kwargs)
    return chain.first.kwargs["extra_body"]  # type: ignore[attr-defined]


@pytest.fixture
def llm() -> ChatLlamaServer:
    return ChatLlamaServer(base_url="http://127.0.0.1:9/v1", api_key="none")


@pytest.mark.parametrize("method", ["json_schema", "grammar"])
def test_a_schema_goes_as_our_grammar(llm: ChatLlamaServer, method: str) -> None:
    """Not as response_format: llama-cpp-python's converter ignores integer bounds and nests a
    rule a character of maxLength (refused past 2000)."""
    body = _sent(llm, Booking, method=method)
    assert set(body) == {"grammar"}
    assert "char{0,1500}" in body["grammar"]  # one repetition, not 1500 nested groups
    assert "minutes ::= ([5-9] |" in body["grammar"]  # 5 at least: the bound is in it


NEGATED = {"type": "object", "properties": {"code": {"type": "string", "pattern": r"^[^\D]+$"}},
           "required": ["code"]}  # fmt: skip


def test_a_schema_our_grammar_cannot_express_goes_to_the_servers_converter(
    llm: ChatLlamaServer,
) -> None:
    body = _sent(llm, NEGATED, method="json_schema")
    assert body["response_format"]["type"] == "json_object"
    assert body["response_format"]["schema"]["properties"]["code"]["pattern"] == r"^[^\D]+$"
    with pytest.raises(UnsupportedSchemaError):
        _sent(llm, NEGATED, method="grammar")
