"""The judge (malformed output marked failed), the metrics and intervals, the export."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from scripted import ScriptedChatModel

from langchain_gba.planner import PLAN_FIELDS, TEACHER_FIELDS
from langchain_gba.prompts import (
    LOOP_ANSWER_THOUGHTS,
    LOOP_STOP_TASK,
    PLAN_FIELD_DESCRIPTIONS,
    fine_tuned_planner_prompt,
)
from simulation.export import (
    KIND_FIRST_TOOLS,
    _tool,
    balance_first_steps,
    cap_tool_share,
    echoes_descriptions,
    examples_from,
    export_dataset,
    first_tool_fits,
    fits_kind,
    loop_answer_index,
    split_ids,
    tool_frequencies,
)
from simulation.generate import KINDS
from simulation.judge import Judge, judge_run, judge_schema, judged_path
from simulation.metrics import bar_chart, compute_metrics, markdown_table
from simulation.records import read_jsonl


def plan(task, tool, teacher=False):
    step = {
        "context_information_summary": "so far",
        "thoughts": "next",
        "task": task,
        "selected_tool": tool,
    }
    if teacher:
        step = {"user_request": "r", "missing_information_or_action": "m", **step}
    return step


def trajectory(rid, status="answered", n=2, teacher=True):
    steps = [
        {"task": f"task {i}", "tool": "search_wikipedia", "arguments": {"task": f"task {i}"},
         "observation": f"result {i}", "error": False,
         "plan": plan(f"task {i}", "search_wikipedia", teacher)}
        for i in range(n - 1)
    ]  # fmt: skip
    steps.append(
        {"task": "answer", "tool": "final_answer", "arguments": {}, "observation": "42",
         "error": False, "plan": plan("answer", "final_answer", teacher)}
    )  # fmt: skip
    return {
        "id": rid, "request": f"request {rid}", "status": status, "steps": steps,
        "answer": "42" if status == "answered" else None, "n_steps": n - 1,
        "planner": "teacher", "planner_model": "m",
    }  # fmt: skip


def verdict(n, final, task=4):
    return json.dumps(
        {
            "steps": [{"explanation": "ok", "task_rating": task} for _ in range(n)],
            "final_answer_explanation": "fine",
            "final_answer_rating": final,
        }
    )


def test_judge_schema_fixes_the_number_of_steps():
    schema = judge_schema(3)
    assert (
        schema["properties"]["steps"]["minItems"] == schema["properties"]["steps"]["maxItems"] == 3
    )
    assert schema["properties"]["final_answer_rating"] == {"enum": [1, 2, 3, 4, 5]}
    assert "steps" not in judge_schema(0)["properties"]


async def test_malformed_judge_output_marks_the_item_failed_and_the_rest_goes_on(tmp_path):
    run = tmp_path / "run.jsonl"
    records = [trajectory("a"), trajectory("b"), trajectory("c", status="incomplete", n=1)]
    run.write_text("".join(json.dumps(r) + "\n" for r in records))
    # a backend that cannot constrain: prompted JSON, 1 try + 2 retries, then the item fails
    model = ScriptedChatModel(
        replies=[
            verdict(2, 5),
            "not json",
            "still not json",
            '{"steps": []}',
            verdict(1, 5, task=2),
        ]
    )
    judge = Judge(model, label="scripted", method="prompted")
    path = await judge_run(run, judge, concurrency=1)
    assert path == judged_path(run) == tmp_path / "run.judged.jsonl"
    by_id = {j["id"]: j for j in read_jsonl(path)}
    assert by_id["a"]["status"] == "rated" and by_id["a"]["final_rating"] == 5
    assert by_id["a"]["step_ratings"] == [4, 4]
    assert by_id["b"]["status"] == "failed" and "Unusable judge output" in by_id["b"]["error"]
    assert "reason:" in by_id["b"]["error"]
    assert by_id["c"]["final_rating"] == 1  # no answer: 1, whatever the judge said
    assert by_id["c"]["step_ratings"] == [2]
    # resumable: nothing left to judge, the model is not called again
    await judge_run(run, Judge(ScriptedChatModel(replies=[]), method="prompted"))
    assert len(read_jsonl(path)) == 3


def test_metrics_with_bootstrap_intervals(tmp_path):
    records = [trajectory(str(i)) for i in range(8)] + [trajectory("x", status="incomplete")]
    records[0]["n_steps"] = 11  # answered, but over the step limit
    judgements = [
        {
            "id": str(i),
            "status": "rated",
            "final_rating": 5 if i < 6 else 2,
            "step_ratings": [4, 3 if i == 0 else 5],
        }
        for i in range(8)
    ] + [{"id": "x", "status": "failed"}]
    m = compute_metrics(records, judgements, name="teacher", n_boot=500)
    assert (m.requests, m.judged, m.judge_failed, m.steps) == (9, 8, 1, 16)
    assert m.estimates["pass_rate"].value == pytest.approx(6 / 8)
    assert m.estimates["bad_task_rate"].value == pytest.approx(1 / 16)
    assert m.estimates["completion_rate"].value == pytest.approx(7 / 9)
    for e in m.estimates.values():
        assert 0 <= e.low <= e.value <= e.high <= 1
    table = markdown_table([m, compute_metrics(records[:2], judgements[:2], name="other")])
    assert table.splitlines()[0].startswith("| run | planner |")
    assert "| teacher | teacher | m | 9 | 8 | 0.75 [" in table
    pytest.importorskip("matplotlib")
    png = bar_chart([m], tmp_path / "chart.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_export_examples_use_the_fine_tuned_prompt_and_plan_fields_only(tmp_path):
    records = [
        trajectory("a", n=3),
        trajectory("b"),
        trajectory("c"),
        trajectory("d", status="incomplete"),
    ]
    judgements = [
        {"id": "a", "status": "rated", "final_rating": 5},
        {"id": "b", "status": "rated", "final_rating": 4},
        {"id": "c", "status": "rated", "final_rating": 3},
        {"id": "d", "status": "rated", "final_rating": 5},
    ]
    examples = examples_from(records, judgements, threshold=4)
    assert [e["id"] for e in examples] == ["a/0", "a/1", "a/2", "b/0", "b/1"]
    third = examples[2]
    assert third["prompt"] == fine_tuned_planner_prompt("request a", records[0]["steps"][:2])
    assert "Task: task 1\nResult: result 1" in third["prompt"]
    target = json.loads(third["completion"])
    assert list(target) == list(PLAN_FIELDS)
    assert not set(TEACHER_FIELDS) & set(target)
    assert split_ids(["a", "b"], test_size=0.1) in ({"a"}, {"b"})
    assert split_ids(["a"], test_size=0.5) == set()
    datasets = pytest.importorskip("datasets")
    dataset = export_dataset(examples, tmp_path / "out", test_size=0.5)
    assert set(dataset) == {"train", "test"}
    train_ids = set(dataset["train"]["trajectory"])
    assert train_ids and not train_ids & set(dataset["test"]["trajectory"])  # split by trajectory
    assert len(dataset["train"]) + len(dataset["test"]) == 5
    loaded = datasets.load_from_disk(str(tmp_path / "out" / "dataset"))
    assert loaded["train"][0]["prompt"] == dataset["train"][0]["prompt"]
    for name in ("train", "test"):
        assert (tmp_path / "out" / f"{name}.parquet").exists()
        rows = (tmp_path / "out" / f"{name}.jsonl").read_text().splitlines()
        assert len(rows) == len(dataset[name])


def _examples(tools):
    return [
        {"id": str(i), "completion": json.dumps({"selected_tool": t})} for i, t in enumerate(tools)
    ]


def test_tool_share_is_capped_with_a_seeded_choice_and_the_order_kept():
    examples = _examples(["search"] * 60 + ["final"] * 30 + ["calc"] * 10)
    assert tool_frequencies(examples) == {"search": 60, "final": 30, "calc": 10}
    capped = cap_tool_share(examples, 0.4, seed=1)
    assert tool_frequencies(capped) == {"search": 20, "final": 20, "calc": 10}
    ids = [int(e["id"]) for e in capped]
    assert ids == sorted(ids)
    assert capped == cap_tool_share(examples, 0.4, seed=1)
    assert capped != cap_tool_share(examples, 0.4, seed=2)
    assert tool_frequencies(cap_tool_share(examples, 0.5)) == {
        "search": 40,
        "final": 30,
        "calc": 10,
    }
    # a share no split can meet caps every tool at the rarest one's count
    assert set(tool_frequencies(cap_tool_share(examples, 0.2)).values()) == {10}
    assert cap_tool_share(examples, 1.0) == examples
    with pytest.raises(ValueError, match="max_share"):
        cap_tool_share(examples, 0)


def test_match_kinds_keeps_trajectories_whose_first_tool_fits_the_request_kind():
    searched = trajectory("greeting")  # searches first
    answered = {**trajectory("thanks", n=1), "meta": {"kind": "direct"}}
    records = [
        {**searched, "meta": {"kind": "direct"}},
        answered,
        {**trajectory("fact"), "meta": {"kind": "single_step"}},
        trajectory("no-kind"),
    ]
    assert [first_tool_fits(r) for r in records] == [False, True, True, True]
    judgements = [{"id": r["id"], "status": "rated", "final_rating": 5} for r in records]
    kept = {e["trajectory"] for e in examples_from(records, judgements, match_kinds=True)}
    assert kept == {"thanks", "fact", "no-kind"}
    every = {e["trajectory"] for e in examples_from(records, judgements)}
    assert every == kept | {"greeting"}
    assert set(KIND_FIRST_TOOLS) == set(KINDS)


def test_an_action_request_fits_any_tool_of_the_apps_own():
    assert fits_kind("action", "send_email") and fits_kind("action", "create_event")
    assert not fits_kind("action", "search_wikipedia") and not fits_kind("action", "ask_user")
    assert fits_kind("ask_action", "ask_user") and not fits_kind("ask_action", "send_email")
    assert fits_kind("lookup_action", "search_internet")
    assert fits_kind(None, "anything") and fits_kind("no-such-kind", "send_email")
    emailed = {**trajectory("mail", n=1), "meta": {"kind": "action"}}
    emailed["steps"][0]["tool"] = "send_email"
    assert first_tool_fits(emailed)


def test_min_task_rating_leaves_out_the_steps_rated_below_it():
    records = [trajectory(t, n=3) for t in ("clear", "redundant", "unrated-steps")]
    judgements = [
        {"id": "clear", "status": "rated", "final_rating": 5, "step_ratings": [4, 5, 5]},
        {"id": "redundant", "status": "rated", "final_rating": 5, "step_ratings": [5, 3, 5]},
        {"id": "unrated-steps", "status": "rated", "final_rating": 4, "step_ratings": []},
    ]
    kept = [e["id"] for e in examples_from(records, judgements, min_task_rating=4)]
    assert kept == [
        "clear/0", "clear/1", "clear/2", "redundant/0", "redundant/2",
        "unrated-steps/0", "unrated-steps/1", "unrated-steps/2",
    ]  # fmt: skip
    assert len(examples_from(records, judgements)) == 9


def _looped(rid, tail):
    """A search, then the steps of ``tail`` (r: a repeat, n: a new one), then the stop."""
    record = trajectory(rid, n=1)
    steps = [{**record["steps"][0], "tool": "search_wikipedia",
              "plan": plan("look it up", "search_wikipedia", True)}]  # fmt: skip
    for i, mark in enumerate(tail, start=1):
        step_plan = plan(f"task {i}", "search_wikipedia", True)
        if mark == "r":
            step_plan["repeat_of"] = 1
        steps.append({**steps[0], "task": f"task {i}", "plan": step_plan})
    steps.append({"task": LOOP_STOP_TASK, "tool": "final_answer", "arguments": {},
                  "observation": "42", "error": False,
                  "plan": {"task": LOOP_STOP_TASK, "selected_tool": "final_answer",
                           "stopped": "repeats"}})  # fmt: skip
    return {**record, "steps": steps}


def test_answer_at_loops_teaches_final_answer_where_the_repeats_began():
    records = [_looped("rr", "rr"), _looped("nr", "nr"), _looped("rn", "rn"), trajectory("ok")]
    assert [loop_answer_index(r["steps"]) for r in records] == [1, 2, None, None]
    judgements = [{"id": r["id"], "status": "rated", "final_rating": 5} for r in records]
    examples = examples_from(records, judgements, answer_at_loops=True)
    by_id = {e["id"]: e for e in examples}
    assert sorted(by_id) == ["nr/0", "nr/1", "nr/2", "ok/0", "ok/1", "rn/0", "rn/2", "rr/0", "rr/1"]
    for taught in ("rr/1", "nr/2"):
        step = json.loads(by_id[taught]["completion"])
        assert step == {"thoughts": LOOP_ANSWER_THOUGHTS, "selected_tool": "final_answer",
                        "task": LOOP_STOP_TASK}  # fmt: skip
    assert "task 1" not in by_id["rr/1"]["prompt"]  # the repeat is not in what it saw
    # without the option: every planner step, repeats included, and no made-up answer
    plain = {e["id"] for e in examples_from(records, judgements)}
    assert plain == {"rr/0", "rr/1", "rr/2", "nr/0", "nr/1", "nr/2", "rn/0", "rn/1", "rn/2",
                     "ok/0", "ok/1"}  # fmt: skip


def test_first_steps_of_rarer_tools_are_repeated_towards_the_commonest():
    def ex(i, tool, step=0):
        completion = json.dumps({"selected_tool": tool})
        return {"id": f"t{i}/{step}", "trajectory": f"t{i}", "step": step, "completion": completion}

    examples = [ex(i, "search") for i in range(10)] + [ex(10 + i, "final") for i in range(3)]
    examples += [ex(20, "ask"), ex(0, "final", step=1), ex(1, "final", step=1)]
    balanced = balance_first_steps(examples, 3, seed=0)
    assert balanced[: len(examples)] == examples  # the originals first, in order
    firsts = Counter(_tool(e) for e in balanced if e["step"] == 0)
    assert firsts == {"search": 10, "final": 9, "ask": 3}  # 3 × their own count at most
    assert Counter(_tool(e) for e in balanced if e["step"] == 1) == {"final": 2}  # kept once
    assert len({e["id"] for e in balanced}) == len(balanced)  # repeats get their own ids
    assert balance_first_steps(examples, 1) == examples
    assert Counter(_tool(e) for e in balance_first_steps(examples, 4) if e["step"] == 0) == {
        "search": 10, "final": 10, "ask": 4,
    }  # fmt: skip
    with pytest.raises(ValueError, match="max_repeat"):
        balance_first_steps(examples, 0)


def test_plain_final_tasks_replace_the_teachers_final_wording_only():
    record = trajectory("t", n=3)
    record["steps"][-1]["plan"]["task"] = "Final answer: the teacher's own made-up answer."
    judgements = [{"id": "t", "status": "rated", "final_rating": 5}]
    examples = examples_from([record], judgements, plain_final_tasks=True)
    tasks = [json.loads(e["completion"])["task"] for e in examples]
    assert tasks == ["task 0", "task 1", LOOP_STOP_TASK]
    kept = examples_from([record], judgements)
    assert json.loads(kept[-1]["completion"])["task"].startswith("Final answer:")


def test_steps_echoing_the_field_descriptions_are_left_out():
    record = trajectory("t", n=4)
    echoed = (
        "The results so far give (Known): No previous steps. Then what is still missing to "
        "answer the request and the tool that gets it: a search for facts, the search_w"
    )
    record["steps"][0]["plan"]["thoughts"] = echoed
    record["steps"][1]["plan"]["task"] = PLAN_FIELD_DESCRIPTIONS["task"][:90]
    record["steps"][2]["plan"]["thoughts"] = "The results so far give us the year: 1921."
    judgements = [{"id": "t", "status": "rated", "final_rating": 5}]
    kept = examples_from([record], judgements, drop_echoes=True)
    assert [e["step"] for e in kept] == [2, 3]
    assert len(examples_from([record], judgements)) == 4
    assert echoes_descriptions(echoed)
    assert not echoes_descriptions("Known: nothing yet. Missing: the year, a fact: search.")
    # a copied final task is not an echo once plain_final_tasks rewrote it
    record["steps"][3]["plan"]["task"] = PLAN_FIELD_DESCRIPTIONS["task"]
    kept = examples_from([record], judgements, drop_echoes=True, plain_final_tasks=True)
    assert [e["step"] for e in kept] == [2, 3]
