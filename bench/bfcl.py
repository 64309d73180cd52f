"""BFCL function calling, offline: constrained decoding (ours) vs prompted JSON vs LangChain tools.

    python bench/bfcl.py [--limit 20] [--categories simple_python multiple irrelevance]
                         [--model smollm2-135m-instruct|qwen2.5-coder-1.5b-instruct|PATH.gguf]
                         [--routes ours ours-union prompted langchain] [--threads 1]
                         [--compare-limit 50] [--offset 150] [--fit-threshold 0.75]
                         [--resume] [--report] [--sweep [RUN ...]]

Writes ``bench/results/bfcl.json`` (every item's raw output, decoded call and verdict) and
``bfcl.md`` (the table). The default (10 items per category, 3 routes) takes about 10 minutes
on 2 busy cores; ``--limit 0`` runs all 840 items (hours: the table prints the estimate).

The items, the possible answers and the scoring are BFCL's own, from the PyPI package
``bfcl-eval`` (``pip install 'langchain-gba[bench]'``, then ``pip install --no-deps bfcl-eval``:
its pins would downgrade numpy and faiss). Every route sees the same items with the same model
(one llama.cpp instance shared by all routes), interleaved item by item in a rotating order so that
machine noise and prompt-cache effects hit all routes alike; decoding is greedy and bounded to
``--max-tokens`` per completion.

Routes (each output is turned into BFCL's model-output format, ``[{func_name: {arg: value}}]``):

- ``ours``: the agent's own path, with the decision that may decline. Where several functions
  are offered, a constrained step picks the closest one (an enum of their names); then
  ``FunctionCaller(check_fit=True)`` decides on it: the model is asked whether calling it does
  the request (library prompts ``FUNCTION_DECISION_SYSTEM`` and ``FUNCTION_FIT_QUESTIONS``: the
  function's description and its arguments' descriptions), and its mean probability of "Yes" is
  compared with ``--fit-threshold``; under it is the explicit no-call, else the arguments are
  written, constrained to the function's schema, and optional ones the request does not give
  are dropped (``grounded_arguments``). The threshold was tuned on items apart from the
  reported ones (``--offset 150 --fit-threshold 0``, then ``--sweep``).
- ``bind_tools``: ``ChatLlamaCpp.bind_tools(tools)`` (``tool_choice="auto"``), what any LangChain
  agent gets: a call or a reply decided by the model's probability of each function's name and
  of ``none`` as its first token, then the arguments under the function's schema
  (``langchain_gba.chat_models.tool_calling``).
- ``ours-select``: the first design, kept for comparison: one constrained choice among the
  functions and ``none``, then the arguments (``FUNCTION_CALLING_SYSTEM/USER``: the function's
  description only).
- ``ours-union``: one constrained step with the ``prompted`` route's messages, decoding forced to
  ``anyOf({"name": const f, "arguments": parameters of f} for each f, {"name": "none"})``: the
  same prompt as ``prompted``, so the difference is the constraint alone.
- ``prompted``: the same model, unconstrained, asked for that JSON object; the first JSON object in
  the reply is parsed; no retry.
- ``langchain``: the usual LangChain route with llama.cpp: langchain-community's ``ChatLlamaCpp``
  with ``bind_tools`` and ``tool_choice="auto"``, on llama-cpp-python's ``chatml-function-calling``
  chat handler (a message, or ``functions.<name>:`` followed by grammar-constrained arguments).

"No function fits" (BFCL's irrelevance categories, where any function call is wrong): ``ours``
declines with ``fits: false``; ``ours-select`` and ``ours-union`` offer an explicit ``none``
choice; ``prompted`` is told to reply ``{"name":
"none"}``; ``langchain`` answers with a message instead of a tool call. Scoring follows bfcl-eval:
irrelevance passes when no function call can be decoded (an empty call list, or output that does not
decode at all); the other categories go through bfcl-eval's ``ast_checker``.

Columns: accuracy (BFCL's checker), invalid (no parsable call of an offered function with arguments
valid for its schema, and not an explicit "none"), none (explicit no-call answers), s/item (wall
time of the route's model calls, measured side by side).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import types
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from langchain_gba import ChatLlamaCpp
from langchain_gba.exceptions import StructuredOutputError
from langchain_gba.models import resolve_model_path
from langchain_gba.prompts import FUNCTION_CHOICE_SYSTEM, format_tools
from langchain_gba.structured.route import structured_model
from langchain_gba.tools.function_calling import FunctionCaller

console = Console(width=140)

RESULTS = Path(__file__).parent / "results"
CATEGORIES = (
    "simple_python",
    "multiple",
    "irrelevance",
    "live_simple",
    "live_multiple",
    "live_irrelevance",
)
DEFAULT_CATEGORIES = ("simple_python", "multiple", "irrelevance")
ROUTES = ("ours", "bind_tools", "ours-select", "ours-union", "prompted", "langchain")
DEFAULT_ROUTES = ("ours", "prompted", "langchain")
CHECKER_MODEL = "langchain-gba"
"""The model name the BFCL checker is given (see ``_bfcl``)."""

# -- bench-specific prompts (the library's function-calling prompts are reused for the arguments)

SELECT_SYSTEM = """\
You choose the function that does the user's request. Functions:
{functions}
- none: no function above does the request

