"""The agent end to end with the real embedded model (few tokens per step)."""

from __future__ import annotations

import re
import sqlite3

import pytest
from langchain_core.tools import BaseTool, tool
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command
from pydantic import BaseModel, Field
from scripted import ScriptedChatModel, step

from langchain_gba.agent import create_gba_agent
from langchain_gba.planner import ZeroShotPlanner, plan_step_model
from langchain_gba.tools import TaskInput


class EmailArgs(BaseModel):
    recipient: str = Field(max_length=60, description="Email address of the recipient.")
    subject: str = Field(max_length=60)
    body: str = Field(max_length=120)


class SendEmail(BaseTool):
    name: str = "send_email"
    description: str = "Send an email to a recipient."
    args_schema: type[BaseModel] = EmailArgs
    sent: list[dict[str, str]] = []

    def _run(self, recipient: str, subject: str, body: str, **_: object) -> str:
        self.sent.append({"recipient": recipient, "subject": subject, "body": body})
        return f"Email sent to {recipient}."


class Lookup(BaseTool):
    name: str = "lookup_fact"
    description: str = "Look up a fact about a place."
    args_schema: type[BaseModel] = TaskInput

    def _run(self, task: str, **_: object) -> str:
        return "Paris has 2,102,650 inhabitants."


@tool
def explode(task: str) -> str:
    """Check the weather (always fails)."""
    raise RuntimeError("weather service is down")


@pytest.fixture()
def real_agent(planner_llm, llm):
    def make(tools, **kw):
        planner = ZeroShotPlanner(planner_llm, max_length=60)
        kw.setdefault("planning", "step")  # every planner step validated, one at a time
        return create_gba_agent(tools, planner=planner, function_calling_model=llm, **kw)

    return make


# planner → planner: a repeated task is not run again; tools → final_answer: a loop stopped
NODE_ORDER = re.compile(
    r"^take_request(( plan_step)+( write_arguments( run_tool)?)?)*( write_answer)?$"
)


def test_real_agent_run_is_valid_at_every_step(real_agent):
    email, lookup = SendEmail(), Lookup()
    agent = real_agent([email, lookup], max_steps=2, ask_user=False)
    names = []
    final = None
    for update in agent.stream(
        {"request": "Email bob@example.com the population of Paris."}, stream_mode="updates"
    ):
        ((node, value),) = update.items()
        names.append(node)
        if "status" in value:
            final = value["status"]
    # streaming order follows the graph: planner, (function calling), tool, ... then the end
    assert NODE_ORDER.match(" ".join(names)), names
    state = agent.invoke({"request": "Email bob@example.com the population of Paris."})
    assert state["status"] in {"answered", "incomplete"}
    assert final in {"answered", "incomplete", None}
    step_model = plan_step_model(["send_email", "lookup_fact", "final_answer"], max_length=60)
    assert 1 <= len(state["steps"]) <= 3
    for s in state["steps"]:
        if s["plan"].get("stopped"):  # written by the loop guard, not the planner
            continue
        # the loop guard's mark and the early-answer check's probability: the agent's records
        planned = {k: v for k, v in s["plan"].items() if k not in ("repeat_of", "results_answer")}
        step_model.model_validate(planned)  # the planner's output is always a valid step
        if s["tool"] == "send_email" and not s["error"]:
            EmailArgs.model_validate(s["arguments"])  # constrained by the tool's schema
        if s["tool"] == "lookup_fact" and not s["observation"].startswith("Not done again"):
            assert s["arguments"] == {"task": s["task"]}
            assert s["observation"] == "Paris has 2,102,650 inhabitants."


def test_real_model_routes_to_each_tool(llm):
    """Scripted planner choices, real function calling, real tools and a real answer."""
    email = SendEmail()
    planner = ScriptedChatModel(
        replies=[
            step("lookup_fact", "Find the population of Paris."),
            step("send_email", "Email bob@example.com: Paris has 2,102,650 inhabitants."),
            step("final_answer", "Tell the user the email was sent."),
        ]
    )
    agent = create_gba_agent(
        [email, Lookup()],
        planner=ZeroShotPlanner(planner),
        function_calling_model=llm,
        planning="step",
        calls_read_request=False,  # the 135M, shown the request too, wrote "Boy@example.com"
    )
    state = agent.invoke({"request": "Email bob@example.com the population of Paris."})
    assert [s["tool"] for s in state["steps"]] == ["lookup_fact", "send_email", "final_answer"]
    assert len(email.sent) == 1
    EmailArgs.model_validate(email.sent[0])
    assert state["status"] == "answered"
    assert 1 <= len(state["answer"]) <= 400


