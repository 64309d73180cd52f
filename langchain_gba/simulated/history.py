"""What the simulated tools returned so far in each run, so that a twin can stay consistent."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from langchain_core.runnables import RunnableConfig

__all__ = ["SimulationHistory", "run_key"]


def run_key(config: RunnableConfig | None) -> str | None:
    """The run a tool call belongs to: the ``thread_id`` (or ``run_key``) of its configurable."""
    configurable = (config or {}).get("configurable") or {}
    key = configurable.get("run_key", configurable.get("thread_id"))
    return None if key is None else str(key)


class SimulationHistory:
    """The calls (task, observation) of the simulated tools, per run, bounded to recent runs.

    The twins of one environment share one history; a run is told apart by the ``thread_id``
    of its config (``agent.ainvoke(..., {"configurable": {"thread_id": "r1"}})``). Calls
    without one keep no history.
    """

    def __init__(self, max_runs: int = 1024) -> None:
        self.max_runs = max_runs
        self._runs: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str | None) -> list[dict[str, Any]]:
        """The calls of run ``key`` so far, oldest first."""
        if key is None:
            return []
        with self._lock:
            return list(self._runs.get(key, ()))

    def add(self, key: str | None, task: str, observation: str) -> None:
        """Record a call of run ``key``."""
        if key is None:
            return
        with self._lock:
            self._runs.setdefault(key, []).append({"task": task, "observation": observation})
            self._runs.move_to_end(key)
            while len(self._runs) > self.max_runs:
                self._runs.popitem(last=False)
