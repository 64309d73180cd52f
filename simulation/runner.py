"""``run``: the agent with a chosen planner in the simulated environment, over many requests.

Each trajectory becomes one line of a JSONL file as soon as it ends (see ``records``). Several
requests are in flight at once (``agent.ainvoke``; against a server they overlap). A request
whose run raises is recorded with status ``failed`` and the reason; a server that stops
answering stops the run instead (nothing recorded for the requests in flight: the next run
redoes them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from langchain_gba._importing import import_object
from langchain_gba.agent import create_gba_agent
from langchain_gba.exceptions import AgentConfigError
from langchain_gba.planner import FineTunedPlanner, Planner, ZeroShotPlanner, tool_descriptions
from langchain_gba.prompts import (
    AHEAD_KIND_HINTS,
    KIND_HINT,
    KIND_HINTS,
    PLAN_AHEAD_EXAMPLES,
    PLANNER_EXAMPLES,
    PlanAheadExample,
    PlannerExample,
)
from langchain_gba.simulated import simulated_environment
from langchain_gba.simulated.environment import KEEP_REAL
from simulation.export import KIND_FIRST_TOOLS, fits_kind
from simulation.models import SERVER_ERROR_NAMES, ServerUnavailableError, is_server_unavailable
from simulation.pool import process
from simulation.records import RecordFile

__all__ = [
    "PLANNERS",
    "HintedPlanner",
    "RunLabels",
    "RunReport",
    "build_agent",
    "import_examples",
    "kind_hints",
    "PlanRecorder",
    "make_planner",
    "recording",
    "run_requests",
    "trajectory_record",
]

PlannerKind = Literal["zero-shot", "teacher", "fine-tuned"]
PLANNERS: tuple[PlannerKind, ...] = ("zero-shot", "teacher", "fine-tuned")
"""``zero-shot``: an instruct model given the tools; ``teacher``: the same, writing the teacher
fields first (a strong model); ``fine-tuned``: a model trained on exported trajectories."""


class Agent(Protocol):
    """What the runner needs of an agent: LangGraph's ``ainvoke``."""

    async def ainvoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        """Run one request."""


@dataclass(frozen=True)
class RunLabels:
    """What each trajectory record says about how it was made."""

    planner: str
    planner_model: str
    tool_model: str
    max_steps: int


@dataclass
class RunReport:
    """What a run did."""

    written: int
    skipped: int
    failed: int
    repaired_bytes: int