Reply with JSON: "function" (one of: {names})."""
"""``ours``, step 1: the agent's planner picks a tool; BFCL has no planner, so a minimal one."""

CALL_SYSTEM = """\
You call functions for the user. The functions, with the JSON schema of their arguments:
{functions}

Reply with only one JSON object that calls the function which does the user's request, with \
every value taken from the request: \
{{"name": "<function name>", "arguments": {{"<argument>": <value>}}}}. If no function does the \
request, reply {{"name": "none"}}."""
"""``prompted`` and ``ours-union``: one reply that names the function and gives its arguments."""

TOOLS_SYSTEM = """\
Call the function that does the user's request, with every value taken from the request. If no \
function does the request, answer with a message."""
"""``langchain``: llama.cpp's chatml-function-calling handler appends the tools and the format."""

NONE = "none"


# -- bfcl-eval -------------------------------------------------------------------------------


def _bfcl() -> types.SimpleNamespace:
    """Import the parts of bfcl-eval this bench uses: data, schema conversion, checker.

    ``bfcl_eval.constants.model_config`` imports a handler for every hosted model BFCL ranks
    (anthropic, cohere, google-genai, mistralai, qwen-agent, boto3, ... with pins that would
    downgrade numpy and faiss). The checker reads one flag from it: whether a model's function
    names had their dots replaced (``underscore_to_dot``). It is replaced by a one-entry registry
    saying yes (the names are sanitized for every route here, as BFCL does for OpenAI-style tools);
    everything else is bfcl-eval's own code. Its result/score/lock folders go to a temporary
    folder instead of site-packages.
    """
    os.environ.setdefault("BFCL_PROJECT_ROOT", str(Path(tempfile.gettempdir()) / "bfcl-eval"))
    registry = types.ModuleType("bfcl_eval.constants.model_config")
    registry.MODEL_CONFIG_MAPPING = {  # type: ignore[attr-defined]
        CHECKER_MODEL: types.SimpleNamespace(underscore_to_dot=True)
    }
    sys.modules.setdefault("bfcl_eval.constants.model_config", registry)
    try:
        from bfcl_eval.constants.enums import Language, ModelStyle
        from bfcl_eval.constants.type_mappings import GORILLA_TO_OPENAPI
        from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker
        from bfcl_eval.model_handler.utils import convert_to_tool
        from bfcl_eval.utils import (
            is_empty_output,
            is_function_calling_format_output,
            load_dataset_entry,
            load_ground_truth_entry,
        )
    except ImportError as e:
        msg = (
            "This bench needs bfcl-eval and langchain-community: "
            "pip install 'langchain-gba[bench]' && pip install --no-deps bfcl-eval"
        )
        raise ImportError(msg) from e
    return types.SimpleNamespace(
        ast_checker=ast_checker,
        is_empty_output=is_empty_output,
        is_function_calling_format_output=is_function_calling_format_output,
        load_dataset_entry=load_dataset_entry,
        load_ground_truth_entry=load_ground_truth_entry,
        python=Language.PYTHON,
        to_tools=lambda functions: convert_to_tool(
            functions, GORILLA_TO_OPENAPI, ModelStyle.OSSMODEL
        ),
    )


BFCL = _bfcl()


@dataclass
class Item:
    """One BFCL test entry with its functions as OpenAI-style tools."""

    id: str
    category: str
    messages: list[dict[str, str]]
    functions: list[dict[str, Any]]
    """BFCL's function docs (``dict``/``float``/``tuple`` types, dotted names): the checker's."""
    tools: list[dict[str, Any]]
    """``{"name", "description", "parameters"}``, JSON-schema types, dots replaced by ``_``."""
    answer: list[dict[str, Any]] | None
    """BFCL's possible answers (None for irrelevance)."""
    index: int = 0
    """Its position in its category (BFCL's order)."""

    @property
    def request(self) -> str:
        return "\n".join(m["content"] for m in self.messages if m["role"] == "user")


