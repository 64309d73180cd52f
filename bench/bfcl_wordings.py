"""How well each wording of the fit question separates fitting from irrelevant BFCL requests.

    python bench/bfcl.py --model M --offset 150 --limit 20 --fit-threshold 0 --routes ours \\
        --categories simple_python multiple irrelevance live_simple live_multiple \\
        live_irrelevance --out runs/tune.json
    python bench/bfcl_wordings.py --model M runs/tune.json [runs/tune2.json ...]

The first run (tuning items, never the reported ones) writes every item's arguments with the
threshold at 0, so whether a call would have been right is known for each item. This script then
asks the fit question of the function the run chose, in each wording below (one forward pass
each; the system prompt is the decision's own, so its tokens are reused), and prints per wording:
the AUC between fitting requests (the call categories) and irrelevant ones, and the threshold with
the best summed accuracy over the categories (a call category counts an item right when the
probability reaches the threshold and the call was right; an irrelevance category when it does
not). ``shipped`` is the library's decision (``FUNCTION_FIT_QUESTIONS``, mean of its wordings).
Results are cached in ``<run>.wordings.json`` (resumable).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from statistics import fmean
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bfcl import load_items  # noqa: E402

from langchain_gba import ChatLlamaCpp  # noqa: E402
from langchain_gba.prompts import FUNCTION_FIT_QUESTIONS  # noqa: E402
from langchain_gba.structured.choice import choice_probabilities  # noqa: E402
from langchain_gba.tools.function_calling import (  # noqa: E402
    YES_NO,
    decision_system,
    function_spec,
)

WORDINGS = {
    "does": FUNCTION_FIT_QUESTIONS[0],
    "can": FUNCTION_FIT_QUESTIONS[1],
    "right": "Task: {task}\n\nIs {name} the right function for this task? Answer Yes or No.",
    "about": "Task: {task}\n\nIs this task about what {name} does? Answer Yes or No.",
}


def p_yes(llm: ChatLlamaCpp, system: str, question: str) -> float:
    messages = [("system", system), ("human", question)]
    return choice_probabilities(llm, messages, YES_NO)[YES_NO[0]]


def probe(llm: ChatLlamaCpp, run: dict[str, Any], cache: dict[str, Any], out: Path) -> None:
    meta = run["meta"]
    items = {it.id: it for it in load_items(meta["categories"], meta["limit"], meta["offset"])}
    for record in run["items"]:
        if record["route"] != "ours" or record["id"] in cache:
            continue
        try:
            chosen = json.loads(record["raw"])["function"]
        except (json.JSONDecodeError, KeyError):
            continue  # an invalid output: no function was chosen
        item = items[record["id"]]
        spec = function_spec(next(t for t in item.tools if t["name"] == chosen))
        system = decision_system(spec)
        p = {
            k: p_yes(llm, system, w.format(task=item.request, name=spec["name"]))
            for k, w in WORDINGS.items()
        }
        p["shipped"] = fmean(p[k] for k in ("does", "can"))
        cache[record["id"]] = {
            "category": record["category"],
            "right": bool(record["score"].get("valid")),
            "p": p,
        }
        out.write_text(json.dumps(cache, indent=1))


def auc(rows: list[dict[str, Any]], key: str) -> float:
    fit = [r["p"][key] for r in rows if "irrelevance" not in r["category"]]
    unfit = [r["p"][key] for r in rows if "irrelevance" in r["category"]]
    pairs = sum((a > b) + 0.5 * (a == b) for a in fit for b in unfit)
    return pairs / max(1, len(fit) * len(unfit))


def best_threshold(rows: list[dict[str, Any]], key: str) -> tuple[float, float, dict[str, float]]:
    categories = sorted({r["category"] for r in rows})
    best: tuple[float, float, dict[str, float]] = (-1.0, 0.0, {})
    for step in range(5, 100):
        t = step / 100
        accuracy = {}
        for c in categories:
            rs = [r for r in rows if r["category"] == c]
            right = [("irrelevance" in c) if r["p"][key] < t else r["right"] for r in rs]
            accuracy[c] = sum(right) / len(rs)
        total = sum(accuracy.values())
        if total > best[0]:
            best = (total, t, accuracy)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="bench/bfcl.py --fit-threshold 0 runs")
    parser.add_argument("--model", required=True)
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    llm: ChatLlamaCpp | None = None
    for path in args.runs:
        run = json.loads(path.read_text())
        if run["meta"]["model"] != args.model:
            parser.error(f"{path} was run with {run['meta']['model']}, not {args.model}")
        out = path.with_suffix(".wordings.json")
        cache = json.loads(out.read_text()) if out.exists() else {}
        if llm is None:
            llm = ChatLlamaCpp(model=args.model, max_tokens=4)
        probe(llm, run, cache, out)
        rows += cache.values()
    print(f"{args.model}: {len(rows)} tuning items")
    for key in [*WORDINGS, "shipped"]:
        total, t, accuracy = best_threshold(rows, key)
        cells = " ".join(f"{c} {a:.0%}" for c, a in accuracy.items())
        print(f"{key:8s} AUC {auc(rows, key):.3f}  best at {t:.2f}: sum {total:.2f} ({cells})")


if __name__ == "__main__":
    main()
