"""Plan-ahead recording: the teacher's plans kept per trajectory, the hint, the students' prompt."""

from __future__ import annotations

import asyncio
import json

from langchain_core.tools import BaseTool
from scripted import ScriptedChatModel, answer

from langchain_gba.agent import create_gba_agent
from langchain_gba.planner import FineTunedPlanner, ZeroShotPlanner
from langchain_gba.prompts import (
    AHEAD_KIND_HINTS,
    FINE_TUNED_PLAN_AHEAD,
    KIND_HINT,
    fine_tuned_plan_prompt,
    short_description,
)
from langchain_gba.tools import TaskInput
from simulation.records import read_jsonl
from simulation.runner import RunLabels, build_agent, make_planner, recording, run_requests

REQUEST = "How high is Everest?"


class Lookup(BaseTool):
    name: str = "search_wikipedia"
    description: str = "Look a fact up. Give the task in plain words."
    args_schema: type[TaskInput] = TaskInput

    def _run(self, task: str, **_: object) -> str:
        return "Mount Everest is 8,849 m high."


def plan(*steps: tuple[str, str], thoughts: str = "one fact") -> str:
    return json.dumps({"thoughts": thoughts, "steps": [{"tool": t, "task": k} for t, k in steps]})


def test_short_descriptions_and_the_plan_prompt_list_the_tools_without_final_answer():
    assert short_description("Look a fact up.  Give the task in plain words.") == "Look a fact up."
    assert short_description("No full stop here") == "No full stop here"
    tools = [("search_wikipedia", "Look a fact up. More."), ("final_answer", "Answer.")]
    done = [{"task": "How high is Everest?", "observation": "8,849 m."}]
    prompt = fine_tuned_plan_prompt(REQUEST, done, tools)
    assert prompt == FINE_TUNED_PLAN_AHEAD.format(
        tools="- search_wikipedia: Look a fact up.",
        request=REQUEST,
        context="Task: How high is Everest?\nResult: 8,849 m.",
    )
    assert "final_answer" not in prompt


def test_a_plan_ahead_student_runs_the_agent_ahead_with_one_user_message():
    model = ScriptedChatModel(replies=[plan(("search_wikipedia", REQUEST))])
    student = FineTunedPlanner(model, plans_ahead=True)
    writer = ScriptedChatModel(replies=[answer("Everest is 8,849 m high.")])
    agent = create_gba_agent(
        [Lookup()], planner=student, function_calling_model=writer, answer_model=writer,
        ask_user=False,
    )  # fmt: skip
    out = agent.invoke({"request": REQUEST})
    assert "8,849 m" in out["answer"]  # a lookup searched as asked: its result answers
    prompt = model.calls[0][-1].content  # (the scripted model's own schema prompt before it)
    assert prompt.startswith("Tools:\n- search_wikipedia: Look a fact up.\n\nRequest: ")
    assert "Write the plan" not in str(model.calls[0])  # not the zero-shot prompt
    assert not FineTunedPlanner(ScriptedChatModel(replies=[])).can_plan_ahead


def test_the_recording_teacher_keeps_each_plan_with_what_it_saw(tmp_path):
    replies = [plan(("search_wikipedia", "Everest height"))]
    teacher = make_planner("teacher", ScriptedChatModel(replies=replies), hints={REQUEST: "direct"})
    first = teacher.ahead_messages(REQUEST, [], [("search_wikipedia", "Look.")])[-1][1]
    assert KIND_HINT.format(hint=AHEAD_KIND_HINTS["direct"]) in first  # the hint, plan-ahead
    teacher = ZeroShotPlanner(ScriptedChatModel(replies=replies))
    recorder = recording(teacher)
    writer = ScriptedChatModel(replies=[answer("Everest is 8,849 m high.")])
    agent = build_agent(
        teacher, writer, [Lookup()], planning="ahead", keep_real=["search_wikipedia"]
    )
    labels = RunLabels("teacher", "scripted", "scripted", 10)
    out = tmp_path / "run.jsonl"
    request = {"id": "r1", "request": REQUEST, "kind": "single_step"}
    report = asyncio.run(run_requests([request], out, agent, labels, recorder=recorder))
    assert report.written == 1
    (record,) = read_jsonl(out)
    assert record["status"] == "answered"
    (kept,) = record["plans"]
    assert kept["steps"] == [] and kept["min_steps"] == 0
    assert ["search_wikipedia", "Look a fact up. Give the task in plain words."] in kept["tools"]
    assert kept["plan"]["steps"] == [{"tool": "search_wikipedia", "task": "Everest height"}]
    assert recorder.plans == {}  # taken with the record