def load_items(categories: Iterable[str], limit: int | None, offset: int = 0) -> list[Item]:
    """``limit`` entries per category from ``offset`` (BFCL's order), interleaved by category."""
    per_category = []
    for category in categories:
        entries = BFCL.load_dataset_entry(category)[offset:][:limit]
        answers: dict[str, Any] = {}
        if "irrelevance" not in category:
            answers = {a["id"]: a["ground_truth"] for a in BFCL.load_ground_truth_entry(category)}
        per_category.append(
            [
                Item(
                    id=e["id"],
                    category=category,
                    messages=e["question"][0],
                    functions=e["function"],
                    tools=BFCL.to_tools(e["function"]),
                    answer=answers.get(e["id"]),
                    index=offset + i,
                )
                for i, e in enumerate(entries)
            ]
        )
    return [item for group in zip_longest_skip(per_category) for item in group]


def zip_longest_skip(groups: Sequence[Sequence[Item]]) -> Iterable[list[Item]]:
    for i in range(max((len(g) for g in groups), default=0)):
        yield [g[i] for g in groups if i < len(g)]


# -- outcome of one route on one item ---------------------------------------------------------


@dataclass
class Outcome:
    """What a route produced, in BFCL's format, and whether it was a usable call."""

    raw: str
    decoded: list[dict[str, dict[str, Any]]] | None
    """``[{name: args}]``; ``[]`` for an explicit no-call; None when nothing could be decoded."""
    status: str = "call"
    """``call``, ``none`` (explicit no-call) or ``invalid``."""
    detail: str = ""
    seconds: float = 0.0
    score: dict[str, Any] = field(default_factory=dict)


def call_outcome(item: Item, raw: str, name: Any, arguments: Any) -> Outcome:
    """A decoded call; ``invalid`` unless it calls an offered function with valid arguments."""
    if not isinstance(name, str):
        return Outcome(raw, None, "invalid", "no function name")
    if name == NONE:
        return Outcome(raw, [], "none")
    if not isinstance(arguments, dict):
        return Outcome(raw, None, "invalid", "arguments are not an object")
    decoded = [{name: arguments}]
    tool = next((t for t in item.tools if t["name"] == name), None)
    if tool is None:
        return Outcome(raw, decoded, "invalid", f"unknown function {name!r}")
    try:
        jsonschema.validate(arguments, tool["parameters"])
    except jsonschema.ValidationError as e:
        return Outcome(raw, decoded, "invalid", f"arguments: {e.message}")
    return Outcome(raw, decoded)


def first_json_object(text: str) -> Any:
    """The first JSON object in ``text`` (prose or a Markdown fence around it is skipped)."""
    decoder = json.JSONDecoder()
    for start, char in enumerate(text):
        if char == "{":
            try:
                return decoder.raw_decode(text, start)[0]
            except json.JSONDecodeError:
                continue
    raise ValueError("no JSON object")


def score(item: Item, outcome: Outcome) -> dict[str, Any]:
    """BFCL's verdict, as its eval runner computes it for AST and irrelevance entries."""
    decoded = outcome.decoded
    if "irrelevance" in item.category:
        # eval_runner._evaluate_single_relevance_entry: a call is "contained" when the output
        # decodes and is not empty; irrelevance passes without one.
        has_call = decoded is not None and not BFCL.is_empty_output(decoded)
        if has_call:
            return {"valid": False, "error_type": "irrelevance_error:decoder_success"}
        return {"valid": True}
    # eval_runner._evaluate_single_ast_entry
    if decoded is None:
        return {"valid": False, "error_type": "ast_decoder:decoder_failed"}
    if not BFCL.is_function_calling_format_output(decoded):
        return {"valid": False, "error_type": "ast_decoder:decoder_wrong_output_format"}
    result = BFCL.ast_checker(
        item.functions, decoded, item.answer, BFCL.python, item.category, CHECKER_MODEL
    )
    if result["valid"]:
        return {"valid": True}
    return {"valid": False, "error_type": result["error_type"], "error": result["error"]}


# -- routes -----------------------------------------------------------------------------------


