"""The agent's per-step cost as the trajectory grows, and the planner's tool-selection accuracy.

    python bench/agent.py [--steps 6] [--models NAME ...] [--out bench/results]

1. Prefix reuse. A 6-step trajectory is replayed into the zero-shot planner, one step more per
   call, in two configurations side by side: the planner in its own llama.cpp context (the
   default) and in the context the tools share, with a tool call between planner calls (what
   happens without a separate context). Per step: prompt tokens, prompt tokens actually
   evaluated, prompt-evaluation ms, and the whole planner call's ms; then the step-N / step-1
   ratios.
2. Tool selection. The zero-shot planner's first step on the labelled requests of
   ``bench/data/requests.jsonl`` (request -> the right first tool), per model, against the
   majority-class baseline. This is the baseline that fine-tuned planners are measured against.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import llama_cpp
from rich.console import Console
from rich.table import Table

from langchain_gba import ChatLlamaCpp
from langchain_gba.planner import ZeroShotPlanner
from langchain_gba.tools.ask_user import AskUserTool
from langchain_gba.tools.calculate import CalculatorTool
from langchain_gba.tools.final_answer import FinalAnswerTool

DATA = Path(__file__).parent / "data" / "requests.jsonl"
console = Console()

# Descriptions of the agent's default tools (the search tool's text, without loading its index).
WIKIPEDIA = (
    "search_wikipedia",
    "Search Wikipedia for facts about people, places, organisations, events, history, "
    "science and culture. Give the task in plain words.",
)


def tools() -> list[tuple[str, str]]:
    described = [WIKIPEDIA]
    for cls in (CalculatorTool, AskUserTool, FinalAnswerTool):
        fields = cls.model_fields
        described.append((fields["name"].default, fields["description"].default))
    return described


REQUEST = (
    "How many years passed between the publication of Nineteen Eighty-Four and the fall of "
    "the Berlin Wall, and what is that number times 12?"
)
TRAJECTORY = [
    (
        "Find the year Nineteen Eighty-Four was published.",
        "Nineteen Eighty-Four, a novel by George Orwell, was published on 8 June 1949. "
        "Sources: [1] Nineteen Eighty-Four (https://en.wikipedia.org/wiki/Nineteen_Eighty-Four)",
    ),
    (
        "Find the year the Berlin Wall fell.",
        "The Berlin Wall stood from 1961 to 1989; it fell on 9 November 1989. "
        "Sources: [1] Berlin Wall (https://en.wikipedia.org/wiki/Berlin_Wall)",
    ),
    ("Calculate 1989 - 1949.", "1989 - 1949 = 40"),
    ("Calculate 40 * 12.", "40 * 12 = 480"),
    (
        "Check who wrote Nineteen Eighty-Four.",
        "Nineteen Eighty-Four is a dystopian novel by English writer George Orwell. "
        "Sources: [1] Nineteen Eighty-Four (https://en.wikipedia.org/wiki/Nineteen_Eighty-Four)",
    ),
    ("Calculate 480 / 2.", "480 / 2 = 240"),
    ("Calculate 2026 - 1949.", "2026 - 1949 = 77"),
    ("Calculate 2026 - 1989.", "2026 - 1989 = 37"),
]


def perf(model: ChatLlamaCpp) -> tuple[int, float]:
    """Prompt tokens evaluated and their milliseconds, so far, in the model's context."""
    data = llama_cpp.llama_perf_context(model.loaded.llama._ctx.ctx)
    return int(data.n_p_eval), float(data.t_p_eval_ms)


def measured_plan(planner: ZeroShotPlanner, steps: list[dict[str, str]]) -> dict[str, float]:
    model = planner.model
    assert isinstance(model, ChatLlamaCpp)
    messages = planner.messages(REQUEST, steps, tools())
    prompt_tokens = len(model.get_token_ids(model.render_prompt(_as_messages(messages))))
    n0, t0 = perf(model)
    start = time.perf_counter()
    planner.plan(REQUEST, steps, tools())
    wall = (time.perf_counter() - start) * 1000
    n1, t1 = perf(model)
    return {"prompt": prompt_tokens, "evaluated": n1 - n0, "eval_ms": t1 - t0, "call_ms": wall}


