"""examples/assistant.py on the embedded 1.5B model: approvals of calls with side effects."""

from __future__ import annotations

import email
import sqlite3
import sys
from pathlib import Path

import pytest
from langgraph.types import Command

from langchain_gba import AgentInputError

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "examples"))
from assistant import build_assistant  # noqa: E402

EMAIL = "Email bob@example.org that I will be 10 minutes late to the meeting."


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):  # type: ignore[no-untyped-def]
    data = tmp_path_factory.mktemp("assistant")
    return build_assistant(data, ask_user=False), data  # it would ask for a subject first


def pause(agent, request, thread):  # type: ignore[no-untyped-def]
    config = {"configurable": {"thread_id": thread}}
    out = agent.invoke({"request": request}, config)
    [item] = out["__interrupt__"]
    return item.value, config


def outbox(data: Path) -> list[email.message.Message]:
    folder = data / "outbox"
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes()) for p in files]


def test_an_approved_email_is_sent_once(assistant):
    agent, data = assistant
    request, config = pause(agent, EMAIL, "approve")
    assert request["type"] == "approve_call" and request["tool"] == "send_email"
    assert request["arguments"]["recipient"] == "bob@example.org"  # written by function calling
    assert outbox(data) == []
    out = agent.invoke(Command(resume={"type": "approve"}), config)
    [sent] = outbox(data)
    assert sent["To"] == "bob@example.org" and request["call_id"] in sent["Message-ID"]
    assert out["status"] == "answered" and "Sent" in out["steps"][0]["observation"]


def test_an_invalid_edit_keeps_the_call_waiting_and_a_valid_one_is_sent(assistant):
    agent, data = assistant
    before = len(outbox(data))
    request, config = pause(agent, EMAIL, "edit")
    wrong = {**request["arguments"], "recipient": "carol at example"}
    out = agent.invoke(Command(resume={"type": "edit", "arguments": wrong}), config)
    [item] = out["__interrupt__"]
    assert "recipient" in item.value["error"] and len(outbox(data)) == before
    fixed = {**request["arguments"], "recipient": "carol@example.org"}
    agent.invoke(Command(resume={"type": "edit", "arguments": fixed}), config)
    assert [m["To"] for m in outbox(data)].count("carol@example.org") == 1


def test_a_rejected_call_does_nothing_and_the_planner_reads_why(assistant):
    agent, data = assistant
    before = len(outbox(data))
    _, config = pause(agent, EMAIL, "reject")
    out = agent.invoke(Command(resume={"type": "reject", "message": "I will call him"}), config)
    assert len(outbox(data)) == before
    rejected = out["steps"][0]
    assert rejected["observation"] == "The user rejected this call of send_email: I will call him."
    assert out["status"] in ("answered", "incomplete")


def test_an_approved_event_is_in_the_calendar(assistant):
    agent, data = assistant
    request, config = pause(
        agent, "Add 'Dentist' to my calendar on 2026-12-21 at 09:30 for 45 minutes.", "event"
    )
    assert request["tool"] == "create_event"
    assert request["arguments"]["date"] == "2026-12-21"
    agent.invoke(Command(resume="approve"), config)
    with sqlite3.connect(data / "calendar.db") as db:
        rows = db.execute("SELECT call_id, title, date, time FROM events").fetchall()
    assert [(r[0], r[2]) for r in rows] == [(request["call_id"], "2026-12-21")]
    assert "dentist" in rows[0][1].lower() and rows[0][3] == "09:30"


def test_resuming_a_thread_that_waits_for_nothing_is_a_clear_error(assistant):
    agent, _ = assistant
    with pytest.raises(AgentInputError, match="waiting for a reply"):
        agent.invoke(Command(resume="approve"), {"configurable": {"thread_id": "nobody"}})


@pytest.fixture(scope="module")
def asking(tmp_path_factory):  # type: ignore[no-untyped-def]
    data = tmp_path_factory.mktemp("asking")
    return build_assistant(data), data


def drive(agent, request: str, thread: str, reply: str) -> tuple[dict, list[dict]]:  # type: ignore[no-untyped-def]
    """Run ``request``, approving every call and answering every question with ``reply``."""
    config = {"configurable": {"thread_id": thread}}
    out, approved = agent.invoke({"request": request}, config), []
    for _ in range(8):
        if not out.get("__interrupt__"):
            break
        [item] = out["__interrupt__"]
        if item.value.get("type") == "approve_call":
            approved.append(item.value)
            out = agent.invoke(Command(resume={"type": "approve"}), config)
        else:
            out = agent.invoke(Command(resume=reply), config)
    return out, approved


def events(data: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(data / "calendar.db") as db:
        return db.execute("SELECT title, date, time FROM events ORDER BY date").fetchall()


def test_an_event_nobody_dated_is_dated_by_the_user_not_made_up(asking):
    """No approval shows a date before the user gives one; the entry takes the user's."""
    agent, data = asking
    reply = "The train to Bern leaves on 2026-09-01 at 08:10."
    out, approved = drive(agent, "Add my train to Bern to my calendar.", "bern", reply)
    made = [a for a in approved if a["tool"] == "create_event"]
    assert made and all(a["arguments"]["date"] == "2026-09-01" for a in made)
    assert [(d, t) for _, d, t in events(data)] == [("2026-09-01", "08:10")]
    assert out["status"] == "answered" and "2026" in out["answer"]


def test_two_entries_asked_for_are_both_made_once(asking):
    agent, data = asking
    before = events(data)
    request = (
        "Put 'Train to Geneva' on 2026-10-02 at 07:15 and 'Train home' on 2026-10-05 at 18:40 "
        "in my calendar."
    )
    out, _ = drive(agent, request, "geneva", "I have nothing to add.")
    added = [(row[1], row[2]) for row in events(data) if row not in before]
    assert sorted(added) == [("2026-10-02", "07:15"), ("2026-10-05", "18:40")]
    assert out["status"] == "answered"
    assert "Added" in out["answer"] and "05 October 2026" in out["answer"]  # the tool's words
