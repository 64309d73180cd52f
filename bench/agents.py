"""Correct final answers: our agent vs LangGraph's prebuilt agent vs the one-call baseline.

    python bench/agents.py [--model qwen2.5-coder-1.5b-instruct] [--split dev|test|all]
                           [--agents ours,react,baseline] [--kinds lookup,...] [--limit N]
                           [--max-steps 10] [--react-max-tokens 256] [--out bench/results]
    python bench/agents.py --resume ...        # go on from the requests already saved
    python bench/agents.py --from-json FILE    # rebuild one run's reports
    python bench/agents.py --compare --split test   # one table and chart over every model

Every labelled request of ``bench/data/requests.jsonl`` (the split asked for) runs through each
agent, interleaved request by request (the order alternates, so machine noise and warm caches
hit all alike), with the same embedded model and the same tool objects:

- ``search_wikipedia`` and ``calculate_number`` from ``load_tools(["wikipedia", "calculator"])``
  (their inner model is the same embedded model);
- ``ask_user``: a simulated user (``AskUserTool(ask=...)``) that replies with the request's
  ``profile`` (or, for requests without one, a small fixed profile), so that every agent can
  finish the requests that need a question back without interrupts.

Agents:

- ``ours``: ``create_gba_agent(tools, planner=ZeroShotPlanner(<model name>),
  function_calling_model=llm, max_steps, ask_user=False)``, as the ``gba`` CLI builds it (the
  planner's default model settings; the tools' model with ``max_tokens=256``).
- ``baseline``: the request handed straight to its labelled first tool (lookups, calculations
  and multi-step requests), the tool's output being the answer: one call, no planning.
- ``react``: ``langgraph.prebuilt.create_react_agent(model, tools, prompt=...)`` with
  langchain-community's ``ChatLlamaCpp`` on llama-cpp-python's ``chatml-function-calling`` chat
  handler (the route llama.cpp offers for tool calling with a ChatML model), greedy, bound with
  ``tool_choice="auto"``. ``recursion_limit = 2 * max_steps + 2``: up to ``max_steps`` model
  turns with tool calls, then a final answer. Workarounds needed to run it at all, each reported
  by the run: see ``REACT_NOTES``.
- ``react_ours``: the same prebuilt agent and prompt on langchain-gba's ``ChatLlamaCpp`` (the
  shared model) and its grammar-constrained ``bind_tools``, with no workaround.
- ``react_native``: the same prebuilt agent and prompt on ``ChatOpenAI`` and llama.cpp's C++
  ``llama-server --jinja`` serving the same GGUF, which parses the model's own tool-call format
  (``scripts/build_llama_server.sh`` builds it).
- ``ahead`` / ``ahead_user``: ``ours`` with ``planning="ahead"`` (and ``replan="user"``).
- ``ahead_check``: ``ahead`` with ``plan_check=True`` (the results checked once the plan ran).
- ``ahead_writer``: ``ahead`` with ``search_as_asked=False`` (a second plan after a refused
  answer from memory, and the answer writer after every search).
- ``ahead_calc_task``: ``ahead`` with ``calculate_as_asked=False`` (a one-calculation plan's
  calculator gets the planner's task, not the request).
- ``ahead_sentences``: ``ahead`` with the search tool answering with the sources' own sentences
  (``summary="sentences"``) instead of its written summary.
- ``ahead_small_summary`` / ``ahead_small_answer``: ``ahead`` with one role on the 0.5B model
  (``SMALL_MODEL``): the search tool's summary, or the answer writer (``answer_model``).
- ``ahead_names``: ``ahead`` with ``grounded_names=True`` (an answer's names checked after tools).
- ``ahead_focused``: ``ahead`` with the search summary reading the passages' 5 sentences most
  like the task (``focus_sentences=5``), not the passages as retrieved.
- ``ahead_focused3``: the same with the 3 sentences most like the task.
- ``ahead_ranked``: ``ahead`` with no search summary: the passages' sentences that answer the
  task, ranked by the index's embedder, as written (``summary="ranked"``).
- ``ahead_quoted``: ``ahead`` with the 2 passage sentences most like the task shown under
  the search summary (``quote_sentences=2``).
- ``ahead_two_units``: ``ahead`` with ``two_units_check=False`` (the calculator may subtract a
  figure's miles from its kilometres; the check is the default since the ninth session).
- ``ahead_any_unit``: ``ahead`` with ``grounded_units=False`` (an answer may write a number in
  a unit no step gives it in; checked by default since the ninth session).
- ``ahead_unmeasured``: ``ahead`` with ``measure_check=False`` (a search summary that gives no
  length or area where its task asks for one stays the result; checked by default since the
  tenth session).
- ``ahead_uncompared``: ``ahead`` with ``grounded_comparisons=False`` (an answer may give a
  found figure as a difference, "3,531 kilometers longer"; checked by default since the tenth
  session).
- ``ahead_span``: ``ahead`` with the plan example of how long one thing lasted
  (``SPAN_PLAN_EXAMPLES``; the default of the twelfth session's run ``s11-test-multi``, off
  since: two held-out requests won, two lost).
- ``ahead_cut``: ``ahead`` with ``as_written_fallback=False`` (a search summary that states a
  number it worked out keeps what is left once the number is cut, often "No information
  found."; the passages' sentences as written stand in for it by default since the twelfth
  session).
- ``ahead_nothing``: ``ahead`` with ``unfound_fallback=False`` (a search summary that found
  nothing for a task asking for a number stays "No information found."; by default since the
  thirteenth session the passages' sentences that state a number about what the task names
  stand in for it).
- ``ahead_one_try``: ``ahead`` with ``retry_refused=False`` (a calculation refused for its
  numbers is the step's result at once; by default since the thirteenth session the calculator
  writes once more, told which expression was refused and why).
- ``ahead_asks_any``: ``ahead`` with ``ask_in_world_requests=True`` (the planner may ask the
  user "How old are you?" in a question about named things that never speaks of the user; not
  asked by default since the thirteenth session).
- ``ahead_steps_only``: ``ahead`` with ``calculation_in_thoughts=False`` (a plan whose thoughts
  name the calculator but whose steps leave it out runs its steps as written; by default since
  the fourteenth session it ends with the calculation on the request).
- ``ahead_calc_again``: ``ahead`` with ``facts_before_calculation=False`` (after the calculator
  refused a calculation for a number no result gives, the next plan may calculate again; by
  default since the twenty-second session the grammar leaves the calculator out until a step
  has found something).
- ``ahead_answers_own``: ``ahead`` with ``ask_users_own=False`` (a first plan without steps for
  a request about the user's own things, "my favourite restaurant", is answered directly; by
  default since the fourteenth session the planner is told only the user knows it).
- ``ahead_misattributed``: ``ahead`` with the search's ``attribution_check=False`` (a summary
  whose numbers all come from sentences not about what the task names stays; by default since
  the fourteenth session the sentences about it that state a number replace it).
- ``ahead_copies``: ``ahead`` with ``copy_check=True`` (the calculator refuses an expression
  that is one number it copied, "1626 = 1626"; off by default).
- ``ahead_year_counts``: ``ahead`` with ``year_check=False`` (the calculator may divide or
  multiply by a number given only as a year, "197790.33 / 2021" for "going by the 2021
  population count"; refused by default since the twentieth session).
- ``ahead_student``: ``ahead`` with the shipped 0.5B plan-ahead student as the planner
  (``FineTunedPlanner("qwen-0.5b-plans")``; tools, summaries and answers on the 1.5B).
- ``ahead_unfocused``: ``ahead`` with ``focus_sentences=None`` (the default since the eighth
  session; the "before" of ``s8-test-focus``, when 5 was the default).

Metrics per agent: runs that crashed (an exception out of ``invoke``) or hit a parse/validation
error (ours: the planner's output unusable, or no valid arguments; ReAct: an invalid tool call, or
a call rejected by the tool's schema or naming no tool), first-tool accuracy (ours:
``steps[0]["tool"]``; ReAct: the first tool call's name, ``none`` when it answered directly),
completion within ``max_steps`` (ours: ``status == "answered"``; ReAct: ended with a final AI
message, without reaching the step limit), answer correctness on the labelled answers
(case-insensitive substring; numbers also as floats within 1e-6 relative, thousands separators
removed), and the seconds per request (median, total).

Writes ``agents-<model>[-<split>].md`` (the tables, with the date and the command), ``.json``
(per-request raw results, rewritten after every request) and ``.png`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shlex
import statistics
import sys
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from rich.console import Console
from rich.table import Table

from langchain_gba.chat_models._decode import DRAFT_TOKENS_ENV
from langchain_gba.chat_models._prompt_cache import PROMPT_CACHE_ENV

sys.path.insert(0, str(Path(__file__).parent))
from profiling import PROFILE_HEADER, Profiler, profile_table  # noqa: E402

DATA = Path(__file__).parent / "data" / "requests.jsonl"
MODEL_DEFAULT = "qwen2.5-coder-1.5b-instruct"
MODEL = MODEL_DEFAULT
SMALL_MODEL = "qwen2.5-coder-0.5b-instruct"
"""The smaller model of the ``ahead_small_*`` agents (one role each)."""
FIELDS: tuple[str, ...] = ()  # the planner step's fields (default: PLAN_FIELDS)
AGENTS = (
    "ours",
    "ours_nocache",
    "ours_nodraft",
    "early",
    "late",
    "before",
    "ahead",
    "ahead_user",
    "ahead_sentences",
    "ahead_check",
    "ahead_writer",
    "ahead_calc_task",
    "ahead_small_summary",
    "ahead_small_answer",
    "ahead_names",
    "ahead_unfocused",
    "ahead_focused",
    "ahead_focused3",
    "ahead_ranked",
    "ahead_quoted",
    "ahead_two_units",
    "ahead_any_unit",
    "ahead_copies",
    "ahead_year_counts",
    "ahead_student",
    "ahead_unmeasured",
    "ahead_uncompared",
    "ahead_span",
    "ahead_cut",
    "ahead_nothing",
    "ahead_one_try",
    "ahead_asks_any",
    "ahead_steps_only",
    "ahead_calc_again",
    "ahead_answers_own",
    "ahead_misattributed",
    "react",
    "react_ours",
    "react_native",
    "baseline",
)
VARIANTS = {
    "ours_nocache": ("ours", {PROMPT_CACHE_ENV: "off"}),
    "ours_nodraft": ("ours", {DRAFT_TOKENS_ENV: "0"}),
    "before": ("late", {PROMPT_CACHE_ENV: "off", DRAFT_TOKENS_ENV: "0"}),
}
"""Agents that run another agent with levers of issue "Seconds per answer" off: the prompt
cache, the guessed tokens per pass (and, for ``before``, the early answer: ``late``)."""
COLD = False
"""``--cold``: every run starts as in a new process (contexts empty; prompt-cache files kept)."""
PROFILER = Profiler()
"""Times every model call of a run by role (bench/profiling.py); reset before each run."""
console = Console(width=None if sys.stdout.isatty() else 150)

REACT_PROMPT = (
    "You are a helpful assistant. Use the functions when they help to answer the user's request, "
    "then answer the user."
)
"""The ReAct agent's system prompt. llama-cpp-python's ``chatml-function-calling`` template lists
the functions only inside a system message: without one the model never sees the tools."""

REACT_NOTES = [
    'langchain-community\'s `ChatLlamaCpp.bind_tools` rejects `tool_choice="auto"` and sends '
    "`tool_choice=None`, which llama-cpp-python's `chatml-function-calling` handler treats as "
    "'no tools' (they are left out of the prompt): the model is bound with "
    '`bind_tools(tools).bind(tool_choice="auto")`.',
    "The tools' `task` field has `maxLength: 2000` (`TaskInput`); llama.cpp's JSON-schema grammar "
    "for a string with `maxLength` >= ~1024 fails to parse and the process segfaults. The schema "
    "shown to the ReAct model caps `maxLength` at 200 (the bound of our planner's task field); "
    "the tools themselves, and their validation, are unchanged.",
    'The handler ignores `max_tokens` with `tool_choice="auto"` (it generates until the context '
    "is full) and loops while the model keeps calling functions in one message: every completion "
    "is capped at `--react-max-tokens`, and one message at 5 function calls (more raises, counted "
    "as a crash).",
    "Known limits of the handler that are NOT worked around (they shape the ReAct numbers): tool "
    "results (`role: tool` messages) are rendered as an empty `<|im_start|>tool` header, so the "
    "model never sees an observation; a plain-text reply is constrained by the follow-up grammar "
    '(`functions.<name>:` or `<|im_end|>`), so the final answer is empty (or "functions.x:"); '
    "earlier calls' arguments are HTML-escaped in the prompt (`&#34;`).",
    "Not used: `ChatOpenAI` on a loopback `python -m llama_cpp.server --chat_format "
    "chatml-function-calling`: the server rejects (HTTP 500, validation error) the assistant "
    "message with `content: null` that `ChatOpenAI` sends for a tool call, so every run fails at "
    "its second model call.",
]

# -- the simulated user --------------------------------------------------------------------------

FACTS = {
    "restaurant": (
        ("restaurant", "table", "eat", "book"),
        "My favourite restaurant is Chez Marie.",
    ),
    "city": (("city", "live", "where", "location", "weather"), "I live in Lyon, France."),
    "birth": (("born", "birth", "age", "old", "year"), "I was born in 1990."),
    "books": (
        ("book", "read", "genre", "author", "like"),
        "I love science fiction; my favourite book is Dune.",
    ),
    "salary": (
        ("salary", "earn", "income", "pay", "month"),
        "My monthly salary is 3,000 euros.",
    ),
}
PROFILES = {
    "ask-restaurant": ("restaurant", "city"),
    "ask-weather": ("city",),
    "ask-age": ("birth",),
    "ask-book": ("books",),
    "ask-salary": ("salary",),
}
NOTHING_MORE = "I have nothing to add; please answer with what you know."


class SimulatedUser:
    """Answers ``ask_user`` questions from the current request's profile (keyword match)."""

    def __init__(self) -> None:
        self.request_id = ""
        self.profile: dict[str, str] | None = None
        self.questions: list[str] = []

    def start(self, request_id: str, profile: dict[str, str] | None = None) -> None:
        self.request_id = request_id
        self.profile = profile
        self.questions = []

    def __call__(self, question: str) -> str:
        self.questions.append(question)
        if self.profile is not None:  # the labelled request's profile: the user tells it all
            return " ".join(self.profile.values()) or NOTHING_MORE
        facts = [FACTS[k] for k in PROFILES.get(self.request_id, ())]
        if not facts:
            return NOTHING_MORE
        text = question.lower()
        hits = [reply for words, reply in facts if any(w in text for w in words)]
        return " ".join(hits or [reply for _, reply in facts])


