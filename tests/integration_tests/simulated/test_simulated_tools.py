"""Simulated twins: the real tool's interface, bounded observations, the search mix, the user."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from langchain_core.tools import BaseTool, tool
from pydantic import BaseModel, Field
from scripted import ScriptedChatModel, answer, step

from langchain_gba.agent import create_gba_agent
from langchain_gba.planner import ZeroShotPlanner
from langchain_gba.prompts import NO_INFORMATION, SIMULATED_SEARCH_OUTCOMES
from langchain_gba.simulated import (
    SimulatedSearchTool,
    SimulatedTool,
    SimulatedUser,
    simulate_tool,
    simulated_environment,
)
from langchain_gba.tools.ask_user import AskUserTool
from langchain_gba.tools.search import InternetSearchTool, WikipediaSearchTool


class EmailArgs(BaseModel):
    recipient: str = Field(max_length=60, description="Email address of the recipient.")
    subject: str = Field(max_length=60)


class SendEmail(BaseTool):
    name: str = "send_email"
    description: str = "Send an email to a recipient."
    args_schema: type[BaseModel] = EmailArgs

    def _run(self, recipient: str, subject: str, **_: object) -> str:
        raise AssertionError("a twin never runs the real tool")


@tool
def calculate_number(task: str) -> str:
    """Calculate a number (a stand-in for the real calculator)."""
    return "4"


def real_tools(llm):
    return [WikipediaSearchTool(llm=llm), InternetSearchTool(llm=llm), AskUserTool(), SendEmail()]


def test_twins_have_the_real_interface(llm):
    for real in real_tools(llm):
        twin = simulate_tool(real, llm)
        assert isinstance(twin, SimulatedTool)
        assert (twin.name, twin.description) == (real.name, real.description)
        assert twin.args_schema is real.args_schema
        assert (
            twin.tool_call_schema.model_json_schema() == real.tool_call_schema.model_json_schema()
        )
    kinds = {t.name: type(t) for t in simulated_environment(real_tools(llm), llm)}
    assert kinds["search_wikipedia"] is SimulatedSearchTool
    assert kinds["search_internet"] is SimulatedSearchTool
    assert kinds["ask_user"] is SimulatedUser


def test_environment_keeps_the_calculator_and_adds_a_user(llm):
    env = simulated_environment([calculate_number, SendEmail()], llm)
    assert env[0] is calculate_number
    assert [t.name for t in env] == ["calculate_number", "send_email", "ask_user"]
    assert len({id(t.history) for t in env[1:]}) == 1  # one history for the environment
    twin = simulate_tool(calculate_number, llm)
    assert "calculate_number" in twin.system_prompt({"task": "2 + 2"})


def test_search_outcomes_follow_the_seed_mix():
    twin = SimulatedSearchTool(
        name="search_wikipedia", description="d", llm=ScriptedChatModel(replies=[])
    )
    draws = Counter(twin.draw(f"task {i}", "run") for i in range(2000))
    assert abs(draws["none"] / 2000 - 0.1) < 0.03
    assert abs(draws["partial"] / 2000 - 0.1) < 0.03
    assert [twin.draw("t", "r", i) for i in range(20)] == [
        twin.draw("t", "r", i) for i in range(20)
    ]
    other = twin.model_copy(update={"seed": 1})
    assert [twin.draw(f"t{i}", "r") for i in range(50)] != [
        other.draw(f"t{i}", "r") for i in range(50)
    ]


def test_no_information_needs_no_model_and_partial_says_so():
    silent = ScriptedChatModel(replies=[])  # raises if called
    none = SimulatedSearchTool(
        name="search_internet", description="d", llm=silent, outcomes={"none": 1}
    )
    assert none.invoke({"task": "Find the price of gold."}) == NO_INFORMATION
    reply = json.dumps(
        {
            "answer": "Gold was traded in 2020.",
            "sources": [{"title": "Gold", "url": "https://gold.com/"}],
        }
    )
    model = ScriptedChatModel(replies=[reply])
    partial = SimulatedSearchTool(
        name="search_internet", description="d", llm=model, sources="web", outcomes={"partial": 1}
    )
    out = partial.invoke({"task": "Find the price of gold."})
    assert out == "Gold was traded in 2020.\n\nSources:\n[1] Gold <https://gold.com/>"
    assert SIMULATED_SEARCH_OUTCOMES["partial"] in model.calls[0][0].text


def test_history_is_per_run_and_feeds_later_calls():
    model = ScriptedChatModel(
        replies=[
            json.dumps({"observation": "Sent, id 7."}),
            json.dumps({"observation": "Sent."}),
            json.dumps({"observation": "Sent again."}),
        ]
    )
    twin = simulate_tool(SendEmail(), model)
    args = {"recipient": "bob@example.com", "subject": "Hi"}
    assert twin.invoke(args, {"configurable": {"thread_id": "a"}}) == "Sent, id 7."
    twin.invoke(args, {"configurable": {"thread_id": "b"}})
    twin.invoke(args, {"configurable": {"thread_id": "a"}})
    assert "Sent, id 7." not in model.calls[1][-1].text  # another run
    assert "Sent, id 7." in model.calls[2][-1].text  # the same run
    assert 'send_email({"recipient": "bob@example.com"' in model.calls[2][-1].text


def test_agent_runs_in_the_simulated_environment():
    planner = ScriptedChatModel(
        replies=[
            step("search_wikipedia", "Find the height of the Eiffel Tower."),
            step("ask_user", "Where do you live?"),
            step("final_answer"),
        ]
    )
    tools_model = ScriptedChatModel(
        replies=[
            json.dumps({"answer": "It is 330 m tall.", "sources": [{"title": "Eiffel Tower"}]}),
            json.dumps({"reply": "I live in Lyon."}),
            answer("It is 330 m tall."),
        ]
    )
    env = simulated_environment(
        [WikipediaSearchTool(llm=tools_model)], tools_model, outcomes={"full": 1}
    )
    agent = create_gba_agent(
        env, planner=ZeroShotPlanner(planner), function_calling_model=tools_model, planning="step"
    )
    request = "How tall is the Eiffel Tower, and how far is it from where I live?"
    state = agent.invoke({"request": request}, {"configurable": {"thread_id": "r1"}})
    assert state["status"] == "answered"
    first, user = state["steps"][:2]
    assert first["observation"].startswith(
        "It is 330 m tall.\n\nSources:\n[1] Eiffel Tower <https://"
    )
    assert user["observation"] == "I live in Lyon."
    assert "It is 330 m tall." in tools_model.calls[1][-1].text  # the user saw the search


# -- with the real embedded model (few tokens) ----------------------------------------------


@pytest.mark.parametrize("real", ["search_wikipedia", "search_internet"])
def test_search_twin_with_the_real_model(llm, real):
    tool_cls = WikipediaSearchTool if real == "search_wikipedia" else InternetSearchTool
    wide = llm.model_copy(update={"max_tokens": 96})  # the same loaded model; URLs cost tokens
    twin = simulate_tool(
        tool_cls(llm=llm),
        wide,
        max_length=40,
        max_sources=1,
        max_title_length=16,
        outcomes={"full": 1},
    )
    out = twin.invoke({"task": "Find the height of the Eiffel Tower."})
    summary, sources = out.split("\n\nSources:\n")
    assert 1 <= len(summary) <= 40
    assert sources.startswith("[1] ") and sources.count("\n") == 0
    url = sources.split("<", 1)[1].rstrip(">")
    assert url.startswith(
        "https://en.wikipedia.org/wiki/" if real == "search_wikipedia" else "https://"
    )


def test_generic_twin_and_user_with_the_real_model(llm):
    twin = simulate_tool(SendEmail(), llm, max_length=40)
    out = twin.invoke({"recipient": "bob@example.com", "subject": "Lunch"})
    assert 1 <= len(out) <= 40
    user = SimulatedUser(llm=llm, max_length=40, persona="a nurse in Lyon")
    reply = user.invoke({"task": "Which city do you live in?"})
    assert 1 <= len(reply) <= 40