def union_schema(tools: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One object per function, ``{"name": const, "arguments": its parameters}``, or ``none``."""
    options = [
        {
            "type": "object",
            "properties": {"name": {"const": t["name"]}, "arguments": t["parameters"]},
            "required": ["name", "arguments"],
        }
        for t in tools
    ]
    options.append(
        {"type": "object", "properties": {"name": {"const": NONE}}, "required": ["name"]}
    )
    return {"anyOf": options}


def call_messages(item: Item) -> list[tuple[str, str]]:
    functions = "\n".join(json.dumps(t) for t in item.tools)
    system = CALL_SYSTEM.format(functions=functions)
    return [("system", system), *((m["role"], m["content"]) for m in item.messages)]


class Routes:
    """The routes, sharing one loaded model."""

    def __init__(
        self,
        model: str,
        max_tokens: int,
        max_string_length: int,
        threads: int | None = None,
        fit_threshold: float | None = None,
    ) -> None:
        self.llm = ChatLlamaCpp(model=model, max_tokens=max_tokens, n_threads=threads)
        if threads:  # prompt evaluation too (llama.cpp's n_threads_batch, all cores by default)
            self.llm.loaded.llama._ctx.set_n_threads(threads, threads)
        self.max_tokens = max_tokens
        self.max_string_length = max_string_length
        self.caller = FunctionCaller(self.llm, max_string_length=max_string_length)
        self.decider = FunctionCaller(
            self.llm,
            max_string_length=max_string_length,
            check_fit=True,
            fit_threshold=fit_threshold,
        )
        self.tools_llm = langchain_chat_model(self.llm, model, max_tokens)

    def run(self, route: str, item: Item) -> Outcome:
        method: Callable[[Item], Outcome] = {
            "ours": self.ours,
            "ours-select": self.ours_select,
            "ours-union": self.ours_union,
            "prompted": self.prompted,
            "langchain": self.langchain,
            "bind_tools": self.bind_tools,
        }[route]
        start = time.perf_counter()
        try:
            outcome = method(item)
        except StructuredOutputError as e:  # cut off by max_tokens
            outcome = Outcome(e.raw, None, "invalid", f"{type(e).__name__}: {e.reason}")
        except Exception as e:  # noqa: BLE001 - a route's failure is a result, not a crash
            outcome = Outcome("", None, "invalid", f"{type(e).__name__}: {e}"[:300])
        outcome.seconds = time.perf_counter() - start
        outcome.score = score(item, outcome)
        return outcome

    def ours(self, item: Item) -> Outcome:
        """The best-matching function (chosen among several), then the decision on it."""
        tool = item.tools[0]
        if len(item.tools) > 1:
            names = [t["name"] for t in item.tools]
            system = FUNCTION_CHOICE_SYSTEM.format(
                functions=format_tools((t["name"], t["description"]) for t in item.tools)
            )
            schema = {
                "type": "object",
                "properties": {"function": {"type": "string", "enum": names}},
                "required": ["function"],
            }
            choice = structured_model(self.llm, schema).invoke(
                [("system", system), ("human", item.request)]
            )["function"]
            tool = next(t for t in item.tools if t["name"] == choice)
        decision = self.decider.decide(tool, item.request)
        raw = json.dumps({"function": tool["name"], **asdict(decision)})
        if not decision.fits:
            return Outcome(raw, [], "none")
        return call_outcome(item, raw, tool["name"], decision.arguments)

    def ours_select(self, item: Item) -> Outcome:
        """The first design: one choice among the functions and ``none``, then the arguments."""
        names = [t["name"] for t in item.tools]
        system = SELECT_SYSTEM.format(
            functions=format_tools((t["name"], t["description"]) for t in item.tools),
            names=", ".join([*names, NONE]),
        )
        choice_schema = {
            "type": "object",
            "properties": {"function": {"type": "string", "enum": [*names, NONE]}},
            "required": ["function"],
        }
        choice = structured_model(self.llm, choice_schema).invoke(
            [("system", system), ("human", item.request)]
        )["function"]
        if choice == NONE:
            return Outcome(json.dumps({"function": NONE}), [], "none")
        tool = next(t for t in item.tools if t["name"] == choice)
        arguments = self.caller.arguments(tool, item.request)
        raw = json.dumps({"function": choice, "arguments": arguments})
        return call_outcome(item, raw, choice, arguments)

    def ours_union(self, item: Item) -> Outcome:
        structured = structured_model(
            self.llm, union_schema(item.tools), max_string_length=self.max_string_length
        )
        data = structured.invoke(call_messages(item))
        return call_outcome(item, json.dumps(data), data.get("name"), data.get("arguments"))

    def prompted(self, item: Item) -> Outcome:
        raw = self.llm.invoke(call_messages(item)).text
        try:
            data = first_json_object(raw)
        except ValueError:
            return Outcome(raw, None, "invalid", "no JSON object")
        return call_outcome(item, raw, data.get("name"), data.get("arguments"))

    def langchain(self, item: Item) -> Outcome:
        tools = [{"type": "function", "function": t} for t in item.tools]
        bound = self.tools_llm.bind_tools(tools).bind(tool_choice="auto")
        message = bound.invoke([("system", TOOLS_SYSTEM), *_pairs(item.messages)])
        raw = json.dumps(
            {
                "content": message.content,
                "tool_calls": message.additional_kwargs.get("tool_calls", []),
            }
        )
        if message.invalid_tool_calls:
            bad = message.invalid_tool_calls[0]
            return Outcome(raw, None, "invalid", f"invalid tool call: {bad.get('error')}")
        if not message.tool_calls:
            return Outcome(raw, [], "none")
        if len(message.tool_calls) > 1:
            decoded = [{c["name"]: c["args"]} for c in message.tool_calls]
            return Outcome(raw, decoded, "invalid", f"{len(decoded)} calls")
        call = message.tool_calls[0]
        return call_outcome(item, raw, call["name"], call["args"])

    def bind_tools(self, item: Item) -> Outcome:
        """langchain-gba's own ``ChatLlamaCpp.bind_tools`` (``tool_choice="auto"``)."""
        tools = [{"type": "function", "function": t} for t in item.tools]
        message = self.llm.bind_tools(tools).invoke(_pairs(item.messages))
        raw = json.dumps({"content": message.content, "tool_calls": message.tool_calls})
        if not message.tool_calls:
            return Outcome(raw, [], "none")
        call = message.tool_calls[0]
        return call_outcome(item, raw, call["name"], call["args"])


def _pairs(messages: Sequence[dict[str, str]]) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in messages]


