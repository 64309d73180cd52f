"""Model specs: server probing, planners, request generation, the twins on a server."""

from __future__ import annotations

import pytest

from simulation.models import ServerUnavailableError, wait_for_server


def test_a_server_that_never_answers_is_named():
    with pytest.raises(ServerUnavailableError, match="after 2 attempts"):
        wait_for_server("http://127.0.0.1:9/v1", attempts=2, backoff=0.01)


def test_planner_kinds():
    from scripted import ScriptedChatModel

    from langchain_gba.planner import FineTunedPlanner, ZeroShotPlanner
    from simulation.runner import make_planner

    model = ScriptedChatModel(replies=[])
    teacher = make_planner("teacher", model, max_length=30)
    assert isinstance(teacher, ZeroShotPlanner) and teacher.teacher
    assert "user_request" in teacher.step_model([("a", "b")]).model_fields
    assert isinstance(make_planner("fine-tuned", model), FineTunedPlanner)
    with pytest.raises(ValueError, match="zero-shot, teacher, fine-tuned"):
        make_planner("oracle", model)


def test_requests_stop_when_the_file_has_enough(tmp_path):
    from typer.testing import CliRunner

    from simulation.cli import app

    path = tmp_path / "requests.jsonl"
    path.write_text('{"id": "a", "request": "x"}\n{"id": "b", "request": "y"}\n')
    result = CliRunner().invoke(
        app, ["requests", str(path), "-n", "2", "--base-url", "http://127.0.0.1:9/v1"]
    )
    assert result.exit_code == 0 and "already has 2 requests" in result.output


def test_generated_requests_are_deduplicated():
    import json

    from scripted import ScriptedChatModel

    from simulation.generate import generate_requests, normalize, request_id

    batch = {
        "request_for_one_fact": {"request": "How tall is Mont Blanc?", "steps": ["search"]},
        "request_for_one_fact_2": {"request": "how tall is  MONT BLANC", "steps": ["search"]},
        "request_needing_a_personal_detail": {
            "request": "Plan my trip to Oslo.",
            "steps": ["ask", "answer"],
        },
    }
    model = ScriptedChatModel(replies=[json.dumps(batch), json.dumps(batch)])
    made = generate_requests(
        model, 5, tools=[("search_wikipedia", "Search.")], topics=["travel"],
        mix=["single_step", "single_step", "ask_user"], max_batches=2,
        seen={normalize("Plan my trip to Oslo!")},
    )  # fmt: skip
    assert [r["request"] for r in made] == ["How tall is Mont Blanc?"]
    assert made[0]["kind"] == "single_step"
    assert made[0]["id"] == request_id("how tall is mont blanc") and made[0]["topic"] == "travel"


def test_the_web_twin_runs_on_a_llama_cpp_server(llama_server):
    """Its URL ``pattern`` once made llama-cpp-python's server die (SIGSEGV) on every call."""
    import httpx

    from langchain_gba.simulated import SimulatedSearchTool
    from simulation.models import ModelSpec, chat_model

    llm = chat_model(ModelSpec(base_url=llama_server, backend="llama", max_tokens=96))
    twin = SimulatedSearchTool(
        name="search_internet", description="Search the web.", llm=llm, sources="web",
        outcomes={"full": 1}, max_length=60,
    )  # fmt: skip
    observation = twin.invoke({"task": "Find the opening hours of the Louvre."})
    assert "Sources:" in observation and "<https://" in observation
    assert httpx.get(f"{llama_server}/models", timeout=5).status_code == 200  # still up
