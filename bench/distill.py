"""Distillation: the agent with its planner swapped, all else equal, on the labelled requests.

Rows (``--planners``, any of):

- ``smollm2-zero-shot``: ``ZeroShotPlanner("smollm2-135m-instruct")``
- ``smollm2-fine-tuned``: ``FineTunedPlanner()``, the shipped LoRA adapter merged into
  SmolLM2-135M (``--adapter-planner NAME`` for another shipped one, ``--fine-tuned-gguf FILE`` for
  a merged GGUF of your own)
- ``smollm2-fine-tuned-adapter``: the same planner with its adapter applied at run time (not
  merged), to measure what merging changes
- ``qwen-0.5b-zero-shot``: ``ZeroShotPlanner("qwen2.5-coder-0.5b-instruct")``
- ``qwen-1.5b-zero-shot``: ``ZeroShotPlanner("qwen2.5-coder-1.5b-instruct")``, the teacher
  (without the hints it recorded with)
- ``smollm2-candidate``: ``FineTunedPlanner`` with the LoRA adapter ``--candidate`` (a ``.gguf``
  with its card ``.json`` beside it, as ``finetune export-lora`` writes them), to compare a new
  training with the shipped one before shipping it
- ``qwen-1.5b-server``: the teacher's row on a llama.cpp server, as the README's "Scale out"
  recipe builds it: llama.cpp's C++ ``llama-server`` (``scripts/build_llama_server.sh``, 2 slots)
  serving the same GGUF, and ``ChatLlamaServer`` for the planner
  (``ZeroShotPlanner(remote)``), function calling and the tools' model: every structured output
  goes to the server as a GBNF grammar (``to_gbnf``), where the other rows use llguidance
  in-process; what an app that scales out gets
- ``baseline``: the one-call pipeline (the request handed to the labelled first tool; lookups and
  calculations only), for the time ratio on single lookups

The tools (Wikipedia search over the shipped index, the calculator, ask_user answered by the
benchmark's simulated user) and function calling run on the 1.5B model for every row. Requests
are interleaved: each request runs every row before the next one (the row order alternates), so
the machine's load drifts alike for all, and the kinds of request take turns, so a run stopped
early (``--resume`` continues it) has covered every kind alike. Planner seconds per step are
the time inside the planner's ``plan`` calls.

Writes ``distill-<split>.json`` (per-request raw results, rewritten after every request;
``--resume`` continues it: the requests not run yet, and the rows asked for that a request's
record lacks, so a row can be added to a finished run) and ``distill-<split>.md`` to ``--out``.

    python bench/distill.py --split test
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import agents as bench  # noqa: E402  (bench/agents.py: user, answer checks, one-call baseline)

TOOL_MODEL = "qwen2.5-coder-1.5b-instruct"
ROWS = (
    "smollm2-zero-shot",
    "smollm2-fine-tuned",
    "smollm2-fine-tuned-adapter",
    "qwen-0.5b-zero-shot",
    "qwen-1.5b-zero-shot",
    "smollm2-candidate",
    "qwen-1.5b-server",
    "baseline",
)


def make_planner(row: str, args: argparse.Namespace) -> Any:
    from langchain_gba.planner import FineTunedPlanner, ZeroShotPlanner

    if row == "smollm2-zero-shot":
        return ZeroShotPlanner("smollm2-135m-instruct")
    if row == "smollm2-fine-tuned":
        if args.fine_tuned_gguf:
            return FineTunedPlanner(args.fine_tuned_gguf, plans_ahead=args.plans_ahead)
        return FineTunedPlanner(args.adapter_planner)
    from langchain_gba.planner.fine_tuned import (
        DEFAULT_FINE_TUNED_PLANNER,
        fine_tuned_planner_model,
    )

    if row == "smollm2-fine-tuned-adapter":
        name = args.adapter_planner or DEFAULT_FINE_TUNED_PLANNER
        return FineTunedPlanner(fine_tuned_planner_model(name, merge=False))
    if row == "smollm2-candidate":
        if not args.candidate:
            raise SystemExit("the smollm2-candidate row needs --candidate ADAPTER.gguf")
        path = Path(args.candidate)
        card = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        return FineTunedPlanner(
            fine_tuned_planner_model(path.stem, directory=path.parent),
            plans_ahead=card.get("format") == "ahead",
        )
    if row == "qwen-0.5b-zero-shot":
        return ZeroShotPlanner("qwen2.5-coder-0.5b-instruct")
    if row == "qwen-1.5b-zero-shot":
        return ZeroShotPlanner("qwen2.5-coder-1.5b-instruct")
    raise ValueError(f"unknown row {row!r}; choose from {', '.join(ROWS)}")


def timed(planner: Any, seconds: list[float]) -> Any:
    """Record the seconds of each ``plan`` and ``plan_ahead`` call of ``planner`` in ``seconds``
    (a planner call: one step, or a whole plan)."""

    def wrap(call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return call(*a, **k)
            finally:
                seconds.append(time.perf_counter() - t0)

        return wrapper

    planner.plan = wrap(planner.plan)
    planner.plan_ahead = wrap(planner.plan_ahead)
    return planner


def agent_tools(llm: Any, user: bench.SimulatedUser, *, internet: bool) -> list[Any]:
    """Wikipedia, the calculator and ask_user (answered by ``user``) on ``llm``; with
    ``internet``, the five-tool set: search_internet as its simulated twin (no network)."""
    from langchain_gba.tools.ask_user import AskUserTool
    from langchain_gba.tools.registry import load_tools

    tools = [*load_tools(["wikipedia", "calculator"], llm=llm), AskUserTool(ask=user)]
    if internet:
        from langchain_gba.simulated import simulated_environment

        web = load_tools(["internet"], llm=llm)
        tools[2:2] = simulated_environment(web, llm, user=False, keep_real=())
    return tools


def build(rows: list[str], args: argparse.Namespace) -> dict[str, Any]:
    from langchain_gba import ChatLlamaCpp, create_gba_agent

    user = bench.SimulatedUser()
    llm = ChatLlamaCpp(model=TOOL_MODEL, max_tokens=256)
    tools = agent_tools(llm, user, internet=args.internet)
    tools[0].retrieve("Eiffel Tower")  # load the search index outside the timings
    llm.invoke("Hello", max_tokens=1)
    built: dict[str, Any] = {
        "user": user,
        "tools": {t.name: t for t in tools},
        "planner_s": {},
        "shared": llm,  # its cache is cleared before each row: see run_row
    }
    for row in rows:
        if row == "baseline":
            continue
        if row == "qwen-1.5b-server":
            built["planner_s"][row] = []
            built[row] = server_agent(user, args, built["planner_s"][row])
            continue
        seconds: list[float] = []
        planner = timed(make_planner(row, args), seconds)
        planner.model.invoke("Hello", max_tokens=1)  # loaded outside the timings
        built["planner_s"][row] = seconds
        built[row] = create_gba_agent(
            tools, planner=planner, function_calling_model=llm, max_steps=args.max_steps,
            ask_user=False, facts_before_calculation=not args.calculate_before_facts,
        )  # fmt: skip
    return built


def server_agent(user: bench.SimulatedUser, args: argparse.Namespace, seconds: list[float]) -> Any:
    """The default agent on a llama.cpp server (the ``qwen-1.5b-server`` row), stopped at exit.

    Two slots, so that the planner's prompt and the tools' prompts each keep one (the server
    gives a request the slot whose cached prompt it shares most of).
    """
    import atexit

    from langchain_gba import create_gba_agent
    from langchain_gba.chat_models import ChatLlamaServer
    from langchain_gba.planner import ZeroShotPlanner
    from langchain_gba.server import LlamaServer

    server = LlamaServer(TOOL_MODEL, binary="llama-server", n_ctx=8192, parallel=2)
    server.start()
    atexit.register(server.stop)
    remote = ChatLlamaServer(base_url=server.base_url, model=TOOL_MODEL, max_tokens=256)
    tools = agent_tools(remote, user, internet=args.internet)
    remote.invoke("Hello", max_tokens=1)
    planner = timed(ZeroShotPlanner(remote), seconds)
    return create_gba_agent(
        tools, planner=planner, function_calling_model=remote, max_steps=args.max_steps,
        ask_user=False, facts_before_calculation=not args.calculate_before_facts,
    )  # fmt: skip


def run_row(row: str, built: dict[str, Any], item: dict[str, Any], max_steps: int) -> Any:
    user: bench.SimulatedUser = built["user"]
    # Rows run the same request one after another: the tools' shared context would still hold
    # the previous row's search prompt (the same passages) and make this row's search nearly free.
    # No user asks the same thing twice in a row, so each row starts from an empty cache there.
    built["shared"].loaded.llama.reset()
    user.start(item["id"], item.get("profile"))
    seconds = built["planner_s"].get(row)
    before = len(seconds) if seconds is not None else 0
    start = time.perf_counter()
    try:
        if row == "baseline":
            result = bench.run_baseline(built["tools"], item)
        else:
            result = bench.run_ours(built[row], item["request"], max_steps)
        result["crash"] = None
    except bench.NotApplicable:
        return None
    except Exception as e:  # reported, not hidden
        crash = f"{type(e).__name__}: {e}"
        result = {"steps": 0, "first_tool": "none", "completed": False, "status": "crashed",
                  "answer": None, "trajectory": [], "crash": crash}  # fmt: skip
    result["seconds"] = time.perf_counter() - start
    result["planner_seconds"] = list(seconds[before:]) if seconds is not None else []
    result["first_tool_ok"] = result["first_tool"] == item["first_tool"]
    result["answer_ok"] = bench.answer_matches(
        item.get("answer"), result["answer"], item["request"]
    )
    return result


def summary(records: list[dict[str, Any]], row: str) -> dict[str, Any]:
    runs = [r[row] for r in records if row in r]
    planner_s = [s for r in runs for s in r["planner_seconds"]]
    lookups = [r[row]["seconds"] for r in records if row in r and r["kind"] == "lookup"]
    return {
        "runs": len(runs),
        "first_tool_ok": sum(r["first_tool_ok"] for r in runs),
        "answer_ok": sum(bool(r["answer_ok"]) for r in runs),
        "labelled": sum(1 for r in records if row in r and r.get("answer")),
        "completed": sum(bool(r["completed"]) for r in runs),
        "crashes": sum(bool(r["crash"]) for r in runs),
        "steps_mean": statistics.mean(r["steps"] for r in runs) if runs else 0.0,
        "planner_s_per_step": statistics.mean(planner_s) if planner_s else 0.0,
        "median_s": statistics.median(r["seconds"] for r in runs) if runs else 0.0,
        "lookup_mean_s": statistics.mean(lookups) if lookups else None,
        "first_tool_by_tool": {
            tool: [
                sum(
                    r[row]["first_tool_ok"] for r in records if row in r and r["first_tool"] == tool
                ),
                sum(1 for r in records if row in r and r["first_tool"] == tool),
            ]
            for tool in sorted({r["first_tool"] for r in records})
        },
        "planner_s_per_request": (
            statistics.mean(sum(r["planner_seconds"]) for r in runs) if runs else 0.0
        ),
        "by_kind": {  # over the requests with a labelled answer
            kind: [
                sum(bool(r[row]["answer_ok"]) for r in labelled),
                len(labelled),
            ]
            for kind in sorted({r["kind"] for r in records})
            for labelled in [
                [r for r in records if row in r and r["kind"] == kind and r.get("answer")]
            ]
        },
    }


def report_md(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = [
        f"# Planners on the labelled requests ({report['split']} split)",
        "",
        f"{report['date']}; `{report['command']}`; {report['machine']}. Tools and function "
        f"calling on {TOOL_MODEL} for every row; max {report['max_steps']} steps.",
        "",
        "| planner | first tool right | final answer correct | completed | steps (mean) | "
        "planner s/call | planner s/request | s/request (median) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row, m in s.items():
        n = m["runs"]
        if row == "baseline":
            lines.append(f"| one-call baseline | – | {m['answer_ok']}/{n} | – | 1 | – | – | "
                         f"{m['median_s']:.1f} |")  # fmt: skip
            continue
        lines.append(
            f"| {row} | {m['first_tool_ok']}/{n} | {m['answer_ok']}/{m.get('labelled', n)} | "
            f"{m['completed']}/{n} | "
            f"{m['steps_mean']:.1f} | {m['planner_s_per_step']:.2f} | "
            f"{m.get('planner_s_per_request', 0.0):.2f} | {m['median_s']:.1f} |"
        )
    kinds = sorted({k for m in s.values() for k in m["by_kind"]})
    head = "| planner | " + " | ".join(kinds) + " |"
    lines += ["", "Correct answers by kind:", "", head, "|---" * (len(kinds) + 1) + "|"]
    for row, m in s.items():
        cells = [f"{a}/{n}" if n else "–" for a, n in (m["by_kind"].get(k, [0, 0]) for k in kinds)]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    tools = sorted({t for m in s.values() for t in m.get("first_tool_by_tool", {})})
    head = "| planner | " + " | ".join(tools) + " |"
    lines += ["", "First tool right, by the tool the request needs first:", "", head,
              "|---" * (len(tools) + 1) + "|"]  # fmt: skip
    for row, m in s.items():
        if row == "baseline":
            continue
        by_tool = m.get("first_tool_by_tool", {})
        cells = [f"{a}/{n}" if n else "–" for a, n in (by_tool.get(t, [0, 0]) for t in tools)]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    base = s.get("baseline", {}).get("lookup_mean_s")
    if base:
        lines += ["", f"Single lookups, mean seconds per request (one-call baseline {base:.1f} s):",
                  ""]  # fmt: skip
        for row, m in s.items():
            if row != "baseline" and m["lookup_mean_s"]:
                lines.append(
                    f"- {row}: {m['lookup_mean_s']:.1f} s ({m['lookup_mean_s'] / base:.1f}×)"
                )
    return "\n".join(lines) + "\n"


def interleave_kinds(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items with their kinds taken in turn (each kind's own order kept): a run stopped
    early, or resumed over days, has covered every kind alike."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_kind.setdefault(item["kind"], []).append(item)
    queues = list(by_kind.values())
    out = []
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--planners", default=",".join(ROWS), help="comma-separated rows")
    parser.add_argument("--split", choices=["dev", "test", "all"], default="test")
    parser.add_argument("--kinds", default=None, help="comma-separated request kinds only")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--max-steps", type=int, default=10)
    parser.add_argument("--adapter-planner", default=None, help="a shipped planner's name")
    parser.add_argument("--fine-tuned-gguf", default=None, help="a fine-tuned GGUF instead")
    parser.add_argument("--candidate", default=None, help="LoRA adapter .gguf (with its .json)")
    parser.add_argument(
        "--plans-ahead", action="store_true", help="--fine-tuned-gguf was trained on plans"
    )
    parser.add_argument(
        "--internet", action="store_true",
        help="add search_internet (its simulated twin on the tool model): the five-tool set",
    )  # fmt: skip
    parser.add_argument(
        "--calculate-before-facts", action="store_true",
        help="facts_before_calculation=False: a refused calculation may be planned again",
    )  # fmt: skip
    parser.add_argument("--requests", type=Path, default=bench.DATA)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = [r for r in ROWS if r in args.planners.split(",")]
    items = [json.loads(x) for x in args.requests.read_text().splitlines() if x.strip()]
    items = [x for x in items if args.split == "all" or x.get("split") == args.split]
    if args.kinds:
        items = [x for x in items if x["kind"] in args.kinds.split(",")]
    items = interleave_kinds(items)
    items = items[: args.limit] if args.limit else items
    saved = args.out / f"distill-{args.split}.json"
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(shlex.quote(a) for a in ["python", *sys.argv]),
        "machine": bench.machine(),
        "split": args.split,
        "max_steps": args.max_steps,
        "rows": rows,
        "records": [],
    }
    if args.resume and saved.exists():
        previous = json.loads(saved.read_text())
        report["records"] = previous["records"]
        report["date"] = f"{previous['date']} – {report['date']}"
        report["command"] = f"{previous['command']} (then {report['command']})"
        report["rows"] = [*previous["rows"], *(r for r in rows if r not in previous["rows"])]
    done = {r["id"]: r for r in report["records"]}
    built = build(rows, args)
    for i, item in enumerate(items):
        record = done.get(item["id"])
        if record is None:
            record = {k: item.get(k) for k in ("id", "request", "first_tool", "answer", "kind")}
            report["records"].append(record)
        ran = False
        for row in (r for r in (rows if i % 2 == 0 else rows[::-1]) if r not in record):
            result = run_row(row, built, item, args.max_steps)
            if result is None:  # the baseline has no tool for this kind: nothing ran
                continue
            record[row] = result
            ran = True
            mark = {True: "✓", False: "✗", None: " "}[result["answer_ok"]]
            answer = " ".join((result["answer"] or "").split())[:60]
            print(f"[{i + 1}/{len(items)}] {item['id']:<18} {row:<20} {result['seconds']:6.1f} s "
                  f"first={result['first_tool']:<16} {mark} {answer!r}", flush=True)  # fmt: skip
        if not ran:
            continue
        report["summary"] = {row: summary(report["records"], row) for row in report["rows"]}
        args.out.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(report, indent=2, ensure_ascii=False))
        saved.with_suffix(".md").write_text(report_md(report))  # so far: a run may stop anywhere
    print(report_md(report))


if __name__ == "__main__":
    main()
