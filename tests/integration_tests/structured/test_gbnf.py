"""GBNF from JSON schemas, run on a real llama.cpp server (the grammar rules: unit_tests)."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, Field

from langchain_gba.chat_models.llama_server import ChatLlamaServer

URL = r"^https://[a-z0-9-]{1,8}\.[a-z]{2,3}$"


class Page(BaseModel):
    title: str = Field(max_length=12)
    url: str = Field(pattern=URL)


@pytest.mark.parametrize("method", ["grammar", "json_schema"])
def test_pattern_grammar_runs_on_a_real_llama_server(llama_server: str, method: str) -> None:
    """llama-cpp-python's server died (SIGSEGV) on its own and on the unfixed grammar of this
    schema; ChatLlamaServer sends to_gbnf's grammar for any schema with a pattern."""
    llm = ChatLlamaServer(base_url=llama_server, max_tokens=64)
    page = llm.with_structured_output(Page, method=method).invoke("A page about Paris.")
    assert isinstance(page, Page) and re.fullmatch(URL, page.url)
    # the server is still up
    assert llm.invoke("Hi", max_tokens=2).content is not None
