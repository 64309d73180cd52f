"""The whole chain against a real llama.cpp server on loopback: requests → run → evaluate → export.

Tiny budgets (a step limit of 1, short bounded fields): the point is that every command runs
end to end, concurrently and resumably, not that a 135M model plans well.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulation.cli import app
from simulation.generate import KINDS
from simulation.judge import judged_path
from simulation.records import read_jsonl

ROOT = Path(__file__).resolve().parents[3]

RUN_BUDGET = [
    "--max-steps", "1", "--max-length", "16", "--observation-length", "24",
    "--planner-max-tokens", "96", "--tool-max-tokens", "48", "--tools", "wikipedia",
]  # fmt: skip


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def ids(path: Path) -> list[str]:
    return [r["id"] for r in read_jsonl(path)]


@pytest.fixture(scope="module")
def chain(llama_server, tmp_path_factory):
    """requests (3, generated) → run (concurrency 2) → evaluate: the files."""
    d = tmp_path_factory.mktemp("chain")
    requests, run = d / "requests.jsonl", d / "run.jsonl"
    cli(
        "requests", str(requests), "-n", "3", "--base-url", llama_server,
        "--mix", "direct,single_step,ask_user", "--topics", "travel",
        "--max-tokens", "160", "--max-length", "32", "--max-request-steps", "1",
        "--step-length", "12",
    )  # fmt: skip
    cli("run", str(requests), "--out", str(run), "--base-url", llama_server,
        "--concurrency", "2", *RUN_BUDGET)  # fmt: skip
    report, chart = d / "report.md", d / "chart.png"
    args = ["evaluate", str(run), "--base-url", llama_server, "--max-tokens", "160",
            "--explanation-length", "16", "--n-boot", "200", "--report", str(report)]  # fmt: skip
    try:
        import matplotlib  # noqa: F401

        args += ["--chart", str(chart)]
    except ImportError:
        chart = None
    table = cli(*args)
    return {"dir": d, "requests": requests, "run": run, "table": table, "report": report,
            "chart": chart, "url": llama_server}  # fmt: skip


def test_requests_are_unique_and_complete(chain):
    records = read_jsonl(chain["requests"])
    assert 1 <= len(records) <= 3
    assert len({r["id"] for r in records}) == len(records)
    for r in records:
        assert r["request"] and r["topic"] == "travel"
        assert r["kind"] in KINDS and r["kind"] in ("direct", "single_step", "ask_user")
        assert 1 <= len(r["steps"]) <= 1


def test_run_records_each_request_once(chain):
    records = read_jsonl(chain["run"])
    assert sorted(r["id"] for r in records) == sorted(ids(chain["requests"]))
    for r in records:
        assert r["status"] in ("answered", "incomplete", "failed")
        assert r["planner"] == "zero-shot" and r["planner_model"] and r["seconds"] > 0
        assert r["n_steps"] <= 1
        for s in r["steps"]:
            assert set(s) == {"task", "tool", "arguments", "observation", "error", "plan"}
            assert "UnsupportedSchemaError" not in s["observation"]  # every tool's schema works


def test_evaluate_rates_and_compares(chain):
    judgements = read_jsonl(judged_path(chain["run"]))
    assert sorted(j["id"] for j in judgements) == sorted(ids(chain["run"]))
    for j in judgements:
        if j["status"] == "rated":
            assert 1 <= j["final_rating"] <= 5
            assert all(1 <= x <= 5 for x in j["step_ratings"])
        else:
            assert j["error"]
    assert "| run | zero-shot |" in chain["table"]
    assert chain["report"].read_text().startswith("| run | planner |")
    if chain["chart"] is not None:
        assert chain["chart"].read_bytes()[:4] == b"\x89PNG"


def test_evaluate_compares_runs_and_resumes(chain, tmp_path):
    other = tmp_path / "other.jsonl"
    other.write_bytes(chain["run"].read_bytes())
    judged = judged_path(chain["run"]).read_text().splitlines(keepends=True)
    judged_path(other).write_text("".join(judged[:-1]) + judged[-1][:10])  # killed mid-write
    table = cli("evaluate", str(chain["run"]), str(other), "--base-url", chain["url"],
                "--max-tokens", "160", "--explanation-length", "16", "--n-boot", "100")  # fmt: skip
    assert "| run | zero-shot |" in table and "| other | zero-shot |" in table
    assert sorted(ids(judged_path(other))) == sorted(ids(chain["run"]))  # the last one redone


def test_evaluate_of_judged_runs_needs_no_server(chain):
    """Everything judged already: the table again, without a model or a server."""
    table = cli("evaluate", str(chain["run"]), "--base-url", "http://127.0.0.1:9/v1",
                "--n-boot", "100")  # fmt: skip
    assert "| run | zero-shot |" in table


def _exported_steps(run: Path) -> int:
    """The steps of the answered trajectories the judge rated: what export writes as rows."""
    rated = {j["id"] for j in read_jsonl(judged_path(run)) if j["status"] == "rated"}
    return sum(
        len(r["steps"]) for r in read_jsonl(run) if r["status"] == "answered" and r["id"] in rated
    )


def test_export_writes_a_dataset_of_the_answered_trajectories(chain, tmp_path):
    """Always on real rows: the chain's run, or (when its 135M planner answered nothing) a run
    recorded earlier by the same pipeline (``finetune/data``), judged here on the server."""
    pytest.importorskip("datasets")
    run = chain["run"]
    if _exported_steps(run) == 0:
        run = tmp_path / "recorded.jsonl"
        recorded = ROOT / "tests" / "integration_tests" / "finetune" / "data" / "trajectories.jsonl"
        run.write_bytes(recorded.read_bytes())
        cli("evaluate", str(run), "--base-url", chain["url"], "--max-tokens", "160",
            "--explanation-length", "16", "--n-boot", "50")  # fmt: skip
    expected = _exported_steps(run)
    assert expected > 0
    out = tmp_path / "dataset"
    result = CliRunner().invoke(app, ["export", str(run), "--out", str(out),
                                      "--threshold", "1", "--test-size", "0.5"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for n in ("train", "test") for x in (out / f"{n}.jsonl").open()]
    assert len(rows) == expected
    assert all(r["prompt"].endswith("Plan the next step.") for r in rows)


def test_export_with_nothing_rated_high_enough_says_so(chain, tmp_path):
    pytest.importorskip("datasets")
    out = tmp_path / "dataset"
    result = CliRunner().invoke(app, ["export", str(chain["run"]), "--out", str(out),
                                      "--threshold", "6"])  # fmt: skip
    assert result.exit_code == 1 and "nothing exported" in result.output


def test_a_killed_run_resumes_with_no_loss_and_no_duplicates(chain, tmp_path):
    requests = tmp_path / "requests.jsonl"
    requests.write_text(
        "".join(
            json.dumps({"id": f"k{i}", "request": q}) + "\n"
            for i, q in enumerate(["Who wrote Hamlet?", "How tall is Mont Blanc?"])
        )
    )
    run = tmp_path / "run.jsonl"
    cmd = [sys.executable, "-m", "simulation", "run", str(requests), "--out", str(run),
           "--base-url", chain["url"], "--concurrency", "1", *RUN_BUDGET]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while not (run.exists() and run.read_bytes().count(b"\n") >= 1):
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "no trajectory written in 120 s"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    before = ids(run)
    assert 1 <= len(before) <= 2
    cli("run", str(requests), "--out", str(run), "--base-url", chain["url"], *RUN_BUDGET)
    after = ids(run)
    assert after[: len(before)] == before  # nothing written is lost
    assert sorted(after) == ["k0", "k1"]  # each exactly once
    manifest = json.loads((tmp_path / "run.manifest.json").read_text())
    commands = manifest["commands"]
    assert len(commands) == 2 and commands[1]["records_before"] == len(before)
    assert commands[1]["command"].endswith(" run")
    assert commands[1]["params"]["base_url"] == chain["url"]
    assert commands[1]["params"]["requests_file"] == str(requests)
    assert manifest["records"] == 2 and sum(manifest["by_status"].values()) == 2
    assert set(manifest["models"]) == {"planner", "tools"}


def test_a_server_that_is_down_gives_a_clear_error(tmp_path):
    requests = tmp_path / "requests.jsonl"
    requests.write_text(json.dumps({"id": "a", "request": "What is 2 + 2?"}) + "\n")
    result = CliRunner().invoke(
        app,
        ["run", str(requests), "--out", str(tmp_path / "run.jsonl"),
         "--base-url", "http://127.0.0.1:9/v1", "--connect-attempts", "2"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "No OpenAI-compatible server answered at http://127.0.0.1:9/v1" in result.output
    assert not (tmp_path / "run.jsonl").exists() or not read_jsonl(tmp_path / "run.jsonl")


def test_plans_ahead_are_recorded_judged_and_exported(chain, tmp_path):
    """The plan-ahead recording (``--planning ahead``): the agent as it answers by default, each
    plan kept in its record with what the planner saw, exported as the plan-ahead format."""
    pytest.importorskip("datasets")
    run = tmp_path / "plans.jsonl"
    cli("run", str(chain["requests"]), "--out", str(run), "--base-url", chain["url"],
        "--planner", "teacher", "--planning", "ahead", "--concurrency", "2",
        *RUN_BUDGET)  # fmt: skip
    records = read_jsonl(run)
    assert len(records) == 3
    planned = [r for r in records if r.get("plans")]
    assert planned, [r.get("error") for r in records]
    for r in planned:
        first = r["plans"][0]
        assert first["steps"] == [] and first["min_steps"] == 0
        assert {"search_wikipedia", "ask_user"} <= {name for name, _ in first["tools"]}
        assert set(first["plan"]) == {"thoughts", "steps"}
    cli("evaluate", str(run), "--base-url", chain["url"], "--max-tokens", "160",
        "--explanation-length", "16", "--n-boot", "50")  # fmt: skip
    out = tmp_path / "dataset"
    result = CliRunner().invoke(app, ["export", str(run), "--out", str(out), "--plans",
                                      "--threshold", "1", "--test-size", "0.5"])  # fmt: skip
    rated = {j["id"] for j in read_jsonl(judged_path(run)) if j.get("status") == "rated"}
    answered = [r for r in planned if r["status"] == "answered" and r["id"] in rated]
    if not answered:  # the tiny model's runs may all end unanswered or unrated: nothing to export
        assert result.exit_code == 1 and "nothing exported" in result.output
        return
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for n in ("train", "test") for x in (out / f"{n}.jsonl").open()]
    assert len(rows) == sum(len(r["plans"]) for r in answered)
    assert all(r["prompt"].startswith("Tools:\n- ") for r in rows)
    assert all(r["prompt"].endswith("Plan the steps still needed.") for r in rows)
    assert all(set(json.loads(r["completion"])) == {"thoughts", "steps"} for r in rows)


def test_an_apps_own_tools_are_written_for_and_run_as_twins(llama_server, tmp_path):
    """``--tools ...,examples/assistant.py:simulation_tools``: requests of the action kinds, the
    teacher planning ahead with ``create_event`` and ``send_email`` (their twins: nothing sent)."""
    tools = f"wikipedia,{ROOT / 'examples' / 'assistant.py'}:simulation_tools"
    requests, run = tmp_path / "requests.jsonl", tmp_path / "run.jsonl"
    cli("requests", str(requests), "-n", "2", "--base-url", llama_server, "--tools", tools,
        "--mix", "action,ask_action", "--topics", "work", "--max-tokens", "160",
        "--max-length", "60", "--max-request-steps", "0")  # fmt: skip
    written = read_jsonl(requests)
    assert written and {r["kind"] for r in written} <= {"action", "ask_action"}
    budget = [*RUN_BUDGET[:-2], "--tools", tools]
    plans = f"{ROOT / 'examples' / 'assistant.py'}:PLAN_EXAMPLES"  # the app's plans shown
    cli("run", str(requests), "--out", str(run), "--base-url", llama_server,
        "--planner", "teacher", "--planning", "ahead", "--examples", plans, *budget)  # fmt: skip
    records = read_jsonl(run)
    assert len(records) == len(written)
    planned = [r for r in records if r.get("plans")]
    assert planned, [r.get("error") for r in records]
    for r in planned:
        listed = {name for name, _ in r["plans"][0]["tools"]}
        assert {"search_wikipedia", "create_event", "send_email", "ask_user"} <= listed
        for s in r["steps"]:
            assert "UnsupportedSchemaError" not in s["observation"]
