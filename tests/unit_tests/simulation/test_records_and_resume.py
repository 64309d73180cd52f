"""JSONL records that survive crashes, and a run that resumes without loss or duplicates."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from simulation.models import ServerUnavailableError
from simulation.records import RecordFile, RecordFileError, read_jsonl, repair
from simulation.runner import RunLabels, run_requests

LABELS = RunLabels(planner="zero-shot", planner_model="m", tool_model="t", max_steps=3)


def lines(path):
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_repair_truncates_a_torn_last_line(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": "a"}\n{"id": "b"}\n{"id": "c", "req')
    assert repair(path) == len('{"id": "c", "req')
    assert path.read_text() == '{"id": "a"}\n{"id": "b"}\n'
    assert repair(path) == 0
    path.write_text('{"id": "torn, no newline at all')
    repair(path)
    assert path.read_text() == ""


def test_record_file_appends_durably_and_locks(tmp_path):
    path = tmp_path / "r.jsonl"
    with RecordFile(path) as out:
        out.append({"id": "a", "text": "é"})
        with pytest.raises(RecordFileError, match="Another process"):
            RecordFile(path).open()
    with RecordFile(path) as again:
        assert again.ids == {"a"}
        again.append({"id": "b"})
    assert [r["id"] for r in read_jsonl(path)] == ["a", "b"]


def test_a_corrupt_middle_line_is_named(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": "a"}\nnot json\n{"id": "b"}\n')
    with pytest.raises(RecordFileError, match=r"r\.jsonl:2"):
        read_jsonl(path)


class FakeAgent:
    """Answers each request after a short await; raises for chosen requests."""

    def __init__(self, fail=(), down=(), server_error_inside=()):
        self.fail, self.down, self.inside = set(fail), set(down), set(server_error_inside)
        self.calls = []
        self.in_flight = self.max_in_flight = 0

    async def ainvoke(self, input, config=None):
        request = input["request"]
        self.calls.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        if request in self.fail:
            raise ValueError("the tool exploded")
        if request in self.down:
            raise httpx.ConnectError("connection refused")
        step = {"task": "t", "tool": "search_wikipedia", "arguments": {"task": "t"},
                "observation": "fine", "error": False, "plan": {"task": "t"}}  # fmt: skip
        if request in self.inside:
            step = {**step, "error": True, "observation": "Error: APIConnectionError: refused"}
        return {"steps": [step], "answer": f"answer to {request}", "status": "answered"}


def requests(n):
    return [{"id": f"r{i}", "request": f"question {i}", "topic": "x"} for i in range(n)]


async def test_resume_repairs_and_skips_done_ids(tmp_path):
    path = tmp_path / "run.jsonl"
    done = [{"id": "r0", "status": "answered"}, {"id": "r3", "status": "answered"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in done) + '{"id": "r1", "sta')
    agent = FakeAgent(fail={"question 4"})
    report = await run_requests(requests(6), path, agent, LABELS, concurrency=2)
    records = lines(path)
    assert sorted(r["id"] for r in records) == [f"r{i}" for i in range(6)]  # each exactly once
    assert records[:2] == done  # what was there stays
    assert sorted(agent.calls) == ["question 1", "question 2", "question 4", "question 5"]
    assert agent.max_in_flight == 2
    failed = next(r for r in records if r["id"] == "r4")
    assert failed["status"] == "failed" and failed["error"] == "ValueError: the tool exploded"
    ok = next(r for r in records if r["id"] == "r5")
    assert ok["status"] == "answered" and ok["n_steps"] == 1 and ok["meta"] == {"topic": "x"}
    assert (report.written, report.skipped, report.failed) == (4, 2, 1)
    assert report.repaired_bytes == len('{"id": "r1", "sta')
    again = await run_requests(requests(6), path, FakeAgent(), LABELS, concurrency=2)
    assert again.written == 0 and len(lines(path)) == 6


@pytest.mark.parametrize("how", ["raised", "inside"])
async def test_a_server_that_goes_down_stops_the_run_and_loses_nothing(tmp_path, how):
    path = tmp_path / "run.jsonl"
    bad = (
        FakeAgent(down={"question 2"})
        if how == "raised"
        else FakeAgent(server_error_inside={"question 2"})
    )
    with pytest.raises(ServerUnavailableError, match="r2"):
        await run_requests(requests(4), path, bad, LABELS, concurrency=1)
    assert "r2" not in {r["id"] for r in lines(path)}  # not recorded as failed: redone later
    await run_requests(requests(4), path, FakeAgent(), LABELS, concurrency=3)
    assert sorted(r["id"] for r in lines(path)) == ["r0", "r1", "r2", "r3"]
