"""Before/after on the same held-out multi-step requests: correct answers per shape, per agent."""

import json
import statistics
import sys
from pathlib import Path

before = json.load(
    open(Path(__file__).parent / "agents-qwen2.5-coder-1.5b-instruct-test-before.json")
)
after = json.load(
    open(
        sys.argv[1]
        if len(sys.argv) > 1
        else Path(__file__).parent / "agents-qwen2.5-coder-1.5b-instruct-test-after.json"
    )
)
b = {r["id"]: r for r in before["records"]}
a = {r["id"]: r for r in after["records"]}
ids = [i for i in a if i in b]
rows = {"before (1be66b4)": [b[i]["ours"] | {"shape": b[i]["shape"]} for i in ids]}
for agent in ("ours", "ahead"):
    if all(agent in a[i] for i in ids):
        rows[{"ours": "after, step by step", "ahead": "after, plan ahead"}[agent]] = [
            a[i][agent] | {"shape": a[i]["shape"]} for i in ids
        ]
shapes = ["two_lookups_calc", "lookup_calc", "two_lookups", "ask_calc"]
print(f"n={len(ids)}")
print(
    "| agent | "
    + " | ".join(shapes)
    + " | all | ungrounded answers | steps (median) | s / request (median) | step-limit hits |"
)
print("|---" * (len(shapes) + 6) + "|")
for name, runs in rows.items():
    cells = []
    for sh in shapes:
        g = [r for r in runs if r["shape"] == sh]
        cells.append(f"{sum(bool(r['answer_ok']) for r in g)}/{len(g)}")
    ok = sum(bool(r["answer_ok"]) for r in runs)
    ung = sum(bool(r.get("ungrounded")) for r in runs)
    print(
        f"| {name} | "
        + " | ".join(cells)
        + f" | {ok}/{len(runs)} | {ung}/{len(runs)} | {statistics.median(r['steps'] for r in runs):g} | {statistics.median(r['seconds'] for r in runs):.1f} | {sum(bool(r['step_limit']) for r in runs)} |"
    )
if "-v" in sys.argv:
    for i in ids:
        print(
            i,
            "before",
            b[i]["ours"]["answer_ok"],
            {
                k: (
                    a[i][k]["answer_ok"],
                    [t["tool"] for t in a[i][k]["trajectory"]],
                    (a[i][k]["answer"] or "")[:100],
                )
                for k in ("ours", "ahead")
                if k in a[i]
            },
        )
