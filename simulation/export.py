"""``export``: well-rated trajectories → planner training examples → a Hugging Face dataset.

One example per planner step of a trajectory whose final answer is rated at least
``threshold``: the prompt is the fine-tuned planner's prompt with the steps before it
(``fine_tuned_planner_prompt``, imported from the library: the exact text the planner will
see), the completion is the step as JSON with ``PLAN_FIELDS`` only (a teacher's extra fields
are dropped). The split is by trajectory (no request in both splits), seeded.

``include_incomplete`` also keeps the steps of trajectories that hit the step limit, whatever
their rating (the judge rates a missing answer 1): a weak teacher (the embedded 135M model)
may finish no request at all, and its steps are still demonstrations of planning.

A teacher's steps are not spread evenly over the tools (every trajectory ends with
``final_answer``; many start with a search), and a small student learns the majority tool as a
default. :func:`tool_frequencies` counts the selected tools and :func:`cap_tool_share` drops
(seeded) examples of the tools above a share until none is.

A teacher that repeats a step (the agent's loop guard marks it ``repeat_of`` and does not run
the tool again) until the guard stops it (``stopped``) knew all it would learn before its first
repeat. ``answer_at_loops`` leaves out the repeated steps and, where only repeats came before
the stop, teaches ``final_answer`` at the first of them (:func:`loop_answer_index`): the step
the teacher should have taken, and the one its answer came from.

A teacher that copies the planner prompt's field descriptions into a step ("The results so far
give (Known): ... Then what is still missing to answer the request and the tool that gets it: a
search for facts, ...") teaches a student to write them where a task belongs: the shipped v2
student searched Wikipedia for that sentence on 4 of 28 held-out lookups.
``drop_echoes`` leaves out the steps whose thoughts or task copy
``ECHO_WORDS`` words in a row of a description (:func:`echoes_descriptions`).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from langchain_gba.planner import PLAN_FIELDS, copies_descriptions
from langchain_gba.prompts import (
    LOOP_ANSWER_THOUGHTS,
    LOOP_STOP_TASK,
    REQUEST_KINDS,
    fine_tuned_plan_prompt,
    fine_tuned_planner_prompt,
)
from simulation.generate import usable, word_overlap

__all__ = [
    "APP_TOOL",
    "BUILT_IN_TOOLS",
    "KIND_FIRST_TOOLS",
    "balance_first_steps",
    "cap_tool_share",
    "echoes_descriptions",
    "examples_from",
    "export_dataset",
    "first_tool_fits",
    "fits_kind",
    "loop_answer_index",
    "near_duplicates",
    "plan_examples_from",
    "plan_first_tool",
    "refused_plan",
    "split_ids",
    "tool_frequencies",
]

_SEARCH = frozenset({"search_wikipedia", "search_internet"})
APP_TOOL = "<app tool>"
"""In ``KIND_FIRST_TOOLS``: an app's own tool (``create_event``, ``send_email``)."""
KIND_FIRST_TOOLS: dict[str, frozenset[str]] = {
    "direct": frozenset({"final_answer"}),
    "single_step": _SEARCH,
    "multi_step": _SEARCH,
    "compare": _SEARCH,
    "calculation": frozenset({"calculate_number"}),
    "ask_user": frozenset({"ask_user"}),
    "internet": frozenset({"search_internet"}),
    "ask_calculation": frozenset({"ask_user"}),
    "everyday": frozenset({"final_answer"}),
    "language": frozenset({"final_answer"}),
    "action": frozenset({APP_TOOL}),
    "ask_action": frozenset({"ask_user"}),
    "lookup_action": _SEARCH,
}
"""The first tools that fit a generated request's kind (``simulation.generate.KINDS``);
``APP_TOOL`` stands for any tool that is not one of ``BUILT_IN_TOOLS``."""

BUILT_IN_TOOLS = frozenset().union(*KIND_FIRST_TOOLS.values()) - {APP_TOOL}
"""The tools the kinds name: the five-tool set's."""


def fits_kind(kind: str | None, tool: str | None) -> bool:
    """Whether ``tool`` fits as the first tool of a request of ``kind`` (any, for no kind)."""
    fits = KIND_FIRST_TOOLS.get(str(kind))
    if fits is None:
        return True
    return tool in fits or (APP_TOOL in fits and tool is not None and tool not in BUILT_IN_TOOLS)


NEAR_DUPLICATE = 0.8
"""Word-set overlap (Jaccard, normalised text) from which a recorded request counts as a copy of
a held-out one: "How many days are in a week?" against "how many days are there in a week" is
0.88; "What's the plural of 'cat'?" against "what's the plural of mouse?" 0.71, a request of its
own."""