# -- answers -------------------------------------------------------------------------------------

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
THOUSANDS = re.compile(r"(?<=\d)[,\u202f\u00a0](?=\d{3}(?!\d))")


def is_number(text: str) -> bool:
    return NUMBER.fullmatch(THOUSANDS.sub("", text.strip())) is not None


def answer_matches(
    expected: str | list[str] | None, answer: str | None, request: str = ""
) -> bool | None:
    """Whether ``answer`` contains ``expected`` (any of a list; None when nothing is expected).

    A number must appear in the answer more often than in the request: an answer that only
    repeats the request's numbers ("the average of 12, 15, 20 and 33 is 13.8") is not the 20
    asked for.
    """
    if expected is None:
        return None
    if isinstance(expected, list):
        return any(answer_matches(e, answer, request) for e in expected)
    if not answer:
        return False
    if not is_number(expected):  # text: a case-insensitive substring
        return expected.lower() in answer.lower()
    return _count(expected, answer) > _count(expected, request)


def _count(number: str, text: str) -> int:
    """How many numbers in ``text`` equal ``number``, or are it rounded to two or more decimals.

    A person writes 1157.625 dollars as 1,157.63 (the answer writer rounds long decimals to two
    places); a rounding to fewer places is not the number asked for.
    """
    target = float(THOUSANDS.sub("", number))
    return sum(
        math.isclose(float(found), target, rel_tol=1e-6, abs_tol=1e-12) or _rounded(found, target)
        for found in NUMBER.findall(THOUSANDS.sub("", text))
    )


