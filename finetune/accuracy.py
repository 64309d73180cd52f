"""``evaluate``: tool-selection accuracy of a planner on the held-out steps of the dataset.

For each test example, the planner model (a GGUF file or an embedded name, run by
``ChatLlamaCpp`` as the agent runs it: greedy, repeat penalty 1.1, constrained decoding) reads
the example's prompt, the exact text ``FineTunedPlanner`` sends, and writes a step; its
``selected_tool`` is compared with the teacher's. The step's tool enum is the agent's tool set
(``tools``) plus every tool the dataset uses. Run it on the base model and on the fine-tuned
GGUF to see what the training changed; the majority tool of the training split is the floor.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finetune.data import load_split, selected_tool, tool_counts
from finetune.errors import FinetuneError

__all__ = ["AccuracyReport", "evaluate_planner", "majority_baseline", "tool_names"]


@dataclass
class AccuracyReport:
    """A planner's tool choices against the teacher's."""

    model: str
    examples: int
    correct: int
    seconds: float
    per_tool: dict[str, dict[str, int]] = field(default_factory=dict)
    """Teacher's tool → {"n": examples, "correct": matches}."""
    predictions: list[dict[str, str]] = field(default_factory=list)
    """Per example: id, expected, predicted."""

    @property
    def accuracy(self) -> float:
        """Share of examples where the planner selected the teacher's tool."""
        return self.correct / self.examples if self.examples else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "model": self.model,
            "examples": self.examples,
            "correct": self.correct,
            "accuracy": round(self.accuracy, 4),
            "seconds": round(self.seconds, 1),
            "per_tool": self.per_tool,
            "predictions": self.predictions,
        }


def tool_names(dataset: str | Path, agent_tools: Sequence[str]) -> list[str]:
    """The agent's tools plus every tool the dataset's splits select, sorted."""
    names = set(agent_tools)
    for split in ("train", "test"):
        try:
            names |= set(tool_counts(load_split(dataset, split)))
        except FinetuneError:
            continue  # a split may be missing (a single file)
    return sorted(names)


def majority_baseline(
    dataset: str | Path, split: str = "test", *, limit: int | None = None
) -> tuple[str, float]:
    """The training split's most frequent tool and its accuracy on ``split``."""
    train = tool_counts(load_split(dataset, "train"))
    tool = train.most_common(1)[0][0]
    test = [selected_tool(c) for c in load_split(dataset, split, limit=limit)["completion"]]
    return tool, (sum(t == tool for t in test) / len(test))


def evaluate_planner(
    model: str,
    dataset: str | Path,
    *,
    tools: Sequence[str],
    split: str = "test",
    limit: int | None = None,
    max_length: int = 200,
    n_ctx: int = 4096,
    on_example: Callable[[dict[str, str]], None] | None = None,
) -> AccuracyReport:
    """Run the planner ``model`` on every example of ``split`` and count matching tools.

    Args:
        model: a GGUF path or an embedded model name.
        dataset: the exported dataset (see ``finetune.data.load_split``).
        tools: the names the step may select (see ``tool_names``).
        split: the held-out split.
        limit: only the first N examples.
        max_length: the step's text-field bound (the agent's default: 200).
        n_ctx: the model's context window.
        on_example: called with each prediction.

    Raises:
        DatasetError: see ``load_split``.
        ModelNotFoundError: ``model`` does not resolve.
    """
    from langchain_core.messages import HumanMessage

    from langchain_gba.chat_models.llama_cpp import ChatLlamaCpp
    from langchain_gba.exceptions import StructuredOutputError
    from langchain_gba.planner import FineTunedPlanner
    from langchain_gba.structured.route import structured_model

    data = load_split(dataset, split, limit=limit)
    llm = ChatLlamaCpp(
        model=model, max_tokens=1024, repeat_penalty=1.1, n_ctx=n_ctx, context="evaluate"
    )
    planner = FineTunedPlanner(llm, max_length=max_length)
    described = [(t, t) for t in tools]
    runnable = structured_model(planner.model, planner.step_model(described))
    per_tool: dict[str, Counter[str]] = {}
    predictions = []
    t0 = time.perf_counter()
    for row in data:
        expected = selected_tool(row["completion"])
        # the prompt column is fine_tuned_planner_prompt(request, steps): FineTunedPlanner's
        # one human message
        try:
            predicted = runnable.invoke([HumanMessage(row["prompt"])]).selected_tool
        except StructuredOutputError:
            predicted = "(no valid step)"
        record = {"id": str(row.get("id", len(predictions))), "expected": expected,
                  "predicted": predicted}  # fmt: skip
        predictions.append(record)
        counts = per_tool.setdefault(expected, Counter())
        counts["n"] += 1
        counts["correct"] += predicted == expected
        if on_example is not None:
            on_example(record)
    return AccuracyReport(
        model=model,
        examples=len(predictions),
        correct=sum(p["expected"] == p["predicted"] for p in predictions),
        seconds=time.perf_counter() - t0,
        per_tool={k: dict(v) for k, v in sorted(per_tool.items())},
        predictions=predictions,
    )
