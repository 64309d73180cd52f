"""bind_tools on the real 1.5B: calls that validate, replies when no tool fits, round trips."""

from __future__ import annotations

import asyncio
import json
import warnings

import jsonschema
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_gba.chat_models.tool_calling import openai_tools
from langchain_gba.exceptions import UnsupportedSchemaError
from langchain_gba.tools.registry import load_tools


@pytest.fixture(scope="module")
def tools(capable_llm):  # type: ignore[no-untyped-def]
    return load_tools(["wikipedia", "calculator"], llm=capable_llm)


def assert_valid(message: AIMessage, tools) -> dict:  # type: ignore[no-untyped-def]
    """The message's one call names a bound tool, and its arguments validate."""
    assert len(message.tool_calls) == 1
    call = message.tool_calls[0]
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in openai_tools(tools)}
    jsonschema.validate(call["args"], schemas[call["name"]])
    assert call["id"].startswith("call_")
    return call


def test_a_lookup_question_calls_the_search(capable_llm, tools):
    reply = capable_llm.bind_tools(tools).invoke("Which country is Mount Kilimanjaro in?")
    call = assert_valid(reply, tools)
    assert call["name"] == "search_wikipedia"
    assert "Kilimanjaro" in call["args"]["task"]


def test_a_greeting_gets_text_under_auto(capable_llm, tools):
    reply = capable_llm.bind_tools(tools).invoke("Hello! Nice to meet you.")
    assert reply.tool_calls == []
    assert reply.text.strip()


def test_any_always_calls_and_a_named_tool_is_called(capable_llm, tools):
    reply = capable_llm.bind_tools(tools, tool_choice="any").invoke("Hello!")
    assert_valid(reply, tools)
    named = capable_llm.bind_tools(tools, tool_choice="calculate_number").invoke("Hello!")
    assert assert_valid(named, tools)["name"] == "calculate_number"


def test_none_never_calls(capable_llm, tools):
    reply = capable_llm.bind_tools(tools, tool_choice="none", max_tokens=16).invoke("What is 2+2?")
    assert reply.tool_calls == [] and reply.text


def test_structured_arguments_validate(capable_llm):
    @tool
    def book_table(restaurant: str, people: int, time: str) -> str:
        """Book a table at a restaurant for a number of people at a time (HH:MM)."""
        return "booked"

    reply = capable_llm.bind_tools([book_table], tool_choice="any").invoke(
        "Book a table for 4 at Luigi's at 19:30."
    )
    call = assert_valid(reply, [book_table])
    assert call["args"]["people"] == 4 and call["args"]["restaurant"].startswith("Luigi")


def test_a_tool_message_round_trip_ends_in_an_answer(capable_llm, tools):
    bound = capable_llm.bind_tools(tools)
    question = HumanMessage("What is 17 * 23?")
    first = bound.invoke([question])
    call = assert_valid(first, tools)
    result = {t.name: t for t in tools}[call["name"]].invoke(call)
    assert isinstance(result, ToolMessage) and "391" in result.text
    answer = bound.invoke([question, first, result])
    assert answer.tool_calls == []
    assert "391" in answer.text


def test_streaming_yields_tool_call_chunks(capable_llm, tools):
    chunks = list(capable_llm.bind_tools(tools).stream("Who wrote Don Quixote?"))
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.tool_call_chunks and json.loads(merged.tool_call_chunks[0]["args"])
    assert_valid(AIMessage(content="", tool_calls=merged.tool_calls), tools)


def test_async_mirrors_sync(capable_llm, tools):
    bound = capable_llm.bind_tools(tools)
    question = "Which country is Mount Kilimanjaro in?"
    call = asyncio.run(bound.ainvoke(question)).tool_calls[0]
    assert (call["name"], call["args"]) == (
        bound.invoke(question).tool_calls[0]["name"],
        bound.invoke(question).tool_calls[0]["args"],
    )


def test_a_schema_the_grammar_cannot_express_is_named(capable_llm):
    unsupported = {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "Look up a code.",
            "parameters": {
                "type": "object",
                "properties": {"code": {"type": "string", "pattern": "(?<=a)b"}},
                "required": ["code"],
            },
        },
    }
    with pytest.raises(UnsupportedSchemaError, match="'lookup'"):
        capable_llm.bind_tools([unsupported])


def test_a_tool_choice_naming_no_tool_is_refused(capable_llm, tools):
    with pytest.raises(ValueError, match="names no bound tool"):
        capable_llm.bind_tools(tools, tool_choice="send_email")


def test_the_prebuilt_react_agent_answers_from_the_bundled_corpus(capable_llm, tools):
    with warnings.catch_warnings():  # moved to langchain.agents in v1; still LangGraph's own
        warnings.simplefilter("ignore")
        from langgraph.prebuilt import create_react_agent

        agent = create_react_agent(capable_llm, tools)
    out = agent.invoke(
        {"messages": [("user", "What is the capital of Iceland?")]}, {"recursion_limit": 8}
    )
    calls = [c["name"] for m in out["messages"] if isinstance(m, AIMessage) for c in m.tool_calls]
    assert calls[:1] == ["search_wikipedia"]
    assert "Reykjav" in out["messages"][-1].text


def test_a_typed_function_that_does_not_fit_gets_a_text_reply(capable_llm):
    @tool
    def book_table(restaurant: str, people: int, time: str) -> str:
        """Book a table at a restaurant for a number of people at a time (HH:MM)."""
        return "booked"

    reply = capable_llm.bind_tools([book_table]).invoke("What is the capital of France?")
    assert reply.tool_calls == [] and reply.text
