"""A shipped planner's adapter applied at run time against merged into its base, side by side.

For each recorded step of the fine-tuned planner in a distillation record (the request and the
steps before it), both models plan the step, in alternating order; prints planner seconds per
step for each, their ratio, and how often the merged model writes the same step (the same tool;
the same JSON). Run it with nothing else on the CPU::

    python bench/merged_lora.py --limit 30
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from langchain_gba.planner import FineTunedPlanner
from langchain_gba.planner.fine_tuned import DEFAULT_FINE_TUNED_PLANNER, fine_tuned_planner_model

HERE = Path(__file__).parent
TOOLS = [
    (name, name) for name in ("search_wikipedia", "calculate_number", "ask_user", "final_answer")
]
"""The agent's tools in bench/distill.py (a fine-tuned planner's prompt names none of them)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", default=str(HERE / "results" / "distill-test.json"))
    parser.add_argument("--row", default="smollm2-fine-tuned")
    parser.add_argument("--planner", default=DEFAULT_FINE_TUNED_PLANNER)
    parser.add_argument("--limit", type=int, default=30, help="requests")
    parser.add_argument("--out", default=str(HERE / "results" / "merged-lora.json"))
    args = parser.parse_args()

    records = json.loads(Path(args.records).read_text(encoding="utf-8"))["records"]
    cases = []
    for record in records[: args.limit]:
        steps = (record.get(args.row) or {}).get("trajectory") or []
        for k in range(len(steps)):
            cases.append((record["request"], steps[:k]))
    routes = {
        "adapter": FineTunedPlanner(fine_tuned_planner_model(args.planner, merge=False)),
        "merged": FineTunedPlanner(fine_tuned_planner_model(args.planner, merge=True)),
    }
    for planner in routes.values():  # load and warm up
        planner.plan(cases[0][0], [], TOOLS)
    seconds: dict[str, list[float]] = {name: [] for name in routes}
    outputs: dict[str, list[dict]] = {name: [] for name in routes}
    for i, (request, steps) in enumerate(cases):
        order = list(routes) if i % 2 == 0 else list(reversed(routes))
        for name in order:
            start = time.perf_counter()
            step = routes[name].plan(request, steps, TOOLS)
            seconds[name].append(time.perf_counter() - start)
            outputs[name].append(step.model_dump())
    same_tool = sum(
        a["selected_tool"] == b["selected_tool"]
        for a, b in zip(outputs["adapter"], outputs["merged"], strict=True)
    )
    same_step = sum(a == b for a, b in zip(outputs["adapter"], outputs["merged"], strict=True))
    mean = {name: statistics.mean(values) for name, values in seconds.items()}
    summary = {
        "steps": len(cases),
        "adapter_s_per_step": round(mean["adapter"], 3),
        "merged_s_per_step": round(mean["merged"], 3),
        "merged_over_adapter": round(mean["merged"] / mean["adapter"], 3),
        "same_tool": same_tool,
        "same_step": same_step,
    }
    print(f"{len(cases)} steps of {args.planner}, {min(args.limit, len(records))} requests")
    print("| planner model | s / step | × adapter | same tool | same step |")
    print("|---|---|---|---|---|")
    print(f"| base + adapter at run time | {mean['adapter']:.3f} | 1.00 | – | – |")
    print(
        f"| merged (Q8_0) | {mean['merged']:.3f} | {summary['merged_over_adapter']:.2f} | "
        f"{same_tool}/{len(cases)} | {same_step}/{len(cases)} |"
    )
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.processor() or platform.machine(),
        "command": f"python bench/merged_lora.py --limit {args.limit}",
        "summary": summary,
        "seconds": seconds,
        "outputs": outputs,
    }
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