def _rounded(found: str, target: float) -> bool:
    """Whether ``found`` (two or more decimals) is ``target`` rounded to its decimals."""
    decimals = len(found.split(".", 1)[1]) if "." in found else 0
    return decimals >= 2 and abs(float(found) - target) <= 0.5 * 10**-decimals * (1 + 1e-9)


def is_tool_error(text: str) -> bool:
    return text.startswith(("Error:", "search_wikipedia failed:", "calculate_number failed:"))


# -- the agents ----------------------------------------------------------------------------------


class BoundedClient:
    """The community model's ``Llama``, with the handler's completions bounded (see REACT_NOTES)."""

    def __init__(self, llama: Any, max_tokens: int, max_calls: int = 5) -> None:
        self.llama = llama
        self.max_tokens = max_tokens
        self.max_completions = 1 + 2 * max_calls  # the choice, then arguments + follow-up per call
        self.completions: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.llama, name)

    def create_chat_completion(self, **kwargs: Any) -> Any:
        llama = self.llama
        original = type(llama).create_completion
        left = [self.max_completions]

        def bounded(*args: Any, **kw: Any) -> Any:
            left[0] -= 1
            if left[0] < 0:
                msg = "chatml-function-calling kept calling functions (more than 5 in one message)"
                raise RuntimeError(msg)
            kw["max_tokens"] = min(kw.get("max_tokens") or self.max_tokens, self.max_tokens)
            return original(llama, *args, **kw)

        llama.create_completion = bounded  # the handler calls llama.create_completion(...)
        try:
            return llama.create_chat_completion(**kwargs)
        finally:
            self.completions.append(self.max_completions - left[0])
            del llama.create_completion


def advertised(tool: BaseTool, max_length: int = 200) -> dict[str, Any]:
    """The OpenAI tool schema shown to the ReAct model, string ``maxLength`` capped."""
    spec = convert_to_openai_tool(tool)
    for prop in spec["function"]["parameters"].get("properties", {}).values():
        if isinstance(prop.get("maxLength"), int) and prop["maxLength"] > max_length:
            prop["maxLength"] = max_length
    return spec


OURS_OPTIONS: dict[str, Any] = {}
"""Extra ``create_gba_agent`` options of ``ours`` (``--no-grounded``: ``grounded=False``)."""


def build(max_steps: int, react_max_tokens: int, agents: Sequence[str] = AGENTS) -> dict[str, Any]:
    from langchain_gba import ChatLlamaCpp, create_gba_agent
    from langchain_gba.models import resolve_model_path
    from langchain_gba.planner import PLAN_FIELDS, ZeroShotPlanner
    from langchain_gba.prompts import SPAN_PLAN_EXAMPLES
    from langchain_gba.tools.ask_user import AskUserTool
    from langchain_gba.tools.registry import load_tools

    user = SimulatedUser()
    llm = ChatLlamaCpp(model=MODEL, max_tokens=256)
    tools = [*load_tools(["wikipedia", "calculator"], llm=llm), AskUserTool(ask=user)]
    planner = ZeroShotPlanner(MODEL, fields=FIELDS or PLAN_FIELDS)
    by_name = {t.name: t for t in tools}
    ours = create_gba_agent(
        tools,
        planner=planner,
        function_calling_model=llm,
        max_steps=max_steps,
        ask_user=False,
        **OURS_OPTIONS,
    )
    answering: dict[str, Any] = {}
    for name, early in (("early", True), ("late", False)):
        if name in agents or (name == "late" and "before" in agents):
            answering[name] = create_gba_agent(  # early_answer on / off, whatever the default
                tools,
                planner=planner,
                function_calling_model=llm,
                max_steps=max_steps,
                ask_user=False,
                **{**OURS_OPTIONS, "early_answer": early},
            )
    tools[0].retrieve("Eiffel Tower")  # the index loaded once (copies share it), before timings
    sentences = [tools[0].model_copy(update={"summary": "sentences"}), *tools[1:]]
    small = None
    if {"ahead_small_summary", "ahead_small_answer"} & set(agents):
        small = ChatLlamaCpp(model=SMALL_MODEL, max_tokens=256)
        small.invoke("Hello", max_tokens=1)
    small_summary = [tools[0].model_copy(update={"llm": small}), *tools[1:]]
    small_summary[0]._llm = None  # built from ``llm`` on first use
    unfocused = [tools[0].model_copy(update={"focus_sentences": None}), *tools[1:]]
    focused = [tools[0].model_copy(update={"focus_sentences": 5}), *tools[1:]]
    focused3 = [tools[0].model_copy(update={"focus_sentences": 3}), *tools[1:]]
    as_found = [tools[0].model_copy(update={"summary": "ranked"}), *tools[1:]]
    quoting = [tools[0].model_copy(update={"quote_sentences": 2}), *tools[1:]]
    unmeasured = [tools[0].model_copy(update={"measure_check": False}), *tools[1:]]
    cut = [tools[0].model_copy(update={"as_written_fallback": False}), *tools[1:]]
    unfound = [tools[0].model_copy(update={"unfound_fallback": False}), *tools[1:]]
    unattributed = [tools[0].model_copy(update={"attribution_check": False}), *tools[1:]]
    copying = [
        t.model_copy(update={"copy_check": True}) if t.name == "calculate_number" else t
        for t in tools
    ]
    one_try = [
        t.model_copy(update={"retry_refused": False}) if t.name == "calculate_number" else t
        for t in tools
    ]
    year_counts = [
        t.model_copy(update={"year_check": False}) if t.name == "calculate_number" else t
        for t in tools
    ]
    one_unit = [
        t.model_copy(update={"two_units_check": False}) if t.name == "calculate_number" else t
        for t in tools
    ]
    student = None
    if "ahead_student" in agents:  # the shipped 0.5B plan-ahead student as the planner
        from langchain_gba.planner import FineTunedPlanner

        student = FineTunedPlanner("qwen-0.5b-plans")
    spans = ZeroShotPlanner(
        planner.model,
        fields=planner.fields,
        own_context=False,  # the planner's own model and context
        plan_examples=SPAN_PLAN_EXAMPLES,
    )
    variants: dict[str, tuple[list[Any], dict[str, Any]]] = {
        # the same planner and tools, planning the whole request at once
        "ahead": (tools, {"replan": "failure"}),
        "ahead_user": (tools, {"replan": "user"}),
        "ahead_check": (tools, {"plan_check": True}),  # the results checked once the plan ran
        "ahead_sentences": (sentences, {}),  # the search picking its sources' sentences
        "ahead_writer": (tools, {"search_as_asked": False}),  # re-plan and writer after a search
        "ahead_calc_task": (tools, {"calculate_as_asked": False}),  # the planner's calc task
        "ahead_small_summary": (small_summary, {}),  # the search summary on the 0.5B
        "ahead_small_answer": (tools, {"answer_model": small}),  # the answer writer on the 0.5B
        "ahead_names": (tools, {"grounded_names": True}),  # names checked after tools too
        "ahead_unfocused": (unfocused, {}),  # the summary reads the passages as retrieved
        "ahead_focused": (focused, {}),  # the summary reads the 5 sentences most like the task
        "ahead_focused3": (focused3, {}),  # ... the 3 sentences most like the task
        "ahead_ranked": (as_found, {}),  # no summary: the sentences that answer, as written
        "ahead_quoted": (quoting, {}),  # the 2 sentences most like the task under the summary
        "ahead_two_units": (one_unit, {}),  # the calculator may use a figure in both its units
        "ahead_any_unit": (tools, {"grounded_units": False}),  # an answer may relabel a unit
        "ahead_copies": (copying, {}),  # the calculator refuses a number it only copied
        "ahead_year_counts": (year_counts, {}),  # the calculator may divide by a year
        "ahead_unmeasured": (unmeasured, {}),  # a summary without the asked length stays
        "ahead_uncompared": (tools, {"grounded_comparisons": False}),  # a found figure as a gap
        "ahead_span": (tools, {"planner": spans}),  # a plan shown for how long a thing lasted
        "ahead_cut": (cut, {}),  # a summary's worked-out number cut, not the sentences as written
        "ahead_nothing": (unfound, {}),  # a summary that found nothing stays so
        "ahead_one_try": (one_try, {}),  # a refused calculation is not written again
        "ahead_asks_any": (tools, {"ask_in_world_requests": True}),  # "How old are you?" asked
        "ahead_steps_only": (tools, {"calculation_in_thoughts": False}),  # thoughts' sum not run
        "ahead_calc_again": (tools, {"facts_before_calculation": False}),  # refused calc replanned
        "ahead_answers_own": (tools, {"ask_users_own": False}),  # "my restaurant" answered as is
        "ahead_misattributed": (unattributed, {}),  # a summary's number from another sentence
        "ahead_student": (tools, {"planner": student}),  # the 0.5B student plans
    }
    ahead: dict[str, Any] = {}
    for name, (agent_tools, options) in variants.items():
        if name in agents:
            ahead[name] = create_gba_agent(
                agent_tools,
                function_calling_model=llm,
                max_steps=max_steps,
                ask_user=False,
                planning="ahead",
                **{"planner": planner, **options},
                **OURS_OPTIONS,
            )
    for model in (llm, planner.model, *([student.model] if student else [])):
        model.invoke("Hello", max_tokens=1)
    built = {
        "ours": ours,
        "early": answering.get("early"),
        "late": answering.get("late"),
        **{name: ahead.get(name) for name in variants},
        "baseline": by_name,
        "user": user,
        "client": None,
        "tools": tools,
        "shared": llm,  # its cache is cleared before each agent: see run_one
    }
    with warnings.catch_warnings():  # create_react_agent moved to langchain.agents in v1
        warnings.simplefilter("ignore")
        from langgraph.prebuilt import create_react_agent

        if "react_ours" in agents:  # the prebuilt agent on our bind_tools, same model and tools
            built["react_ours"] = create_react_agent(llm, tools, prompt=REACT_PROMPT)
        if "react_native" in agents:
            built["react_native"] = create_react_agent(
                native_chat(react_max_tokens), tools, prompt=REACT_PROMPT
            )
    if "react" not in agents:
        return built
    with warnings.catch_warnings():  # "langchain-community is being sunset"
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.chat_models import ChatLlamaCpp as CommunityChatLlamaCpp
        from langgraph.prebuilt import create_react_agent

    chat = CommunityChatLlamaCpp(
        model_path=str(resolve_model_path(MODEL)),
        n_ctx=4096,
        n_batch=512,  # its default (8) evaluates prompts 8 tokens at a time
        seed=0,
        temperature=0.0,
        max_tokens=react_max_tokens,
        repeat_penalty=1.1,
        streaming=False,
        verbose=False,
        model_kwargs={"chat_format": "chatml-function-calling"},
    )
    client = BoundedClient(chat.client, react_max_tokens)
    chat.client = client
    bound = chat.bind_tools([advertised(t) for t in tools]).bind(tool_choice="auto")
    with warnings.catch_warnings():  # create_react_agent moved to langchain.agents in v1
        warnings.simplefilter("ignore")
        react = create_react_agent(bound, tools, prompt=REACT_PROMPT)
    chat.invoke("Hello", max_tokens=1)
    return {**built, "react": react, "client": client}


