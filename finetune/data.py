"""The training data: the planner examples ``python -m simulation export`` writes, checked.

Accepted inputs: the export's output folder (``--out`` of ``python -m simulation export``), the
``dataset`` folder inside it (``datasets.save_to_disk``), or one of its ``.jsonl`` / ``.parquet``
files. Every row needs ``prompt`` (the fine-tuned planner's prompt, ``fine_tuned_planner_prompt``)
and ``completion`` (the step as JSON with exactly ``PLAN_FIELDS``). The trainer sees them as one
user turn and one assistant turn, so the model's chat template is applied exactly as
``ChatLlamaCpp`` applies it when ``FineTunedPlanner`` runs the trained model.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from finetune.errors import DatasetError
from langchain_gba.planner import PLAN_FIELDS

__all__ = [
    "EXPORT_HINT",
    "REQUIRED_COLUMNS",
    "conversational",
    "data_format",
    "load_split",
    "selected_tool",
    "tool_counts",
]

REQUIRED_COLUMNS = ("prompt", "completion")

EXPORT_HINT = (
    "Produce it with the simulation pipeline: python -m simulation run ... ; "
    "python -m simulation evaluate RUN.jsonl ... ; "
    "python -m simulation export RUN.jsonl --out DIR, then pass DIR."
)


def load_split(path: str | Path, split: str = "train", *, limit: int | None = None) -> Any:
    """One split of the exported dataset as a ``datasets.Dataset``, validated.

    Args:
        path: the export folder, its ``dataset`` folder, or a ``.jsonl`` / ``.parquet`` file
            (a file is one split: ``split`` is then only a label).
        split: ``train`` or ``test``.
        limit: keep only the first ``limit`` rows.

    Raises:
        DatasetError: no such path or split, a column missing, an empty split, or a
            completion that is not a planner step (the message says which row).
    """
    from datasets import Dataset, DatasetDict, load_from_disk

    p = Path(path).expanduser()
    if not p.exists():
        raise DatasetError(f"No dataset at {p}. {EXPORT_HINT}")
    if p.is_file():
        suffix = p.suffix.lower()
        try:
            if suffix in (".jsonl", ".json"):
                data = Dataset.from_json(str(p))
            elif suffix == ".parquet":
                data = Dataset.from_parquet(str(p))
            else:
                raise DatasetError(
                    f"{p} is not a dataset file (.jsonl or .parquet) or folder. {EXPORT_HINT}"
                )
        except DatasetError:
            raise
        except Exception as e:  # a malformed file: datasets raises many kinds
            raise DatasetError(f"Cannot read {p} as a dataset: {e}. {EXPORT_HINT}") from e
        return _validated(data, f"{p}", limit)
    folder = p / "dataset" if (p / "dataset").is_dir() else p
    try:
        loaded = load_from_disk(str(folder))
    except Exception as e:
        raise DatasetError(
            f"{p} holds no saved dataset (no dataset_dict.json / dataset_info.json): {e}. "
            f"{EXPORT_HINT}"
        ) from e
    if isinstance(loaded, DatasetDict):
        if split not in loaded:
            raise DatasetError(
                f"The dataset at {folder} has no {split!r} split (it has: {', '.join(loaded)})."
            )
        loaded = loaded[split]
    return _validated(loaded, f"{folder} [{split}]", limit)


def _validated(data: Any, where: str, limit: int | None) -> Any:
    missing = [c for c in REQUIRED_COLUMNS if c not in data.column_names]
    if missing:
        raise DatasetError(
            f"The dataset {where} has columns {data.column_names}; it needs "
            f"{', '.join(repr(c) for c in REQUIRED_COLUMNS)} (missing: {', '.join(missing)}). "
            f"{EXPORT_HINT}"
        )
    if limit is not None:
        data = data.select(range(min(limit, len(data))))
    if len(data) == 0:
        raise DatasetError(
            f"The dataset {where} is empty: no trajectory passed the export's rating threshold? "
            "Record more trajectories, or export with a lower --threshold."
        )
    for i, row in enumerate(data):
        prompt, completion = row["prompt"], row["completion"]
        if not isinstance(prompt, str) or not prompt.strip():
            raise DatasetError(f"Row {i} of {where}: 'prompt' must be non-empty text.")
        try:
            selected_tool(completion)
        except DatasetError as e:
            raise DatasetError(f"Row {i} of {where}: {e}") from None
    return data


PLAN_AHEAD_KEYS = ("thoughts", "steps")
"""A plan-ahead completion's keys (``simulation export --plans``)."""


def selected_tool(completion: str) -> str:
    """The tool a completion selects: a step's, or a plan's first (none: ``final_answer``).

    Raises:
        DatasetError: not a JSON object with exactly ``PLAN_FIELDS`` or ``PLAN_AHEAD_KEYS``.
    """
    try:
        step = json.loads(completion)
    except (TypeError, json.JSONDecodeError) as e:
        raise DatasetError(f"'completion' must be a planner step as JSON: {e}") from None
    if isinstance(step, dict) and tuple(step) == PLAN_AHEAD_KEYS:
        steps = step["steps"]
        if not isinstance(steps, list) or not all(
            isinstance(s, dict) and isinstance(s.get("tool"), str) and s["tool"] for s in steps
        ):
            raise DatasetError("'completion' is a plan whose steps are not {tool, task} objects.")
        return str(steps[0]["tool"]) if steps else "final_answer"
    if not isinstance(step, dict) or tuple(step) != PLAN_FIELDS:
        keys = list(step) if isinstance(step, dict) else type(step).__name__
        raise DatasetError(
            f"'completion' must be a JSON object with the keys {list(PLAN_FIELDS)} (a step) "
            f"or {list(PLAN_AHEAD_KEYS)} (a plan) in this order, got {keys}."
        )
    tool = step["selected_tool"]
    if not isinstance(tool, str) or not tool:
        raise DatasetError("'completion' has no selected_tool name.")
    return tool


def data_format(data: Any) -> str:
    """``ahead`` when the completions are plans (``PLAN_AHEAD_KEYS``), else ``step``.

    Raises:
        DatasetError: plans and steps mixed in one split (two planners' formats).
    """
    kinds = {tuple(json.loads(c)) == PLAN_AHEAD_KEYS for c in data["completion"]}
    if len(kinds) > 1:
        raise DatasetError(
            "The dataset mixes plans and single steps: export one format (simulation export "
            "--plans for plans, without it for steps)."
        )
    return "ahead" if kinds == {True} else "step"


def tool_counts(data: Any) -> Counter[str]:
    """How often each tool is selected in a validated split."""
    return Counter(selected_tool(c) for c in data["completion"])


def conversational(data: Any) -> Any:
    """The rows as trl's conversational prompt-completion format (one user, one assistant turn).

    trl applies the tokenizer's chat template to ``prompt`` with the generation prompt, and
    computes the loss on the completion's tokens only (``completion_only_loss``).
    """

    def turn(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "prompt": [{"role": "user", "content": row["prompt"]}],
            "completion": [{"role": "assistant", "content": row["completion"]}],
        }

    return data.map(turn, remove_columns=data.column_names)
