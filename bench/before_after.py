"""Correct answers per request shape, one agent run against another on the same requests.

    python bench/before_after.py BEFORE.json AFTER.json [--verbose]

Both files are ``bench/agents.py`` results. The rows are the ``ours`` runs of BEFORE and every
agent of AFTER, over the requests both hold: correct answers per ``shape`` (multi-step
requests), answers with a number no step produced, steps and seconds (medians), step-limit hits.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

SHAPES = ("two_lookups_calc", "lookup_calc", "two_lookups", "ask_calc")
LABELS = {"ours": "step by step", "ahead": "plan ahead"}


def row(name: str, runs: list[dict[str, Any]]) -> str:
    """One table row: correct answers per shape, then the run's other figures."""
    cells = [name]
    for shape in SHAPES:
        group = [r for r in runs if r["shape"] == shape]
        cells.append(f"{sum(bool(r['answer_ok']) for r in group)}/{len(group)}")
    n = len(runs)
    cells += [
        f"{sum(bool(r['answer_ok']) for r in runs)}/{n}",
        f"{sum(bool(r.get('ungrounded')) for r in runs)}/{n}",
        f"{statistics.median(r['steps'] for r in runs):g}",
        f"{statistics.median(r['seconds'] for r in runs):.1f}",
        f"{sum(bool(r['step_limit']) for r in runs)}",
    ]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--verbose", action="store_true", help="every request's answers")
    args = parser.parse_args()
    before = {r["id"]: r for r in json.loads(args.before.read_text())["records"]}
    after = {r["id"]: r for r in json.loads(args.after.read_text())["records"]}
    ids = [i for i in after if i in before]
    header = ["agent", *SHAPES, "all", "ungrounded answers", "steps", "s / request", "step limit"]
    print(f"{len(ids)} requests\n")
    print("| " + " | ".join(header) + " |\n" + "|---" * len(header) + "|")
    print(row(f"before ({args.before.stem})", [{**before[i]["ours"], **before[i]} for i in ids]))
    for agent, label in LABELS.items():
        if all(agent in after[i] for i in ids):
            print(row(f"after, {label}", [{**after[i][agent], **after[i]} for i in ids]))
    if args.verbose:
        for i in ids:
            runs = {"before": before[i]["ours"]} | {a: after[i][a] for a in LABELS if a in after[i]}
            print(f"\n{i} (expected {after[i]['answer']})")
            for name, r in runs.items():
                tools = [t["tool"] for t in r["trajectory"]]
                print(f"  {name}: {'✓' if r['answer_ok'] else '✗'} {tools} {r['answer']!r}")


if __name__ == "__main__":
    main()