def native_chat(max_tokens: int) -> Any:
    """``ChatOpenAI`` on llama.cpp's C++ ``llama-server --jinja`` serving the same GGUF.

    The server parses the model's own tool calls (Qwen2.5's ``<tool_call>`` format) into OpenAI
    ``tool_calls``: what Ollama or llama-server users get. Built by
    ``scripts/build_llama_server.sh``; stopped when the bench exits.
    """
    import atexit

    from langchain_openai import ChatOpenAI

    from langchain_gba.server import LlamaServer

    server = LlamaServer(MODEL, binary="llama-server", n_ctx=4096, extra_args=["--jinja"])
    server.start()
    atexit.register(server.stop)
    return ChatOpenAI(
        base_url=server.base_url,
        api_key="no-key",
        model=MODEL,
        temperature=0.0,
        max_tokens=max_tokens,
    )


INVOCATION_ERROR = "Error invoking tool "
"""How LangGraph's ToolNode starts the message of a call its tool's schema refused (a
``ToolInvocationError``); other ``status="error"`` messages are the tool's own failures."""


def run_ours(agent: Any, request: str, max_steps: int) -> dict[str, Any]:
    """Our agent's run; ``sources``: the request and every result (what grounds an answer)."""
    state = agent.invoke({"request": request}, {"callbacks": [PROFILER]})
    steps = state.get("steps") or []
    parse_errors = []
    if state.get("status") == "failed":
        parse_errors.append(str(state.get("error") or "failed"))
    tool_errors = []
    for s in steps:
        obs = s.get("observation") or ""
        if obs.startswith("Error: no valid arguments"):
            parse_errors.append(obs)
        elif s.get("error") or (s.get("tool") != "final_answer" and is_tool_error(obs)):
            tool_errors.append(f"{s.get('tool')}: {obs}")
    tool_steps = [s for s in steps if s.get("tool") != "final_answer"]
    sources = [request, *(str(s["observation"]) for s in tool_steps if not s.get("error"))]
    return {
        "sources": sources,
        "steps": len(steps),
        "loops": state.get("loops", 0),
        "step_limit": state.get("status") == "incomplete",
        "first_tool": steps[0]["tool"] if steps else "none",
        "completed": state.get("status") == "answered",
        "status": state.get("status"),
        "answer": state.get("answer"),
        "tool_calls": len(tool_steps),
        "tools_used": [s.get("tool") for s in tool_steps],
        "parse_errors": parse_errors,
        "tool_errors": tool_errors,
        "trajectory": [
            {
                "tool": s.get("tool"),
                "task": s.get("task"),
                "arguments": s.get("arguments"),
                "observation": _cut(s.get("observation")),
                "error": s.get("error"),
                **{
                    k: v
                    for k, v in (s.get("plan") or {}).items()
                    if k
                    in (
                        "thoughts",
                        "plan_ahead",
                        "planned_task",
                        "planned_tool",
                        "ungrounded",
                        "unnamed",
                        "results_answer",
                    )
                    and v not in (None, "", [])
                },
            }
            for s in steps
        ],
    }


SORRY = "Sorry, need more steps to process this request."


def run_react(agent: Any, request: str, max_steps: int) -> dict[str, Any]:
    from langgraph.errors import GraphRecursionError

    limit = 2 * max_steps + 2  # max_steps tool turns (model + tools) and the final model turn
    try:
        messages: list[BaseMessage] = agent.invoke(
            {"messages": [("user", request)]}, {"recursion_limit": limit, "callbacks": [PROFILER]}
        )["messages"]
        hit_limit = False
    except GraphRecursionError:  # does not happen with remaining_steps; kept for safety
        messages, hit_limit = [], True
    ai = [m for m in messages if isinstance(m, AIMessage)]
    first_tool = "none"  # no model turn at all
    if ai:  # a first turn without a call answers directly, as our final_answer does
        calls = ai[0].tool_calls or ai[0].invalid_tool_calls
        first_tool = (calls[0].get("name") or "?") if calls else "final_answer"
    parse_errors, tool_errors = [], []
    for m in ai:
        for bad in m.invalid_tool_calls:
            parse_errors.append(f"invalid tool call {bad.get('name')}: {bad.get('error')}")
    for m in messages:
        if isinstance(m, ToolMessage):
            if m.status == "error" and m.text.startswith(INVOCATION_ERROR):
                parse_errors.append(f"{m.name}: {_cut(m.text, 300)}")  # the schema refused it
            elif m.status == "error" or is_tool_error(m.text):  # the tool's own failure
                tool_errors.append(f"{m.name}: {_cut(m.text, 300)}")
    last = messages[-1] if messages else None
    final = isinstance(last, AIMessage) and not last.tool_calls and not last.invalid_tool_calls
    completed = final and not hit_limit and last.text != SORRY
    tools_used = [c["name"] for m in ai for c in m.tool_calls]
    results = [m.text for m in messages if isinstance(m, ToolMessage) and m.status != "error"]
    return {
        "sources": [request, *results],
        "steps": len(tools_used) + (1 if completed else 0),
        "loops": 0,
        "step_limit": not completed and not any(isinstance(m, AIMessage) for m in ai[-1:]),
        "first_tool": first_tool,
        "completed": bool(completed),
        "status": "answered" if completed else "incomplete",
        "answer": last.text if completed and last is not None else None,
        "tool_calls": len(tools_used),
        "tools_used": tools_used,
        "parse_errors": parse_errors,
        "tool_errors": tool_errors,
        "trajectory": [_message(m) for m in messages],
    }


