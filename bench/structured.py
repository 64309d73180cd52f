"""Constrained vs free decoding on the embedded models, side by side in one run.

    python bench/structured.py [--runs 3] [--tokens 96] [--models NAME ...]

Per model it prints: tokens/s of free decoding, of llguidance-constrained decoding (ours), and of
llama.cpp's built-in GBNF grammar sampler, with their ratios to free; first-token latency (cold
prompt); schema compile time cold vs cached. Runs are interleaved and the median is reported,
because this machine is noisy.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from typing import Any

import llama_cpp
from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table

from langchain_gba import ChatLlamaCpp
from langchain_gba.chat_models._constraint import GrammarLogitsProcessor
from langchain_gba.structured.gbnf import to_gbnf
from langchain_gba.structured.output import constraint_for


class Report(BaseModel):
    """A planner-like schema: bounded free text and an enum."""

    summary: str = Field(max_length=300)
    thoughts: str = Field(max_length=300)
    task: str = Field(max_length=300)
    selected_tool: str = Field(pattern="^(search_wikipedia|calculate_number|final_answer)$")


PROMPT = "Write a detailed report about the history of Paris, as JSON."


def timed_completion(
    llm: llama_cpp.Llama, tokens: list[int], max_tokens: int, **kw: Any
) -> tuple[float, float, int]:
    """(first-token latency s, tokens/s after the first, tokens) for one cold-prompt generation."""
    llm.reset()  # evaluate the whole prompt: a cold first-token latency
    start = time.perf_counter()
    first = None
    n = 0
    for _ in llm.create_completion(
        tokens, max_tokens=max_tokens, temperature=0.0, stream=True, **kw
    ):
        n += 1
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    assert first is not None
    rate = (n - 1) / (end - first) if n > 1 else float("nan")
    return first - start, rate, n


def bench_model(name: str, runs: int, max_tokens: int) -> dict[str, Any]:
    chat = ChatLlamaCpp(model=name, n_ctx=2048)
    loaded = chat.loaded
    llm = loaded.llama
    prompt = chat.render_prompt([llama_cpp_message(PROMPT)])
    tokens = llm.tokenize(prompt.encode(), add_bos=True, special=True)
    schema = constraint_for(Report, "json_schema")

    t0 = time.perf_counter()
    compiler = loaded.compiler  # tokenizer preparation: once per model
    tokenizer_s = time.perf_counter() - t0
    compiler.cache_clear()
    t0 = time.perf_counter()
    compiler.compile(schema)
    compile_cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(100):
        compiler.matcher(schema)
    compile_cached = (time.perf_counter() - t0) / 100
    gbnf = llama_cpp.LlamaGrammar.from_string(to_gbnf(schema), verbose=False)

    modes = {
        "free": lambda: {},
        "llguidance": lambda: {
            "logits_processor": llama_cpp.LogitsProcessorList(
                [GrammarLogitsProcessor(llm, compiler.matcher(schema))]
            )
        },
        "gbnf": lambda: {"grammar": gbnf},
    }
    results: dict[str, list[tuple[float, float, int]]] = {m: [] for m in modes}
    timed_completion(llm, tokens, 8)  # warm-up
    for _ in range(runs):
        for mode, kwargs in modes.items():
            results[mode].append(timed_completion(llm, tokens, max_tokens, **kwargs()))
    med = {
        m: (
            statistics.median(r[0] for r in rs),
            statistics.median(r[1] for r in rs),
            statistics.median(r[2] for r in rs),
        )
        for m, rs in results.items()
    }
    return {
        "tokenizer_s": tokenizer_s,
        "compile_cold_ms": compile_cold * 1e3,
        "compile_cached_ms": compile_cached * 1e3,
        **{m: v for m, v in med.items()},
    }


def llama_cpp_message(text: str) -> Any:
    from langchain_core.messages import HumanMessage

    return HumanMessage(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=96, help="max tokens per generation")
    parser.add_argument("--models", nargs="+", default=["smollm2-135m-instruct", "gemma-3-270m"])
    args = parser.parse_args()

    console = Console()
    table = Table(
        title=f"Constrained vs free decoding ({args.runs} runs, median; "
        f"{platform.machine()}, {os.cpu_count()} cores)"
    )
    for col in [
        "model",
        "free tok/s",
        "llguidance tok/s",
        "ratio",
        "GBNF tok/s",
        "ratio",
        "first token free / llg / gbnf (ms)",
        "compile cold / cached (ms)",
        "tokenizer (s)",
    ]:
        table.add_column(col)
    for name in args.models:
        r = bench_model(name, args.runs, args.tokens)
        free, llg, gb = r["free"], r["llguidance"], r["gbnf"]
        table.add_row(
            name,
            f"{free[1]:.1f}",
            f"{llg[1]:.1f}",
            f"{llg[1] / free[1]:.2f}x",
            f"{gb[1]:.1f}",
            f"{gb[1] / free[1]:.2f}x",
            f"{free[0] * 1e3:.0f} / {llg[0] * 1e3:.0f} / {gb[0] * 1e3:.0f}",
            f"{r['compile_cold_ms']:.1f} / {r['compile_cached_ms']:.3f}",
            f"{r['tokenizer_s']:.2f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
