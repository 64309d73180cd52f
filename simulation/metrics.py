"""``evaluate`` (2/2): the seed's metrics with bootstrap intervals, a Markdown table, a chart.

- pass_rate: requests whose final answer is rated ≥ 4, over the judged requests;
- bad_task_rate: steps whose task is rated ≤ 3, over all rated steps;
- completion_rate: requests answered within ``max_steps`` tool steps (10), over all requests.

95% intervals: percentile bootstrap over requests (the steps of a request stay together).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["METRICS", "Estimate", "RunMetrics", "bar_chart", "compute_metrics", "markdown_table"]

METRICS = ("pass_rate", "bad_task_rate", "completion_rate")


@dataclass(frozen=True)
class Estimate:
    """A rate with its 95% bootstrap interval."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        if np.isnan(self.value):
            return "n/a"
        return f"{self.value:.2f} [{self.low:.2f}, {self.high:.2f}]"


@dataclass
class RunMetrics:
    """The metrics of one run file."""

    name: str
    planner: str
    planner_model: str
    requests: int
    judged: int
    judge_failed: int
    steps: int
    estimates: dict[str, Estimate] = field(default_factory=dict)


def _ratio(num: np.ndarray, den: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Ratios sum(num[idx]) / sum(den[idx]) per bootstrap row (nan where the denominator is 0)."""
    n, d = num[idx].sum(axis=-1), den[idx].sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(d > 0, n / np.maximum(d, 1e-12), np.nan)


def _estimate(num: np.ndarray, den: np.ndarray, rng: np.random.Generator, n_boot: int) -> Estimate:
    if den.sum() == 0:
        return Estimate(float("nan"), float("nan"), float("nan"))
    value = float(num.sum() / den.sum())
    idx = rng.integers(0, len(num), size=(n_boot, len(num)))
    samples = _ratio(num, den, idx)
    samples = samples[~np.isnan(samples)]
    low, high = np.percentile(samples, [2.5, 97.5]) if len(samples) else (value, value)
    return Estimate(value, float(low), float(high))


def compute_metrics(
    records: Sequence[dict[str, Any]],
    judgements: Sequence[dict[str, Any]],
    *,
    name: str = "",
    max_steps: int = 10,
    n_boot: int = 2000,
    seed: int = 0,
) -> RunMetrics:
    """The metrics of a run from its trajectory records and their judgements."""
    judged = {str(j["id"]): j for j in judgements if j.get("status") == "rated"}
    failed = sum(1 for j in judgements if j.get("status") == "failed")
    passed, has_rating, bad, rated_steps, completed = [], [], [], [], []
    for r in records:
        j = judged.get(str(r["id"]))
        has_rating.append(j is not None)
        passed.append(j is not None and j["final_rating"] >= 4)
        ratings = j["step_ratings"] if j is not None else []
        bad.append(sum(1 for x in ratings if x <= 3))
        rated_steps.append(len(ratings))
        completed.append(r["status"] == "answered" and r.get("n_steps", 0) <= max_steps)
    rng = np.random.default_rng(seed)
    ones = np.ones(len(records))
    estimates = {
        "pass_rate": _estimate(np.array(passed, float), np.array(has_rating, float), rng, n_boot),
        "bad_task_rate": _estimate(np.array(bad, float), np.array(rated_steps, float), rng, n_boot),
        "completion_rate": _estimate(np.array(completed, float), ones, rng, n_boot),
    }
    first = records[0] if records else {}
    return RunMetrics(
        name=name,
        planner=str(first.get("planner", "")),
        planner_model=str(first.get("planner_model", "")),
        requests=len(records),
        judged=len(judged),
        judge_failed=failed,
        steps=int(sum(rated_steps)),
        estimates=estimates,
    )


def markdown_table(runs: Sequence[RunMetrics]) -> str:
    """A Markdown table comparing runs: one row per run, each metric with its 95% interval."""
    head = ["run", "planner", "model", "requests", "judged", *METRICS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in runs:
        cells = [m.name, m.planner, m.planner_model, str(m.requests), str(m.judged)]
        cells += [str(m.estimates[k]) for k in METRICS]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "pass_rate: final answers rated ≥ 4; bad_task_rate: steps whose task is rated ≤ 3; "
        "completion_rate: answered within the step limit. [95% bootstrap interval]"
    )
    return "\n".join(lines)


def bar_chart(runs: Sequence[RunMetrics], path: str | Path) -> Path:
    """A PNG bar chart: the three metrics, one bar per run, 95% intervals as error bars."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        msg = "The chart needs matplotlib: pip install matplotlib"
        raise ImportError(msg) from e
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / max(1, len(runs))
    x = np.arange(len(METRICS))
    for i, m in enumerate(runs):
        values = np.array([m.estimates[k].value for k in METRICS])
        lows = np.array([m.estimates[k].low for k in METRICS])
        highs = np.array([m.estimates[k].high for k in METRICS])
        errors = np.nan_to_num(np.vstack([values - lows, highs - values]))
        ax.bar(
            x + (i - (len(runs) - 1) / 2) * width,
            np.nan_to_num(values),
            width,
            yerr=errors,
            capsize=3,
            label=m.name,
        )
    ax.set_xticks(x, METRICS)
    ax.set_ylim(0, 1)
    ax.set_ylabel("rate (95% bootstrap interval)")
    ax.legend(fontsize="small")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