def _message(m: BaseMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"type": m.type, "content": _cut(m.text)}
    if isinstance(m, AIMessage):
        out["tool_calls"] = [{"name": c["name"], "args": c["args"]} for c in m.tool_calls]
        if m.invalid_tool_calls:
            out["invalid_tool_calls"] = [dict(c) for c in m.invalid_tool_calls]
    if isinstance(m, ToolMessage):
        out["name"], out["status"] = m.name, m.status
    return out


def _cut(text: Any, n: int = 500) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= n else text[:n] + " [cut]"


def run_baseline(tools: dict[str, BaseTool], item: dict[str, Any]) -> dict[str, Any]:
    """The one-call pipeline: the request handed straight to the labelled first tool."""
    from langchain_gba.tools.search.summarize import SOURCES_HEADING

    name = item["first_tool"]
    if name not in ("search_wikipedia", "calculate_number"):
        raise NotApplicable
    call = {"type": "tool_call", "name": name, "args": {"task": item["request"]}, "id": "one"}
    try:
        # a ToolMessage: status "error" if the tool failed
        message = tools[name].invoke(call, {"callbacks": [PROFILER]})
        out, error = message.content, message.status == "error"
    except Exception as e:  # what the agent would see as an error observation
        out, error = f"Error: {type(e).__name__}: {e}", True
    return {
        "sources": [item["request"], str(out)],  # the answer is the tool's own output
        "steps": 1,
        "loops": 0,
        "step_limit": False,
        "first_tool": name,
        "completed": True,
        "status": "answered",
        # judged without the tool's list of sources: an article's title there is no answer
        "answer": str(out).split(f"\n\n{SOURCES_HEADING}")[0].strip(),
        "tool_calls": 1,
        "tools_used": [name],
        "parse_errors": [],
        "tool_errors": [f"{name}: {out}"] if error else [],
        "trajectory": [{"tool": name, "task": item["request"], "observation": _cut(out)}],
    }


class NotApplicable(Exception):
    """The baseline has no single tool for this kind of request."""


RUNNERS: dict[str, Callable[[Any, str, int], dict[str, Any]]] = {
    "ours": run_ours,
    "ahead": run_ours,
    "ahead_user": run_ours,
    "ahead_sentences": run_ours,
    "ahead_check": run_ours,
    "ahead_writer": run_ours,
    "ahead_calc_task": run_ours,
    "ahead_small_summary": run_ours,
    "ahead_small_answer": run_ours,
    "ahead_names": run_ours,
    "ahead_unfocused": run_ours,
    "ahead_focused": run_ours,
    "ahead_focused3": run_ours,
    "ahead_ranked": run_ours,
    "ahead_quoted": run_ours,
    "ahead_two_units": run_ours,
    "ahead_any_unit": run_ours,
    "ahead_copies": run_ours,
    "ahead_year_counts": run_ours,
    "ahead_student": run_ours,
    "ahead_unmeasured": run_ours,
    "ahead_uncompared": run_ours,
    "ahead_span": run_ours,
    "ahead_cut": run_ours,
    "ahead_nothing": run_ours,
    "ahead_one_try": run_ours,
    "ahead_asks_any": run_ours,
    "ahead_steps_only": run_ours,
    "ahead_calc_again": run_ours,
    "ahead_answers_own": run_ours,
    "ahead_misattributed": run_ours,
    "ours_nocache": run_ours,
    "early": run_ours,
    "late": run_ours,
    "ours_nodraft": run_ours,
    "before": run_ours,
    "react": run_react,
    "react_ours": run_react,
    "react_native": run_react,
}


def run_one(
    name: str, built: dict[str, Any], item: dict[str, Any], max_steps: int
) -> dict[str, Any] | None:
    user: SimulatedUser = built["user"]
    user.start(item["id"], item.get("profile"))
    # The agents run the same request one after another: every context would still hold the
    # previous agent's prompts for it (the same request, the same passages), a cache no user
    # would hit. Each context is cut back to the instructions (system prompt) it holds, as after
    # another request in a long-running process; with --cold, emptied as in a new process.
    from langchain_gba.chat_models._llama import _CACHES, _LOADED

    for loaded in _LOADED.values():
        llama = loaded.llama
        keep = 0 if COLD else loaded.prompt_cache.fixed_prefix(llama.input_ids[: llama.n_tokens])
        llama._ctx.kv_cache_seq_rm(-1, keep, -1)
        llama.n_tokens = keep
    if COLD:  # no state in memory either (files stay)
        for cache in _CACHES.values():
            cache.clear()
    for key in (PROMPT_CACHE_ENV, DRAFT_TOKENS_ENV):  # the variant's levers off, others on
        os.environ[key] = VARIANTS.get(name, ("", {}))[1].get(key, "")
    client: BoundedClient | None = built["client"]
    if client is not None:
        client.completions = []
    PROFILER.reset()
    start = time.perf_counter()
    try:
        if name == "baseline":
            result = run_baseline(built["baseline"], item)
        else:
            agent = built[VARIANTS[name][0] if name in VARIANTS else name]
            result = RUNNERS[name](agent, item["request"], max_steps)
        result["crash"] = None
    except NotApplicable:
        return None
    except Exception as e:  # reported, not hidden
        result = {
            "steps": 0,
            "loops": 0,
            "step_limit": False,
            "first_tool": "none",
            "completed": False,
            "status": "crashed",
            "answer": None,
            "tool_calls": 0,
            "tools_used": [],
            "parse_errors": [],
            "tool_errors": [],
            "trajectory": [],
            "sources": [],
            "crash": f"{type(e).__name__}: {_cut(' '.join(str(e).split()), 300)}",
            "traceback": traceback.format_exc(limit=6),
        }
    result["seconds"] = time.perf_counter() - start
    result["profile"] = list(PROFILER.calls)
    result["user_questions"] = list(user.questions)
    if name == "react" and client is not None:
        result["completions_per_model_call"] = list(client.completions)
    result["first_tool_ok"] = result["first_tool"] == item["first_tool"]
    result["answer_ok"] = answer_matches(item.get("answer"), result["answer"], item["request"])
    result["ungrounded"] = ungrounded(result)
    return result


def ungrounded(result: dict[str, Any]) -> list[str]:
    """The numbers of a run's answer that neither the request nor any result gives.

    For the one-call baseline the answer is the tool's output, so it is grounded by definition
    (what its search summary computed itself cannot be told from the sources here).
    """
    from langchain_gba.grounding import ungrounded_numbers

    if not result.get("answer"):
        return []
    return ungrounded_numbers(str(result["answer"]), result.pop("sources", None) or [])


# -- report --------------------------------------------------------------------------------------