class _BoundedLlama:
    """The shared ``Llama``, with every completion bounded like the other routes' completions.

    llama.cpp's ``chatml-function-calling`` handler ignores ``max_tokens`` for ``tool_choice=
    "auto"`` (it generates until the context is full), and loops while the model keeps calling
    functions: both are bounded here so that one item cannot stall the run.
    """

    def __init__(self, llama: Any, max_tokens: int, max_completions: int = 8) -> None:
        self._llama = llama
        self._max_tokens = max_tokens
        self._left = max_completions

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llama, name)

    def create_completion(self, *args: Any, **kwargs: Any) -> Any:
        self._left -= 1
        if self._left < 0:
            raise RuntimeError("chatml-function-calling kept calling functions")
        kwargs["max_tokens"] = min(kwargs.get("max_tokens") or self._max_tokens, self._max_tokens)
        return self._llama.create_completion(*args, **kwargs)


class _FunctionCallingClient:
    """A ``Llama``-like client whose chat completions use the ``chatml-function-calling`` handler.

    What ``Llama(model_path, chat_format="chatml-function-calling")`` does, on the already
    loaded model instead of a second copy.
    """

    def __init__(self, llm: ChatLlamaCpp, max_tokens: int) -> None:
        self._loaded = llm.loaded
        self._max_tokens = max_tokens

    def create_chat_completion(self, **kwargs: Any) -> Any:
        from llama_cpp import llama_chat_format

        handler = llama_chat_format.get_chat_completion_handler("chatml-function-calling")
        with self._loaded.lock:
            llama = _BoundedLlama(self._loaded.llama, self._max_tokens)
            return handler(llama=llama, **kwargs)  # type: ignore[arg-type]  # duck-typed


def langchain_chat_model(llm: ChatLlamaCpp, model: str, max_tokens: int) -> Any:
    """langchain-community's ``ChatLlamaCpp`` on the shared model (no second load).

    Its validator always loads the GGUF file into a new ``Llama``; ``model_construct`` skips it and
    the client is the shared model behind the chatml-function-calling handler. Greedy, no
    repetition penalty: the settings of the other routes.
    """
    with warnings.catch_warnings():  # "langchain-community is being sunset": noted in the report
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.chat_models import ChatLlamaCpp as CommunityChatLlamaCpp

    return CommunityChatLlamaCpp.model_construct(
        client=_FunctionCallingClient(llm, max_tokens),
        model_path=str(resolve_model_path(model)),
        temperature=0.0,
        max_tokens=max_tokens,
        repeat_penalty=1.0,
        streaming=False,
        verbose=False,
    )


# -- report -----------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}"


