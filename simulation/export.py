"""``export``: well-rated trajectories → planner training examples → a Hugging Face dataset.

One example per planner step of a trajectory whose final answer is rated at least
``threshold``: the prompt is the fine-tuned planner's prompt with the steps before it
(``fine_tuned_planner_prompt``, imported from the library: the exact text the planner will
see), the completion is the step as JSON with ``PLAN_FIELDS`` only (a teacher's extra fields
are dropped). The split is by trajectory (no request in both splits), seeded.

``include_incomplete`` also keeps the steps of trajectories that hit the step limit, whatever
their rating (the judge rates a missing answer 1): a weak teacher (the embedded 135M model)
may finish no request at all, and its steps are still demonstrations of planning.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_gba.planner import PLAN_FIELDS
from langchain_gba.prompts import fine_tuned_planner_prompt

__all__ = ["examples_from", "export_dataset", "split_ids"]


def examples_from(
    records: Sequence[dict[str, Any]],
    judgements: Sequence[dict[str, Any]],
    *,
    threshold: int = 4,
    include_incomplete: bool = False,
) -> list[dict[str, Any]]:
    """The training examples of the answered trajectories rated ``>= threshold``.

    With ``include_incomplete``, also those of the trajectories that hit the step limit.
    """
    ratings = {str(j["id"]): j["final_rating"] for j in judgements if j.get("status") == "rated"}
    examples = []
    for r in records:
        rating = ratings.get(str(r["id"]))
        unfinished = include_incomplete and r["status"] == "incomplete" and rating is not None
        if not unfinished and (r["status"] != "answered" or rating is None or rating < threshold):
            continue
        steps = r["steps"]
        for i, step in enumerate(steps):
            plan = step.get("plan") or {}
            if any(k not in plan for k in PLAN_FIELDS):
                continue  # not a planner step (never happens with the agent's records)
            target = {k: plan[k] for k in PLAN_FIELDS}
            examples.append(
                {
                    "id": f"{r['id']}/{i}",
                    "trajectory": str(r["id"]),
                    "step": i,
                    "prompt": fine_tuned_planner_prompt(r["request"], steps[:i]),
                    "completion": json.dumps(target, ensure_ascii=False),
                    "planner": r.get("planner", ""),
                    "planner_model": r.get("planner_model", ""),
                    "rating": rating,
                }
            )
    return examples


def split_ids(ids: Sequence[str], *, test_size: float = 0.1, seed: int = 0) -> set[str]:
    """The trajectory ids of the test split: a seeded hash order, at least one when possible."""
    unique = sorted(set(ids), key=lambda t: hashlib.sha256(f"{seed}\0{t}".encode()).hexdigest())
    if len(unique) < 2 or test_size <= 0:
        return set()
    n_test = min(len(unique) - 1, max(1, round(len(unique) * test_size)))
    return set(unique[:n_test])


def export_dataset(
    examples: Sequence[dict[str, Any]],
    out_dir: str | Path,
    *,
    test_size: float = 0.1,
    seed: int = 0,
) -> Any:
    """Save the examples as a ``datasets.DatasetDict`` (train/test) and as JSONL and Parquet.

    Writes ``out_dir/dataset`` (``save_to_disk``; ``load_from_disk`` reads it back),
    ``out_dir/{train,test}.jsonl`` and ``out_dir/{train,test}.parquet``. Returns the
    DatasetDict.
    """
    try:
        from datasets import Dataset, DatasetDict
    except ImportError as e:
        msg = "export needs the Hugging Face datasets library: pip install datasets"
        raise ImportError(msg) from e
    test_ids = split_ids([e["trajectory"] for e in examples], test_size=test_size, seed=seed)
    columns = ["id", "trajectory", "step", "prompt", "completion", "planner", "planner_model",
               "rating"]  # fmt: skip
    splits = {
        "train": [e for e in examples if e["trajectory"] not in test_ids],
        "test": [e for e in examples if e["trajectory"] in test_ids],
    }
    dataset = DatasetDict(
        {
            name: Dataset.from_dict({c: [row[c] for row in rows] for c in columns})
            for name, rows in splits.items()
        }
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dataset.save_to_disk(str(out / "dataset"))
    for name, split in dataset.items():
        split.to_json(str(out / f"{name}.jsonl"), lines=True, force_ascii=False)
        split.to_parquet(str(out / f"{name}.parquet"))
    return dataset