def summarize(records: Sequence[dict[str, Any]], agent: str) -> dict[str, Any]:
    runs = [r[agent] for r in records if agent in r]
    n = len(runs)
    labelled = [r for r in runs if r["answer_ok"] is not None]
    seconds = [r["seconds"] for r in runs]
    crash_reasons = Counter(_reason(r["crash"]) for r in runs if r["crash"])
    parse_reasons = Counter(_reason(e) for r in runs for e in r["parse_errors"])
    tool_reasons = Counter(_reason(e) for r in runs for e in r["tool_errors"])
    return {
        "runs": n,
        "crashes": sum(bool(r["crash"]) for r in runs),
        "parse_error_runs": sum(bool(r["parse_errors"]) for r in runs),
        "crash_or_parse_runs": sum(bool(r["crash"] or r["parse_errors"]) for r in runs),
        "tool_error_runs": sum(bool(r["tool_errors"]) for r in runs),
        "crash_reasons": dict(crash_reasons.most_common()),
        "parse_reasons": dict(parse_reasons.most_common()),
        "tool_error_reasons": dict(tool_reasons.most_common()),
        "first_tool_ok": sum(r["first_tool_ok"] for r in runs),
        "first_tools": dict(Counter(r["first_tool"] for r in runs).most_common()),
        "completed": sum(r["completed"] for r in runs),
        "answer_ok": sum(bool(r["answer_ok"]) for r in labelled),
        "ungrounded_answers": sum(bool(r.get("ungrounded")) for r in runs),
        "labelled": len(labelled),
        "empty_answers": sum(r["completed"] and not (r["answer"] or "").strip() for r in runs),
        "answered_text": sum(r["completed"] and bool((r["answer"] or "").strip()) for r in runs),
        "tool_calls_mean": statistics.mean(r["tool_calls"] for r in runs) if runs else 0.0,
        "steps_median": statistics.median(r.get("steps", 0) for r in runs) if runs else 0.0,
        "step_limit_hits": sum(bool(r.get("step_limit")) for r in runs),
        "loop_runs": sum(bool(r.get("loops")) for r in runs),
        "loop_stops": sum(_loop_stopped(r) for r in runs),
        "median_s": statistics.median(seconds) if seconds else 0.0,
        "total_s": sum(seconds),
    }


def _loop_stopped(run: dict[str, Any]) -> bool:
    """Whether the run ended because the planner kept repeating itself (not its own choice)."""
    from langchain_gba.prompts import LOOP_STOP_TASK

    last = (run.get("trajectory") or [{}])[-1]
    return last.get("tool") == "final_answer" and last.get("task") == LOOP_STOP_TASK


def _reason(text: str | None, n: int = 110) -> str:
    text = re.sub(r"\d+(\.\d+)?", "N", " ".join((text or "").split()))
    return text if len(text) <= n else text[:n] + "..."


def _pct(k: int, n: int) -> str:
    return f"{k}/{n} ({k / n:.0%})" if n else "-"


LABELS = {
    "ours": "ours (create_gba_agent)",
    "ours_nocache": "ours, prompt cache off",
    "early": "ours, early_answer=True",
    "late": "ours, early_answer=False",
    "ours_nodraft": "ours, one token per pass",
    "before": "before (no prompt cache, one token per pass, no early answer)",
    "ahead": 'ours, planning="ahead"',
    "ahead_user": 'ours, planning="ahead", replan="user"',
    "ahead_sentences": 'ours, planning="ahead", search summary="sentences"',
    "ahead_check": 'ours, planning="ahead", plan_check=True',
    "ahead_writer": 'ours, planning="ahead", search_as_asked=False',
    "ahead_calc_task": 'ours, planning="ahead", calculate_as_asked=False',
    "ahead_small_summary": 'ours, planning="ahead", search summary on the 0.5B',
    "ahead_small_answer": 'ours, planning="ahead", answer_model=the 0.5B',
    "ahead_names": 'ours, planning="ahead", grounded_names=True',
    "ahead_unfocused": 'ours, planning="ahead", search focus_sentences=None',
    "ahead_focused": 'ours, planning="ahead", search focus_sentences=5',
    "ahead_focused3": 'ours, planning="ahead", search focus_sentences=3',
    "ahead_ranked": 'ours, planning="ahead", search summary="ranked" (no model call)',
    "ahead_quoted": 'ours, planning="ahead", search quote_sentences=2',
    "ahead_two_units": 'ours, planning="ahead", calculator two_units_check=False',
    "ahead_any_unit": 'ours, planning="ahead", grounded_units=False',
    "ahead_copies": 'ours, planning="ahead", calculator copy_check=True',
    "ahead_year_counts": 'ours, planning="ahead", calculator year_check=False',
    "ahead_student": 'ours, planning="ahead", planner FineTunedPlanner("qwen-0.5b-plans")',
    "ahead_unmeasured": 'ours, planning="ahead", search measure_check=False',
    "ahead_uncompared": 'ours, planning="ahead", grounded_comparisons=False',
    "ahead_span": 'ours, planning="ahead", the plan example of how long a thing lasted',
    "ahead_cut": 'ours, planning="ahead", search as_written_fallback=False',
    "ahead_nothing": 'ours, planning="ahead", search unfound_fallback=False',
    "ahead_one_try": 'ours, planning="ahead", calculator retry_refused=False',
    "ahead_asks_any": 'ours, planning="ahead", ask_in_world_requests=True',
    "ahead_steps_only": 'ours, planning="ahead", calculation_in_thoughts=False',
    "ahead_calc_again": 'ours, planning="ahead", facts_before_calculation=False',
    "ahead_answers_own": 'ours, planning="ahead", ask_users_own=False',
    "ahead_misattributed": 'ours, planning="ahead", search attribution_check=False',
    "react": "LangGraph create_react_agent",
    "react_ours": "create_react_agent on our bind_tools",
    "react_native": "create_react_agent on llama-server --jinja",
    "baseline": "one call (request → labelled tool)",
}
COLUMNS = [
    "agent",
    "runs",
    "answer correct",
    "answers with an ungrounded number",
    "first tool",
    "completed (with a non-empty answer)",
    "steps (median)",
    "step-limit hits",
    "crash / parse-error runs",
    "s/request (median)",
    "total s",
]


def table_rows(summary: dict[str, dict[str, Any]]) -> list[list[str]]:
    rows = []
    for agent, s in summary.items():
        n = s["runs"]
        rows.append(
            [
                LABELS[agent],
                str(n),
                _pct(s["answer_ok"], s["labelled"]),
                _pct(s.get("ungrounded_answers", 0), n),
                _pct(s["first_tool_ok"], n),
                f"{_pct(s['completed'], n)} ({s['answered_text']})",
                f"{s.get('steps_median', 0):g}",
                _pct(s.get("step_limit_hits", 0), n),
                f"{s['crash_or_parse_runs']}/{n} ({s['crashes']} crash, "
                f"{s['parse_error_runs']} parse/validation)",
                f"{s['median_s']:.1f}",
                f"{s['total_s']:.0f}",
            ]
        )
    return rows


def by_kind(
    records: Sequence[dict[str, Any]], agents: Sequence[str], key: str = "kind"
) -> list[list[str]]:
    kinds = list(dict.fromkeys(r.get(key) or "-" for r in records))
    rows = []
    for kind in kinds:
        group = [r for r in records if (r.get(key) or "-") == kind]
        row = [kind, str(len(group))]
        for agent in agents:
            runs = [r[agent] for r in group if agent in r]
            labelled = [x for x in runs if x["answer_ok"] is not None]
            answers = _pct(sum(bool(x["answer_ok"]) for x in labelled), len(labelled))
            row += [
                _pct(sum(x["first_tool_ok"] for x in runs), len(runs)),
                _pct(sum(x["completed"] for x in runs), len(runs)),
                answers,
            ]
        rows.append(row)
    return rows


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def stem(report: dict[str, Any]) -> str:
    """Result files are named per model and split: ``agents-<model>[-<split>]``."""
    split = report.get("split", "all")
    tag = f"-{report['tag']}" if report.get("tag") else ""
    return f"agents-{report['model']}" + ("" if split == "all" else f"-{split}") + tag


