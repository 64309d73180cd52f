"""llama.cpp's C++ llama-server with parallel slots (opt-in: scripts/build_llama_server.sh)."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel, Field

from langchain_gba.chat_models.llama_server import ChatLlamaServer
from langchain_gba.server import LlamaServer, LlamaServerError, find_llama_server

try:
    find_llama_server()
except LlamaServerError:
    pytestmark = pytest.mark.skip(reason="build llama-server with scripts/build_llama_server.sh")


class City(BaseModel):
    name: str = Field(max_length=30)
    country: str = Field(max_length=30)


def test_parallel_slots_answer_concurrent_structured_requests() -> None:
    with LlamaServer("smollm2-135m-instruct", binary="llama-server", parallel=2) as server:
        llm = ChatLlamaServer(base_url=server.base_url, max_tokens=48)
        structured = llm.with_structured_output(City)

        async def both() -> list[City]:
            return await asyncio.gather(
                structured.ainvoke("Name a city in Peru."),
                structured.ainvoke("Name a city in Japan."),
            )

        cities = asyncio.run(both())
    assert all(isinstance(c, City) and c.name for c in cities)
