"""Decoding threads: llama-cpp-python's default (half the logical CPUs) vs one per physical core.

    python bench/threads.py [--models smollm2-135m-instruct,qwen2.5-coder-1.5b-instruct]

Both settings run the same prompt greedily on the same model, alternating, ``--runs`` times each;
prints prompt and decode tokens/s and the ratio. ``ChatLlamaCpp(n_threads=None)`` now takes the
physical cores (``langchain_gba.chat_models._llama.physical_cores``). Models load as the package
loads them (without weight repacking where llama.cpp crashes doing it: the table says which).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import statistics
import time

from langchain_gba.chat_models._llama import physical_cores
from langchain_gba.chat_models._repack import no_repack, repack_works
from langchain_gba.models import resolve_model_path

PROMPT = "Write a short story about a robot who learns to paint. " * 20


def speeds(llm: object, max_tokens: int) -> tuple[float, float]:
    """Prompt and decode tokens/s of one greedy completion from an empty cache."""
    llm.reset()  # type: ignore[attr-defined]
    start = time.perf_counter()
    out = llm.create_completion(PROMPT, max_tokens=1)  # type: ignore[attr-defined]
    prompt_s = time.perf_counter() - start
    llm.reset()  # type: ignore[attr-defined]
    start = time.perf_counter()
    out = llm.create_completion(PROMPT, max_tokens=max_tokens, temperature=0.0)  # type: ignore[attr-defined]
    total = time.perf_counter() - start
    usage = out["usage"]
    return usage["prompt_tokens"] / prompt_s, usage["completion_tokens"] / (total - prompt_s)


def main() -> None:
    import llama_cpp

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="smollm2-135m-instruct,qwen2.5-coder-1.5b-instruct")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=48)
    args = parser.parse_args()
    default = max(multiprocessing.cpu_count() // 2, 1)
    settings = {"llama-cpp-python default": default, "one per physical core": physical_cores()}
    print(f"logical CPUs {multiprocessing.cpu_count()}, physical cores {physical_cores()}")
    print("| model | repacking | decode threads | prompt tok/s | decode tok/s | decode ratio |")
    print("|---|---|---|---|---|---|")
    for name in args.models.split(","):
        path = resolve_model_path(name)
        repack = repack_works(path)
        models = {}
        for label, threads in settings.items():
            with no_repack() if not repack else contextlib.nullcontext():
                models[label] = llama_cpp.Llama(
                    model_path=str(path), n_ctx=2048, n_threads=threads, verbose=False
                )
            speeds(models[label], 4)  # warm up
        runs: dict[str, list[tuple[float, float]]] = {label: [] for label in settings}
        for _ in range(args.runs):
            for label in settings:
                runs[label].append(speeds(models[label], args.max_tokens))
        base = statistics.median(d for _, d in runs["llama-cpp-python default"])
        for label, threads in settings.items():
            prompt = statistics.median(p for p, _ in runs[label])
            decode = statistics.median(d for _, d in runs[label])
            print(
                f"| {name} | {'on' if repack else 'off'} | {threads} ({label}) | {prompt:.0f} "
                f"| {decode:.1f} | {decode / base:.2f}× |"
            )
        for llm in models.values():
            llm.close()


if __name__ == "__main__":
    main()
