"""Raw llama.cpp speed of the planners' models on this machine: prompt and decode tokens/s.

    python bench/model_speed.py [--runs 3] [--decode 64]

What a planner's seconds per call are made of: the prompt evaluated and the tokens decoded. Each
model (an embedded model's name, or ``planner:NAME`` for a shipped fine-tuned planner, merged
into its base as ``FineTunedPlanner`` runs it) evaluates the same prompt from an empty context,
then decodes ``--decode`` tokens greedily (end of text suppressed). Runs are interleaved (each
round runs every model once), the median per model is reported with its ratio to the first
model's seconds per token. Writes ``model-speed.md`` and ``.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MODELS = (
    "qwen2.5-coder-1.5b-instruct",
    "qwen2.5-coder-0.5b-instruct",
    "planner:qwen-0.5b-plans",
    "smollm2-135m-instruct",
    "planner:smollm2-135m-plans",
)


def model_path(spec: str) -> Path:
    """The GGUF file a model spec runs: an embedded model, or a shipped planner merged."""
    from langchain_gba.models import resolve_model_path

    if not spec.startswith("planner:"):
        return resolve_model_path(spec)
    from langchain_gba.planner.fine_tuned import shipped_planners
    from langchain_gba.planner.merge import merged_model_path

    shipped = shipped_planners()[spec.removeprefix("planner:")]
    return merged_model_path(resolve_model_path(shipped.base_model), shipped.adapter)


def prompt_text() -> str:
    """A planner-sized prompt: the agent's planner system prompt and a request."""
    from langchain_gba import prompts

    return (
        prompts.PLAN_AHEAD_SYSTEM
        + "\n\nRequest: How many times longer is the Nile than the Danube?"
    )


def measure(llm: Any, tokens: list[int], decode: int) -> dict[str, float]:
    """Seconds to evaluate ``tokens`` from an empty context, then to decode ``decode`` tokens."""
    import numpy as np
    from llama_cpp import llama_get_logits_ith

    llm.reset()
    start = time.perf_counter()
    llm.eval(tokens)
    prompt_s = time.perf_counter() - start
    eos = llm.token_eos()
    start = time.perf_counter()
    for _ in range(decode):
        logits = np.array(
            np.ctypeslib.as_array(llama_get_logits_ith(llm.ctx, -1), shape=(llm.n_vocab(),))
        )
        logits[eos] = -np.inf
        token = int(logits.argmax())
        llm.eval([token])
    decode_s = time.perf_counter() - start
    return {
        "prompt_tokens": len(tokens),
        "prompt_tok_s": len(tokens) / prompt_s,
        "decode_tok_s": decode / decode_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated specs")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--decode", type=int, default=64)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "speed")
    args = parser.parse_args()
    from llama_cpp import Llama

    specs = args.models.split(",")
    llms, paths = {}, {spec: model_path(spec) for spec in specs}
    for spec, path in paths.items():
        llms[spec] = Llama(str(path), n_ctx=2048, n_threads=args.threads, verbose=False)
        print(f"{spec}: {path.name} ({path.stat().st_size / 1e6:.0f} MB)", file=sys.stderr)
    text = prompt_text()
    runs: dict[str, list[dict[str, float]]] = {spec: [] for spec in specs}
    for _ in range(args.runs):
        for spec in specs:
            tokens = llms[spec].tokenize(text.encode())
            runs[spec].append(measure(llms[spec], tokens, args.decode))
    rows = []
    for spec in specs:
        row = {
            "model": spec,
            "file_mb": round(paths[spec].stat().st_size / 1e6),
            "prompt_tokens": runs[spec][0]["prompt_tokens"],
            "prompt_tok_s": statistics.median(r["prompt_tok_s"] for r in runs[spec]),
            "decode_tok_s": statistics.median(r["decode_tok_s"] for r in runs[spec]),
        }
        rows.append(row)
    first = rows[0]["decode_tok_s"]
    lines = [
        f"# Model speed — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{args.threads} threads, median of {args.runs}",
        "",
        "| model | file MB | prompt tokens | prompt tok/s | decode tok/s | s/token vs first |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        row["decode_time_ratio"] = first / row["decode_tok_s"]
        lines.append(
            f"| {row['model']} | {row['file_mb']} | {row['prompt_tokens']} | "
            f"{row['prompt_tok_s']:.0f} | {row['decode_tok_s']:.1f} | "
            f"{row['decode_time_ratio']:.2f}× |"
        )
    report = "\n".join(lines) + "\n"
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "model-speed.md").write_text(report, encoding="utf-8")
    (args.out / "model-speed.json").write_text(
        json.dumps({"command": " ".join(sys.argv), "rows": rows, "runs": runs}, indent=1),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
