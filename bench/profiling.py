"""Where an agent's seconds go: every model call of a run, by role, with its tokens.

A LangChain callback handler: pass it in the run's config (``agent.invoke(x, {"callbacks":
[profiler]})``); every chat-model call below it is timed and attributed to the nearest enclosing
tool (the search summary, the calculator, the answer writer) or graph node (the planner, the
function-calling step). Tokens: the prompt's length, the prompt tokens llama.cpp actually evaluated
(``response_metadata["prompt_eval_tokens"]``; the rest came from its KV cache) and the tokens
generated. Retrieval (embedding the query, the FAISS search) is timed as its own role.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult

ROLES = {
    "plan_step": "planner",
    "write_arguments": "function calling",
    "search_wikipedia": "search summary",
    "search_internet": "search summary",
    "calculate_number": "calculator",
    "final_answer": "final answer",
    "write_answer": "final answer",
    "retriever": "retrieval",
}
"""Run names (graph nodes, tools) -> the role their model calls play; the nearest one wins."""
TIMED = {"results_answer": "early-answer check"}
"""Runs timed as a whole (their model call is no chat-model run): name -> role."""
ORDER = (
    "planner",
    "early-answer check",
    "function calling",
    "search summary",
    "calculator",
    "final answer",
    "retrieval",
    "other model calls",
)


class Profiler(BaseCallbackHandler):
    """Collects one record per model call (and per retrieval) of the runs it is attached to."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self._names: dict[UUID, str] = {}
        self._parents: dict[UUID, UUID | None] = {}
        self._started: dict[UUID, float] = {}
        self._steps = 0
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget what was recorded (call before each request)."""
        with self._lock:
            self.calls = []
            self._names.clear()
            self._parents.clear()
            self._started.clear()
            self._steps = 0

    # -- run tree -----------------------------------------------------------------------------

    def _enter(self, run_id: UUID, parent: UUID | None, name: str | None) -> None:
        with self._lock:
            self._names[run_id] = name or ""
            self._parents[run_id] = parent
            if name == "plan_step" and self._names.get(parent or run_id) != "plan_step":
                self._steps += 1  # a node's run and its runnable's run: one step

    def _role(self, run_id: UUID) -> str:
        seen: UUID | None = self._parents.get(run_id)
        while seen is not None:
            if (role := ROLES.get(self._names.get(seen, ""))) is not None:
                return role
            seen = self._parents.get(seen)
        return "other model calls"

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or (serialized or {}).get("name")
        self._enter(run_id, parent_run_id, name)
        if name in TIMED:
            self._started[run_id] = time.perf_counter()

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if (start := self._started.pop(run_id, None)) is not None:
            self._record(TIMED[self._names[run_id]], time.perf_counter() - start, 0, 0, 0)

    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or (serialized or {}).get("name")
        self._enter(run_id, parent_run_id, name)

    def on_retriever_start(
        self,
        serialized: dict[str, Any] | None,
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        self._enter(run_id, parent_run_id, "retriever")
        self._started[run_id] = time.perf_counter()

    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if (start := self._started.pop(run_id, None)) is not None:
            self._record("retrieval", time.perf_counter() - start, 0, 0, 0)

    # -- model calls --------------------------------------------------------------------------

    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        self._enter(run_id, parent_run_id, "chat_model")
        self._started[run_id] = time.perf_counter()

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        start = self._started.pop(run_id, None)
        if start is None:
            return
        seconds = time.perf_counter() - start
        prompt = evaluated = generated = 0
        for generations in response.generations:
            for generation in generations:
                message = getattr(generation, "message", None)
                usage = getattr(message, "usage_metadata", None) or {}
                meta = getattr(message, "response_metadata", None) or {}
                prompt += int(usage.get("input_tokens") or 0)
                generated += int(usage.get("output_tokens") or 0)
                evaluated += int(meta.get("prompt_eval_tokens", usage.get("input_tokens") or 0))
        self._record(self._role(run_id), seconds, prompt, evaluated, generated)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        if (start := self._started.pop(run_id, None)) is not None:
            self._record(self._role(run_id), time.perf_counter() - start, 0, 0, 0)

    def _record(
        self, role: str, seconds: float, prompt: int, evaluated: int, generated: int
    ) -> None:
        with self._lock:
            self.calls.append(
                {
                    "role": role,
                    "step": self._steps,
                    "seconds": round(seconds, 4),
                    "prompt_tokens": prompt,
                    "evaluated_tokens": evaluated,
                    "generated_tokens": generated,
                }
            )


def by_role(calls: Iterable[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Totals per role: calls, seconds and tokens."""
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for call in calls:
        row = totals[call["role"]]
        row["calls"] += 1
        for key in ("seconds", "prompt_tokens", "evaluated_tokens", "generated_tokens"):
            row[key] += call[key]
    return {role: dict(totals[role]) for role in ORDER if role in totals}


def profile_table(runs: Sequence[dict[str, Any]]) -> list[list[str]]:
    """Rows of the per-role profile over runs (each with ``profile`` calls and ``seconds``).

    Per request (mean): calls, seconds, share of the run's seconds, prompt tokens, of them
    evaluated, generated tokens, and the generation speed the seconds imply.
    """
    n = len(runs) or 1
    roles = by_role(call for run in runs for call in run.get("profile", []))
    total_s = sum(run["seconds"] for run in runs) or 1.0
    rows = []
    for role, t in roles.items():
        rows.append(
            [
                role,
                f"{t['calls'] / n:.1f}",
                f"{t['seconds'] / n:.2f}",
                f"{t['seconds'] / total_s:.0%}",
                f"{t['prompt_tokens'] / n:.0f}",
                f"{t['evaluated_tokens'] / n:.0f}",
                f"{t['generated_tokens'] / n:.0f}",
            ]
        )
    model_s = sum(t["seconds"] for t in roles.values())
    rows.append(
        [
            "outside model calls and retrieval",
            "",
            f"{(total_s - model_s) / n:.2f}",
            f"{(total_s - model_s) / total_s:.0%}",
            "",
            "",
            "",
        ]
    )
    rows.append(["**whole run**", "", f"{total_s / n:.2f}", "100%", "", "", ""])
    return rows


PROFILE_HEADER = (
    "role",
    "calls",
    "seconds",
    "share",
    "prompt tokens",
    "evaluated",
    "generated",
)


def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else 0.0