def _record(rid: str, kind: str, plans: list[dict], status: str = "answered") -> dict:
    return {"id": rid, "request": f"request {rid}", "status": status, "meta": {"kind": kind},
            "planner": "teacher", "planner_model": "m", "steps": [], "plans": plans}  # fmt: skip


def _kept(*steps: tuple[str, str], done: list[dict] | None = None) -> dict:
    return {
        "steps": done or [],
        "tools": [["search_wikipedia", "Look a fact up. More."], ["ask_user", "Ask the user."]],
        "min_steps": 1 if done else 0,
        "plan": {"thoughts": "t", "steps": [{"tool": t, "task": k} for t, k in steps]},
    }


def test_plans_export_as_a_plan_ahead_students_examples(tmp_path):
    from finetune.data import load_split, selected_tool
    from simulation.export import export_dataset, plan_examples_from

    done = [{"task": "Everest height", "observation": "No information found."}]
    records = [
        _record("a", "single_step", [_kept(("search_wikipedia", "Everest height")),
                                     _kept(("search_wikipedia", "Mount Everest"), done=done)]),
        _record("b", "direct", [_kept()]),
        _record("c", "direct", [_kept(("ask_user", "Why?"))]),  # does not fit its kind
        _record("d", "single_step", [_kept(("search_wikipedia", "x"))], status="incomplete"),
        _record("e", "single_step", [_kept(("search_wikipedia", "y"))]),  # rated 2
    ]  # fmt: skip
    ratings = {"a": 5, "b": 4, "c": 5, "d": 5, "e": 2}
    judgements = [{"id": k, "status": "rated", "final_rating": v} for k, v in ratings.items()]
    examples = plan_examples_from(records, judgements, match_kinds=True)
    assert [e["id"] for e in examples] == ["a/p0", "a/p1", "b/p0"]
    tools = [("search_wikipedia", "Look a fact up."), ("ask_user", "Ask the user.")]
    assert examples[1]["prompt"] in (
        fine_tuned_plan_prompt("request a", done, tools),
        fine_tuned_plan_prompt("request a", done, tools[::-1]),  # each example its own order
    )
    assert json.loads(examples[2]["completion"]) == {"thoughts": "t", "steps": []}
    assert selected_tool(examples[2]["completion"]) == "final_answer"
    assert selected_tool(examples[0]["completion"]) == "search_wikipedia"
    export_dataset(examples, tmp_path, test_size=0.5)
    train, test = load_split(tmp_path), load_split(tmp_path, "test")  # the trainer accepts plans
    assert len(train) + len(test) == 3


def test_plans_export_without_thoughts_teaches_the_steps_only():
    from simulation.export import plan_examples_from

    records = [_record("a", "single_step", [_kept(("search_wikipedia", "Everest height"))])]
    judgements = [{"id": "a", "status": "rated", "final_rating": 5}]
    (example,) = plan_examples_from(records, judgements, thoughts=False)
    assert json.loads(example["completion"]) == {
        "thoughts": "",
        "steps": [{"tool": "search_wikipedia", "task": "Everest height"}],
    }
    (kept,) = plan_examples_from(records, judgements)
    assert json.loads(kept["completion"])["thoughts"] == "t"
    assert kept["prompt"] == example["prompt"]  # the prompt is the same either way


def test_the_training_data_says_its_format_and_refuses_a_mix():
    import pytest
    from datasets import Dataset

    from finetune.data import data_format
    from finetune.errors import DatasetError

    plan_row = json.dumps({"thoughts": "t", "steps": []})
    step_row = json.dumps({"thoughts": "t", "selected_tool": "final_answer", "task": "x"})
    assert data_format(Dataset.from_dict({"completion": [plan_row]})) == "ahead"
    assert data_format(Dataset.from_dict({"completion": [step_row]})) == "step"
    with pytest.raises(DatasetError, match="mixes plans and single steps"):
        data_format(Dataset.from_dict({"completion": [plan_row, step_row]}))


