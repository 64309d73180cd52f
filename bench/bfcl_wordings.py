"""How well each wording of the fit question separates fitting from irrelevant BFCL requests.

    python bench/bfcl.py --model M --offset 150 --limit 20 --fit-threshold 0 --routes ours \\
        --categories simple_python multiple irrelevance live_simple live_multiple \\
        live_irrelevance --out runs/tune.json
    python bench/bfcl_wordings.py --model M runs/tune.json [runs/tune2.json ...]

The first run (tuning items, never the reported ones) writes every item's arguments with the
threshold at 0, so whether a call would have been right is known for each item. This script then
asks whether the function the run chose fits, in several ways (one forward pass each; where the
system prompt is the decision's own, its tokens are reused): each wording of the question
(``WORDINGS``, negated ones included), the same under other system prompts (``SYSTEMS``: one that
only decides, one with six worked yes/no examples), after the arguments are written
(``CALL_WORDINGS``: the call itself as JSON), and with a content-free task (contextual
calibration). Per probe or mean of probes it prints the AUC between fitting requests (the call
categories) and irrelevant ones, and the threshold with the best summed accuracy over the
categories (a call category counts an item right when the probability reaches the threshold and
the call was right; an irrelevance category when it does not); last, whether the call's required
values being in the task adds evidence to the shipped probability (two thresholds). ``shipped``
is the library's decision (``FUNCTION_FIT_QUESTIONS``, mean of its wordings).
Results are cached in ``<run>.wordings.json`` (resumable).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from statistics import fmean
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bfcl import load_items  # noqa: E402

from langchain_gba import ChatLlamaCpp  # noqa: E402
from langchain_gba.prompts import (  # noqa: E402
    FUNCTION_DECISION_SYSTEM,
    FUNCTION_FIT_QUESTIONS,
    format_parameters,
)
from langchain_gba.structured.choice import choice_probabilities  # noqa: E402
from langchain_gba.tools.function_calling import (  # noqa: E402
    YES_NO,
    decision_system,
    function_spec,
    grounded_arguments,
)

WORDINGS = {
    "does": (FUNCTION_FIT_QUESTIONS[0], "Yes"),
    "can": (FUNCTION_FIT_QUESTIONS[1], "Yes"),
    "right": (
        "Task: {task}\n\nIs {name} the right function for this task? Answer Yes or No.",
        "Yes",
    ),
    "about": ("Task: {task}\n\nIs this task about what {name} does? Answer Yes or No.", "Yes"),
    "outside": (
        "Task: {task}\n\nIs this task outside what {name} does? Answer Yes or No.",
        "No",
    ),
    "other": (
        "Task: {task}\n\nDoes this task need a function other than {name}? Answer Yes or No.",
        "No",
    ),
    "unrelated": ("Task: {task}\n\nIs {name} unrelated to this task? Answer Yes or No.", "No"),
    "does-explain": (
        "Task: {task}\n\nDoes calling {name} do what this task asks for? Answer Yes if it does, "
        "No if the task asks for something else.",
        "Yes",
    ),
    "can-explain": (
        "Task: {task}\n\nCan this task be done by calling {name}? Answer Yes if it can, No if "
        "the task asks for something else.",
        "Yes",
    ),
}
"""Each wording with the answer that means the function fits: a negated question ("No" fits)
cancels some of a model's leaning to "Yes" when averaged with a plain one."""

SYSTEMS = {
    "decide": """\
You decide whether calling a function does what a task asks for.
The function {name}: {description}
Its arguments:
{parameters}""",
    "examples": """\
A function does a task when calling it is what the task asks for, with values the task gives; it \
does not when the task asks for something else, even on the same subject. Examples:
- get_weather (the current weather in a city); task "Is it raining in Oslo?": Yes
- get_weather; task "What is the capital of Norway?": No
- send_email (sends an email); task "Mail Bob that I am late": Yes
- send_email; task "How many emails did I get today?": No
- convert_currency (converts an amount between currencies); task "What is 20 EUR in dollars?": Yes
- convert_currency; task "What is 15% of 80?": No

"""
    + FUNCTION_DECISION_SYSTEM,
}
"""Other system prompts for the decision (the shipped one, ``decision_system``, also frames the
arguments' step); each asked with the wordings in ``SYSTEM_WORDINGS``, as ``<wording>/<system>``."""

SYSTEM_WORDINGS = ("does", "can")

CALL_WORDINGS = {
    "verify": "Task: {task}\n\nThe call: {call}\n\nDoes this call do what the task asks for? "
    "Answer Yes or No.",
    "verify-can": "Task: {task}\n\nThe call: {call}\n\nCan this call do what the task asks "
    "for? Answer Yes or No.",
}
"""Asked after the arguments are written (the run's own, threshold 0): the call as JSON. For an
irrelevant task the arguments are made up, which may be plainer to see than the bare function."""

CONTENT_FREE = "N/A"
"""The task of the content-free probes (``<wording>@null``): how much the model says "Yes" for
this function whatever the task (contextual calibration, Zhao et al. 2021)."""

CALIBRATED = ("does", "can")
"""Wordings also asked with the content-free task; ``calibrated`` is the mean over them of
sigmoid(logit p(task) − logit p(content-free))."""