def summarize(
    records: Sequence[dict[str, Any]], categories: Sequence[str], routes: Sequence[str]
) -> list[dict[str, Any]]:
    rows = []
    for category in categories:
        for route in routes:
            rs = [r for r in records if r["category"] == category and r["route"] == route]
            if not rs:
                continue
            n = len(rs)
            rows.append(
                {
                    "category": category,
                    "route": route,
                    "n": n,
                    "accuracy": sum(r["score"]["valid"] for r in rs) / n,
                    "invalid": sum(r["status"] == "invalid" for r in rs) / n,
                    "none": sum(r["status"] == "none" for r in rs) / n,
                    "s_per_item": statistics.mean(r["seconds"] for r in rs),
                    "s_median": statistics.median(r["seconds"] for r in rs),
                }
            )
    return rows


def full_run_minutes(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Minutes per route for every item of the measured categories, at the measured s/item."""
    sizes = {c: len(BFCL.load_dataset_entry(c)) for c in {r["category"] for r in rows}}
    minutes: dict[str, float] = {}
    for r in rows:
        minutes[r["route"]] = (
            minutes.get(r["route"], 0.0) + r["s_per_item"] * sizes[r["category"]] / 60
        )
    return minutes


def threshold_sweep(
    records: Sequence[dict[str, Any]], categories: Sequence[str], thresholds: Sequence[float]
) -> list[dict[str, Any]]:
    """Route ``ours``'s accuracy per category had it run at each threshold, from one run.

    Valid for thresholds at or above the run's own (``--fit-threshold 0`` writes every call): an
    item whose confidence is under the threshold becomes a no-call (right for irrelevance, wrong
    elsewhere); the others keep their verdict.
    """
    rows = []
    for category in categories:
        rs = [r for r in records if r["category"] == category and r["route"] == "ours"]
        if not rs:
            continue
        row: dict[str, Any] = {"category": category, "n": len(rs)}
        for t in thresholds:
            right = 0
            for r in rs:
                confidence = _confidence(r)
                if confidence is not None and confidence < t:
                    right += "irrelevance" in category
                else:
                    right += bool(r["score"]["valid"])
            row[f"{t:.2f}"] = right / len(rs)
        rows.append(row)
    return rows


def best_threshold(
    records: Sequence[dict[str, Any]], categories: Sequence[str]
) -> tuple[float, dict[str, float]]:
    """The threshold (0.01 steps) with the best summed accuracy over ``categories``; the lowest
    of equals (a tie goes to calling)."""
    thresholds = [round(0.01 * i, 2) for i in range(1, 100)]
    rows = threshold_sweep(records, categories, thresholds)
    best = max(thresholds, key=lambda t: (sum(r[f"{t:.2f}"] for r in rows), -t))
    return best, {r["category"]: r[f"{best:.2f}"] for r in rows}


def sweep(runs: Sequence[Path]) -> None:
    """Print ``threshold_sweep`` over the pooled ``runs`` and the best threshold."""
    records: list[dict[str, Any]] = []
    categories: list[str] = []
    for run in runs:
        saved = json.loads(run.read_text())
        if saved["meta"]["fit_threshold"] != 0:
            console.print(
                f"[yellow]{run} ran at threshold {saved['meta']['fit_threshold']}: "
                "valid only at or above it"
            )
        records += saved["items"]
        categories += [c for c in saved["meta"]["categories"] if c not in categories]
    thresholds = [round(0.05 * i, 2) for i in range(8, 20)]
    rows = threshold_sweep(records, categories, thresholds)
    table = Table(title=f"route ours by threshold ({', '.join(r.name for r in runs)})")
    for h in rows[0] if rows else []:
        table.add_column(h, justify="left" if h == "category" else "right")
    for r in rows:
        table.add_row(*(f"{v:.0%}" if isinstance(v, float) else str(v) for v in r.values()))
    console.print(table)
    best, accuracy = best_threshold(records, categories)
    cells = ", ".join(f"{c} {a:.0%}" for c, a in accuracy.items())
    console.print(f"best summed accuracy at {best:.2f}: {sum(accuracy.values()):.2f} ({cells})")


def _confidence(record: dict[str, Any]) -> float | None:
    try:
        value = json.loads(record["raw"]).get("confidence")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, float | int) else None


NOTES = """\
accuracy: bfcl-eval's verdict (its `ast_checker` for simple_python and multiple; for irrelevance, \
pass when no function call decodes, as its eval runner scores it, so output that is not a call \
at all passes). invalid: not a parsable call of an offered function with schema-valid \
arguments, and not an explicit "no function" answer. none: explicit "no function" answers (the \
`none` choice, `{"name": "none"}`, or a message instead of a tool call). s/item: mean (median) \
wall time of the route's model calls per item, all routes interleaved item by item on one shared \
model."""


def render(rows: Sequence[dict[str, Any]], title: str) -> tuple[Table, str]:
    headers = ["category", "route", "n", "accuracy", "invalid", "none", "s/item (median)"]
    table = Table(title=title)
    for h in headers:
        table.add_column(h, justify="left" if h in ("category", "route") else "right")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in rows:
        cells = [
            r["category"],
            r["route"],
            str(r["n"]),
            f"{r['accuracy']:.0%}",
            f"{r['invalid']:.0%}",
            f"{r['none']:.0%}",
            f"{r['s_per_item']:.2f} ({r['s_median']:.2f})",
        ]
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    return table, "\n".join(lines)


def git_commit() -> str:
    """HEAD, with ``+modified`` when this bench file differs from it."""
    here = Path(__file__).parent

    def git(*cmd: str) -> str:
        return subprocess.run(
            ["git", *cmd], capture_output=True, text=True, cwd=here, check=True
        ).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", Path(__file__).name)
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return f"{head}+modified bench/bfcl.py" if dirty else head


def write_results(out: Path, meta: dict[str, Any], records: list[dict[str, Any]]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps({"meta": meta, "items": records}, indent=1, default=str))
    tmp.replace(out)


ANCHORS: dict[str, dict[str, float]] = {
    "Qwen2.5-1.5B-Instruct (native FC)": {
        "simple": 72.4, "multiple": 87.0, "live_simple": 74.0, "live_multiple": 66.1,
        "irrelevance": 62.7,
    },
    "Hammer2.1-1.5b (trained for FC)": {
        "simple": 74.7, "multiple": 92.0, "live_simple": 71.3, "live_multiple": 69.8,
        "irrelevance": 79.3,
    },
    "Qwen2.5-0.5B-Instruct (native FC)": {
        "simple": 61.2, "multiple": 78.0, "live_simple": 56.2, "live_multiple": 41.3,
        "irrelevance": 46.2,
    },
    "Hammer2.1-0.5b": {
        "simple": 62.4, "multiple": 81.0, "live_simple": 56.6, "live_multiple": 54.4,
        "irrelevance": 80.8,
    },
}  # fmt: skip
"""Published AST accuracy (%), BFCL v3 paper and v4 leaderboard: their "simple" mixes Python,
Java and JavaScript; their irrelevance is the non-live one."""

ANCHOR_COLUMNS = (
    ("simple_python", "simple"),
    ("multiple", "multiple"),
    ("irrelevance", "irrelevance"),
    ("live_simple", "live_simple"),
    ("live_multiple", "live_multiple"),
    ("live_irrelevance", None),
)

ANCHOR_NOTES = """\
Published rows: AST accuracy from the BFCL v3 paper and the v4 leaderboard, on every item of each \
category; their "simple" mixes Python, Java and JavaScript (ours is the Python part), and they \
publish no live_irrelevance figure for these models. Our rows: the items named in the title."""


def anchors_table(rows: Sequence[dict[str, Any]], model: str) -> str:
    """Markdown: the published rows, then ours (accuracy % per category; n in brackets)."""
    headers = ["model / route", *(c for c, _ in ANCHOR_COLUMNS)]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for name, figures in ANCHORS.items():
        cells = [f"{figures[k]:.1f}" if k else "" for _, k in ANCHOR_COLUMNS]
        lines.append(f"| {name} (published) | " + " | ".join(cells) + " |")
    for route in dict.fromkeys(r["route"] for r in rows):
        by_category = {r["category"]: r for r in rows if r["route"] == route}
        cells = [
            f"{100 * by_category[c]['accuracy']:.1f} ({by_category[c]['n']})"
            if c in by_category
            else ""
            for c, _ in ANCHOR_COLUMNS
        ]
        lines.append(f"| {model}, {route} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(meta: dict[str, Any], records: list[dict[str, Any]], out: Path) -> None:
    """Print the table; write it (Markdown) and the summary next to the raw results."""
    rows = summarize(records, meta["categories"], meta["routes"])
    minutes = full_run_minutes(rows)
    estimate = ", ".join(f"{route} {m:.0f}" for route, m in minutes.items())
    estimate = f"Full run of these categories: {estimate} min ({sum(minutes.values()):.0f} in all)."
    offset = meta.get("offset") or 0
    which = f"items {offset}+" if offset else "first"
    compare = meta.get("compare_limit")
    title = (
        f"BFCL ({meta['model']}, {which} {meta['limit'] or 'all'} per category"
        + (f", other routes the first {compare} of them" if compare else "")
        + f", greedy, max_tokens {meta['max_tokens']}; {meta['machine']})"
    )
    table, markdown = render(rows, title)
    console.print(table)
    console.print(estimate)
    side_by_side = anchors_table(rows, meta["model"])
    console.print(side_by_side)
    meta["summary"] = rows
    meta["full_run_minutes"] = {route: round(m) for route, m in minutes.items()}
    write_results(out, meta, records)
    out.with_suffix(".md").write_text(
        f"# {title}\n\n`{meta['command']}` (commit {meta['commit']}, {meta['date']}, "
        f"threads {meta.get('threads') or 'default'})\n\n{markdown}\n\n{estimate} "
        f"Raw per-item results: `{out.name}`.\n\n{NOTES}\n\n"
        f"## Beside the published figures\n\n{side_by_side}\n\n{ANCHOR_NOTES}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--categories", nargs="+", default=list(DEFAULT_CATEGORIES), choices=CATEGORIES
    )
    parser.add_argument("--limit", type=int, default=10, help="first N items per category (0: all)")
    parser.add_argument(
        "--compare-limit",
        type=int,
        default=0,
        help="the routes other than ours run on the first N of those items (0: all of them)",
    )
    parser.add_argument(
        "--offset",
        type=int,
        default=0,
        help="skip the first N items per category (a tuning split apart from the reported one)",
    )
    parser.add_argument("--model", default="smollm2-135m-instruct", help="embedded name or GGUF")
    parser.add_argument("--routes", nargs="+", default=list(DEFAULT_ROUTES), choices=ROUTES)
    parser.add_argument("--max-tokens", type=int, default=128, help="per completion")
    parser.add_argument(
        "--max-string-length", type=int, default=300, help="bound for constrained strings"
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="llama.cpp threads, prompt evaluation included (default: its own)",
    )
    parser.add_argument(
        "--fit-threshold",
        type=float,
        help="route ours: call when P(Yes) to 'does the function do the task' reaches this "
        "(default: the model's in FIT_THRESHOLDS, else FIT_THRESHOLD)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "bfcl.json")
    parser.add_argument(
        "--resume", action="store_true", help="keep the results in --out, run the rest"
    )
    parser.add_argument(
        "--report", action="store_true", help="only print and write the table of --out"
    )
    parser.add_argument(
        "--sweep",
        nargs="*",
        type=Path,
        metavar="RUN",
        help="route ours at thresholds 0.40-0.95 from --fit-threshold 0 runs, pooled (default: "
        "--out), and the threshold with the best summed accuracy over the categories",
    )
    args = parser.parse_args()
    if args.report:
        saved = json.loads(args.out.read_text())
        report(saved["meta"], saved["items"], args.out)
        return
    if args.sweep is not None:
        sweep(args.sweep or [args.out])
        return

    items = load_items(args.categories, args.limit or None, args.offset)
    meta = {
        "model": args.model,
        "model_path": str(resolve_model_path(args.model)),
        "categories": args.categories,
        "limit": args.limit,
        "compare_limit": args.compare_limit,
        "offset": args.offset,
        "routes": args.routes,
        "max_tokens": args.max_tokens,
        "max_string_length": args.max_string_length,
        "threads": args.threads,
        "fit_threshold": None,  # filled in below, once the model is known
        "machine": machine(),
        "commit": git_commit(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/bfcl.py", *sys.argv[1:]]),
    }
    records: list[dict[str, Any]] = []
    if args.resume and args.out.exists():
        previous = json.loads(args.out.read_text())
        if previous["meta"]["model"] == args.model:
            records = previous["items"]
    done = {(r["route"], r["id"]) for r in records}
    compare_limit = args.compare_limit or args.limit or len(items)

    routes = Routes(
        args.model, args.max_tokens, args.max_string_length, args.threads, args.fit_threshold
    )
    meta["fit_threshold"] = routes.decider.fit_threshold
    console.print(
        f"[bold]BFCL[/] {len(items)} items × {len(args.routes)} routes, {meta['machine']}"
    )
    try:
        with Progress(console=console) as progress:
            task = progress.add_task("items", total=len(items))
            for i, item in enumerate(items):
                shift = i % len(args.routes)  # rotate which route runs first
                for route in args.routes[shift:] + args.routes[:shift]:
                    if (route, item.id) in done:
                        continue
                    if route != "ours" and item.index - args.offset >= compare_limit:
                        continue
                    outcome = routes.run(route, item)
                    record = {"id": item.id, "category": item.category, "route": route}
                    record.update(asdict(outcome))
                    records.append(record)
                write_results(args.out, meta, records)
                progress.advance(task)
    except KeyboardInterrupt:
        console.print("[yellow]Interrupted: the table covers the items done (--resume goes on).")

    report(meta, records, args.out)


if __name__ == "__main__":
    main()