def write_reports(report: dict[str, Any], out: Path) -> dict[str, dict[str, Any]]:
    records = report["records"]
    agents = [a for a in AGENTS if any(a in r for r in records)]
    name = stem(report)
    summary = {a: summarize(records, a) for a in agents}
    report["summary"] = summary
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    md = [
        "# The whole agent vs LangGraph's prebuilt ReAct agent",
        "",
        f"Date: {report['date']}. Command: `{report['command']}`",
        "",
        f"Machine: {report['machine']}; load average at start {report['load']}. Model: "
        f"{report['model']} (`{report['model_path']}`), greedy, for both agents and inside the "
        f"tools. Requests: {len(records)} of `{report['requests']}`; max steps "
        f"{report['max_steps']}; ReAct completions capped at {report['react_max_tokens']} tokens.",
        "",
        markdown_table(COLUMNS, table_rows(summary)),
        "",
        "Crash / parse-error runs: runs with an exception out of `invoke`, or at least one "
        "unusable model output (ours: planner output that did not validate, or no valid "
        "arguments; ReAct: invalid tool-call JSON, or a call the tool's schema rejected or that "
        "named no tool). Answer correct: over the requests with a labelled answer. Time: wall "
        "seconds per request, both agents interleaved request by request.",
        "",
        "## Reasons",
        "",
    ]
    for agent, s in summary.items():
        md.append(f"**{LABELS[agent]}**")
        md.append("")
        for title, key in (
            ("crashes", "crash_reasons"),
            ("parse / validation errors", "parse_reasons"),
            ("tool errors (observations starting with Error)", "tool_error_reasons"),
        ):
            items = s[key]
            if not items:
                md.append(f"- {title}: none")
                continue
            md.append(f"- {title}:")
            md += [f"  - {n} x {reason}" for reason, n in items.items()]
        first = ", ".join(f"{k} {v}" for k, v in s["first_tools"].items())
        md.append(f"- first tools chosen: {first}")
        md.append(f"- completed runs with an empty answer: {s['empty_answers']}")
        if agent == "ours":
            planner_ended = s["completed"] - s.get("loop_stops", 0)
            md.append(
                f"- runs the planner ended itself with final_answer: {planner_ended}/{s['runs']}; "
                f"ended after repeating itself {s.get('max_loops', 2)} times: "
                f"{s.get('loop_stops', 0)}; runs with a repeat the planner was told about: "
                f"{s.get('loop_runs', 0)}"
            )
        md.append("")
    header = ["kind", "n"]
    for agent in agents:
        header += [f"{agent} first tool", f"{agent} completed", f"{agent} answer"]
    md += ["## By kind", "", markdown_table(header, by_kind(records, agents)), ""]
    if any(r.get("shape") for r in records):
        shaped = [r for r in records if r.get("shape")]
        rows = by_kind(shaped, agents, key="shape")
        md += ["## By shape (multi-step requests)", "", markdown_table(header, rows), ""]
    md += ["## Where the seconds go (per request, mean)", ""]
    for agent in agents:
        runs = [r[agent] for r in records if agent in r and r[agent].get("profile") is not None]
        if runs:
            md += [
                f"**{LABELS[agent]}**",
                "",
                markdown_table(PROFILE_HEADER, profile_table(runs)),
                "",
            ]
    md += ["## ReAct route: what was needed to run it", ""]
    md += [f"- {note}" for note in REACT_NOTES]
    md += ["", "## Per request", ""]
    header = ["id", "expected tool", "expected answer"]
    for agent in agents:
        header += [f"{agent} tools", f"{agent} status", f"{agent} answer", f"{agent} s"]
    rows = []
    for r in records:
        row = [r["id"], r["first_tool"], str(r["answer"])]
        for agent in agents:
            x = r.get(agent)
            if x is None:
                row += ["-", "-", "-", "-"]
                continue
            ok = {True: " ✓", False: " ✗", None: ""}[x["answer_ok"]]
            status = x["status"] + (f" ({_reason(x['crash'], 40)})" if x["crash"] else "")
            row += [
                " → ".join(x["tools_used"][:6]) or x["first_tool"],
                status,
                _cut(" ".join((x["answer"] or "").split()), 80) + ok,
                f"{x['seconds']:.0f}",
            ]
        rows.append(row)
    md += [markdown_table(header, rows), ""]
    (out / f"{name}.md").write_text("\n".join(md))
    plot(summary, out / f"{name}.png", report)
    return summary


def plot(summary: dict[str, dict[str, Any]], path: Path, report: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = [
        ("crash / parse-\nerror runs", lambda s: s["crash_or_parse_runs"] / max(s["runs"], 1)),
        ("first tool\ncorrect", lambda s: s["first_tool_ok"] / max(s["runs"], 1)),
        ("completed", lambda s: s["completed"] / max(s["runs"], 1)),
        ("completed with a\nnon-empty answer", lambda s: s["answered_text"] / max(s["runs"], 1)),
        ("answer\ncorrect", lambda s: s["answer_ok"] / max(s["labelled"], 1)),
    ]
    fig, (ax, ax_t) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [4, 1.3]})
    width = 0.8 / max(len(summary), 1)
    colors = {
        "ahead": "#7b61ff",
        "ahead_user": "#c77dff",
        "ahead_sentences": "#b8c0ff",
        "ahead_check": "#5a189a",
        "ahead_writer": "#9d8df1",
        "ahead_calc_task": "#e0aaff",
        "ahead_small_summary": "#3c096c",
        "ahead_small_answer": "#10002b",
        "ahead_names": "#e5b3fe",
        "ahead_unfocused": "#9d4edd",
        "ahead_focused": "#7b2cbf",
        "ahead_focused3": "#5a189a",
        "ahead_ranked": "#e85d04",
        "ours": "#2a9d8f",
        "ours_nocache": "#76c893",
        "early": "#1d3557",
        "late": "#457b9d",
        "ours_nodraft": "#a8dadc",
        "before": "#6c757d",
        "react": "#e76f51",
        "react_ours": "#f4a261",
        "react_native": "#bc4749",
        "baseline": "#8d99ae",
    }
    for i, (agent, s) in enumerate(summary.items()):
        xs = [j + (i - (len(summary) - 1) / 2) * width for j in range(len(metrics))]
        values = [f(s) for _, f in metrics]
        bars = ax.bar(xs, values, width, label=LABELS[agent], color=colors.get(agent, f"C{i}"))
        ax.bar_label(bars, labels=[f"{v:.0%}" for v in values], fontsize=8)
        t = ax_t.bar([i], [s["median_s"]], 0.6, color=colors.get(agent, f"C{i}"))
        ax_t.bar_label(t, labels=[f"{s['median_s']:.0f}"], fontsize=8)
    ax.set_xticks(range(len(metrics)), [m for m, _ in metrics])
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("share of runs")
    ax.legend(loc="upper center", fontsize=8, ncol=2)
    n = next(iter(summary.values()))["runs"] if summary else 0
    ax.set_title(f"{n} requests, {report['model']}, max {report['max_steps']} steps", fontsize=10)
    ax_t.set_xticks(range(len(summary)), list(summary))
    ax_t.set_title("s / request (median)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def print_table(summary: dict[str, dict[str, Any]]) -> None:
    table = Table(title="Whole agent vs LangGraph prebuilt ReAct agent")
    for col in COLUMNS:
        table.add_column(col)
    for row in table_rows(summary):
        table.add_row(*row)
    console.print(table)


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


def compare(out: Path, split: str) -> None:
    """One table over every model's saved results (``agents-<model>[-<split>].json``) and a chart.

    Rows: per model, our agent, LangGraph's prebuilt agent and the one-call baseline; columns:
    answer correct on all labelled requests, on lookups and calculations (the target kinds), on
    single lookups (beside the baseline), first tool, median steps, step-limit hits, crashes,
    seconds per request. Writes ``answers.md`` and ``answers.png`` to ``out``.
    """
    suffix = "" if split == "all" else f"-{split}"
    reports = []
    for path in sorted(out.glob(f"agents-*{suffix}.json")):
        report = json.loads(path.read_text())
        if report.get("split", "all") == split:
            reports.append(report)
    header = [
        "model",
        "agent",
        "answer correct (all labelled)",
        "lookups + calculations",
        "lookups",
        "first tool",
        "steps (median)",
        "step-limit hits",
        "crashes / parse errors",
        "s / request (median)",
        "s / lookup (median)",
    ]
    rows, bars = [], []
    for report in reports:
        records = report["records"]
        for agent in AGENTS:
            runs = [(r, r[agent]) for r in records if agent in r]
            if not runs:
                continue

            def share(kinds: tuple[str, ...] | None, runs: list = runs) -> tuple[int, int]:
                picked = [x for r, x in runs if (kinds is None or r["kind"] in kinds)]
                labelled = [x for x in picked if x["answer_ok"] is not None]
                return sum(bool(x["answer_ok"]) for x in labelled), len(labelled)

            every, target, lookups = (
                share(None),
                share(("lookup", "calculation")),
                share(("lookup",)),
            )
            lookup_s = [x["seconds"] for r, x in runs if r["kind"] == "lookup"]
            n = len(runs)
            first = sum(x["first_tool_ok"] for _, x in runs) if agent != "baseline" else None
            rows.append(
                [
                    report["model"],
                    LABELS[agent],
                    _pct(*every),
                    _pct(*target),
                    _pct(*lookups),
                    "-" if first is None else _pct(first, n),
                    f"{statistics.median(x.get('steps', 0) for _, x in runs):g}",
                    _pct(sum(bool(x.get("step_limit")) for _, x in runs), n),
                    f"{sum(bool(x['crash'] or x['parse_errors']) for _, x in runs)}/{n}",
                    f"{statistics.median(x['seconds'] for _, x in runs):.1f}",
                    f"{statistics.median(lookup_s):.1f}" if lookup_s else "-",
                ]
            )
            short = report["model"].replace("qwen2.5-coder-", "qwen ").replace("-instruct", "")
            bars.append((f"{short}\n{agent}", every, target))
    md = [
        "# Correct answers per model and agent",
        "",
        f"`python bench/agents.py --compare --split {split}` over "
        + ", ".join(f"`agents-{r['model']}{suffix}.json` ({r['date']})" for r in reports)
        + ".",
        "",
        markdown_table(header, rows),
        "",
    ]
    (out / "answers.md").write_text("\n".join(md))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(bars)), 4))
    xs = range(len(bars))
    all_v = [k / max(n, 1) for _, (k, n), _ in bars]
    tgt_v = [k / max(n, 1) for _, _, (k, n) in bars]
    b1 = ax.bar([x - 0.2 for x in xs], all_v, 0.4, label="all labelled", color="#2a9d8f")
    b2 = ax.bar([x + 0.2 for x in xs], tgt_v, 0.4, label="lookups + calculations", color="#e9c46a")
    ax.bar_label(b1, labels=[f"{v:.0%}" for v in all_v], fontsize=7)
    ax.bar_label(b2, labels=[f"{v:.0%}" for v in tgt_v], fontsize=7)
    ax.set_xticks(list(xs), [b[0] for b in bars], fontsize=7)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("final answer correct")
    ax.set_title(f"Correct final answers, {split} split", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "answers.png", dpi=120)
    plt.close(fig)
    table = Table(title="Correct answers")
    for col in header:
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    console.print(table)