COMBINATIONS = {
    "shipped": ("does", "can"),
    "does+can+outside": ("does", "can", "outside"),
    "does+can+other": ("does", "can", "other"),
    "does+can+unrelated": ("does", "can", "unrelated"),
    "does+outside": ("does", "outside"),
    "can+other": ("can", "other"),
    "all": tuple(WORDINGS),
    "shipped-explain": ("does-explain", "can-explain"),
    "shipped/decide": ("does/decide", "can/decide"),
    "shipped/examples": ("does/examples", "can/examples"),
    "shipped+verify": ("does", "can", "verify"),
    "verify+verify-can": ("verify", "verify-can"),
    "shipped+both-verify": ("does", "can", "verify", "verify-can"),
}
"""Means of several wordings' probabilities that the function fits (``shipped``: the library's)."""


def p_fit(llm: ChatLlamaCpp, system: str, question: str, fits: str) -> float:
    messages = [("system", system), ("human", question)]
    return choice_probabilities(llm, messages, YES_NO)[fits]


def probe(llm: ChatLlamaCpp, run: dict[str, Any], cache: dict[str, Any], out: Path) -> None:
    meta = run["meta"]
    items = {it.id: it for it in load_items(meta["categories"], meta["limit"], meta["offset"])}
    for record in run["items"]:
        known = cache.get(record["id"], {}).get("p", {})
        needed = [
            *WORDINGS,
            *(f"{k}@null" for k in CALIBRATED),
            *(f"{k}/{s}" for s in SYSTEMS for k in SYSTEM_WORDINGS),
            *CALL_WORDINGS,
        ]
        if record["route"] == "ours" and record["id"] in cache:
            cache[record["id"]]["grounded"] = required_values_given(record, items[record["id"]])
        if record["route"] != "ours" or all(k in known for k in needed):
            continue
        try:
            chosen = json.loads(record["raw"])["function"]
        except (json.JSONDecodeError, KeyError):
            continue  # an invalid output: no function was chosen
        item = items[record["id"]]
        spec = function_spec(next(t for t in item.tools if t["name"] == chosen))
        system = decision_system(spec)
        p = dict(known)
        for key, (wording, fits) in WORDINGS.items():
            if key not in p:
                question = wording.format(task=item.request, name=spec["name"])
                p[key] = p_fit(llm, system, question, fits)
        for key in CALIBRATED:
            if f"{key}@null" not in p:
                wording, fits = WORDINGS[key]
                question = wording.format(task=CONTENT_FREE, name=spec["name"])
                p[f"{key}@null"] = p_fit(llm, system, question, fits)
        call = json.dumps(
            {"name": spec["name"], "arguments": json.loads(record["raw"]).get("arguments") or {}},
            ensure_ascii=False,
        )
        for key, wording in CALL_WORDINGS.items():
            if key not in p:
                question = wording.format(task=item.request, call=call)
                p[key] = p_fit(llm, system, question, "Yes")
        for name, template in SYSTEMS.items():
            other = template.format(
                name=spec["name"],
                description=" ".join(spec["description"].split()),
                parameters=format_parameters(spec["parameters"]),
            )
            for key in SYSTEM_WORDINGS:
                if f"{key}/{name}" not in p:
                    wording, fits = WORDINGS[key]
                    question = wording.format(task=item.request, name=spec["name"])
                    p[f"{key}/{name}"] = p_fit(llm, other, question, fits)
        cache[record["id"]] = {
            "category": record["category"],
            "right": bool(record["score"].get("valid")),
            "p": p,
            "grounded": required_values_given(record, item),
        }
        out.write_text(json.dumps(cache, indent=1))
    for row in cache.values():
        p = row["p"]
        for key, parts in COMBINATIONS.items():
            p[key] = fmean(p[k] for k in parts)
        p["calibrated"] = fmean(_sigmoid(_logit(p[k]) - _logit(p[f"{k}@null"])) for k in CALIBRATED)
        p["shipped+calibrated"] = fmean((p["shipped"], p["calibrated"]))


def required_values_given(record: dict[str, Any], item: Any) -> bool:
    """Whether the task gives every required value of the run's call (booleans aside): an
    irrelevant request's arguments are made up, so this is a second piece of evidence."""
    raw = json.loads(record["raw"])
    spec = next(t for t in item.tools if t["name"] == raw["function"])
    required = set(spec["parameters"].get("required") or ())
    arguments = {k: v for k, v in (raw.get("arguments") or {}).items() if k in required}
    return grounded_arguments(arguments, {"required": []}, item.request) == arguments


def two_thresholds(rows: list[dict[str, Any]], key: str) -> tuple[float, float, float]:
    """The best rule "call when p >= high, or p >= low and the required values are given"."""
    categories = sorted({r["category"] for r in rows})
    best = (-1.0, 0.0, 0.0)
    for low in range(40, 96):
        for high in range(low, 96):

            def calls(r: dict[str, Any], lo: int = low, hi: int = high) -> bool:
                return r["p"][key] >= hi / 100 or (r["p"][key] >= lo / 100 and r["grounded"])

            total = 0.0
            for c in categories:
                rs = [r for r in rows if r["category"] == c]
                right = [r["right"] if calls(r) else "irrelevance" in c for r in rs]
                total += sum(right) / len(rs)
            best = max(best, (total, low / 100, high / 100))
    return best


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


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
    for key in [*WORDINGS, *COMBINATIONS, "calibrated", "shipped+calibrated"]:
        total, t, accuracy = best_threshold(rows, key)
        cells = " ".join(f"{c} {a:.0%}" for c, a in accuracy.items())
        print(f"{key:18s} AUC {auc(rows, key):.3f}  best at {t:.2f}: sum {total:.2f} ({cells})")
    total, low, high = two_thresholds(rows, "shipped")
    print(
        f"shipped, with the required values given as evidence: best sum {total:.2f} "
        f"(call at {high:.2f}, or at {low:.2f} when the task gives every required value)"
    )


if __name__ == "__main__":
    main()