def near_duplicates(
    records: Sequence[dict[str, Any]], held_out: Iterable[str], threshold: float = NEAR_DUPLICATE
) -> set[str]:
    """The ids of ``records`` whose request is a near-duplicate of a ``held_out`` request."""
    others = list(held_out)
    found = set()
    for record in records:
        request = str(record.get("request", ""))
        if any(word_overlap(request, other) >= threshold for other in others):
            found.add(str(record["id"]))
    return found


ECHO_WORDS = 7
"""Words in a row shared with a field description that make a step's text an echo of it (6
flags a few honest thoughts, "the results so far give us ...": 1 in 9 teacher steps copy 7)."""


def echoes_descriptions(text: str) -> bool:
    """Whether ``text`` copies ``ECHO_WORDS`` words in a row of a planner field's description."""
    return copies_descriptions(text, ECHO_WORDS)


def first_tool_fits(record: dict[str, Any]) -> bool:
    """Whether a trajectory's first tool fits the kind its request was generated as.

    A record without a kind (or of another kind) fits. A student learns its first choice from
    these: a teacher that searched before answering a greeting would teach it to search.
    """
    kind = (record.get("meta") or {}).get("kind")
    steps = record.get("steps") or []
    return kind not in KIND_FIRST_TOOLS or (bool(steps) and fits_kind(kind, steps[0].get("tool")))


def _example(r: dict[str, Any], i: int, target: dict[str, Any], rating: int) -> dict[str, Any]:
    """The training example of step ``i`` of trajectory ``r`` with ``target`` as its step."""
    return {
        "id": f"{r['id']}/{i}",
        "trajectory": str(r["id"]),
        "step": i,
        "prompt": fine_tuned_planner_prompt(r["request"], r["steps"][:i]),
        "completion": json.dumps(target, ensure_ascii=False),
        "planner": r.get("planner", ""),
        "planner_model": r.get("planner_model", ""),
        "rating": rating,
    }


def loop_answer_index(steps: Sequence[dict[str, Any]]) -> int | None:
    """Where a trajectory that the loop guard stopped should have answered, or None.

    The index of the first step of the repeats that end the trajectory right before the
    guard's stop; None when it was not stopped or a new step came between the repeats and the
    stop.
    """
    if not steps or "stopped" not in (steps[-1].get("plan") or {}):
        return None
    i = len(steps) - 1
    while i > 0 and "repeat_of" in (steps[i - 1].get("plan") or {}):
        i -= 1
    return i if i < len(steps) - 1 else None


def examples_from(
    records: Sequence[dict[str, Any]],
    judgements: Sequence[dict[str, Any]],
    *,
    threshold: int = 4,
    include_incomplete: bool = False,
    match_kinds: bool = False,
    min_task_rating: int | None = None,
    answer_at_loops: bool = False,
    plain_final_tasks: bool = False,
    drop_echoes: bool = False,
) -> list[dict[str, Any]]:
    """The training examples of the answered trajectories rated ``>= threshold``.

    With ``include_incomplete``, also those of the trajectories that hit the step limit; with
    ``match_kinds``, only trajectories whose first tool fits their request's kind
    (``first_tool_fits``); with ``min_task_rating``, only the steps whose task the judge rated
    at least that (the 1.5B judge rates a repeated search 3: a student copies a redundant step
    as readily as a good one). A step the judge did not rate is kept. With
    ``answer_at_loops``, repeated steps are left out and a trajectory the loop guard stopped
    teaches ``final_answer`` where its repeats began (see the module's docstring). With
    ``plain_final_tasks``, every ``final_answer`` step's task becomes ``LOOP_STOP_TASK``
    ("Answer the request."): the answer writer has the request and the results, and a teacher's
    final tasks are often its reasoning or an answer of its own ("Final answer: ..."), which a
    small student would learn to invent. With ``drop_echoes``, the steps whose thoughts or
    task (after ``plain_final_tasks``) copy a field's description are left out
    (:func:`echoes_descriptions`).
    """
    rated = [j for j in judgements if j.get("status") == "rated"]
    ratings = {str(j["id"]): j["final_rating"] for j in rated}
    step_ratings = {str(j["id"]): list(j.get("step_ratings") or []) for j in rated}
    examples = []
    for r in records:
        rating = ratings.get(str(r["id"]))
        unfinished = include_incomplete and r["status"] == "incomplete" and rating is not None
        if not unfinished and (r["status"] != "answered" or rating is None or rating < threshold):
            continue
        if match_kinds and not first_tool_fits(r):
            continue
        steps = r["steps"]
        stop_at = loop_answer_index(steps) if answer_at_loops else None

        for i, step in enumerate(steps):
            plan = step.get("plan") or {}
            if i == stop_at:
                answer = {"thoughts": LOOP_ANSWER_THOUGHTS, "selected_tool": "final_answer",
                          "task": LOOP_STOP_TASK}  # fmt: skip
                examples.append(_example(r, i, {k: answer[k] for k in PLAN_FIELDS}, rating))
                break
            if answer_at_loops and "repeat_of" in plan:
                continue
            if any(k not in plan for k in PLAN_FIELDS):
                continue  # not a planner step (the loop guard's stop)
            rated_steps = step_ratings[str(r["id"])]
            if min_task_rating is not None and i < len(rated_steps):
                if rated_steps[i] < min_task_rating:
                    continue
            target = {k: plan[k] for k in PLAN_FIELDS}
            if plain_final_tasks and target["selected_tool"] == "final_answer":
                target["task"] = LOOP_STOP_TASK
            if drop_echoes and (
                echoes_descriptions(target["thoughts"]) or echoes_descriptions(target["task"])
            ):
                continue
            examples.append(_example(r, i, target, rating))
    return examples