def test_real_agent_survives_a_raising_tool(real_agent):
    agent = real_agent([explode], max_steps=2, ask_user=False)
    state = agent.invoke({"request": "What is the weather in Oslo?"})
    assert state["status"] in {"answered", "incomplete"}
    for s in state["steps"]:
        if s["tool"] == "explode" and "repeat_of" not in s["plan"]:  # a repeat does not run
            assert s["error"] is True
            assert "weather service is down" in s["observation"]


def test_real_agent_interrupt_and_resume_with_sqlite(tmp_path, llm):
    planner = ScriptedChatModel(
        replies=[step("ask_user", "Which city do you live in?"), step("final_answer")]
    )
    conn = sqlite3.connect(tmp_path / "t.sqlite", check_same_thread=False)
    agent = create_gba_agent(
        [Lookup()],
        planner=ZeroShotPlanner(planner),
        function_calling_model=llm,
        checkpointer=SqliteSaver(conn),
        planning="step",
    )
    config = {"configurable": {"thread_id": "real"}}
    paused = agent.invoke({"request": "What is the weather where I live?"}, config)
    assert paused["__interrupt__"][0].value["question"] == "Which city do you live in?"
    state = agent.invoke(Command(resume="I live in Oslo."), config)
    assert state["steps"][0]["observation"] == "I live in Oslo."
    assert state["status"] == "answered" and state["answer"]


def test_agent_on_a_llama_cpp_server(llama_server):
    """Scale-out: planner, function calling and answer through a real llama.cpp server."""
    from langchain_gba.chat_models.llama_server import ChatLlamaServer

    remote = ChatLlamaServer(base_url=llama_server, max_tokens=256)
    email = SendEmail()
    agent = create_gba_agent(
        [email, Lookup()],
        planner=ZeroShotPlanner(remote, max_length=60),
        function_calling_model=remote,
        max_steps=1,
        ask_user=False,
        planning="step",  # each step validated against the step schema below
    )
    state = agent.invoke({"request": "Email bob@example.com the population of Paris."})
    assert state["status"] in {"answered", "incomplete"}
    step_model = plan_step_model(["send_email", "lookup_fact", "final_answer"], max_length=60)
    for s in state["steps"]:  # the planner's fields (the agent adds its own notes beside them)
        step_model.model_validate(
            {k: v for k, v in s["plan"].items() if k in step_model.model_fields}
        )
        if s["tool"] == "send_email" and not s["error"]:
            EmailArgs.model_validate(s["arguments"])


def test_an_over_long_request_is_refused_with_a_named_error(planner_llm, llm):
    """The prompt is measured before decoding: a clear error in the state, not llama.cpp's."""
    from langchain_gba import ContextWindowError

    planner = ZeroShotPlanner(planner_llm, max_length=60)
    request = "Please summarize this: " + "lorem ipsum dolor sit amet " * 3000
    with pytest.raises(ContextWindowError, match=r"at most [\d,]+ prompt tokens fit") as e:
        planner.plan(request, [], [("lookup_fact", "Look up a fact.")])
    assert e.value.n_ctx == planner_llm.context_window and e.value.prompt_tokens > e.value.n_ctx
    agent = create_gba_agent([Lookup()], planner=planner, function_calling_model=llm)
    out = agent.invoke({"request": request})
    assert out["status"] == "failed" and out["steps"] == []
    assert "does not fit the planner's context" in out["error"]
    assert "too long" in out["messages"][-1].content


def test_older_results_are_shortened_to_fit_the_context(planner_llm):
    planner = ZeroShotPlanner(planner_llm, max_length=60)
    steps = [
        {"task": f"Look up part {i}.", "observation": f"Part {i}: " + "words " * 1200}
        for i in range(4)
    ]
    messages = planner.fitted_messages("Sum up.", steps, [("lookup_fact", "Look up a fact.")])
    text = messages[-1][1]
    assert text.count("[cut]") == 3  # the three older results, not the latest
    assert "Part 3: " + "words " * 1200 in text + " "


def test_the_answer_writer_runs_in_its_own_context(planner_llm, llm):
    agent = create_gba_agent(
        [Lookup()], planner=ZeroShotPlanner(planner_llm), function_calling_model=llm
    )
    writer = agent.nodes["write_answer"].bound.func.__self__.answer_tool.llm
    assert writer.context == "answer" and writer.model == llm.model and llm.context == "shared"
