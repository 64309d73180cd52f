"""Several tokens per forward pass vs one: the same planner steps and answers, side by side.

    python bench/decoding.py [--results FILE] [--limit 40] [--drafts 10]

Replays prompts of recorded agent runs (the ``ours`` trajectories of a ``bench/agents.py``
results file) through the default model: every planner step (the request and the steps before
it) and every final answer (the whole trajectory). Each prompt runs twice, in alternating order:
``draft_tokens=0`` (one token per forward pass: llama-cpp-python's own loop) and
``draft_tokens=N`` (forced and copied guesses evaluated with each chosen token). Every call starts
from the same context state (emptied; the system prompt from the prompt cache), so only the
decoding differs. Prints seconds, forward passes and tokens per call, the ratio, and how many
outputs are identical; writes ``decoding.md`` and ``.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = (
    Path(__file__).parent
    / "results"
    / "tool-calling"
    / "agents-qwen2.5-coder-1.5b-instruct-test-bind-tools.json"
)
MODEL = "qwen2.5-coder-1.5b-instruct"


def prompts(path: Path, limit: int) -> list[dict[str, Any]]:
    """Planner and answer prompts from the recorded ``ours`` trajectories."""
    report = json.loads(path.read_text())
    out: list[dict[str, Any]] = []
    for record in report["records"]:
        run = record.get("ours") or {}
        steps = [
            {"task": s["task"], "observation": s["observation"]}
            for s in run.get("trajectory", [])
            if s.get("tool") != "final_answer" and s.get("task")
        ]
        for i in range(len(steps) + 1):
            out.append({"role": "planner", "request": record["request"], "steps": steps[:i]})
        out.append({"role": "answer", "request": record["request"], "steps": steps})
    return out[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--drafts", type=int, default=10)
    parser.add_argument("--lookup", type=int, default=4, help="copied guesses per pass")
    parser.add_argument("--ngram", type=int, default=3, help="shortest tail looked up")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from langchain_gba import ChatLlamaCpp
    from langchain_gba.planner import ZeroShotPlanner
    from langchain_gba.prompts import format_context
    from langchain_gba.tools.final_answer import FinalAnswerTool
    from langchain_gba.tools.registry import load_tools

    tools = load_tools(["wikipedia", "calculator"])
    items = prompts(args.results, args.limit)
    routes = {}
    import langchain_gba.chat_models._decode as decode

    decode.LOOKUP_TOKENS, decode.LOOKUP_NGRAM = args.lookup, args.ngram
    for name, drafts in (("one per pass", 0), (f"{args.drafts} guesses per pass", args.drafts)):
        planner_model = ChatLlamaCpp(
            model=MODEL, repeat_penalty=1.1, context="planner", draft_tokens=drafts
        )
        answer_model = ChatLlamaCpp(model=MODEL, context="answer", draft_tokens=drafts)
        routes[name] = (ZeroShotPlanner(planner_model), FinalAnswerTool(llm=answer_model))
    rows: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        order = list(routes) if i % 2 == 0 else list(routes)[::-1]
        row: dict[str, Any] = {"role": item["role"], "request": item["request"]}
        for name in order:
            planner, answer = routes[name]
            model = planner.model if item["role"] == "planner" else answer.llm
            assert model is not None
            model.loaded.llama.reset()  # type: ignore[attr-defined]
            start = time.perf_counter()
            if item["role"] == "planner":
                output = planner.plan(item["request"], item["steps"], tools).model_dump_json()
            else:
                output = answer.invoke(
                    {
                        "request": item["request"],
                        "context": format_context(item["steps"]),
                        "task": "Answer the request.",
                    }
                )
            row[name] = {"seconds": time.perf_counter() - start, "output": output}
        row["same"] = len({row[name]["output"] for name in routes}) == 1
        rows.append(row)
        print(
            f"[{i + 1}/{len(items)}] {item['role']:<7} "
            + "  ".join(f"{name}: {row[name]['seconds']:.2f} s" for name in routes)
            + ("" if row["same"] else "  (outputs differ)"),
            flush=True,
        )
    names = list(routes)
    lines = [
        "# Several tokens per forward pass vs one",
        "",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}. Command: `python {' '.join(sys.argv)}`",
        "",
        f"Model {MODEL}; prompts from `{args.results.name}` (planner steps and final answers "
        "of the recorded `ours` runs); each call from the same emptied context, the two routes "
        "alternating.",
        "",
        f"| role | calls | {names[0]} s (median) | {names[1]} s (median) | ratio | "
        "identical outputs |",
        "|---|---|---|---|---|---|",
    ]
    for role in ("planner", "answer", None):
        group = [r for r in rows if role is None or r["role"] == role]
        if not group:
            continue
        slow = statistics.median(r[names[0]]["seconds"] for r in group)
        fast = statistics.median(r[names[1]]["seconds"] for r in group)
        total = sum(r[names[1]]["seconds"] for r in group) / sum(
            r[names[0]]["seconds"] for r in group
        )
        lines.append(
            f"| {role or 'all'} | {len(group)} | {slow:.2f} | {fast:.2f} | "
            f"{total:.2f}× (total) | {sum(r['same'] for r in group)}/{len(group)} |"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "decoding.md").write_text("\n".join(lines) + "\n")
    (args.out / "decoding.json").write_text(json.dumps(rows, indent=2, ensure_ascii=False))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