def _as_messages(messages: list[tuple[str, str]]) -> list[Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    return [SystemMessage(t) if r == "system" else HumanMessage(t) for r, t in messages]


def prefix_reuse(model_name: str, n_steps: int) -> dict[str, list[dict[str, float]]]:
    shared = ChatLlamaCpp(model=model_name, max_tokens=1024, repeat_penalty=1.1)
    own = ZeroShotPlanner(shared)  # own_context=True: runs in the "planner" context
    same = ZeroShotPlanner(shared, own_context=False)
    tool_llm = ChatLlamaCpp(model=model_name, max_tokens=32)  # the tools' (shared) context
    # warm up both contexts on an unrelated prompt, so the first step is not a cold start
    for p in (own, same):
        p.model.invoke("Hello", max_tokens=1)
    results: dict[str, list[dict[str, float]]] = {"own context": [], "shared context": []}
    steps: list[dict[str, str]] = []
    for i in range(n_steps):
        results["own context"].append(measured_plan(own, steps))
        results["shared context"].append(measured_plan(same, steps))
        task, observation = TRAJECTORY[i % len(TRAJECTORY)]
        # a tool runs between planner calls, in the shared context (as in the agent)
        tool_llm.invoke(f"Summarize in five words: {observation}")
        steps.append({"task": task, "observation": observation})
    return results


def prefix_table(model_name: str, results: dict[str, list[dict[str, float]]]) -> Table:
    table = Table(title=f"Planner cost per step, {model_name} (zero-shot, greedy)")
    table.add_column("step", justify="right")
    for name in results:
        for col in ("prompt tok", "evaluated", "eval ms", "call ms"):
            table.add_column(f"{name}\n{col}", justify="right")
    n = len(next(iter(results.values())))
    for i in range(n):
        row = [str(i + 1)]
        for rows in results.values():
            r = rows[i]
            row += [
                f"{r['prompt']:.0f}",
                f"{r['evaluated']:.0f}",
                f"{r['eval_ms']:.0f}",
                f"{r['call_ms']:.0f}",
            ]
        table.add_row(*row)
    ratio = [f"step {n} / step 1"]
    for rows in results.values():
        first, last = rows[0], rows[-1]
        for key in ("prompt", "evaluated", "eval_ms", "call_ms"):
            ratio.append(f"{last[key] / max(first[key], 1e-9):.2f}x")
    table.add_row(*ratio, style="bold")
    return table


def tool_selection(model_name: str, requests: list[dict[str, Any]]) -> dict[str, Any]:
    planner = ZeroShotPlanner(ChatLlamaCpp(model=model_name, max_tokens=1024, repeat_penalty=1.1))
    chosen, seconds, errors = [], [], 0
    for item in requests:
        start = time.perf_counter()
        try:
            chosen.append(planner.plan(item["request"], [], tools()).selected_tool)
        except Exception as e:  # reported, not hidden
            errors += 1
            chosen.append(f"error: {type(e).__name__}")
        seconds.append(time.perf_counter() - start)
    expected = [r["first_tool"] for r in requests]
    correct = [c == e for c, e in zip(chosen, expected, strict=True)]
    by_tool = {
        tool: (
            sum(ok for ok, e in zip(correct, expected, strict=True) if e == tool),
            expected.count(tool),
        )
        for tool in sorted(set(expected))
    }
    return {
        "model": model_name,
        "accuracy": sum(correct) / len(correct),
        "by_tool": by_tool,
        "chosen": dict(Counter(chosen)),
        "errors": errors,
        "s_per_request": statistics.median(seconds),
        "items": [
            {"id": r["id"], "expected": e, "chosen": c}
            for r, e, c in zip(requests, expected, chosen, strict=True)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--models", nargs="+", default=["smollm2-135m-instruct", "gemma-3-270m"])
    parser.add_argument("--skip-prefix", action="store_true")
    parser.add_argument("--skip-selection", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    console.print(f"[dim]{platform.machine()}, {platform.python_version()}[/]")
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "prefix": {}, "selection": []}
    if not args.skip_prefix:
        for name in args.models:
            results = prefix_reuse(name, args.steps)
            report["prefix"][name] = results
            console.print(prefix_table(name, results))
    if not args.skip_selection:
        requests = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
        majority_tool, majority = Counter(r["first_tool"] for r in requests).most_common(1)[0]
        table = Table(title=f"Zero-shot first-tool accuracy ({len(requests)} labelled requests)")
        for col in ("planner", "accuracy", "per expected tool", "chosen", "s / request"):
            table.add_column(col)
        table.add_row(
            f"majority class ({majority_tool})", f"{majority / len(requests):.2f}", "", "", ""
        )
        for name in args.models:
            result = tool_selection(name, requests)
            report["selection"].append(result)
            per_tool = ", ".join(f"{t} {ok}/{n}" for t, (ok, n) in result["by_tool"].items())
            chosen = ", ".join(f"{t} {n}" for t, n in sorted(result["chosen"].items()))
            table.add_row(
                f"zero-shot {name}",
                f"{result['accuracy']:.2f}",
                per_tool,
                chosen,
                f"{result['s_per_request']:.1f}",
            )
        console.print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "agent.json").write_text(json.dumps(report, indent=2))
    console.print(f"[dim]raw results: {args.out / 'agent.json'}[/]")


if __name__ == "__main__":
    main()
