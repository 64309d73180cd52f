"""``gba``: the command line, with the real embedded model."""

from __future__ import annotations

import json

from langgraph.checkpoint.memory import InMemorySaver
from scripted import ScriptedChatModel, answer, step
from typer.testing import CliRunner

from langchain_gba import ZeroShotPlanner, create_gba_agent
from langchain_gba.cli import app, run_interactively

runner = CliRunner()


def test_models_lists_the_embedded_models():
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0
    assert "qwen2.5-coder-1.5b-instruct (default)" in result.output
    assert "smollm2-135m-instruct" in result.output
    assert "gemma-3-270m" in result.output


def test_ask_runs_the_agent_and_prints_the_state_as_json():
    result = runner.invoke(
        app,
        [
            "ask",
            "--tools",
            "calculator",
            "--max-steps",
            "1",
            "--no-ask-user",
            "--json",
            "What is 12 times 7?",
        ],
    )
    assert result.exit_code in (0, 1), result.output  # 1: not answered within the step limit
    state = json.loads(result.output[result.output.index("{") :])
    assert state["request"] == "What is 12 times 7?"
    assert state["status"] in ("answered", "incomplete")
    assert (state["status"] == "answered") == (result.exit_code == 0)
    assert 1 <= len(state["steps"]) <= 2
    assert state["steps"][0]["tool"] in ("calculate_number", "final_answer")


def test_ask_with_the_shipped_fine_tuned_planner():
    args = ["ask", "--planner", "fine-tuned", "--tools", "calculator", "--max-steps", "2",
            "--no-ask-user", "--json", "What is 12 times 7?"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    state = json.loads(result.output[result.output.index("{") :])
    assert state["steps"][0]["tool"] in ("calculate_number", "final_answer")
    assert state["status"] in ("answered", "incomplete")


def test_ask_streams_steps_readably():
    result = runner.invoke(
        app, ["ask", "--tools", "calculator", "--max-steps", "1", "--no-ask-user", "Add 2 and 3."]
    )
    assert result.exit_code in (0, 1), result.output
    assert "Step 1" in result.output


def test_an_empty_request_says_what_to_type():
    result = runner.invoke(app, ["ask", "  "])
    assert result.exit_code == 2
    assert "The request is empty" in result.output and "gba ask" in result.output
    assert "Command" not in result.output and "thread" not in result.output


def test_bad_options_are_clear_errors():
    result = runner.invoke(app, ["ask", "--tools", "telepathy", "Hi"])
    assert result.exit_code == 2
    assert "Unknown tool 'telepathy'" in result.output
    result = runner.invoke(app, ["ask", "--model", "no-such-model", "Hi"])
    assert result.exit_code == 2
    assert "no-such-model" in result.output
    result = runner.invoke(app, ["ask", "--planner", "psychic", "Hi"])
    assert result.exit_code == 2
    assert "Unknown planner" in result.output


def test_questions_are_asked_at_the_prompt_and_the_run_resumes(monkeypatch):
    planner = ScriptedChatModel(
        replies=[step("ask_user", "Which city do you live in?"), step("final_answer")]
    )
    agent = create_gba_agent(
        [],
        planner=ZeroShotPlanner(planner),
        function_calling_model=ScriptedChatModel(replies=[]),
        answer_model=ScriptedChatModel(replies=[answer("Sunny in Oslo.")]),
        checkpointer=InMemorySaver(),
        planning="step",
    )
    asked = []
    monkeypatch.setattr("langchain_gba.cli.Prompt.ask", lambda q: asked.append(q) or "Oslo")
    state = run_interactively(agent, "Weather at home?", quiet=True)
    assert "Which city do you live in?" in asked[0]
    assert state["status"] == "answered"
    assert [s["observation"] for s in state["steps"]] == ["Oslo", "Sunny in Oslo."]


def test_a_call_waiting_for_approval_is_shown_and_decided_at_the_prompt(monkeypatch):
    from langchain_core.tools import tool

    sent = []

    @tool
    def send_email(recipient: str, body: str) -> str:
        """Send an email."""
        sent.append(recipient)
        return f"sent to {recipient}"

    planner = ScriptedChatModel(
        replies=[step("send_email", "Email Ann."), step("final_answer", "Say it is sent.")]
    )
    agent = create_gba_agent(
        [send_email],
        planner=ZeroShotPlanner(planner),
        function_calling_model=ScriptedChatModel(
            replies=['{"recipient": "ann@example.org", "body": "Hi"}']
        ),
        answer_model=ScriptedChatModel(replies=[answer("Sent.")]),
        checkpointer=InMemorySaver(),
        interrupt_on={"send_email": True},
        planning="step",
    )
    replies = iter(["edit", '{"recipient": "bob@example.org", "body": "Hi"}'])
    prompts = []

    def fake_ask(question, **kwargs):
        prompts.append((question, kwargs))
        return next(replies)

    monkeypatch.setattr("langchain_gba.cli.Prompt.ask", fake_ask)
    state = run_interactively(agent, "Email Ann (ann@example.org) hi.", quiet=True)
    assert prompts[0][1]["choices"] == ["approve", "edit", "reject"]
    assert sent == ["bob@example.org"] and state["status"] == "answered"
