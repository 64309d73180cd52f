"""Approvals (interrupt_on): approve, edit, reject, invalid decisions, no checkpointer."""

from __future__ import annotations

import json

import pytest
from langchain_core.tools import BaseTool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from pydantic import BaseModel, Field
from scripted import ScriptedChatModel, answer, step

from langchain_gba import AgentConfigError, AgentInputError
from langchain_gba.agent import create_gba_agent
from langchain_gba.agent.approval import read_decision
from langchain_gba.planner import ZeroShotPlanner


class EmailArgs(BaseModel):
    recipient: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    subject: str
    body: str


class SendEmail(BaseTool):
    name: str = "send_email"
    description: str = "Send an email."
    args_schema: type[BaseModel] = EmailArgs
    sent: list[tuple[str, dict]] = []

    def _run(self, recipient: str, subject: str, body: str, **kw: object) -> str:
        self.sent.append((recipient, {"subject": subject, "body": body}))
        return f"sent to {recipient}"


ARGS = {"recipient": "ann@example.org", "subject": "Hi", "body": "Lunch at noon?"}


def approval_agent(planner_replies, *, checkpointer=True, **kw):
    email = SendEmail(sent=[])
    agent = create_gba_agent(
        [email],
        planner=ZeroShotPlanner(ScriptedChatModel(replies=list(planner_replies))),
        function_calling_model=ScriptedChatModel(replies=[json.dumps(ARGS)]),
        answer_model=ScriptedChatModel(replies=[answer("Done.")]),
        checkpointer=InMemorySaver() if checkpointer else None,
        interrupt_on=kw.pop("interrupt_on", {"send_email": True}),
        early_answer=kw.pop("early_answer", False),  # scripted: planner steps only
        **{"planning": "step", **kw},
    )
    return agent, email


STEPS = [step("send_email", "Email Ann about lunch."), step("final_answer", "Say it is done.")]
CONFIG = {"configurable": {"thread_id": "t1"}}


def paused_request(out):
    [item] = out["__interrupt__"]
    return item.value


def test_the_run_pauses_with_the_call_and_approve_runs_it():
    agent, email = approval_agent(STEPS)
    out = agent.invoke({"request": "Tell Ann (ann@example.org): lunch at noon."}, CONFIG)
    request = paused_request(out)
    assert request["type"] == "approve_call" and request["tool"] == "send_email"
    assert request["arguments"] == ARGS and request["task"] == "Email Ann about lunch."
    assert request["allowed_decisions"] == ["approve", "edit", "reject"]
    assert request["call_id"].startswith("call_")
    assert email.sent == []  # nothing ran before the decision
    out = agent.invoke(Command(resume={"type": "approve"}), CONFIG)
    assert out["status"] == "answered"
    assert email.sent == [("ann@example.org", {"subject": "Hi", "body": "Lunch at noon?"})]
    assert out["steps"][0]["observation"] == "sent to ann@example.org"


def test_edit_runs_the_edited_call_and_an_invalid_edit_keeps_it_paused():
    agent, email = approval_agent(STEPS)
    agent.invoke({"request": "Tell Ann (ann@example.org): lunch at noon."}, CONFIG)
    bad = {"type": "edit", "arguments": {**ARGS, "recipient": "not an address"}}
    out = agent.invoke(Command(resume=bad), CONFIG)
    request = paused_request(out)
    assert "recipient" in request["error"] and "schema" in request["error"]
    assert email.sent == []
    edited = {**ARGS, "recipient": "bob@example.org"}
    out = agent.invoke(Command(resume={"type": "edit", "arguments": edited}), CONFIG)
    assert out["status"] == "answered"
    assert [r for r, _ in email.sent] == ["bob@example.org"]
    assert out["steps"][0]["arguments"] == edited


def test_reject_is_an_observation_the_planner_reads():
    planner_steps = [*STEPS[:1], step("final_answer", "Say it was not sent.")]
    agent, email = approval_agent(planner_steps)
    agent.invoke({"request": "Tell Ann (ann@example.org): lunch at noon."}, CONFIG)
    out = agent.invoke(Command(resume={"type": "reject", "message": "not now"}), CONFIG)
    assert email.sent == [] and out["status"] == "answered"
    first = out["steps"][0]
    assert first["observation"] == "The user rejected this call of send_email: not now."
    assert first["plan"]["rejected"] is True and not first["error"]


def test_langchain_v1_decisions_and_plain_strings_are_read():
    assert read_decision({"decisions": [{"type": "approve"}]}, ["approve"]) == {"type": "approve"}
    assert read_decision("reject", ["approve", "reject"]) == {"type": "reject"}
    with pytest.raises(AgentInputError, match="not allowed"):
        read_decision({"type": "edit", "arguments": {}}, ["approve", "reject"])
    with pytest.raises(AgentInputError, match="Not an approval decision"):
        read_decision({"type": "maybe"}, ["approve"])


def test_a_decision_that_is_not_allowed_keeps_the_run_paused():
    only = {"send_email": {"allowed_decisions": ["approve", "reject"], "description": "Send?"}}
    agent, email = approval_agent(STEPS, interrupt_on=only)
    out = agent.invoke({"request": "Tell Ann at ann@example.org."}, CONFIG)
    assert paused_request(out)["description"] == "Send?"
    out = agent.invoke(Command(resume={"type": "edit", "arguments": ARGS}), CONFIG)
    assert "not allowed" in paused_request(out)["error"] and email.sent == []


def test_approval_needs_a_checkpointer_and_known_tools():
    agent, email = approval_agent(STEPS, checkpointer=False)
    with pytest.raises(AgentConfigError, match="checkpointer"):
        agent.invoke({"request": "Tell Ann at ann@example.org."})
    assert email.sent == []
    with pytest.raises(AgentConfigError, match="not one of the agent's tools"):
        approval_agent(STEPS, interrupt_on={"delete_everything": True})
    with pytest.raises(AgentConfigError, match="decisions must be among"):
        approval_agent(STEPS, interrupt_on={"send_email": {"allowed_decisions": ["yes"]}})


def test_resuming_a_thread_that_is_not_waiting_is_a_clear_error():
    agent, _ = approval_agent(STEPS)
    with pytest.raises(AgentInputError, match="needs a thread waiting"):
        agent.invoke(Command(resume={"type": "approve"}), {"configurable": {"thread_id": "idle"}})


def test_tools_without_approval_run_at_once_and_the_graph_is_unchanged():
    agent, email = approval_agent(STEPS, interrupt_on={"send_email": False})
    out = agent.invoke({"request": "Tell Ann at ann@example.org."}, CONFIG)
    assert out["status"] == "answered" and len(email.sent) == 1
    assert "approve_call" not in agent.get_graph().nodes


def test_a_call_id_names_its_place_in_the_thread_so_a_retry_gets_the_same_one():
    from langchain_gba.agent.nodes import Nodes as _Nodes

    state = {"messages": ["m"], "steps": []}
    plan = {"selected_tool": "send_email", "task": "t"}

    def call_id(thread, st=state):  # type: ignore[no-untyped-def]
        config = {"configurable": {"thread_id": thread}} if thread else {}
        return _Nodes._call(st, config, plan, ARGS)["call"]["id"]

    assert call_id("t1") == call_id("t1")  # written again after a crash: the same key
    assert call_id("t1") != call_id("t2")
    assert call_id("t1") != call_id("t1", {"messages": ["m"], "steps": [{}]})  # a later step
    assert call_id(None) != call_id(None)  # no thread: unique
