"""What the planner's step format costs and what it buys: first-tool accuracy and time per step.

    python bench/planner_format.py [--model qwen2.5-coder-1.5b-instruct] [--split dev]

The zero-shot planner's first step on the labelled requests of ``bench/data/requests.jsonl``
(the ``dev`` split by default: the part prompts were tuned on), in each step format side by side,
one request at a time through every format (interleaved, so machine noise hits all alike):

- fields: ``PLAN_FIELDS`` (thoughts, selected_tool, task), without thoughts (selected_tool, task),
  and the research system's ``SEED_PLAN_FIELDS`` (context summary, thoughts, task, tool last);
- examples: the default prompt's ``PLANNER_EXAMPLES`` (example steps) or none;
- tool order in the prompt: as the agent lists them (the app's tools first, then ask_user and
  final_answer); sorting them by name (the seed's format) made no difference (16/35 both) and is
  no longer measured.

Per format: first tool right, generated tokens per step, seconds per step. Writes
``planner_format.md`` and ``.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent import tools as agent_tools  # bench/agent.py: the default tools, in the agent's order
from rich.console import Console
from rich.table import Table

from langchain_gba import ZeroShotPlanner
from langchain_gba.planner import PLAN_FIELDS, SEED_PLAN_FIELDS

DATA = Path(__file__).parent / "data" / "requests.jsonl"
console = Console()

FORMATS: dict[str, tuple[tuple[str, ...], bool]] = {
    "thoughts, tool, task; examples (default)": (PLAN_FIELDS, True),
    "thoughts, tool, task; no examples": (PLAN_FIELDS, False),
    "tool, task; no examples": (("selected_tool", "task"), False),
    "seed: summary, thoughts, task, tool; no examples": (SEED_PLAN_FIELDS, False),
}
"""Name -> (fields, show ``PLANNER_EXAMPLES``). The examples carry
``thoughts``, ``selected_tool`` and ``task`` only, so formats with other fields get none."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    parser.add_argument("--split", choices=["dev", "test", "all"], default="dev")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()

    items = [json.loads(x) for x in DATA.read_text().splitlines() if x.strip()]
    if args.split != "all":
        items = [x for x in items if x.get("split") == args.split]
    items = items[: args.limit] if args.limit else items
    tools = agent_tools()
    planners = {
        name: ZeroShotPlanner(args.model, fields=fields, examples=None if ex else ())
        for name, (fields, ex) in FORMATS.items()
    }
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in FORMATS}
    for i, item in enumerate(items):
        names = list(FORMATS) if i % 2 == 0 else list(FORMATS)[::-1]
        for name in names:
            planner = planners[name]
            start = time.perf_counter()
            step = planner.plan(item["request"], [], tools)
            seconds = time.perf_counter() - start
            text = json.dumps(step.model_dump(), ensure_ascii=False)
            tokens = len(planner.model.get_token_ids(text))  # type: ignore[attr-defined]
            results[name].append(
                {
                    "id": item["id"],
                    "kind": item["kind"],
                    "expected": item["first_tool"],
                    "tool": step.selected_tool,
                    "task": step.task,
                    "ok": step.selected_tool == item["first_tool"],
                    "tokens": tokens,
                    "seconds": seconds,
                }
            )
        console.print(
            f"[{i + 1}/{len(items)}] {item['id']:<28} "
            + " ".join(f"{r[-1]['tool']:<17}" for r in results.values())
        )
    rows = []
    for name, runs in results.items():
        ok = sum(r["ok"] for r in runs)
        rows.append(
            [
                name,
                f"{ok}/{len(runs)} ({ok / max(len(runs), 1):.0%})",
                f"{statistics.mean(r['tokens'] for r in runs):.0f}",
                f"{statistics.median(r['seconds'] for r in runs):.1f}",
            ]
        )
    header = ["step format", "first tool right", "tokens / step (mean)", "s / step (median)"]
    table = Table(title=f"Planner step formats, {args.model}, {args.split} split")
    for col in header:
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {platform.system()}",
        "model": args.model,
        "split": args.split,
        "results": results,
    }
    (args.out / "planner_format.json").write_text(json.dumps(report, indent=2))
    md = [
        "# Planner step formats",
        "",
        f"{report['date']}, `python bench/planner_format.py --model {args.model} "
        f"--split {args.split}`; first step of the zero-shot planner on {len(items)} requests.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]
    (args.out / "planner_format.md").write_text("\n".join(md))


if __name__ == "__main__":
    main()
