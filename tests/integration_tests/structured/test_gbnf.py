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


TIME = r"^([01]\d|2[0-3]):[0-5]\d$"


class Alarm(BaseModel):
    time: str = Field(description="HH:MM, 24-hour.", pattern=TIME)


def test_a_digit_pattern_gives_digits_on_a_real_llama_server(llama_server: str) -> None:
    """``\\d`` went into the grammar as the letter d: "1d:0d" for every time (the assistant's
    calendar on a server failed each event)."""
    llm = ChatLlamaServer(base_url=llama_server, max_tokens=32)
    alarm = llm.with_structured_output(Alarm).invoke("Wake me at half past seven.")
    assert re.fullmatch(TIME, alarm.time), alarm.time


class Note(BaseModel):
    subject: str = Field(max_length=40)
    body: str = Field(max_length=2000)


@pytest.mark.parametrize("method", ["grammar", "json_schema"])
def test_a_long_max_length_parses_on_a_real_llama_server(llama_server: str, method: str) -> None:
    """The converter nests one optional group a character (2000 deep for the assistant's email
    body); llama.cpp's parser refused that many rules ("failed to parse grammar"). Sent as the
    schema (json_schema before), llama-cpp-python's server built those rules itself."""
    llm = ChatLlamaServer(base_url=llama_server, max_tokens=48)
    note = llm.with_structured_output(Note, method=method).invoke("A note: the keys are home.")
    assert isinstance(note, Note) and len(note.body) <= 2000


class Booking(BaseModel):
    minutes: int = Field(description="How long, in minutes.", ge=5, le=1440)


@pytest.mark.parametrize("method", ["grammar", "json_schema"])
def test_integer_bounds_hold_on_a_real_llama_server(llama_server: str, method: str) -> None:
    """llama-cpp-python's converter ignored minimum/maximum: the assistant's event on a server
    came out 0 minutes long ("0 is less than the minimum of 5") and was refused (also with
    json_schema, which sent the schema for that converter)."""
    llm = ChatLlamaServer(base_url=llama_server, max_tokens=16)
    booking = llm.with_structured_output(Booking, method=method).invoke("Book it for 0 minutes.")
    assert 5 <= booking.minutes <= 1440