class HintedPlanner(ZeroShotPlanner):
    """A teacher with privileged information: the kind of each generated request.

    On the first step of a request of a known kind, a hint follows the request and the step's
    tool is held to those that fit the kind (``KIND_FIRST_TOOLS``: final_answer for a direct
    request, ask_user, calculate_number, a search): a note alone did not stop the 1.5B from
    asking a greeting back. Later steps are the teacher's own. Recording only: the student is
    trained on the request without either, and learns the choice. ``kinds`` maps request texts
    to their kinds (``kind_hints``).
    """

    def __init__(self, model: BaseChatModel, kinds: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        self.kinds = dict(kinds)

    def hinted(self, request: str, steps: Sequence[Any], hints: Mapping[str, str]) -> str:
        """``request`` with the hint of its kind from ``hints``, before the first step only."""
        kind = self.kinds.get(request)
        if kind in hints and not steps:
            return f"{request}\n{KIND_HINT.format(hint=hints[kind])}"
        return request

    def messages(
        self, request: str, steps: Sequence[Mapping[str, Any]], tools: Sequence[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """The zero-shot messages; the request with its hint on the first step."""
        return super().messages(self.hinted(request, steps, KIND_HINTS), steps, tools)

    def ahead_messages(
        self, request: str, steps: Sequence[Mapping[str, Any]], tools: Sequence[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """The plan-ahead messages; the request with its hint on the first plan."""
        return super().ahead_messages(self.hinted(request, steps, AHEAD_KIND_HINTS), steps, tools)

    def first_tools(
        self, request: str, steps: Sequence[Mapping[str, Any]], tools: Iterable[Any]
    ) -> list[Any]:
        """The tools the step may select: on a first step, those that fit the request's kind."""
        tools = list(tools)
        kind = self.kinds.get(request, "")
        if steps or kind not in KIND_FIRST_TOOLS:
            return tools
        names = [name for name, _ in tool_descriptions(tools)]
        kept = [t for t, name in zip(tools, names, strict=True) if fits_kind(kind, name)]
        return kept or tools

    def plan(self, request: str, steps: Any, tools: Any, config: Any = None) -> Any:
        """``Planner.plan`` over ``first_tools``."""
        return super().plan(request, steps, self.first_tools(request, steps, tools), config)

    async def aplan(self, request: str, steps: Any, tools: Any, config: Any = None) -> Any:
        """``Planner.aplan`` over ``first_tools``."""
        chosen = self.first_tools(request, steps, tools)
        return await super().aplan(request, steps, chosen, config)


class PlanRecorder:
    """Keeps every plan ahead a planner writes, by request text (a trajectory's ``plans``).

    Made by ``recording``, which wraps the planner's ``plan_ahead`` and ``aplan_ahead``. Each
    plan is kept with what the planner saw: the steps so far (``task`` and ``observation``, as
    ``format_context`` reads them), the tools (name, description), the fewest steps it had to
    plan, and the plan (thoughts and steps): ``simulation export --plans`` turns them into a
    plan-ahead student's examples.
    """

    def __init__(self) -> None:
        self.plans: dict[str, list[dict[str, Any]]] = {}

    def keep(
        self, request: str, steps: Sequence[Mapping[str, Any]], tools: Iterable[Any],
        min_steps: int, plan: Any,
    ) -> None:  # fmt: skip
        """Keep one plan and what its planner saw."""
        self.plans.setdefault(request, []).append(
            {
                "steps": [
                    {"task": s.get("task"), "observation": s.get("observation")} for s in steps
                ],
                "tools": [list(t) for t in tool_descriptions(tools)],
                "min_steps": min_steps,
                "plan": plan.model_dump() if hasattr(plan, "model_dump") else dict(plan),
            }
        )

    def take_plans(self, request: str) -> list[dict[str, Any]]:
        """The plans kept for ``request`` (forgotten here)."""
        return self.plans.pop(request, [])


def recording(planner: Planner) -> PlanRecorder:
    """Keep the plans ahead ``planner`` writes from now on; the recorder that holds them."""
    recorder = PlanRecorder()
    plan_ahead, aplan_ahead = planner.plan_ahead, planner.aplan_ahead

    def kept(request: str, steps: Any, tools: Any, config: Any = None, **options: Any) -> Any:
        tools = list(tools)
        plan = plan_ahead(request, steps, tools, config, **options)
        recorder.keep(request, steps, tools, options.get("min_steps", 0), plan)
        return plan

    async def akept(
        request: str, steps: Any, tools: Any, config: Any = None, **options: Any
    ) -> Any:
        tools = list(tools)
        plan = await aplan_ahead(request, steps, tools, config, **options)
        recorder.keep(request, steps, tools, options.get("min_steps", 0), plan)
        return plan

    planner.plan_ahead = kept  # type: ignore[method-assign]
    planner.aplan_ahead = akept  # type: ignore[method-assign]
    return recorder


def kind_hints(requests: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Request text → kind, for the requests whose ``kind`` has a hint (``KIND_HINTS``)."""
    return {str(r["request"]): str(r["kind"]) for r in requests if str(r.get("kind")) in KIND_HINTS}


def import_examples(specs: Iterable[str]) -> list[PlannerExample | PlanAheadExample]:
    """An app's planner examples from ``module:attribute`` or ``path/to/file.py:attribute`` each.

    The attribute is an example, a list of them, or a function of no arguments that returns
    either: ``PlannerExample`` steps and ``PlanAheadExample`` plans, for the app's own tools
    (``examples/assistant.py:EXAMPLES`` and ``PLAN_EXAMPLES``), shown beside the built-in ones.

    Raises:
        AgentConfigError: nothing importable there, or something other than examples.
    """
    what = "a PlannerExample, a PlanAheadExample or a list of them"
    found: list[PlannerExample | PlanAheadExample] = []
    for spec in specs:
        value = import_object(spec, what=what)
        items = [value] if isinstance(value, PlannerExample | PlanAheadExample) else value
        if not isinstance(items, list | tuple) or not all(
            isinstance(e, PlannerExample | PlanAheadExample) for e in items
        ):
            msg = f"{spec!r} gives {value!r}, not {what}."
            raise AgentConfigError(msg)
        found.extend(items)
    return found


def make_planner(
    kind: str,
    model: BaseChatModel,
    *,
    max_length: int = 200,
    hints: Mapping[str, str] | None = None,
    examples: Iterable[PlannerExample | PlanAheadExample] = (),
) -> Planner:
    """The planner of ``kind`` (see ``PLANNERS``) on ``model``.

    ``hints``: the kind of each request text (``kind_hints``), for a hinted teacher only.
    ``examples``: more steps and plans shown by a zero-shot or teacher planner, after its
    built-in ones (each shown only where the tools have every tool it names).
    """
    if hints and kind != "teacher":
        msg = f"Hints are for the teacher planner, not {kind!r}."
        raise ValueError(msg)
    extra = list(examples)
    if extra and kind == "fine-tuned":
        msg = "Examples are shown by the zero-shot and teacher planners, not a fine-tuned one."
        raise ValueError(msg)
    shown: dict[str, Any] = {
        "max_length": max_length,
        "examples": (*PLANNER_EXAMPLES, *(e for e in extra if isinstance(e, PlannerExample))),
        "plan_examples": (
            *PLAN_AHEAD_EXAMPLES,
            *(e for e in extra if isinstance(e, PlanAheadExample)),
        ),
    }
    if kind == "zero-shot":
        return ZeroShotPlanner(model, **shown)
    if kind == "teacher" and hints:
        return HintedPlanner(model, hints, teacher=True, **shown)
    if kind == "teacher":
        return ZeroShotPlanner(model, teacher=True, **shown)
    if kind == "fine-tuned":
        return FineTunedPlanner(model, max_length=max_length)
    msg = f"Unknown planner {kind!r}; choose from: {', '.join(PLANNERS)}."
    raise ValueError(msg)


def build_agent(
    planner: Planner,
    tool_llm: BaseChatModel,
    tools: Sequence[BaseTool],
    *,
    max_steps: int = 10,
    seed: int = 0,
    observation_length: int = 240,
    persona: str | None = None,
    planning: Literal["step", "ahead"] = "step",
    keep_real: Iterable[str] = KEEP_REAL,
) -> Any:
    """The agent in the simulated environment: twins of ``tools`` and a simulated user.

    ``planning``: ``"step"`` records single steps (the step student's format); ``"ahead"``
    runs the agent as it answers by default (plans ahead, with every check) and needs a
    ``recording`` planner, whose plans are the plan-ahead student's format. ``keep_real``: the
    tools run as they are instead of their twins (default: the calculator).
    """
    env = simulated_environment(
        tools,
        tool_llm,
        seed=seed,
        persona=persona,
        keep_real=keep_real,
        max_length=observation_length,
        max_title_length=max(8, min(40, observation_length // 2)),
    )
    return create_gba_agent(
        env,
        planner=planner,
        function_calling_model=tool_llm,
        answer_model=tool_llm,
        max_steps=max_steps,
        planning=planning,
    )


def trajectory_record(
    request: dict[str, Any],
    labels: RunLabels,
    *,
    state: dict[str, Any] | None = None,
    error: str | None = None,
    seconds: float = 0.0,
    started_at: str = "",
    plans: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """One line of the run file (``plans``: a recording planner's plans ahead, if any)."""
    state = state or {}
    steps = [
        {k: s.get(k) for k in ("task", "tool", "arguments", "observation", "error", "plan")}
        for s in state.get("steps") or []
    ]
    return {
        "id": str(request["id"]),
        "request": request["request"],
        "status": "failed" if error else state.get("status", "failed"),
        "answer": state.get("answer"),
        "error": error or state.get("error"),
        "steps": steps,
        "n_steps": sum(1 for s in steps if s["tool"] != "final_answer"),
        "planner": labels.planner,
        "planner_model": labels.planner_model,
        "tool_model": labels.tool_model,
        "max_steps": labels.max_steps,
        "seconds": round(seconds, 3),
        "started_at": started_at,
        "meta": {k: v for k, v in request.items() if k not in ("id", "request")},
        **({"plans": [dict(p) for p in plans]} if plans else {}),
    }


def _server_failed_inside(state: dict[str, Any]) -> str | None:
    """An error observation showing that the server failed during the run, if any."""
    for step in state.get("steps") or []:
        text = str(step.get("observation") or "")
        if step.get("error") and any(name in text for name in SERVER_ERROR_NAMES):
            return text
    return None


async def run_one(
    agent: Agent,
    request: dict[str, Any],
    labels: RunLabels,
    recorder: PlanRecorder | None = None,
) -> dict[str, Any]:
    """Run one request; its record (status ``failed`` with the reason if the run raised).

    ``recorder``: the agent's planner when it keeps its plans (``recording``).

    Raises:
        ServerUnavailableError: the model server is down or too slow: not recorded.
    """
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    config = {"configurable": {"thread_id": str(request["id"])}}
    try:
        state = await agent.ainvoke({"request": request["request"]}, config)
    except Exception as e:
        plans = recorder.take_plans(request["request"]) if recorder else []
        if is_server_unavailable(e):
            msg = f"The model server failed during request {request['id']!r}: {e}"
            raise ServerUnavailableError(msg) from e
        error = f"{type(e).__name__}: {' '.join(str(e).split())}"
        return trajectory_record(
            request, labels, error=error, seconds=time.perf_counter() - t0,
            started_at=started_at, plans=plans,
        )  # fmt: skip
    plans = recorder.take_plans(request["request"]) if recorder else []
    if (detail := _server_failed_inside(state)) is not None:
        msg = f"The model server failed during request {request['id']!r}: {detail}"
        raise ServerUnavailableError(msg)
    return trajectory_record(
        request, labels, state=state, seconds=time.perf_counter() - t0, started_at=started_at,
        plans=plans,
    )  # fmt: skip


async def run_requests(
    requests: Sequence[dict[str, Any]],
    out_path: str | Path,
    agent: Agent,
    labels: RunLabels,
    *,
    concurrency: int = 1,
    on_start: Callable[[int, int], None] | None = None,
    on_done: Callable[[dict[str, Any]], None] | None = None,
    recorder: PlanRecorder | None = None,
) -> RunReport:
    """Run every request not yet in ``out_path``, appending one record per trajectory.

    Args:
        requests: objects with ``id`` and ``request``.
        out_path: the JSONL run file (created, or resumed: a torn last line is repaired and the
            ids in it are skipped).
        agent: the agent (see ``build_agent``).
        labels: planner and model names for the records.
        concurrency: requests in flight.
        on_start: called with (pending, already done) before the first request.
        on_done: called with each record when it is written.
        recorder: the agent's planner when it keeps its plans (``recording``): each record
            gets its request's ``plans``.

    Raises:
        ServerUnavailableError: the server stopped answering (rerun to resume).
    """
    with RecordFile(out_path) as out:
        seen: set[str] = set()
        pending = []
        for r in requests:
            rid = str(r["id"])
            if rid not in out.ids and rid not in seen:
                seen.add(rid)
                pending.append(r)
        if on_start is not None:
            on_start(len(pending), len(requests) - len(pending))
        failed = 0

        def done(record: dict[str, Any]) -> None:
            nonlocal failed
            failed += record["status"] == "failed"
            if on_done is not None:
                on_done(record)

        async def handle(request: dict[str, Any]) -> dict[str, Any]:
            return await run_one(agent, request, labels, recorder)

        written = await process(pending, handle, out, concurrency=concurrency, on_done=done)
        return RunReport(
            written=written,
            skipped=len(requests) - len(pending),
            failed=failed,
            repaired_bytes=out.repaired,
        )
