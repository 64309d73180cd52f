"""``evaluate`` (1/2): an LLM judge rates each final answer and each step's task, 1 to 5.

One structured call per trajectory: a short explanation then a rating for each step's task,
then for the final answer (explanations first, so the rating follows the reasoning). A
trajectory that ended without an answer gets final rating 1. Judgements go to a JSONL file
next to the run file, one line per trajectory, so a killed evaluation resumes; malformed judge
output (after the bounded retries of a backend that cannot constrain) is a judgement with
status ``failed`` and the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable

from langchain_gba.exceptions import StructuredOutputError
from langchain_gba.prompts import JUDGE_SYSTEM, JUDGE_USER, format_judged_steps
from langchain_gba.structured.route import structured_model
from simulation.models import ServerUnavailableError, is_server_unavailable
from simulation.pool import process
from simulation.records import RecordFile, read_jsonl

__all__ = ["RATINGS", "Judge", "judge_run", "judge_schema", "judged_path"]

RATINGS = [1, 2, 3, 4, 5]


def judged_path(run_path: str | Path) -> Path:
    """Where the judgements of a run file go: ``run.jsonl`` → ``run.judged.jsonl``."""
    path = Path(run_path)
    return path.with_name(f"{path.stem}.judged.jsonl")


def judge_schema(n_steps: int, *, explanation_length: int = 100) -> dict[str, Any]:
    """The judge's output for a trajectory of ``n_steps`` steps."""
    explanation = {"type": "string", "minLength": 1, "maxLength": explanation_length}
    step = {
        "type": "object",
        "properties": {"explanation": explanation, "task_rating": {"enum": RATINGS}},
        "required": ["explanation", "task_rating"],
        "additionalProperties": False,
    }
    properties: dict[str, Any] = {}
    if n_steps:
        properties["steps"] = {
            "type": "array",
            "items": step,
            "minItems": n_steps,
            "maxItems": n_steps,
        }
    properties["final_answer_explanation"] = explanation
    properties["final_answer_rating"] = {"enum": RATINGS}
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


class Judge:
    """Rates trajectories with a chat model (temperature 0 recommended)."""

    def __init__(
        self,
        llm: BaseChatModel,
        *,
        label: str = "",
        explanation_length: int = 100,
        method: str = "auto",
    ) -> None:
        self.llm = llm
        self.label = label
        self.explanation_length = explanation_length
        self.method = method
        self._runnables: dict[int, Runnable[Any, Any]] = {}

    def _runnable(self, n_steps: int) -> Runnable[Any, Any]:
        if n_steps not in self._runnables:
            schema = judge_schema(n_steps, explanation_length=self.explanation_length)
            self._runnables[n_steps] = structured_model(self.llm, schema, method=self.method)
        return self._runnables[n_steps]

    @staticmethod
    def messages(record: dict[str, Any]) -> list[tuple[str, str]]:
        """The judge's chat messages for a trajectory record."""
        answer = record.get("answer") or f"(none: the run ended with status {record['status']})"
        user = JUDGE_USER.format(
            request=record["request"], steps=format_judged_steps(record["steps"]), answer=answer
        )
        return [("system", JUDGE_SYSTEM), ("human", user)]

    def _judgement(self, record: dict[str, Any], **fields: Any) -> dict[str, Any]:
        return {
            "id": record["id"],
            "run_status": record["status"],
            "judge_model": self.label,
            "status": "rated",
            "error": None,
            **fields,
        }

    async def ajudge(self, record: dict[str, Any]) -> dict[str, Any]:
        """The judgement of one trajectory record (status ``failed`` if the output was unusable).

        Raises:
            ServerUnavailableError: the judge's server is down or too slow.
        """
        steps = record.get("steps") or []
        answered = record["status"] == "answered"
        if not steps:
            return self._judgement(
                record,
                final_rating=1,
                final_explanation=f"No steps: the run {record['status']}.",
                step_ratings=[],
                step_explanations=[],
            )
        try:
            out = await self._runnable(len(steps)).ainvoke(self.messages(record))
        except StructuredOutputError as e:
            return self._judgement(
                record, status="failed", error=f"Unusable judge output: {e} (reason: {e.reason})"
            )
        except Exception as e:
            if is_server_unavailable(e):
                msg = f"The judge's server failed on trajectory {record['id']!r}: {e}"
                raise ServerUnavailableError(msg) from e
            return self._judgement(record, status="failed", error=f"{type(e).__name__}: {e}")
        rated = out.get("steps") or []
        return self._judgement(
            record,
            final_rating=int(out["final_answer_rating"]) if answered else 1,
            final_explanation=str(out["final_answer_explanation"]),
            step_ratings=[int(s["task_rating"]) for s in rated],
            step_explanations=[str(s["explanation"]) for s in rated],
        )


async def judge_run(
    run_path: str | Path,
    judge: Judge,
    *,
    out_path: str | Path | None = None,
    concurrency: int = 1,
    on_start: Callable[[int, int], None] | None = None,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> Path:
    """Judge every trajectory of a run file not judged yet; returns the judgements file.

    Raises:
        ServerUnavailableError: the judge's server stopped answering (rerun to resume).
    """
    records = read_jsonl(Path(run_path))
    path = Path(out_path) if out_path else judged_path(run_path)
    with RecordFile(path) as out:
        pending = [r for r in records if str(r["id"]) not in out.ids]
        if on_start is not None:
            on_start(len(pending), len(records) - len(pending))
        await process(pending, judge.ajudge, out, concurrency=concurrency, on_done=on_done)
    return path
