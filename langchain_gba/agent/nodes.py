"""The agent's nodes and the routing between them; ``create_gba_agent`` (``graph.py``) wires them.

Take the request, plan a step (or take it from a plan ahead), write the call, approve it, run
the tool, write the answer and check that it is grounded in the steps.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import uuid
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolCall
from langchain_core.messages.tool import tool_call
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.errors import GraphBubbleUp
from langgraph.graph import END
from langgraph.types import interrupt

from langchain_gba._text import words
from langchain_gba.agent.actions import ActionSteps, action_tools, took_effect
from langchain_gba.agent.approval import (
    APPROVE_CALL,
    ApprovalConfig,
    ApprovalRequest,
    read_decision,
    validated_arguments,
)
from langchain_gba.agent.state import AgentState, Step
from langchain_gba.agent.steps import (
    earlier_step,
    error_observation,
    findings,
    known_so_far,
    new_step,
    observation_text,
    same_action,
    same_steps,
    tool_observation,
)
from langchain_gba.exceptions import (
    AgentConfigError,
    AgentInputError,
    ContextWindowError,
    StructuredOutputError,
)
from langchain_gba.grounding import (
    Grounding,
    action_claims,
    check_answer,
    names_in,
    numbers_in,
    sentences,
    ungrounded_names,
)
from langchain_gba.planner.planners import Planner, tool_descriptions
from langchain_gba.planner.step import copies_descriptions
from langchain_gba.prompts import (
    CALCULATED_ANSWER_TASK,
    COPIED_QUESTION_NOTE,
    EARLY_ANSWER_THOUGHTS,
    GROUNDED_ANSWER_TASK,
    GROUNDING_HOW,
    LOOP_NOTE,
    LOOP_STOP_TASK,
    NO_INFORMATION,
    NOT_ANSWERED,
    NOT_DONE,
    NOT_DONE_FOR,
    NOT_ESTABLISHED,
    REPLY_IN_REQUEST,
    SAME_RESULT_NOTE,
    SEARCHED_REQUEST_THOUGHTS,
    UNDONE_ACTIONS,
    UNDONE_ADDRESSES,
    UNGROUNDED_NAMES,
    UNGROUNDED_NOTE,
    UNGROUNDED_NUMBERS,
    USERS_OWN_NOTE,
    WORLD_QUESTION_NOTE,
    format_context,
)
from langchain_gba.rounding import rounded_for
from langchain_gba.tools.ask_user import (
    ASK_USER,
    about_the_world,
    addresses_user,
    speaks_to_user,
    users_own,
)
from langchain_gba.tools.base import reads_context, reads_request, takes_task
from langchain_gba.tools.calculate import (
    OPERATION_WORDS,
    gives_numbers,
    lacks_a_fact,
    names_operation,
)
from langchain_gba.tools.final_answer import ANSWER_TASK, FINAL_ANSWER, FinalAnswerTool
from langchain_gba.tools.function_calling import Decision, FunctionCaller
from langchain_gba.tools.search.measures import asks_number
from langchain_gba.tools.search.summarize import finding, summary_of

__all__ = [
    "PLAN_STEP",
    "RUN_TOOL",
    "TAKE_REQUEST",
    "WRITE_ANSWER",
    "WRITE_ARGUMENTS",
    "Nodes",
    "action_tools",
]

TAKE_REQUEST = "take_request"
PLAN_STEP = "plan_step"
WRITE_ARGUMENTS = "write_arguments"
RUN_TOOL = "run_tool"
WRITE_ANSWER = "write_answer"
# The graph's nodes are named after what they do; stream updates are keyed by these names.

logger = logging.getLogger(__name__)


class Nodes(ActionSteps):
    """The graph's nodes (sync and async) and routing."""

    def __init__(
        self,
        *,
        planner: Planner,
        tools: dict[str, BaseTool],
        caller: FunctionCaller,
        answer: FinalAnswerTool,
        max_steps: int,
        max_observation_chars: int,
        max_loops: int = 2,
        approvals: dict[str, ApprovalConfig] | None = None,
        grounded: bool = True,
        grounded_names: bool = False,
        grounded_units: bool = True,
        grounded_comparisons: bool = True,
        max_refusals: int = 2,
        planning: str = "step",
        replan: str = "failure",
        early_answer: float | None = None,
        plan_check: float | None = None,
        search_as_asked: bool = True,
        calculate_as_asked: bool = True,
        ask_in_world_requests: bool = False,
        calculation_in_thoughts: bool = True,
        facts_before_calculation: bool = True,
        ask_users_own: bool = True,
        grounded_addresses: bool = True,
        grounded_dates: bool = True,
        complete_actions: bool = True,
        calls_read_request: bool = True,
        report_actions: bool = True,
    ) -> None:
        self.planner = planner
        self.report_actions = report_actions
        self.calls_read_request = calls_read_request
        self.grounded_addresses = grounded_addresses
        self.grounded_dates = grounded_dates
        self.complete_actions = complete_actions
        self.ask_users_own = ask_users_own
        self.calculation_in_thoughts = calculation_in_thoughts
        self.facts_before_calculation = facts_before_calculation
        self.ask_in_world_requests = ask_in_world_requests
        self.search_as_asked = search_as_asked
        self.calculate_as_asked = calculate_as_asked
        self.early_answer = early_answer
        self.plan_check = plan_check
        self.approvals = approvals or {}
        self.max_loops = max_loops
        self.tools = tools
        self.caller = caller
        self.answer_tool = answer
        self.max_steps = max_steps
        self.max_observation_chars = max_observation_chars
        self.grounded = grounded
        self.grounded_names = grounded_names
        self.grounded_units = grounded_units
        self.grounded_comparisons = grounded_comparisons
        self.planning = planning
        self.replan = replan
        self.max_refusals = max_refusals
        self.action_tools = action_tools(tools, self.approvals)
        """Tools with side effects: those behind approval and those that take arguments."""
        self.kinds = {
            "calculate_number" if name == "calculate_number" else "search"
            for name, tool in tools.items()
            if name == "calculate_number" or (takes_task(tool) and name != ASK_USER)
        }
        """What the agent's tools can do for a refused answer (``GROUNDING_HOW``)."""
        self.fact_tools = [
            name
            for name, tool in tools.items()
            if takes_task(tool) and not reads_context(tool) and name != ASK_USER
        ]
        """The tools that find facts (the searches)."""
        self.fact_tool = self.fact_tools[0] if self.fact_tools else None
        """Where a question to the user that is not about the user goes (the first search)."""
        self.described = [
            *tool_descriptions(tools.values()),
            (FINAL_ANSWER, answer.description),
        ]

    # -- start: the request of this run ---------------------------------------------------

    def start(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """Take the request (the last human message, else ``request``) and reset the run."""
        messages = state.get("messages") or []
        last = messages[-1] if messages else None
        update: dict[str, Any] = {}
        if isinstance(last, HumanMessage):
            request = str(last.text)
        else:
            request = state.get("request") or ""
            if request.strip():
                update["messages"] = [HumanMessage(request)]
        if not request.strip():
            thread = (config.get("configurable") or {}).get("thread_id")
            msg = "The request is empty: invoke the agent with {'request': '...'} or messages."
            if thread is not None:
                msg += (
                    f" (Resuming with Command(resume=...) needs a thread waiting for a reply; "
                    f"thread {thread!r} has none.)"
                )
            raise AgentInputError(msg)
        return {
            **update,
            "request": request.strip(),
            "steps": [],
            "plan": None,
            "call": None,
            "answer": None,
            "status": "running",
            "error": None,
            "loops": 0,
            "pending": None,
        }

    # -- planner ------------------------------------------------------------------------

    def _stop(self, state: AgentState) -> dict[str, Any] | None:
        """At the step limit: the run ends, with what its actions did.

        A run of actions that leaves no target of the request unused (``_unfinished``) ends
        answered with its action report, which costs no model call: the manager's email, the
        sixth step of "Put the quarterly review in my calendar and email my manager that it is
        scheduled.", left no step for the answer.
        """
        if len(state["steps"]) < self.max_steps:
            return None
        ending = {"thoughts": "", "selected_tool": FINAL_ANSWER, "task": ANSWER_TASK}
        report = self._action_report(state)
        if report is not None and self._unfinished(state, ending) is None:
            return self._final({**ending, "reported": True, "at_limit": True}, report)
        text = f"I could not finish within {self.max_steps} steps."
        done = [
            f"step {i + 1}, {s['tool']}: {' '.join(str(s['observation']).split())[:200]}"
            for i, s in enumerate(state["steps"])
            if s["tool"] in self.action_tools and took_effect(s)
        ]
        if done:  # what did happen: an email sent before the limit is no secret
            text += " Done so far: " + "; ".join(done) + "."
        return {"status": "incomplete", "plan": None, "messages": [AIMessage(text)]}

    def _failed(self, e: StructuredOutputError | ContextWindowError) -> dict[str, Any]:
        if isinstance(e, ContextWindowError):
            error = f"The request does not fit the planner's context: {e}"
            text = "I could not work on this request: it is too long for my model's context."
        else:
            error = f"The planner's output could not be used: {e}"
            text = "I could not plan the next step (the planner model's output was unusable)."
        return {"status": "failed", "error": error, "plan": None, "messages": [AIMessage(text)]}

    def _planned(self, state: AgentState, step: dict[str, Any]) -> dict[str, Any]:
        """The planned step, unless it repeats a task already done (a loop).

        A task that copies the planner's field descriptions (``copies_descriptions``) is no
        task: the step works on the request itself (the original stays in the step's
        ``copied_task``); an ``ask_user`` step asks nothing and says why.
        """
        steps = state["steps"]
        if copies_descriptions(step["task"]):
            if step.get("selected_tool") == ASK_USER:
                return {
                    "steps": [new_step(step, {}, COPIED_QUESTION_NOTE, error=True)],
                    "plan": None,
                }
            step = {**step, "task": state["request"], "copied_task": step["task"]}
        if self._beside_the_point(state, step):
            return {"steps": [new_step(step, {}, WORLD_QUESTION_NOTE, error=True)], "plan": None}
        step = self._about_user(step)
        tool = step.get("selected_tool", "")
        if tool == FINAL_ANSWER and (asked := self._users_own(state, step)) is not None:
            return asked
        if tool == FINAL_ANSWER and (unfinished := self._unfinished(state, step)) is not None:
            return unfinished
        earlier = (
            None
            if tool == FINAL_ANSWER
            else _repeated(steps, tool, step["task"], reads_results=self._reads_results(tool))
        )
        if earlier is None:
            return {"plan": step}
        loops, stop = self._looped(state)
        if stop is not None:  # the loop ends the run, unless the request is not done
            return {**(self._unfinished(state, stop) or {"plan": stop}), "loops": loops}
        note = LOOP_NOTE.format(step=earlier + 1)
        args = dict(steps[earlier]["arguments"])  # the call it repeats
        repeat = {**step, "repeat_of": earlier + 1}  # kept out of the final answer's context
        return {"steps": [new_step(repeat, args, note, error=False)], "plan": None, "loops": loops}

    def _beside_the_point(self, state: AgentState, step: dict[str, Any]) -> bool:
        """Whether ``step`` asks the user about themselves in a request about the world.

        "How old are you?" for "Roughly how many years old is the Great Pyramid of Giza as of
        2026?" (``about_the_world``): not asked (``ask_in_world_requests`` allows it).
        """
        if self.ask_in_world_requests or step.get("selected_tool") != ASK_USER:
            return False
        return addresses_user(step.get("task", "")) and about_the_world(state["request"])

    def _about_user(self, step: dict[str, Any]) -> dict[str, Any]:
        """``step``, with questions sent where they belong: the user's to the user, facts to search.

        The planner asked the user for facts ("How long is the Nile in kilometers?"): a real
        user is bothered and the simulated one has nothing to say. A question that does not
        speak to the user (``addresses_user``) goes to the first search tool (``asked`` keeps
        the tool the planner chose). The other way round, a search task about the user ("What
        is your hourly wage?", "What is the weather like where I live?": ``speaks_to_user``)
        asks the user (``searched`` keeps the search), when the agent may ask. So does an
        action whose task asks the user ("Ask the user for a date and time for their dentist
        appointment." for ``create_event``, after the date it wrote was refused as made up;
        ``acted`` keeps the action).
        """
        tool, task = step.get("selected_tool"), step.get("task", "")
        if tool in self.fact_tools and ASK_USER in self.tools and speaks_to_user(task):
            return {**step, "selected_tool": ASK_USER, "searched": tool}
        if tool in self.action_tools and ASK_USER in self.tools and _ASKS.match(task):
            return {**step, "selected_tool": ASK_USER, "acted": tool}
        if tool != ASK_USER or self.fact_tool is None or addresses_user(task):
            return step
        return {**step, "selected_tool": self.fact_tool, "asked": ASK_USER}

    def _without(self, state: AgentState) -> tuple[str, ...]:
        """The tools the next plan may not select (``facts_before_calculation``).

        The calculator, once it was refused for a number that no result gives before any step
        had found a fact, until one does: a plan that calculates again is refused again. The
        135M student planned the same calculation again ("The weight of the largest Galápagos
        tortoise in kilograms"), then answered without it, in 25 of its 155 dev and held-out
        runs (3 answers right). After a fact was found, the planner's next plan is its own
        ("search the missing fact, then calculate"): left out there, the 1.5B planner searched
        for the calculation instead ("What is the difference between the start and completion
        years"), the same answers in twice the time on 5 held-out requests.
        """
        if not self.facts_before_calculation:
            return ()
        refused = _refused_before_any_fact(state["steps"])
        if refused is None or not any(n not in (refused, FINAL_ANSWER) for n in self.tools):
            return ()
        return (refused,)

    def _ran_without(self, steps: list[Step]) -> bool:
        """Whether the plan that just ran was written without a tool, and found something.

        A plan written after the calculator's refusal (``_without``) looks the facts up; the
        calculation it could not hold is planned once they are found, not left to the answer.
        """
        for step in reversed(steps):
            if "plan_ahead" in step["plan"]:
                written_without = bool(step["plan"].get("without"))
                return written_without and _refused_before_any_fact(steps) is None
        return False

    def plan(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """Write the next step (or take it from the plan ahead), or stop at the step limit."""
        if (ready := self._without_planner(state)) is not None:
            return ready
        p = self._results_answer(state)
        if p is not None and p >= (self.early_answer or 0.0):
            return self._answer_early(state, p)
        args = (state["request"], state["steps"], self.described, config)
        try:
            if self.planning == "ahead":
                checked = self._checked(state)
                if checked is not None and checked >= (self.plan_check or 0.0):
                    return self._plan_ran(state, checked)
                without = self._without(state)
                plan = self.planner.plan_ahead(
                    *args, min_steps=_after_refusal(state), without=without
                )
                return self._planned_ahead(state, plan.model_dump(), checked, without)
            return self._planned(state, _with_p(self.planner.plan(*args).model_dump(), p))
        except (StructuredOutputError, ContextWindowError) as e:
            return self._failed(e)

    async def aplan(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """Async ``plan``."""
        if (ready := self._without_planner(state)) is not None:
            return ready
        p = await asyncio.to_thread(self._results_answer, state)
        if p is not None and p >= (self.early_answer or 0.0):
            return self._answer_early(state, p)
        args = (state["request"], state["steps"], self.described, config)
        try:
            if self.planning == "ahead":
                checked = await asyncio.to_thread(self._checked, state)
                if checked is not None and checked >= (self.plan_check or 0.0):
                    return self._plan_ran(state, checked)
                without = self._without(state)
                plan = await self.planner.aplan_ahead(
                    *args, min_steps=_after_refusal(state), without=without
                )
                return self._planned_ahead(state, plan.model_dump(), checked, without)
            step = (await self.planner.aplan(*args)).model_dump()
            return self._planned(state, _with_p(step, p))
        except (StructuredOutputError, ContextWindowError) as e:
            return self._failed(e)

    def _answer_early(self, state: AgentState, p: float) -> dict[str, Any]:
        """The early answer, unless the request is not done (``_unfinished``)."""
        early = _early(p)
        return self._unfinished(state, early["plan"]) or early

    def _results_answer(self, state: AgentState) -> float | None:
        """The planner model's probability that the results answer the request, or None.

        Asked after a usable tool result, step by step, when ``early_answer`` is set
        (``Planner.results_answer``); at the threshold or above, the answer is written without
        a planner step. A refused answer, a failed or repeated step, or an empty result always
        goes to the planner.
        """
        steps = state["steps"]
        if self.early_answer is None or self.planning != "step" or not steps:
            return None
        if not self.planner.can_answer_questions:
            return None
        last = steps[-1]
        if last["tool"] == FINAL_ANSWER or last["plan"].get("repeat_of") or _unusable(last):
            return None
        try:
            return self.planner.results_answer(state["request"], steps, self.described)
        except (StructuredOutputError, ContextWindowError):
            return None  # the planner step says what is wrong

    def _without_planner(self, state: AgentState) -> dict[str, Any] | None:
        """The update when no planner call is needed: the step limit, or the plan's next step."""
        if (stop := self._stop(state)) is not None:
            return stop
        if (asked := self._ask_after_search(state)) is not None:
            return asked
        if (asked := self._ask_for_unsourced(state)) is not None:
            return asked
        return self._next_planned(state) if self.planning == "ahead" else None

    def _ask_after_search(self, state: AgentState) -> dict[str, Any] | None:
        """The question to the user that went to the search (``_about_user``), if it found nothing.

        "How many people are splitting the bill?" is about the user without saying "you": the
        search finds nothing, so the user is asked after all.
        """
        steps = state["steps"]
        last = steps[-1] if steps else None
        if last is None or last["plan"].get("asked") != ASK_USER or not _unusable(last):
            return None
        if ASK_USER not in self.tools or _repeated(steps, ASK_USER, last["task"]) is not None:
            return None
        step = {**last["plan"], "selected_tool": ASK_USER, "asked": "search_first"}
        return {"plan": step}

    # -- plan ahead: the steps of a plan run without a planner call between them -----------

    def _next_planned(self, state: AgentState) -> dict[str, Any] | None:
        """The plan's next step (the answer after its last one); None to plan (again).

        The planner plans again when there is no plan, or when the last step failed, found
        nothing or was rejected: the rest of the plan may depend on it. So it does after a
        planned step that repeated an earlier one (not run again): the 1.5B planner wrote "When
        was the Statue of Liberty dedicated?" twice where the second search was the Titanic's,
        and the calculation after it then subtracted the day of the month from the year. With
        ``replan="user"`` it also plans again after the user's reply: the steps planned after a
        question guessed what the user would say ("The user's hourly wage divided by 8" for a
        reply of a monthly salary and hours a month; "50 minus your current age" for a year of
        birth).
        """
        pending = state.get("pending")
        steps = state["steps"]
        if (searched := self._searched_request(state)) is not None:
            return searched
        if pending is None or (steps and _unusable(steps[-1])):
            return None
        if pending and self.replan == "user" and steps and steps[-1]["tool"] == ASK_USER:
            return None  # the plan was written before the user's reply
        if pending and steps and "repeat_of" in steps[-1]["plan"]:
            return None  # the rest counted on a new result from the repeated step
        if not pending:  # the plan ran: answer (a refused answer plans again)
            if self._ran_without(steps):
                return None  # written without the calculator: plan again, with it
            return None if self._to_check(state) else self._plan_ran(state)
        first, *rest = pending
        if self._refers_back(first):
            filled = self._filled_in(state, first)
            if filled is None:
                return None  # the planner writes the name in, with the results in view
            first = filled
        elif (named := self._named(state, first)) is not None:
            first = named
        first = self._looked_up(state, first)
        step = {"thoughts": "", "selected_tool": first["tool"], "task": first["task"]}
        for key in ("planned_task", "planned_tool", "from_thoughts"):
            if key in first:
                step[key] = first[key]
        if self._replied_since(state, first) or self._calculated_as_asked(state, first, rest):
            step = {**step, "task": state["request"], "planned_task": first["task"]}
        return {**self._planned(state, {**step, "planned": True}), "pending": rest}

    def _searched_request(self, state: AgentState) -> dict[str, Any] | None:
        """The search of the request itself, when a plan without steps had its answer refused.

        The planner took most lookups for questions it could answer from memory ("Who painted
        the Mona Lisa?"); grounding refused the answer, since it named what no step found, and
        a second plan then wrote one search, often worded worse than the request ("Who was
        Abraham Lincoln's president?" for "What number president ... was Abraham Lincoln?").
        The request is searched as asked, without that planner call, when one search tool is
        there and the refused answer is one fact the request does not bring the numbers for:
        a request with numbers may need the calculator, and an answer with several figures
        ("39 plays and 154 sonnets" for "How many plays and sonnets ... in total?") may need
        several lookups and a sum; for those the planner plans again. Once the search ran,
        the plan has run (``_plan_ran``); an answer refused again plans again.
        """
        steps = state["steps"]
        if not self.search_as_asked or len(steps) != 1:
            return None
        if steps[0]["tool"] != FINAL_ANSWER or not steps[0]["error"]:
            return None
        refused = steps[0]["plan"]
        figures = refused.get("ungrounded") or []
        if len(self.fact_tools) != 1 or refused.get("undone"):
            return None
        if not (figures or refused.get("unnamed")) or len(figures) > 1:
            return None  # several figures: maybe several facts and a sum; the planner plans
        if figures and gives_numbers(state["request"]):
            return None
        step = {
            "thoughts": SEARCHED_REQUEST_THOUGHTS,
            "selected_tool": self.fact_tools[0],
            "task": state["request"],
            "planned": True,
            "plan_ahead": [{"tool": self.fact_tools[0], "task": state["request"]}],
        }
        return {**self._planned(state, step), "pending": []}

    def _plan_ran(self, state: AgentState, p: float | None = None) -> dict[str, Any]:
        """The answer step once a plan has run (with the plan check's probability, if asked)."""
        steps = state["steps"]
        task = self._answer_task(state["request"], steps)
        step = {"thoughts": "", "selected_tool": FINAL_ANSWER, "task": task, "planned": True}
        if (found := self._asked_as_requested(state)) is not None:
            step["answered_by"] = found + 1
        return {"plan": _with_p(step, p), "pending": None}

    def _asked_as_requested(self, state: AgentState) -> int | None:
        """The search step whose result is the answer as it stands, or None.

        When the run's one tool step searched the request as the user wrote it and found it,
        its summary already answers the request in a sentence; the answer writer would write
        it again (~1.5 s on 2 cores). The answer is then that summary (its grounding checked
        as any answer's). A search of a reworded task, or one result among several, is written
        up by the answer writer; so is one for a request that says what to do with numbers
        ("Adding up both of his terms, how many years in total ..."): a search result states
        facts, never their sum, and the sentence that stood in for a summary found nothing had
        been taken for the answer.
        """
        ran = [i for i, s in enumerate(state["steps"]) if s["tool"] != FINAL_ANSWER]
        if not self.search_as_asked or len(ran) != 1 or _asks_operation(state["request"]):
            return None
        step = state["steps"][ran[0]]
        if step["tool"] not in self.fact_tools or _unusable(step) or "repeat_of" in step["plan"]:
            return None
        if words(step["task"]) != words(state["request"]):
            return None
        return ran[0]

    def _to_check(self, state: AgentState) -> bool:
        """Whether a plan that has run is checked before its answer (``plan_check``).

        Once per run, after a usable result, with a planner that answers such a question.
        """
        steps = state["steps"]
        if self.plan_check is None or self.planning != "ahead" or state.get("pending") != []:
            return False
        if not steps or _unusable(steps[-1]) or not self.planner.can_answer_questions:
            return False
        return not any("results_answer" in s["plan"] for s in steps)

    def _checked(self, state: AgentState) -> float | None:
        """The planner model's probability that the results answer the request, or None.

        Asked only where ``_to_check``; a model that fails to answer counts as "No".
        """
        if not self._to_check(state):
            return None
        try:
            return self.planner.results_answer(
                state["request"], state["steps"], self.described, ahead=True
            )
        except (StructuredOutputError, ContextWindowError):
            return 0.0

    def _answer_task(self, request: str, steps: list[Step]) -> str:
        """The answer's task once a plan ran: its calculation's result, if it ended with one.

        The result is rounded as the request asks, else as a person would (``rounded_for``);
        the step keeps every digit.
        """
        last = steps[-1] if steps else None
        tool = self.tools.get(last["tool"]) if last else None
        if last is None or tool is None or not reads_context(tool) or _unusable(last):
            return ANSWER_TASK
        if "repeat_of" in last["plan"]:  # a loop's note, not a result
            return ANSWER_TASK
        expression, _, result = str(last["observation"]).strip().rpartition(" = ")
        if result.startswith("-") and _DIFFERENCE.fullmatch(expression):
            result = result[1:]  # "6190 - 6967.15 = -777.15": the difference asked is 777.15
        return CALCULATED_ANSWER_TASK.format(result=rounded_for(result, request))

    def _refers_back(self, planned: dict[str, Any]) -> bool:
        """Whether ``planned`` names an earlier result by its step's number (``#1``), unread.

        Its tool cannot read that result (a search, a question to the user; the calculator can).
        """
        tool = self.tools.get(planned["tool"])
        refers = bool(_REFERENCE.search(planned["task"]))
        return refers and tool is not None and not reads_context(tool)

    def _filled_in(self, state: AgentState, planned: dict[str, Any]) -> dict[str, Any] | None:
        """``planned`` with ``#N`` replaced by the name that step N of its plan found.

        ReWOO's variables: the planner writes "In which county of England is #1?" before step 1
        has found Liverpool (the 1.5B planner wrote "Where does the longest river flow?" before
        a search had found which river is the longest). The name is the first one step N's
        result gives that the request and the task do not. None when there is no such name, or
        the task names several steps ("the higher of #1 and #2"): the planner plans again with
        the results in.
        """
        task = planned["task"]
        refs = {int(n) for n in _REFERENCE.findall(task)}
        steps = state["steps"]
        index = planned.get("since", len(steps)) + min(refs) - 1
        if len(refs) != 1 or not 0 <= index < len(steps) or _unusable(steps[index]):
            return None
        found = finding(str(steps[index]["observation"]))
        names = ungrounded_names(found, [state["request"], task], single=True)
        if not names:
            return None
        return {**planned, "task": _REFERENCE.sub(names[0], task), "planned_task": task}

    def _named(self, state: AgentState, planned: dict[str, Any]) -> dict[str, Any] | None:
        """``planned``, a search that names nothing, with the name its plan's last result found.

        A chained lookup planned ahead refers to the first result in words, not by ``#1``: "Where
        was the painter born?" after "Who painted the Sistine Chapel ceiling?", "Where does the
        longest river flow?" after the search that found the Volga; searched as written, it
        finds another painter or river. The name is the first one the last result of this plan
        gives of which the request and the task say no word, written after the task ("Where was
        the painter born? (Michelangelo)"). None when the task names something, or no result of
        this plan gives a new name. A task that names only what the request names counts as
        naming nothing when it writes a description the request defines ("the author's time in
        Polynesia" after "The author of Moby-Dick ..."): searched as written, it found another
        author's account (``_described``).
        """
        tool = self.tools.get(planned["tool"])
        if tool is None or reads_context(tool) or planned["tool"] == ASK_USER:
            return None
        task = planned["task"]
        if "since" not in planned or speaks_to_user(task):
            return None
        named = names_in(task, single=True)
        requested = set(words(state["request"]))
        if named and not (
            _described(task, state["request"]) and all(_capitalized(n) & requested for n in named)
        ):
            return None
        found = [
            s
            for s in state["steps"][planned["since"] :]
            if s["tool"] not in (FINAL_ANSWER, ASK_USER) and not _unusable(s)
        ]
        if not found:
            return None
        known = set(words(f"{state['request']} {task}"))
        text = finding(str(found[-1]["observation"]))
        names = [n for n in names_in(text, single=True) if not known & _capitalized(n)]
        if not names:  # "Mount Everest" is no new name when the request says "Everest"
            return None
        return {**planned, "task": f"{task.rstrip()} ({names[0]})", "planned_task": task}

    def _looked_up(self, state: AgentState, planned: dict[str, Any]) -> dict[str, Any]:
        """``planned``, or the search it asks for when it is a calculation that asks for a fact.

        The 1.5B planner wrote lookups as calculations: "The number of people living in
        Finland" after a search had found Sweden's population (the calculator copied Sweden's
        10.6 million), "How many days are there in a year on Jupiter?" after Saturn's year (it
        multiplied Saturn's 29.45 years by 365). Such a task gives no number and names no
        operation (``names_operation``), and it names something of the request that no result
        of the run mentions; it goes to the search tool of the run's last result.
        """
        task = planned["task"]
        if not self._reads_results(planned["tool"]) or names_operation(task):
            return planned
        steps = state["steps"]
        found = [
            s
            for s in steps
            if s["tool"] in self.tools
            and s["tool"] not in (FINAL_ANSWER, ASK_USER)
            and not self._reads_results(s["tool"])
            and not _unusable(s)
        ]
        if not found:
            return planned
        requested = set(words(state["request"]))
        known = set(words(" ".join(finding(str(s["observation"])) for s in steps)))
        unfound = [
            n
            for n in names_in(task, single=True)
            if _capitalized(n) & requested and not _capitalized(n) & known
        ]
        if not unfound:
            return planned
        logger.info("Planned calculation %r asks for %s: searched", task, unfound)
        return {**planned, "tool": found[-1]["tool"], "planned_tool": planned["tool"]}

    def _written_out(self, state: AgentState, step: dict[str, Any]) -> dict[str, Any]:
        """``step``, the first of a plan, with its references replaced by the latest result.

        A plan's first step has no earlier plan step to name: a re-plan that still wrote "#1"
        meant what the run found last (its first sentence).
        """
        if not self._refers_back({"tool": step["selected_tool"], "task": step["task"]}):
            return step
        found = [s for s in state["steps"] if s["tool"] != FINAL_ANSWER and not _unusable(s)]
        if not found:
            return step
        subject = sentences(str(found[-1]["observation"]))[0].rstrip(".")[:MAX_SUBJECT_CHARS]
        task = _REFERENCE.sub(lambda _: f"({subject})", step["task"])
        return {**step, "task": task, "planned_task": step["task"]}

    def _replied_since(self, state: AgentState, planned: dict[str, Any]) -> bool:
        """Whether ``planned`` reads the run's results and the user replied after it was planned.

        A calculation planned before the user's reply guesses what the user will say ("The
        user's current age plus 2030" for "I was born in 1990"; "commute time per day times 7"
        for "35 minutes each way, 4 days a week"); it then works on the request, from the reply
        and the results (the calculator reads both), as a step-by-step planner's task does.
        """
        tool = self.tools.get(planned["tool"])
        if tool is None or not reads_context(tool):
            return False
        since = state["steps"][planned.get("since", len(state["steps"])) :]
        return any(s["tool"] == ASK_USER and not _unusable(s) for s in since)

    def _planned_ahead(
        self,
        state: AgentState,
        plan: dict[str, Any],
        checked: float | None = None,
        without: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """The plan's first step (the answer when it has none); the rest are ``pending``.

        ``checked``: the plan check's probability that sent the run back to the planner,
        kept in the first step's plan (``results_answer``). ``without``: the tools the plan
        could not select (``_without``), kept in the first step's plan: once its steps have
        run, the planner plans again with them.

        A planned step that repeats one already done with a usable result is dropped: a plan
        written again lists the steps still needed, but the 1.5B planner wrote the whole plan
        again, lookups already done included (the loop guard then ended such runs).
        """
        steps = state["steps"]
        planned = [p for p in plan.get("steps") or [] if not self._done(steps, p)]
        planned = self._with_thought_calculation(state, plan["thoughts"], planned)
        if not planned and (asked := self._users_own(state, plan)) is not None:
            return asked
        if not planned:
            step = {"thoughts": plan["thoughts"], "selected_tool": FINAL_ANSWER}
            if (unfinished := self._unfinished(state, step)) is not None:
                return {**unfinished, "pending": None}
            step = _with_p(
                {**step, "task": self._answer_task(state["request"], steps), "plan_ahead": []},
                checked,
            )
            return {"plan": step, "pending": None}
        first, *rest = planned
        first = self._looked_up(state, first)
        rest = [{**p, "since": len(steps)} for p in rest]
        step = {
            "thoughts": plan["thoughts"],
            "selected_tool": first["tool"],
            "task": first["task"],
            "plan_ahead": planned,
        }
        for key in ("planned_tool", "from_thoughts"):
            if key in first:
                step[key] = first[key]
        if without:
            step["without"] = list(without)
        if self._calculated_as_asked(state, first, rest):
            step = {**step, "task": state["request"], "planned_task": first["task"]}
        step = _with_p(self._written_out(state, step), checked)
        return {**self._planned(state, step), "pending": rest}

    def _users_own(self, state: AgentState, plan: dict[str, Any]) -> dict[str, Any] | None:
        """The note that sends a first plan without steps back, for a request about the user's own.

        "Book a table for me at my favourite restaurant." was answered with "I found a table
        for you at my favourite restaurant" and "in which language should i say hello to my
        new neighbours?" with "Hello": the planner took them for questions about words. Before
        any step, when the user can be asked and the request speaks of the user's own things
        (``users_own``), no answer is written: the step says what only the user knows
        (``USERS_OWN_NOTE``) and the planner plans again, at least one step. So for the step
        planner: "tell my boss im sick today and wont be in" was answered "I am sick today and
        will not be in.".
        """
        if not self.ask_users_own or state["steps"] or ASK_USER not in self.tools:
            return None
        own = users_own(state["request"])
        if own is None:
            return None
        thoughts = plan.get("thoughts", "")
        step = {"thoughts": thoughts, "selected_tool": FINAL_ANSWER, "task": ANSWER_TASK}
        note = USERS_OWN_NOTE.format(own=own.split(maxsplit=1)[1])
        refused = new_step({**step, "plan_ahead": []}, {}, note, error=True)
        return {"steps": [refused], "plan": None, "pending": None}

    def _with_thought_calculation(
        self, state: AgentState, thoughts: str, planned: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """``planned``, ending with the calculation its thoughts name when its steps leave it out.

        The 1.5B planner's thoughts said "then sum them: calculate_number" while its steps held
        only the lookup, and the answer writer then gave the lookup's figure as the total
        (Churchill's terms as Prime Minister); so it did for a number of years, an age and a
        density. For a request that asks for a number (``asks_number``), the plan then ends
        with the calculator on the request as written (as a plan's last calculation does,
        ``calculate_as_asked``), unless it already calculated on the latest results.
        """
        if not self.calculation_in_thoughts or not asks_number(state["request"]):
            return planned
        named = [n for n, t in self.tools.items() if reads_context(t) and n in thoughts]
        if not named or any(p["tool"] == named[0] for p in planned):
            return planned
        steps = state["steps"]
        done = [i for i, s in enumerate(steps) if s["tool"] == named[0] and not _unusable(s)]
        if done and not _any_result(steps[done[-1] + 1 :]):
            return planned
        logger.info("Plan's thoughts name %s, its steps leave it out: added", named[0])
        return [*planned, {"tool": named[0], "task": state["request"], "from_thoughts": True}]

    def _calculated_as_asked(
        self, state: AgentState, planned: dict[str, Any], rest: list[Any]
    ) -> bool:
        """Whether ``planned``, a calculation with no step ``rest`` after it, works on the request.

        The last calculation of a plan is the request's own arithmetic, on the
        numbers the request and the results give; the planner's rewording got it wrong where the
        user's words were plain ("3 pizzas cut into 8 slices each multiplied by 5 people" for
        "there are 5 of us. how many slices does each get?"; "The difference between the city
        limits of Istanbul and Moscow divided by the city limit of Moscow" for "Istanbul is how
        many times as big as Moscow?"; "The percentage ... minus 100%" for a share of a
        population). The calculator reads the request (its task) beside the results; the
        planner's task stays in the step's ``planned_task``. Before any tool ran, only for a
        request that gives numbers.
        """
        if not self.calculate_as_asked or rest:
            return False
        tool = self.tools.get(planned["tool"])
        if tool is None or not reads_context(tool):
            return False
        if any(s["tool"] != FINAL_ANSWER and not _unusable(s) for s in state["steps"]):
            return True
        return gives_numbers(state["request"])

    def _done(self, steps: list[Step], planned: dict[str, Any]) -> bool:
        """Whether the planned step's tool (after ``_about_user``) already did its task.

        A calculation done before results that came after it is not done: it reads them.
        """
        tool = self._about_user({"selected_tool": planned["tool"], "task": planned["task"]})
        name = tool["selected_tool"]
        earlier = earlier_step(steps, name, "task", planned["task"])
        if earlier is None or _unusable(steps[earlier]):
            return False
        if not self._reads_results(name):
            return True
        latest = same_steps(steps, name, "task", planned["task"])[-1]
        return not _any_result(steps[latest + 1 :])

    def _reads_results(self, name: str) -> bool:
        """Whether the tool ``name`` reads the run's results (the calculator's context)."""
        tool = self.tools.get(name)
        return tool is not None and reads_context(tool)

    @staticmethod
    def route_plan(state: AgentState) -> str:
        """Where the planned step goes (back to planning after a repeated task)."""
        plan = state.get("plan")
        if state.get("status") != "running":
            return END
        if not plan:
            return PLAN_STEP
        return WRITE_ANSWER if plan["selected_tool"] == FINAL_ANSWER else WRITE_ARGUMENTS

    # -- function calling ---------------------------------------------------------------

    def _call_failed(self, plan: dict[str, Any], e: Exception) -> dict[str, Any]:
        name = plan["selected_tool"]
        text = f"Error: no valid arguments for {name} could be written from the task: {e}"
        return {"steps": [new_step(plan, {}, text, error=True)], "plan": None, "call": None}

    @staticmethod
    def _call(
        state: AgentState, config: RunnableConfig, plan: dict[str, Any], args: Any
    ) -> dict[str, Any]:
        """The call, with an id that names its place in the thread (an idempotency key).

        On a thread the id is the same however often this step is written again (a retry after
        a crash), so a tool with side effects can key its effect on it.
        """
        thread = (config.get("configurable") or {}).get("thread_id")
        if thread is None:
            call_id = f"call_{uuid.uuid4().hex[:16]}"
        else:
            place = f"{thread}|{len(state.get('messages') or [])}|{len(state['steps'])}"
            call_id = f"call_{hashlib.sha256(place.encode()).hexdigest()[:16]}"
        return {"call": {"tool": plan["selected_tool"], "arguments": dict(args), "id": call_id}}

    @staticmethod
    def _declined(plan: dict[str, Any], decision: Decision) -> dict[str, Any]:
        name = plan["selected_tool"]
        text = (
            f"Not called: {name} does not do this task. Select the tool that does it, or "
            "final_answer if the results so far answer the request."
        )
        return {"steps": [new_step(plan, {}, text, error=True)], "plan": None, "call": None}

    def _written(
        self, state: AgentState, config: RunnableConfig, plan: dict[str, Any], out: Any
    ) -> dict[str, Any]:
        if isinstance(out, Decision):
            if not out.fits:
                return self._declined(plan, out)
            out = out.arguments or {}
        tool = self.tools[plan["selected_tool"]]
        if plan["selected_tool"] in self.action_tools:
            earlier = same_action(state["steps"], tool, dict(out))
            if earlier is not None:  # the action was taken: not again
                return self._action_repeated(state, plan, dict(out), earlier)
            if (unsourced := self._unsourced(state, plan, dict(out))) is not None:
                return unsourced
        return self._call(state, config, plan, out)

    def _writer(self, tool: BaseTool, plan: dict[str, Any]) -> Any:
        """The step's function calling; no fit question for a call the agent settled itself.

        Asked whether "Do what the request asks for garage@example.net." is done by
        send_email, the 1.5B model's "Yes" fell under the threshold in 3 of 5 probes.
        """
        if plan.get("unused"):
            return self.caller.described(tool)
        if self.caller.check_fit:
            return self.caller.decision(tool)
        return self.caller.runnable(tool)

    def _call_input(self, state: AgentState, plan: dict[str, Any]) -> dict[str, Any]:
        """What function calling reads: the task, and the user's request beside it.

        The planner's task may leave out what the request says ("with the same message"):
        ``calls_read_request`` shows the request too (``FUNCTION_CALLING_REQUEST_USER``), and
        the user's replies after it (the 1.5B model wrote "Paula.Reyes@company.com" for the
        task "Email Paula Reyes ..." when the reply gave paula.reyes@example.com).
        """
        if not self.calls_read_request:
            return {"task": plan["task"]}
        said = [
            REPLY_IN_REQUEST.format(question=s["task"], reply=s["observation"])
            for s in state["steps"]
            if s["tool"] == ASK_USER and took_effect(s)
        ]
        return {"task": plan["task"], "request": "\n".join([state["request"], *said])}

    def call(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """Write the call: the task itself for a task-taking tool, else its arguments.

        With ``check_fit``, a tool that does not do the task is declined (an observation).
        """
        plan = dict(state["plan"] or {})
        tool = self.tools[plan["selected_tool"]]
        if takes_task(tool):
            return self._call(state, config, plan, {"task": plan["task"]})
        try:
            out = self._writer(tool, plan).invoke(self._call_input(state, plan), config)
        except Exception as e:  # becomes the observation; the planner goes on
            return self._call_failed(plan, e)
        return self._written(state, config, plan, out)

    async def acall(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """Async ``call``."""
        plan = dict(state["plan"] or {})
        tool = self.tools[plan["selected_tool"]]
        if takes_task(tool):
            return self._call(state, config, plan, {"task": plan["task"]})
        try:
            out = await self._writer(tool, plan).ainvoke(self._call_input(state, plan), config)
        except Exception as e:
            return self._call_failed(plan, e)
        return self._written(state, config, plan, out)

    def route_call(self, state: AgentState) -> str:
        """To the tool (through approval if it needs one), or back to planning.

        Back to planning when no arguments could be written (the failure is a step) or the
        action was already taken; to the answer when that repeat ended the run (a loop).
        """
        call = state.get("call")
        if not call:
            return WRITE_ANSWER if state.get("plan") else PLAN_STEP
        return APPROVE_CALL if call["tool"] in self.approvals else RUN_TOOL

    # -- approval -------------------------------------------------------------------------

    def approve(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """Pause for a person's decision on the call; run it, run it edited, or reject it.

        Raises:
            AgentConfigError: the graph runs without a checkpointer (nothing to resume).
        """
        plan, tool, args = self._tool_call(state)
        call = dict(state.get("call") or {})
        configurable = config.get("configurable") or {}
        if configurable.get("__pregel_checkpointer") is None:
            msg = (
                f"{tool.name} needs approval (interrupt_on), which pauses the run until a "
                "person decides: compile the agent with a checkpointer (e.g. "
                "checkpointer=InMemorySaver()) and run it with "
                "config={'configurable': {'thread_id': ...}}."
            )
            raise AgentConfigError(msg)
        setting = self.approvals[tool.name]
        request = ApprovalRequest(
            type="approve_call",
            tool=tool.name,
            arguments=args,
            task=plan.get("task", ""),
            call_id=str(call.get("id", "")),
            allowed_decisions=list(setting["allowed_decisions"]),
            description=setting["description"],
        )
        while True:  # an invalid decision pauses again, with the reason
            value = interrupt(request)
            try:
                decision = read_decision(value, request["allowed_decisions"])
                if decision["type"] == "edit":
                    edited = validated_arguments(tool, decision.get("arguments"))
                    return {"call": {**call, "arguments": edited, "approval": "edited"}}
            except AgentInputError as e:
                request = ApprovalRequest(**{**request, "error": str(e)})
                continue
            if decision["type"] == "approve":
                return {"call": {**call, "approval": "approved"}}
            reason = " ".join(str(decision.get("message") or "").split())
            detail = f": {reason.rstrip('.')}." if reason else "."
            text = f"The user rejected this call of {tool.name}{detail}"
            rejected = {**plan, "rejected": True}
            return {
                "steps": [new_step(rejected, args, text, error=False)],
                "plan": None,
                "call": None,
            }

    @staticmethod
    def route_approved(state: AgentState) -> str:
        """To the tool when approved (or edited), back to planning when rejected."""
        return RUN_TOOL if state.get("call") else PLAN_STEP

    # -- tools --------------------------------------------------------------------------

    def _tool_call(self, state: AgentState) -> tuple[dict[str, Any], BaseTool, dict[str, Any]]:
        call = state.get("call") or {}
        plan = dict(state["plan"] or {})
        if call.get("approval") == "edited":  # a person chose these arguments
            plan["edited"] = True
        return plan, self.tools[call["tool"]], dict(call["arguments"])

    @staticmethod
    def _with_context(state: AgentState, tool: BaseTool, args: dict[str, Any]) -> dict[str, Any]:
        """``args`` plus what the run knows, for a tool that reads it.

        The request and the results so far as ``context`` (``reads_context``: the calculator);
        the request alone as ``request`` (``reads_request``: the search tools).
        """
        if reads_context(tool) and "context" not in args:
            args = {**args, "context": known_so_far(state["request"], state["steps"])}
        if reads_request(tool) and "request" not in args:
            args = {**args, "request": state["request"]}
        return args

    def _observed(
        self,
        state: AgentState,
        plan: dict[str, Any],
        args: dict[str, Any],
        out: Any,
        error: bool,
    ) -> dict[str, Any]:
        text = observation_text(out)
        if len(text) > self.max_observation_chars:
            text = text[: self.max_observation_chars] + " [cut]"
        update: dict[str, Any] = {"plan": None, "call": None}
        tool = plan["selected_tool"]
        earlier = earlier_step(state["steps"], tool, "observation", text, failed=error)
        if earlier is not None:
            text += SAME_RESULT_NOTE.format(step=earlier + 1)
            update["loops"], update["plan"] = self._looped(state)
        return {**update, "steps": [new_step(plan, args, text, error=error)]}

    def _looped(self, state: AgentState) -> tuple[int, dict[str, Any] | None]:
        """One more loop: the new count, and the final step when it reaches ``max_loops``."""
        loops = state.get("loops", 0) + 1
        if loops < self.max_loops:
            return loops, None
        return loops, {"task": LOOP_STOP_TASK, "selected_tool": FINAL_ANSWER, "stopped": "loop"}

    def _as_tool_call(self, state: AgentState, tool: BaseTool, args: dict[str, Any]) -> ToolCall:
        """The call as a LangChain ``ToolCall``, so that the tool answers with a ``ToolMessage``.

        Its ``status`` says whether the tool failed and handled the failure itself (a
        ``ToolException`` with ``handle_tool_error`` set, as the built-in tools do).
        """
        call_args = self._with_context(state, tool, args)
        call_id = (state.get("call") or {}).get("id") or f"call_{len(state['steps'])}"
        return tool_call(name=tool.name, args=call_args, id=call_id)

    def act(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """Run the selected tool; a failure, handled by the tool or raised, is the observation."""
        plan, tool, args = self._tool_call(state)
        try:
            out, error = tool_observation(
                tool.invoke(self._as_tool_call(state, tool, args), config)
            )
        except GraphBubbleUp:  # an interrupt (ask_user) pauses the run
            raise
        except Exception as e:
            out, error = error_observation(tool.name, e), True
        return self._observed(state, plan, args, out, error)

    async def aact(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """Async ``act``."""
        plan, tool, args = self._tool_call(state)
        try:
            call = self._as_tool_call(state, tool, args)
            out, error = tool_observation(await tool.ainvoke(call, config))
        except GraphBubbleUp:
            raise
        except Exception as e:
            out, error = error_observation(tool.name, e), True
        return self._observed(state, plan, args, out, error)

    @staticmethod
    def route_observed(state: AgentState) -> str:
        """Back to planning, or to the answer when the tool's result closed a loop."""
        return WRITE_ANSWER if state.get("plan") else PLAN_STEP

    # -- final answer -------------------------------------------------------------------

    def _answer_input(self, state: AgentState) -> dict[str, Any]:
        plan = state["plan"] or {}
        task = plan.get("task") or ANSWER_TASK
        refused = [n for s in state["steps"] for n in s.get("plan", {}).get("ungrounded", ())]
        if refused:  # an earlier answer stated numbers no step produced
            task = GROUNDED_ANSWER_TASK.format(task=task, numbers=", ".join(refused))
        return {
            "request": state["request"],
            "context": format_context(findings(_answer_context(state["steps"]))),
            "task": task,
        }

    def _sources(self, state: AgentState) -> tuple[list[str], set[str]]:
        """The texts an answer may take numbers from, and the action tools that succeeded."""
        ran = [s for s in state["steps"] if not s["error"] and s["tool"] != FINAL_ANSWER]
        done = {s["tool"] for s in ran if took_effect(s)}
        return [state["request"], *(str(s["observation"]) for s in ran)], done

    def _comparing(self, state: AgentState) -> list[str] | None:
        """The texts whose numbers an answer may give as a comparison, or None (not checked).

        The request and the results of the tools that calculate (those that read the run's
        results, as the calculator does).
        """
        if not self.grounded_comparisons:
            return None
        calculated = [
            str(s["observation"])
            for s in state["steps"]
            if not s["error"] and (tool := self.tools.get(s["tool"])) and reads_context(tool)
        ]
        return [state["request"], *calculated]

    def _answered(self, state: AgentState, answer: str) -> dict[str, Any]:
        """The run's answer, once it is grounded in the steps (or back to planning).

        An answer that only copies a failed step's message or "No information found." says
        instead that the request could not be answered (``NOT_ANSWERED``).
        """
        plan = dict(state["plan"] or {})
        if _copies_a_failure(answer, state["steps"]):
            return self._final({**plan, "copied_failure": answer}, NOT_ANSWERED)
        if self.grounded:
            sources, done = self._sources(state)
            check = check_answer(
                answer,
                sources,
                action_tools=self.action_tools,
                done=done,
                done_arguments=self._done_arguments(state),
                # always when no step informed it: a name is then from memory
                names=self.grounded_names or len(sources) == 1,
                units=self.grounded_units,
                comparing=self._comparing(state),
            )
            if not check.ok:
                return self._ungrounded(state, plan, answer, check)
        return self._final(plan, answer)

    @staticmethod
    def _final(plan: dict[str, Any], answer: str) -> dict[str, Any]:
        return {
            "steps": [new_step(plan, {}, answer, error=False)],
            "plan": None,
            "answer": answer,
            "status": "answered",
            "messages": [AIMessage(answer)],
        }

    def _ungrounded(
        self, state: AgentState, plan: dict[str, Any], answer: str, check: Grounding
    ) -> dict[str, Any]:
        """An answer that states what no step produced: back to planning, with a note.

        After ``max_refusals`` refusals, or with no step left, the answer is kept without its
        unsupported sentences and says what could not be established.
        """
        steps = state["steps"]
        refusals = sum(1 for s in steps if s["tool"] == FINAL_ANSWER and s["error"])
        if refusals < self.max_refusals and len(steps) + 1 < self.max_steps:
            problems, how = [], []
            if check.numbers:
                problems.append(UNGROUNDED_NUMBERS)
                # with no result yet, nothing can be calculated: the facts come first
                kinds = ("calculate_number", "search") if _any_result(steps) else ("search",)
                how += [GROUNDING_HOW[k] for k in kinds if k in self.kinds]
            if check.actions:
                problems.append(UNDONE_ACTIONS.format(tools=" and ".join(check.actions)))
            if check.addresses:
                problems.append(UNDONE_ADDRESSES.format(addresses=" and ".join(check.addresses)))
            if check.actions or check.addresses:
                how.append(GROUNDING_HOW["action"])
            if check.names and not check.numbers:
                problems.append(UNGROUNDED_NAMES)
                how += [GROUNDING_HOW["search"]] if "search" in self.kinds else []
            note = UNGROUNDED_NOTE.format(problems="; and ".join(problems), how="".join(how))
            refused = {
                **plan,
                "ungrounded": check.numbers,
                "undone": check.actions,
                "unnamed": check.names,
                "unacted": check.addresses,
            }
            return {"steps": [new_step(refused, {}, note, error=True)], "plan": None}
        kept = grounded_part(answer, check)
        logger.info("Answer %r cut to its grounded part %r", answer, kept)
        final = {**plan, "ungrounded": check.numbers, "undone": check.actions}
        return self._final({**final, "unacted": check.addresses}, kept)

    @staticmethod
    def route_answered(state: AgentState) -> str:
        """The end, or back to planning when the answer was refused (not grounded)."""
        return PLAN_STEP if state.get("status") == "running" else END

    def _answer_failed(self, e: Exception) -> dict[str, Any]:
        error = f"The final answer could not be written: {type(e).__name__}: {e}"
        text = "I could not write the answer (the model's output was unusable)."
        return {"status": "failed", "error": error, "plan": None, "messages": [AIMessage(text)]}

    def _found_answer(self, state: AgentState) -> str | None:
        """The answer a search step already wrote (``_asked_as_requested``), if the plan says so."""
        number = (state["plan"] or {}).get("answered_by")
        if not number:
            return None
        found = summary_of(str(state["steps"][number - 1]["observation"]))
        return found.strip() or None

    def answer(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """Write the answer from the request and the steps; the run ends if it is grounded."""
        if (found := self._found_answer(state)) is not None:
            return self._answered(state, found)
        if (report := self._action_report(state)) is not None:
            return self._final({**(state["plan"] or {}), "reported": True}, report)
        try:
            text = self.answer_tool.invoke(self._answer_input(state), config)
        except Exception as e:
            return self._answer_failed(e)
        return self._answered(state, str(text))

    async def aanswer(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """Async ``answer``."""
        if (found := self._found_answer(state)) is not None:
            return self._answered(state, found)
        if (report := self._action_report(state)) is not None:
            return self._final({**(state["plan"] or {}), "reported": True}, report)
        try:
            text = await self.answer_tool.ainvoke(self._answer_input(state), config)
        except Exception as e:
            return self._answer_failed(e)
        return self._answered(state, str(text))


_ASKS = re.compile(r"\W*ask\s+(?:the\s+user|for)\b", re.I)
"""A task that asks the user ("Ask the user for the date", "Ask for the address")."""


_DIFFERENCE = re.compile(r"\d[\d.,]* - \d[\d.,]*")
"""A calculation that is one difference of two numbers (the calculator's normalized form).

The 1.5B calculator wrote such differences in either order ("6190 - 6967.15 = -777.15" for the
height difference between Aconcagua and Denali), and the answer then gave "-777.15 metres";
the answer is told the difference's size, and says which is higher from the facts."""


_DEFINED = re.compile(r"\bthe\s+(\w+)\s+(?:of|who|that|which|where|whose)\b", re.I)
"""A description a request defines: "the author of Moby-Dick", "the city where ..."."""


def _described(task: str, request: str) -> bool:
    """Whether ``task`` refers to something by a description ``request`` defines.

    "the author" (or "the author's") in the task, not followed by "of" (which says whose it
    is: "the summit of K2"), where the request says "the author of Moby-Dick".
    """
    nouns = {m.group(1).lower() for m in _DEFINED.finditer(request)}
    return any(re.search(rf"\bthe\s+{re.escape(n)}\b(?!\s+of\b)", task, re.I) for n in nouns)


def _capitalized(name: str) -> set[str]:
    """The capitalized words of ``name``, as ``words`` writes them ("Republic of Florence")."""
    return set(words(" ".join(w for w in name.split() if w[:1].isupper())))


_REFERENCE = re.compile(r"#(\d+)\b")
"""A planned step's reference to an earlier step's result (``#1``)."""

MAX_SUBJECT_CHARS = 120
"""The most characters of a result written into a task in place of a reference."""


def _early(p: float) -> dict[str, Any]:
    """The answer step that an early answer takes instead of a planner step."""
    step = {"thoughts": EARLY_ANSWER_THOUGHTS, "selected_tool": FINAL_ANSWER, "task": ANSWER_TASK}
    return {"plan": {**step, "results_answer": round(p, 3)}}


def _with_p(step: dict[str, Any], p: float | None) -> dict[str, Any]:
    """A planned step, with the probability the early-answer check gave (kept in its record)."""
    return step if p is None else {**step, "results_answer": round(p, 3)}


def _asks_operation(request: str) -> bool:
    """Whether ``request`` says what to do with numbers ("in total", "longer", "per")."""
    return bool(OPERATION_WORDS & set(words(request)))


def _unusable(step: Step) -> bool:
    """Whether a step's result leaves the rest of a plan without what it needs."""
    text = str(step["observation"]).strip()
    return step["error"] or bool(step["plan"].get("rejected")) or text.startswith(NO_INFORMATION)


def _repeated(
    steps: list[Step], tool: str, task: str, *, reads_results: bool = False
) -> int | None:
    """The earlier step that ``task`` of ``tool`` repeats, or None.

    A task done before repeats it; one that failed before repeats the failure unless a tool
    gave a usable result since (the calculator refused "The area of Argentina divided by the
    area of Chile" five times in a row when no search had found Chile's area). A task of a
    tool that ``reads_results`` (the calculator) repeats one done before only if no usable
    result came since: with a new one it is a new calculation (the request's sum, computed
    first with Sweden's population taken for Finland's, was "not done again" once a search
    had found Finland's).
    """
    same = [i for i in same_steps(steps, tool, "task", task) if "repeat_of" not in steps[i]["plan"]]
    done = [i for i in same if not steps[i]["error"]]
    if done and not (reads_results and _any_result(steps[done[-1] + 1 :])):
        return done[0]
    if same and not _any_result(steps[same[-1] + 1 :]):
        return same[-1]
    return None


def _copies_a_failure(answer: str, steps: list[Step]) -> bool:
    """Whether ``answer`` is a failed step's message, or the search's "No information found."."""
    text = " ".join(answer.split())
    if text.startswith(NO_INFORMATION) or text.startswith("Error:"):
        return True
    failures = [" ".join(str(s["observation"]).split()) for s in steps if s["error"]]
    return len(text) >= 20 and any(f.startswith(text[:80]) for f in failures)


def _any_result(steps: list[Step]) -> bool:
    """Whether a tool step gave a usable result (not only answers, failures or repeats)."""
    return any(
        s["tool"] != FINAL_ANSWER and "repeat_of" not in s["plan"] and not _unusable(s)
        for s in steps
    )


def _refused_before_any_fact(steps: list[Step]) -> str | None:
    """The tool (the calculator) refused for a number no result gives, before any fact was found.

    None once a step has found something (a search's result, the user's reply): from there on
    the planner calculates with what it found.
    """
    if any(s["tool"] != FINAL_ANSWER and not _unusable(s) for s in steps):
        return None
    refused = [s["tool"] for s in steps if s["error"] and lacks_a_fact(s["observation"])]
    return refused[-1] if refused else None


def _after_refusal(state: AgentState) -> int:
    """The fewest steps of a plan: 1 right after a refused answer (something is missing)."""
    steps = state["steps"]
    return int(bool(steps) and steps[-1]["tool"] == FINAL_ANSWER and steps[-1]["error"])


def _answer_context(steps: list[Step]) -> list[Step]:
    """The steps an answer is written from: no repeats, no refused answers."""
    return [s for s in steps if "repeat_of" not in s.get("plan", {}) and s["tool"] != FINAL_ANSWER]


def grounded_part(answer: str, check: Grounding) -> str:
    """``answer`` without the sentences that state what ``check`` found unsupported.

    What is left says what could not be established (``NOT_ESTABLISHED``) or done
    (``NOT_DONE``).
    """
    kept = []
    for sentence in sentences(answer):
        if {n.text for n in numbers_in(sentence)} & set(check.numbers):
            continue
        if check.actions and action_claims(sentence, check.actions):
            continue
        if any(address in sentence for address in check.addresses):
            continue
        if any(name in sentence for name in check.names):
            continue
        kept.append(sentence)
    if check.numbers or check.names:
        kept.append(NOT_ESTABLISHED)
    if check.actions:
        kept.append(NOT_DONE.format(tools=" and ".join(check.actions)))
    if check.addresses:
        kept.append(NOT_DONE_FOR.format(addresses=" and ".join(check.addresses)))
    return " ".join(kept)
