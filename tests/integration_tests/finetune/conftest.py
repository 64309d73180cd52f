"""Fine-tuning fixtures: a dataset exported from real recorded trajectories, one short training.

``data/trajectories.jsonl`` holds six trajectories recorded by ``python -m simulation run
--planner teacher`` with the embedded SmolLM2-135M (in process, calculator and Wikipedia
twins), and ``data/trajectories.judged.jsonl`` their judgements by the same model (``python -m
simulation evaluate``). The 135M teacher finishes almost nothing, so the export keeps the
steps of unfinished trajectories too (``include_incomplete``).

The training runs once per session: SmolLM2-135M (the embedded GGUF, dequantized once into
the cache), LoRA r=4, 4 steps of one example of at most 192 tokens, one torch thread.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Before torch loads (if it has not yet): spinning OpenMP threads on shared cores are ~8x slower.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = Path(__file__).parent / "data"
STEPS = 4


@pytest.fixture(scope="session")
def records() -> tuple[list[dict], list[dict]]:
    from simulation.records import read_jsonl

    return read_jsonl(DATA / "trajectories.jsonl"), read_jsonl(DATA / "trajectories.judged.jsonl")


@pytest.fixture(scope="session")
def dataset_dir(records, tmp_path_factory) -> Path:
    """The export of the real trajectories (``simulation.export``), 2 of 6 held out."""
    from simulation.export import examples_from, export_dataset

    runs, judged = records
    examples = examples_from(runs, judged, threshold=1, include_incomplete=True)
    out = tmp_path_factory.mktemp("planner-sft")
    export_dataset(examples, out, test_size=0.34, seed=0)
    return out


def _settings(dataset: Path, output_dir: Path, **overrides):  # type: ignore[no-untyped-def]
    from finetune.train import TrainSettings

    values = dict(
        dataset=str(dataset), base_model="smollm2-135m-instruct", output_dir=str(output_dir),
        rank=4, alpha=8, max_steps=STEPS, save_steps=2, batch_size=1, grad_accum=1,
        max_length=192, threads=1, warmup=0, learning_rate=1e-3,
    )  # fmt: skip
    values.update(overrides)
    return TrainSettings(**values)


@pytest.fixture(scope="session")
def train_settings():  # type: ignore[no-untyped-def]
    """``(dataset, output_dir, **overrides) -> TrainSettings`` of the tiny test run."""
    return _settings


@pytest.fixture(scope="session")
def trained(dataset_dir, tmp_path_factory):  # type: ignore[no-untyped-def]
    """One real training run (4 steps), shared by the tests that read its output."""
    from finetune.train import train

    out = tmp_path_factory.mktemp("lora") / "run"
    return train(_settings(dataset_dir, out))


@pytest.fixture(scope="session")
def merged(trained, tmp_path_factory) -> Path:
    from finetune.merge import merge

    out = tmp_path_factory.mktemp("merged") / "model"
    return merge(trained.output_dir, out).output_dir


@pytest.fixture(scope="session")
def exported(merged, tmp_path_factory):  # type: ignore[no-untyped-def]
    from finetune.export import export_gguf

    return export_gguf(merged, tmp_path_factory.mktemp("gguf"), types=["q8_0"])