def test_a_refused_empty_plan_and_floundering_runs_are_left_out():
    from simulation.export import plan_examples_from

    done = [{"task": "Answer the request.", "observation": "Not answered: ..."}]
    refused = _record("a", "single_step", [_kept(), _kept(("search_wikipedia", "Who?"), done=done)])
    refused["steps"] = [
        {"tool": "final_answer", "error": True}, {"tool": "search_wikipedia", "error": False},
        {"tool": "final_answer", "error": False},
    ]  # fmt: skip
    greeting = _record("b", "direct", [_kept()])
    greeting["steps"] = [{"tool": "final_answer", "error": False}]
    messy = _record("c", "multi_step", [_kept(("search_wikipedia", "x"))] * 3)
    judgements = [{"id": k, "status": "rated", "final_rating": 5} for k in "abc"]
    records = [refused, greeting, messy]
    kept = plan_examples_from(records, judgements, drop_refused=True, max_plans=2)
    assert [e["id"] for e in kept] == ["a/p1", "b/p0"]
    assert len(plan_examples_from(records, judgements)) == 6
    # the kind is matched on the plan after the refusal: a lookup answered from memory, then
    # searched, fits its kind; without drop_refused its first plan (no steps) does not
    matched = plan_examples_from(records, judgements, drop_refused=True, match_kinds=True)
    assert [e["id"] for e in matched] == ["a/p1", "b/p0", "c/p0", "c/p1", "c/p2"]
    unrefused = plan_examples_from(records, judgements, match_kinds=True)
    assert "a" not in {e["trajectory"] for e in unrefused}


def test_a_plan_after_a_refused_answer_from_memory_is_taught_in_its_place():
    from simulation.export import plan_examples_from

    done = [{"task": "Answer the request.", "observation": "Not answered: ..."}]
    first, after = _kept(), _kept(("search_wikipedia", "Who?"), done=done)
    refused = _record("a", "single_step", [first, after])
    refused["steps"] = [
        {"tool": "final_answer", "error": True}, {"tool": "search_wikipedia", "error": False},
        {"tool": "final_answer", "error": False},
    ]  # fmt: skip
    twice = _record("b", "single_step", [_kept(), _kept(done=done)])  # refused again: no hoist
    twice["steps"] = [{"tool": "final_answer", "error": True}] * 2
    judgements = [{"id": k, "status": "rated", "final_rating": 5} for k in "ab"]
    [hoisted] = plan_examples_from([refused, twice], judgements, hoist_refused=True)
    assert hoisted["id"] == "a/p0" and hoisted["step"] == 0
    assert "Not answered" not in hoisted["prompt"]  # the first prompt: nothing done yet
    assert json.loads(hoisted["completion"])["steps"] == [
        {"tool": "search_wikipedia", "task": "Who?"}
    ]
    [dropped] = plan_examples_from([refused], judgements, drop_refused=True)
    assert dropped["id"] == "a/p1" and "Not answered" in dropped["prompt"]


def test_export_plans_unjudged_keeps_a_judgement_where_there_is_one(tmp_path):
    from typer.testing import CliRunner

    from simulation.cli import app

    run = tmp_path / "run.jsonl"
    records = [_record(k, "single_step", [_kept(("search_wikipedia", k))]) for k in "abc"]
    run.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "data"
    args = ["export", str(run), "--out", str(out), "--plans", "--test-size", "0"]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code != 0 and "judged yet" in " ".join(refused.output.split())
    judged = tmp_path / "run.judged.jsonl"  # the judge rated one run low, and stopped
    judged.write_text(json.dumps({"id": "a", "status": "rated", "final_rating": 2}) + "\n")
    result = CliRunner().invoke(app, [*args, "--unjudged"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in (out / "train.jsonl").open()]
    assert sorted(r["trajectory"] for r in rows) == ["b", "c"]


def test_export_leaves_out_requests_that_copy_held_out_ones(tmp_path):
    from typer.testing import CliRunner

    from simulation.cli import app
    from simulation.export import near_duplicates

    run = tmp_path / "run.jsonl"
    records = [_record(k, "direct", [_kept()]) for k in "ab"]
    records[0]["request"] = "How many days are in a week?"
    records[1]["request"] = "What's the plural of 'cat'?"
    run.write_text("".join(json.dumps(r) + "\n" for r in records))
    held = tmp_path / "test.jsonl"
    held.write_text(
        json.dumps({"request": "how many days are there in a week"})
        + "\n"
        + json.dumps({"request": "what's the plural of mouse?"})
        + "\n"
    )
    held_out = ["how many days are there in a week", "what's the plural of mouse?"]
    assert near_duplicates(records, held_out) == {"a"}  # 0.88 and 0.71 word overlap
    out = tmp_path / "data"
    args = ["export", str(run), "--out", str(out), "--plans", "--test-size", "0", "--unjudged"]
    result = CliRunner().invoke(app, [*args, "--exclude", str(held)])
    assert result.exit_code == 0, result.output
    assert "1 requests like held-out ones left out" in " ".join(result.output.split())
    rows = [json.loads(x) for x in (out / "train.jsonl").open()]
    assert [r["trajectory"] for r in rows] == ["b"]