def plan_first_tool(plan: Mapping[str, Any]) -> str:
    """A plan's first tool; ``final_answer`` for a plan with no steps (the answer follows)."""
    steps = plan.get("steps") or []
    return str(steps[0]["tool"]) if steps else "final_answer"


def refused_plan(record: Mapping[str, Any], kept: Mapping[str, Any]) -> bool:
    """Whether a kept plan had no steps and the agent refused the answer that followed it."""
    if kept["plan"].get("steps"):
        return False
    steps = record.get("steps") or []
    i = len(kept.get("steps") or [])  # the steps done before the plan
    return i < len(steps) and steps[i].get("tool") == "final_answer" and bool(steps[i].get("error"))


def plan_examples_from(
    records: Sequence[dict[str, Any]],
    judgements: Sequence[dict[str, Any]],
    *,
    threshold: int = 4,
    match_kinds: bool = False,
    drop_refused: bool = False,
    max_plans: int | None = None,
    hoist_refused: bool = False,
    thoughts: bool = True,
) -> list[dict[str, Any]]:
    """The plan-ahead student's examples: each plan of the answered trajectories rated high.

    The trajectories are recorded with ``simulation run --planning ahead`` and rated at least
    ``threshold``. An example's prompt is ``fine_tuned_plan_prompt`` of what the teacher saw
    (the request, the steps before the plan, the tools), its completion the plan's JSON
    (thoughts, steps): the first plan of a trajectory and each plan written again after a
    refusal or a failed step (``step`` counts them). With ``match_kinds``, only trajectories
    whose first plan starts with a tool that fits the request's generated kind (no steps for
    a direct request; with ``drop_refused``, the first plan not refused). Each example lists
    the tools in an order of its own (seeded by its id). With ``drop_refused``, a plan without
    steps whose answer the agent then refused (the teacher answering a lookup from memory; the
    plan after the refusal is kept) is left out. With ``max_plans``, trajectories that needed
    more plans than that are left out (a teacher floundering after failed steps). With
    ``hoist_refused`` (implies ``drop_refused``), the plan written after such a refusal is
    taught where the refused plan was written (its prompt without the refusal in the results),
    and not after the refusal: the student plans the search at once. Without ``thoughts``, the
    plans' thoughts are taught empty (``""``): the student writes only the steps, ~40% fewer
    tokens per plan.
    """
    ratings = {str(j["id"]): j["final_rating"] for j in judgements if j.get("status") == "rated"}
    drop_refused = drop_refused or hoist_refused
    examples = []
    for r in records:
        rating = ratings.get(str(r["id"]))
        plans = r.get("plans") or []
        if r["status"] != "answered" or rating is None or rating < threshold or not plans:
            continue
        kind = (r.get("meta") or {}).get("kind")
        # the plan that decided the run's first tool: with drop_refused, the one after a refused
        # answer from memory (which is not taught)
        first = next((p for p in plans if not (drop_refused and refused_plan(r, p))), plans[0])
        if match_kinds and not fits_kind(kind, plan_first_tool(first["plan"])):
            continue
        if match_kinds and kind in REQUEST_KINDS and not usable(kind, r.get("request", "")):
            continue  # a request its kind's checks refuse now (a copied kind description)
        if max_plans is not None and len(plans) > max_plans:
            continue
        hoisted = False  # the plan at hand was taught in the refused plan's place
        for k, kept in enumerate(plans):
            plan = kept["plan"]
            if hoisted:
                hoisted = False
                continue
            if drop_refused and refused_plan(r, kept):
                if not (hoist_refused and k + 1 < len(plans) and not refused_plan(r, plans[k + 1])):
                    continue
                plan, hoisted = plans[k + 1]["plan"], True  # kept: the refused plan's prompt
            target = {
                "thoughts": plan.get("thoughts", "") if thoughts else "",
                "steps": [{"tool": s["tool"], "task": s["task"]} for s in plan.get("steps") or []],
            }
            tools = [tuple(t) for t in kept.get("tools") or []]
            # the order the app lists its tools in is the app's: each example gets its own
            # (seeded by its id), so the student reads the names, not the places
            random.Random(f"{r['id']}/p{k}").shuffle(tools)
            examples.append(
                {
                    "id": f"{r['id']}/p{k}",
                    "trajectory": str(r["id"]),
                    "step": k,
                    "prompt": fine_tuned_plan_prompt(r["request"], kept["steps"], tools),
                    "completion": json.dumps(target, ensure_ascii=False),
                    "planner": r.get("planner", ""),
                    "planner_model": r.get("planner_model", ""),
                    "rating": rating,
                }
            )
    return examples


