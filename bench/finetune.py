"""Fine-tuning throughput on this machine: training tokens per second, LoRA on CPU.

    python bench/finetune.py [--models smollm2-135m-instruct gemma-3-270m] [--steps 8]
        [--max-length 256 512] [--rank 16] [--threads N]

Runs ``finetune.train.train`` (the code behind ``python -m finetune train``: trl SFTTrainer,
peft LoRA on every linear layer, loss on the completion) for a few optimizer steps per
configuration on the planner examples exported from the recorded trajectories in
``bench/data/finetune/`` (SmolLM2-135M as the teacher, see bench/results/finetune.md), and
reports tokens per second: input tokens (prompt + completion, no padding) over wall time,
from the second logged step to the last (the first step warms up), and seconds per step.
The base model is the embedded GGUF, dequantized once into the cache (not timed).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: see finetune/cli.py

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # finetune/, simulation/

from finetune.train import TrainSettings, train  # noqa: E402
from simulation.export import examples_from, export_dataset  # noqa: E402
from simulation.records import read_jsonl  # noqa: E402

DATA = Path(__file__).parent / "data" / "finetune"
console = Console(width=150)


def dataset(folder: Path) -> Path:
    """Export the recorded trajectories (every step, as the smoke run does)."""
    runs = read_jsonl(DATA / "teacher.jsonl")
    judged = read_jsonl(DATA / "teacher.judged.jsonl")
    examples = examples_from(runs, judged, threshold=1, include_incomplete=True)
    export_dataset(examples, folder, test_size=0.2, seed=0)
    return folder


def steady(loss_log: Path) -> tuple[float, float]:
    """Tokens/s and s/step between the first and the last logged step."""
    rows = [json.loads(line) for line in loss_log.read_text().splitlines()]
    rows = [r for r in rows if "loss" in r]
    first, last = rows[0], rows[-1]
    seconds = last["time"] - first["time"]
    tokens = last["num_input_tokens_seen"] - first["num_input_tokens_seen"]
    steps = last["step"] - first["step"]
    return (tokens / seconds if seconds else 0.0), (seconds / steps if steps else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["smollm2-135m-instruct"])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--max-length", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()

    import torch

    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    threads = torch.get_num_threads()
    console.print(f"[dim]{machine}; torch {torch.__version__}, {threads} threads[/]")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = dataset(Path(tmp) / "data")
        for model in args.models:
            for max_length in args.max_length:
                out = Path(tmp) / f"{model}-{max_length}"
                settings = TrainSettings(
                    dataset=str(data), base_model=model, output_dir=str(out), rank=args.rank,
                    alpha=2 * args.rank, max_steps=args.steps, batch_size=args.batch_size,
                    grad_accum=1, max_length=max_length, save_steps=10**6, warmup=0,
                    threads=args.threads,
                )  # fmt: skip
                t0 = time.perf_counter()
                result = train(settings)
                wall = time.perf_counter() - t0
                tps, per_step = steady(out / "loss.jsonl")
                rows.append({
                    "model": model, "max_length": max_length, "rank": args.rank,
                    "batch_size": args.batch_size, "steps": result.steps,
                    "tokens": result.tokens, "tokens_per_step": result.tokens / result.steps,
                    "tokens_per_s": round(tps, 1), "s_per_step": round(per_step, 2),
                    "tokens_per_s_with_first_step": round(result.tokens_per_second, 1),
                    "loss_first": round(result.losses[0], 3),
                    "loss_last": round(result.losses[-1], 3),
                    "wall_s_with_load": round(wall, 1),
                })  # fmt: skip
                console.print(rows[-1])
    table = Table("model", "max length", "tokens/step", "tokens/s", "s/step", "loss first→last")
    for r in rows:
        table.add_row(r["model"], str(r["max_length"]), f"{r['tokens_per_step']:.0f}",
                      f"{r['tokens_per_s']:.1f}", f"{r['s_per_step']:.2f}",
                      f"{r['loss_first']:.2f} → {r['loss_last']:.2f}")  # fmt: skip
    console.print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    report = {
        "machine": machine,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "rows": rows,
    }
    (args.out / "finetune.json").write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"[dim]raw results: {args.out / 'finetune.json'}[/]")


if __name__ == "__main__":
    main()
