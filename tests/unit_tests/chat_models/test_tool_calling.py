"""bind_tools' pieces that need no model: tool_choice forms, the conversation, message rendering."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from langchain_gba.chat_models.llama_cpp import _to_dict
from langchain_gba.chat_models.tool_calling import (
    conversation_task,
    normalize_tool_choice,
    openai_tools,
    reply_messages,
    takes_text,
    tool_names,
)

NAMES = ["search_wikipedia", "calculate_number"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "auto"),
        ("auto", "auto"),
        ("any", "any"),
        ("required", "any"),
        (True, "any"),
        ("none", "none"),
        (False, "none"),
        ("calculate_number", "calculate_number"),
        ({"type": "function", "function": {"name": "search_wikipedia"}}, "search_wikipedia"),
    ],
)
def test_tool_choice_forms(given, expected):
    assert normalize_tool_choice(given, NAMES) == expected


def test_any_with_one_tool_is_that_tool():
    assert normalize_tool_choice("any", ["calculate_number"]) == "calculate_number"


@pytest.mark.parametrize("given", ["send_email", {"function": {"name": "x"}}, 3])
def test_a_tool_choice_naming_no_tool_says_which_tools_there_are(given):
    with pytest.raises(ValueError, match="names no bound tool.*search_wikipedia"):
        normalize_tool_choice(given, NAMES)


def test_tools_in_openai_format():
    def multiply(a: int, b: int) -> int:
        """Multiply two integers."""
        return a * b

    tools = openai_tools([multiply])
    assert tool_names(tools) == ["multiply"]
    assert tools[0]["function"]["parameters"]["required"] == ["a", "b"]


CALL = {"name": "calculate_number", "args": {"task": "17 * 23"}, "id": "call_1"}
HISTORY = [
    SystemMessage("Be brief."),
    HumanMessage("What is 2 + 2?"),
    AIMessage("4"),
    HumanMessage("And 17 times 23?"),
    AIMessage("", tool_calls=[CALL]),
    ToolMessage("17 * 23 = 391", tool_call_id="call_1"),
]


def test_the_conversation_is_the_last_request_and_the_results_after_it():
    conversation = conversation_task(HISTORY)
    assert conversation.request == "And 17 times 23?"
    assert conversation.results == (('calculate_number({"task": "17 * 23"})', "17 * 23 = 391"),)
    assert "Results so far:\n- calculate_number" in conversation.task()
    assert conversation.repeats("calculate_number", {"task": "17 * 23"})
    assert not conversation.repeats("calculate_number", {"task": "17 * 24"})
    assert conversation_task(HISTORY[:4]).task() == "And 17 times 23?"


def test_tool_calls_and_results_in_the_templates_own_form():
    assert _to_dict(HISTORY[4], native_tools=True) == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "type": "function",
                "function": {"name": "calculate_number", "arguments": CALL["args"]},
            }
        ],
    }
    assert _to_dict(HISTORY[5], native_tools=True) == {"role": "tool", "content": "17 * 23 = 391"}


def test_tool_calls_and_results_as_text_for_a_template_without_tools():
    call = _to_dict(HISTORY[4], native_tools=False)
    assert call == {"role": "assistant", "content": 'Call: calculate_number({"task": "17 * 23"})'}
    assert _to_dict(HISTORY[5]) == {"role": "user", "content": "Tool result: 17 * 23 = 391"}


def test_a_reply_after_results_reads_them_with_the_request_in_one_message():
    messages = reply_messages(HISTORY)
    assert messages[:3] == HISTORY[:3]  # the earlier turns as they were
    assert len(messages) == 4 and isinstance(messages[3], HumanMessage)
    text = messages[3].text
    assert text.startswith("And 17 times 23?")
    assert '- calculate_number({"task": "17 * 23"}): 17 * 23 = 391' in text
    assert reply_messages(HISTORY[:4]) == HISTORY[:4]  # no results yet: unchanged


def test_which_tools_take_plain_text():
    def spec(**properties):
        return {"name": "f", "parameters": {"type": "object", "properties": properties}}

    assert takes_text(spec(task={"type": "string", "maxLength": 2000}))
    assert not takes_text(spec(city={"type": "string", "enum": ["Paris", "Rome"]}))
    assert not takes_text(spec(n={"type": "integer"}))
    assert not takes_text(spec(a={"type": "string"}, b={"type": "string"}))
    assert not takes_text(spec())