def _tool(example: dict[str, Any]) -> str:
    target = json.loads(example["completion"])
    return plan_first_tool(target) if "steps" in target else str(target["selected_tool"])


def tool_frequencies(examples: Sequence[dict[str, Any]]) -> Counter[str]:
    """How many examples select each tool."""
    return Counter(_tool(e) for e in examples)


def cap_tool_share(
    examples: Sequence[dict[str, Any]], max_share: float, *, seed: int = 0
) -> list[dict[str, Any]]:
    """Drop examples of over-represented tools until no tool selects more than ``max_share``.

    The share is over the examples kept; the examples dropped are a seeded random choice among
    the tool's, and the order of the rest is kept. A share below ``1 / number of tools`` cannot
    be met by all tools; the tools are then capped at the least frequent one's count.
    """
    if not 0 < max_share <= 1:
        raise ValueError(f"max_share must be in (0, 1], not {max_share}")
    counts = tool_frequencies(examples)
    if not counts:
        return list(examples)
    caps = dict(counts)
    floor = min(caps.values())
    while max_share < 1:  # a count c is allowed while c / (c + rest) <= max_share
        top = max(caps, key=lambda t: caps[t])
        rest = sum(caps.values()) - caps[top]
        allowed = max(floor, int(max_share * rest / (1 - max_share) + 1e-9))
        if caps[top] <= allowed:
            break
        caps[top] = allowed
    rng = random.Random(seed)
    dropped: set[int] = set()
    for tool, cap in caps.items():
        ids = [i for i, e in enumerate(examples) if _tool(e) == tool]
        if len(ids) > cap:
            dropped.update(rng.sample(ids, len(ids) - cap))
    return [e for i, e in enumerate(examples) if i not in dropped]


def balance_first_steps(
    examples: Sequence[dict[str, Any]], max_repeat: int, *, seed: int = 0
) -> list[dict[str, Any]]:
    """Repeat the first-step examples of the rarer first tools, towards the commonest one's count.

    A student's first choice is learned from the first steps only, and a teacher's first steps
    are mostly searches (a student then searches before a greeting). Each tool's first steps
    are repeated until they number as many as the commonest first tool's, at most ``max_repeat``
    times their own count (a seeded choice of which repeat once more); later steps are kept
    once. Repeats get ``~k`` after their id and follow the examples (the trainer shuffles).
    """
    if max_repeat < 1:
        raise ValueError(f"max_repeat must be at least 1, not {max_repeat}")
    firsts: dict[str, list[dict[str, Any]]] = {}
    for e in examples:
        if e["step"] == 0:
            firsts.setdefault(_tool(e), []).append(e)
    top = max((len(v) for v in firsts.values()), default=0)
    rng = random.Random(seed)
    extra = []
    for tool in sorted(firsts):
        group = firsts[tool]
        target = min(top, len(group) * max_repeat)
        copies = [e for _ in range(target // len(group) - 1) for e in group]
        copies += rng.sample(group, target % len(group))
        extra += [{**e, "id": f"{e['id']}~{k}"} for k, e in enumerate(copies, start=1)]
    return [*examples, *extra]


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
    first_step_repeat: int = 1,
) -> Any:
    """Save the examples as a ``datasets.DatasetDict`` (train/test) and as JSONL and Parquet.

    ``first_step_repeat`` > 1 balances the training split's first steps
    (:func:`balance_first_steps`); the test split stays as recorded.

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
    train = [e for e in examples if e["trajectory"] not in test_ids]
    if first_step_repeat > 1:
        train = balance_first_steps(train, first_step_repeat, seed=seed)
    splits = {"train": train, "test": [e for e in examples if e["trajectory"] in test_ids]}
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