def main() -> None:
    global MODEL, FIELDS, COLD
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="the first N requests")
    parser.add_argument("--requests", type=Path, default=DATA)
    parser.add_argument("--max-steps", type=int, default=10)
    parser.add_argument("--model", default=MODEL_DEFAULT, help="embedded model name or GGUF path")
    parser.add_argument(
        "--agents", default=",".join(AGENTS), help=f"comma-separated: {', '.join(AGENTS)}"
    )
    parser.add_argument(
        "--split", choices=["dev", "test", "all"], default="all", help="the requests' split"
    )
    parser.add_argument("--kinds", default=None, help="comma-separated request kinds only")
    parser.add_argument("--ids", default=None, help="comma-separated request ids only")
    parser.add_argument("--shapes", default=None, help="comma-separated request shapes only")
    parser.add_argument("--per-shape", type=int, default=None, help="the first N of each shape")
    parser.add_argument(
        "--no-grounded", action="store_true", help="ours without the grounding check"
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="start every run as a new process would: contexts and in-memory caches empty",
    )
    parser.add_argument("--tag", default="", help="appended to the result files' names")
    parser.add_argument(
        "--fields", default=None, help="the planner step's fields, comma-separated, in order"
    )
    parser.add_argument("--react-max-tokens", type=int, default=256)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--from-json", type=Path, help="rebuild the reports from a saved JSON")
    parser.add_argument(
        "--compare", action="store_true", help="one table over every model's saved results"
    )
    parser.add_argument(
        "--resume", action="store_true", help="keep the requests already in --out/agents.json"
    )
    args = parser.parse_args()

    if args.compare:
        compare(args.out, args.split)
        return
    if args.from_json:
        report = json.loads(args.from_json.read_text())
        print_table(write_reports(report, args.out))
        return

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from langchain_gba.models import resolve_model_path

    MODEL = args.model
    from langchain_gba.planner import PLAN_FIELDS

    FIELDS = tuple(args.fields.split(",")) if args.fields else PLAN_FIELDS
    agents = tuple(a for a in AGENTS if a in args.agents.split(","))
    items = [json.loads(x) for x in args.requests.read_text().splitlines() if x.strip()]
    if args.split != "all":
        items = [x for x in items if x.get("split") == args.split]
    if args.kinds:
        items = [x for x in items if x["kind"] in args.kinds.split(",")]
    if args.shapes:
        items = [x for x in items if x.get("shape") in args.shapes.split(",")]
    if args.ids:
        items = [x for x in items if x["id"] in args.ids.split(",")]
    if args.per_shape:
        seen: Counter[str] = Counter()
        kept = []
        for x in items:
            seen[x.get("shape") or x["kind"]] += 1
            if seen[x.get("shape") or x["kind"]] <= args.per_shape:
                kept.append(x)
        items = sorted(kept, key=lambda x: kept.index(x) % args.per_shape)  # shapes interleaved
    COLD = args.cold
    if args.no_grounded:
        OURS_OPTIONS["grounded"] = False
    items = items[: args.limit] if args.limit else items
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(shlex.quote(a) for a in ["python", *sys.argv]),
        "machine": machine(),
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "model": MODEL,
        "model_path": resolve_model_path(MODEL).name,
        "requests": str(args.requests),
        "split": args.split,
        "tag": args.tag,
        "ours_options": dict(OURS_OPTIONS),
        "cold": COLD,
        "fields": list(FIELDS),
        "agents": list(agents),
        "max_steps": args.max_steps,
        "react_max_tokens": args.react_max_tokens,
        "react_prompt": REACT_PROMPT,
        "react_notes": REACT_NOTES,
        "records": [],
    }
    saved = args.out / f"{stem(report)}.json"
    if args.resume and saved.exists():
        previous = json.loads(saved.read_text())
        report["records"] = previous["records"]
        report["date"] = f"{previous['date']} – {report['date']}"
        report["command"] = previous["command"] + " (then --resume)"
        report["load"] = f"{previous['load']}; resumed at {report['load']}"
    done = {r["id"] for r in report["records"]}
    with console.status("Loading the model, the tools and both agents..."):
        start = time.perf_counter()
        built = build(args.max_steps, args.react_max_tokens, agents)
        report["setup_s"] = time.perf_counter() - start
    for i, item in enumerate(items):
        if item["id"] in done:
            continue
        keys = ("id", "request", "first_tool", "answer", "kind", "shape", "split")
        record = {k: item.get(k) for k in keys}
        order = agents if i % 2 == 0 else agents[::-1]
        for name in order:
            result = run_one(name, built, item, args.max_steps)
            if result is None:
                continue
            record[name] = result
            mark = "crash" if result["crash"] else result["status"]
            console.print(
                f"[{i + 1}/{len(items)}] {item['id']:<16} {name:<5} {result['seconds']:6.1f} s  "
                f"first={result['first_tool']:<16} {mark:<10} "
                f"answer={_cut(' '.join((result['answer'] or '').split()), 60)!r}"
                + {True: " ✓", False: " ✗", None: ""}[result["answer_ok"]]
            )
        report["records"].append(record)
        report["summary"] = {a: summarize(report["records"], a) for a in agents}
        args.out.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print_table(write_reports(report, args.out))
    console.print(f"[dim]{args.out / stem(report)}.md, .json, .png[/]")


if __name__ == "__main__":
    main()
