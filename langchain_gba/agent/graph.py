"""``create_gba_agent``: the grammar-based agent as a LangGraph ``StateGraph``.

::

    START ─► take_request ─► plan_step ─┬─ final_answer ─► write_answer ─┬─► END (grounded)
                               ▲        │                                └─► plan_step (refused)
                               │        ├─ a tool ─► write_arguments ─► [approve_call] ─► run_tool ┐
                               │        └─ step limit / planner failure ─► END                    │
                               └──────── the observation (a new step), or a rejection ◄───────────┘

Each stage leaves its product in the state: ``plan`` (the step planned), ``call`` (the tool
and its arguments), then a new entry of ``steps`` (the observation). ``write_arguments`` passes
the task as it is to tools that take a task (no model call); for other tools, function calling
writes the arguments under the tool's schema. ``approve_call`` pauses the run before a tool named
in ``interrupt_on`` runs, for a person to approve, edit or reject the call (``approval``).
``write_answer`` returns the answer only if every number it states and every action it claims
comes from a step (``grounding``); otherwise the planner gets a note and goes on. The nodes
themselves are in ``nodes.py``, the trajectory's helpers in ``steps.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import BaseTool
from langchain_core.tools import tool as as_tool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from langchain_gba.agent.approval import APPROVE_CALL, ApprovalConfig, approval_configs
from langchain_gba.agent.nodes import (
    PLAN_STEP,
    RUN_TOOL,
    TAKE_REQUEST,
    WRITE_ANSWER,
    WRITE_ARGUMENTS,
    Nodes,
    action_tools,
)
from langchain_gba.agent.state import AgentInput, AgentOutput, AgentState
from langchain_gba.exceptions import AgentConfigError
from langchain_gba.planner.planners import Planner, ZeroShotPlanner
from langchain_gba.tools.ask_user import ASK_USER, AskUserTool
from langchain_gba.tools.final_answer import FINAL_ANSWER, FinalAnswerTool
from langchain_gba.tools.function_calling import FunctionCaller

__all__ = ["create_gba_agent"]

PlannerLike = Planner | BaseChatModel | str | None

EARLY_ANSWER_THRESHOLD = 0.5
"""The planner model's probability of "Yes" (the results answer the request) that ends a run
early with ``early_answer=True``."""

PLAN_CHECK_THRESHOLD = 0.35
"""The planner model's probability of "Yes" (the results answer the request) below which a plan
that has run is planned again with ``plan_check=True``. On the dev split's trajectories (step
planner prompt) 6 of the 8 runs below 0.35 had a wrong answer, 4 of 32 above it."""

ANSWER_CONTEXT = "answer"
"""The llama.cpp context of an in-process answer writer: its instructions stay evaluated between
requests (~70 tokens, ~1 s of a 1.5B model on 2 cores), where the shared context's search
summaries and function calls would evict them."""

logger = logging.getLogger(__name__)


def create_gba_agent(
    tools: Sequence[BaseTool | Callable[..., Any]] = (),
    *,
    planner: PlannerLike = None,
    function_calling_model: BaseChatModel | None = None,
    answer_model: BaseChatModel | None = None,
    max_steps: int = 10,
    ask_user: bool = True,
    checkpointer: Checkpointer = None,
    max_observation_chars: int = 1500,
    max_loops: int = 2,
    interrupt_on: Mapping[str, bool | ApprovalConfig] | None = None,
    check_fit: bool | float = False,
    grounded: bool = True,
    grounded_names: bool = False,
    grounded_units: bool = True,
    grounded_comparisons: bool = True,
    planning: Literal["auto", "step", "ahead"] = "auto",
    replan: Literal["failure", "user"] = "failure",
    early_answer: bool | float = True,
    plan_check: bool | float = False,
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
    name: str = "gba_agent",
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build the grammar-based agent: a planner that picks a tool per step, then the tool runs.

    Args:
        tools: LangChain tools (or functions with docstrings). Tools whose only argument is
            ``task`` get the planner's task text; any other tool gets arguments written from the
            task by function calling, constrained by its ``args_schema``. A tool named
            ``ask_user`` replaces the built-in one (the simulation's simulated user).
        planner: a ``Planner``; a chat model or an embedded model name / GGUF path (used with a
            ``ZeroShotPlanner``); None for the embedded default model.
        function_calling_model: writes tool arguments (default: the planner's model).
        answer_model: writes the final answer (default: the function-calling model; an
            in-process model runs in its own llama.cpp context, ``ANSWER_CONTEXT``).
        max_steps: tool steps before the run ends with status ``incomplete``.
        ask_user: add the built-in ``ask_user`` tool (a LangGraph interrupt; needs a
            checkpointer to resume).
        checkpointer: a LangGraph checkpointer (``InMemorySaver``, ``SqliteSaver``, ...); runs
            are then threads (``config={"configurable": {"thread_id": ...}}``) that can pause
            and resume.
        max_observation_chars: longer tool outputs are cut to this many characters (when the
            trajectory outgrows the planner's context, older results are shortened further).
        max_loops: the planner repeating a task already done (or a tool returning a result it
            already returned) is a loop: the first ``max_loops - 1`` times the planner is told
            and plans again (the tool does not run again); then the run ends with an answer
            from the results so far (``loops`` in the state counts them).
        interrupt_on: tools whose calls a person approves first: tool name → ``True`` (approve,
            edit or reject) or an ``ApprovalConfig`` (``allowed_decisions``, ``description``).
            The run pauses with an interrupt before such a tool runs (see
            ``langchain_gba.agent.approval``); it needs a checkpointer.
        check_fit: before writing a tool's arguments, the function-calling model is asked
            whether the tool does the task (``FUNCTION_FIT_QUESTIONS``); where its mean
            probability of "Yes" is under the threshold (the model's in ``FIT_THRESHOLDS``, or
            this number), the task becomes an observation (the tool does not run) instead of a
            made-up call. Tools that take the task itself are not checked. See
            ``FunctionCaller(check_fit=True)``.
        grounded: check the answer before returning it (``langchain_gba.grounding``):
            every number it states must come from the request or a step's result (as written,
            rounded, or with separators), and it may say a tool with side effects (a tool that
            takes arguments, or one in ``interrupt_on``) did something only if a step of that
            tool succeeded. An answer that fails goes back to the planner with a note naming
            what is unsupported (a step of ``final_answer`` with ``error``); after two refusals,
            or with no step left, the answer keeps only its supported sentences and says what
            could not be established.
        grounded_names: with ``grounded``, the names the answer states (capitalized words)
            must come from the request or a step's result too. Always so for an answer written
            before any tool ran (a name can only come from the model's memory); with this, also
            after tools ran ("It flows into the Black Sea" where the search said the Caspian).
        grounded_units: with ``grounded``, a number the answer writes with a unit must not be
            one the results give only in another unit of its kind ("299,792,458 kilometres
            per second" from "299,792,458 metres per second"): the run goes back to convert it.
        grounded_comparisons: with ``grounded``, a number the answer gives as a difference or
            a ratio ("681 kilometres longer", "1.54 times") must come from the calculator or
            the request, or from a result that compares so too ("The Volga ... would be 3,531
            kilometers longer" gave its length as the difference): the run goes back to
            calculate it.
        planning: ``"auto"`` (default): ``"ahead"`` with a planner that can plan ahead
            (``ZeroShotPlanner``) and tools that take a task (search, calculator, ask_user);
            ``"step"`` with one that cannot (a ``FineTunedPlanner`` trained on steps) or with
            tools whose arguments are written by function calling or that need approval
            (actions: their details come from a task the step planner writes with the results
            in view; a plan ahead wrote "end date '2026-12-21 09:30:45'" for "at 09:30 for 45
            minutes"). A student trained on plans runs step-wise there too: planning ahead it
            did fewer of the assistant's actions right (4/24 against 7/24, ``bench/HISTORY.md``
            round 25).
            ``"step"``: the planner writes one step at a time, seeing every result.
            ``"ahead"``: it writes the steps the request needs at once (one search per fact,
            then the calculation; ``Plan``), they run without a planner call between them,
            and it plans again only when a step fails or finds nothing, or when the answer
            after the plan is refused (``grounded``). Needs a planner that can plan ahead
            (``ZeroShotPlanner``).
        replan: with ``planning="ahead"``: ``"failure"`` runs the rest of the plan as
            written; ``"user"`` also plans again after the user's reply (``ask_user``), since
            the steps planned before it guessed what the user would say (measured worse on
            the held-out questions back: 1/6 against 2/6, README). Either way a plan written
            again leaves out steps already done, and after a refused answer it holds at least
            one step.
        early_answer: after each usable tool result (``planning="step"``), ask the planner
            model whether the results answer the request (``RESULTS_ANSWER_QUESTION``, one
            forward pass over the few new tokens of its own prompt); where its probability of
            "Yes" reaches the threshold (``EARLY_ANSWER_THRESHOLD``, or this number), the
            answer is written without a planner step. The probability is kept in each step's
            plan (``results_answer``). The answer is still checked (``grounded``). On the dev
            split it kept every kind's correct answers and cut lookups from 10.5 to 8.2 s and
            calculations from 13.3 to 9.6 s (README); ``False`` plans every step. Planners that
            do not follow such a question (``FineTunedPlanner``) plan every step regardless.
        plan_check: with ``planning="ahead"``, once per run, when the plan has run: ask the
            planner model (its plan prompt and ``RESULTS_ANSWER_QUESTION``) whether the
            results answer the request; below the threshold (``PLAN_CHECK_THRESHOLD``, or this
            number) it plans again, with the results in view, before the answer is written.
            The probability is kept in the step's plan (``results_answer``). Off by default:
            +1 of 21 dev multi-step answers, 1-2 s slower per request (README, "Sixth round").
        search_as_asked: with ``planning="ahead"``, two shortcuts through a lookup. When a
            plan without steps had its answer refused (it named what no step found), the
            request is searched as the user wrote it, without a second plan; and when a run's
            one tool step searched the request as written and found it, its summary is the
            answer (no answer writer). With one search tool only (which one is the planner's
            choice otherwise). ``False``: the planner plans again and the writer writes.
        calculate_as_asked: with ``planning="ahead"``, the last step of a plan, when it is a
            calculation, hands the calculator the request as written, beside the results (the
            planner's task is kept in the step's ``planned_task``; before any tool ran, only
            for a request that gives numbers); ``False``: the planner's task.
        ask_in_world_requests: let the planner ask the user about themselves in a request
            that is a question about named things and never speaks of the user ("How old are
            you?" for the Great Pyramid's age). By default such a question is not asked: the
            step's result says why, and the planner plans again (``about_the_world``).
        calculation_in_thoughts: with ``planning="ahead"``, a plan whose thoughts name the
            calculator ("then sum them: calculate_number") but whose steps leave it out ends
            with the calculator on the request, for a request that asks for a number, unless
            it already calculated on the latest results. ``False``: the steps as written.
        facts_before_calculation: with ``planning="ahead"``, after the calculator refused a
            calculation for a number that no result gives ("Find the missing facts first")
            before any step had found a fact, the next plans may not select the calculator
            (the grammar leaves it out) until a step has found something; then the planner
            plans again, the calculator back. ``False``: the planner may plan the same
            calculation again.
        ask_users_own: with ``ask_user``, a first plan without steps (or a first
            ``final_answer``) for a request that speaks of the user's own things ("my
            favourite restaurant", ``users_own``; not a thanks or a greeting) writes no
            answer: the planner is told
            that only the user knows it and plans again, at least one step. ``False``: it is
            answered directly.
        grounded_addresses: an action whose arguments hold an email address that neither the
            request nor a result gives ("landlord@example.com" for "my landlord") is not
            called nor shown for approval: its step says so and the planner plans again (ask
            the user). ``False``: called as written.
        grounded_dates: the same for a date or a time (an argument written ``2026-05-10`` or
            ``14:00``) that the request and the results give in no form ("May 10th 2026",
            "2 pm"; a request with a relative day, "tomorrow", is not checked).
        complete_actions: a final answer planned after an action, while the request writes an
            email address or a date that no action used (the second of two entries), goes back
            to the planner once with a note naming them. ``False``: answered as planned.
        calls_read_request: function calling writes a tool's arguments from the planner's task
            with the user's request beside it, for what the task leaves out ("with the same
            message"). ``False``: from the task alone.
        report_actions: a run whose tools were actions (and questions to the user) is
            answered with what the actions' tools said they did, as they wrote it (LangChain's
            ``return_direct``, for every action of the run), without the answer writer; an
            action tool none of whose steps took effect is named as not run. ``False``: the
            writer answers.
        name: the graph's name.

    Returns:
        A compiled graph. Input ``{"request": "..."}`` or ``{"messages": [...]}``; output the
        state: ``request``, ``steps`` (task, tool, arguments, observation, error, plan),
        ``answer``, ``status`` (``answered`` / ``incomplete`` / ``failed``), ``error`` and
        ``messages``.

    Raises:
        AgentConfigError: duplicate tool names, a tool without description, a tool named
            ``final_answer``, ``max_steps`` < 1, or ``interrupt_on`` naming an unknown tool.
        ModelNotFoundError: an unknown model name.

    Example:
        .. code-block:: python

            from langchain_gba import create_gba_agent
            from langchain_gba.tools import CalculatorTool

            agent = create_gba_agent([CalculatorTool()])
            agent.invoke({"request": "What is 17% of 2,340?"})["answer"]
    """
    if max_steps < 1:
        msg = f"max_steps must be at least 1, got {max_steps}."
        raise AgentConfigError(msg)
    if max_loops < 1:
        msg = f"max_loops must be at least 1, got {max_loops}."
        raise AgentConfigError(msg)
    tool_map = _check_tools(tools, ask_user=ask_user)
    the_planner = planner if isinstance(planner, Planner) else ZeroShotPlanner(planner)
    approvals = approval_configs(interrupt_on, tool_map)
    if planning not in ("auto", "step", "ahead"):
        msg = f"planning must be 'auto', 'step' or 'ahead', got {planning!r}."
        raise AgentConfigError(msg)
    if planning == "auto":
        planning = (
            "ahead"
            if the_planner.can_plan_ahead and not action_tools(tool_map, approvals)
            else "step"
        )
    if planning == "ahead" and not the_planner.can_plan_ahead:
        msg = (
            f"{type(the_planner).__name__} plans one step at a time (it was trained on single "
            "steps): use planning='step', or a ZeroShotPlanner to plan ahead."
        )
        raise AgentConfigError(msg)
    if replan not in ("user", "failure"):
        msg = f"replan must be 'user' or 'failure', got {replan!r}."
        raise AgentConfigError(msg)
    if function_calling_model is None:
        function_calling_model = _in_context(the_planner.model, "shared")
    nodes = Nodes(
        planner=the_planner,
        tools=tool_map,
        caller=FunctionCaller(
            function_calling_model,
            check_fit=check_fit is not False,
            fit_threshold=None if isinstance(check_fit, bool) else float(check_fit),
        ),
        answer=FinalAnswerTool(
            llm=_in_context(answer_model or function_calling_model, ANSWER_CONTEXT)
        ),
        max_steps=max_steps,
        max_observation_chars=max_observation_chars,
        max_loops=max_loops,
        approvals=approvals,
        grounded=grounded,
        grounded_names=grounded_names,
        grounded_units=grounded_units,
        grounded_comparisons=grounded_comparisons,
        planning=planning,
        replan=replan,
        early_answer=_threshold(early_answer, EARLY_ANSWER_THRESHOLD),
        plan_check=_threshold(plan_check, PLAN_CHECK_THRESHOLD),
        search_as_asked=search_as_asked,
        calculate_as_asked=calculate_as_asked,
        ask_in_world_requests=ask_in_world_requests,
        calculation_in_thoughts=calculation_in_thoughts,
        facts_before_calculation=facts_before_calculation,
        ask_users_own=ask_users_own,
        grounded_addresses=grounded_addresses,
        grounded_dates=grounded_dates,
        complete_actions=complete_actions,
        calls_read_request=calls_read_request,
        report_actions=report_actions,
    )
    graph = StateGraph(AgentState, input_schema=AgentInput, output_schema=AgentOutput)
    for node, func, afunc in (
        (TAKE_REQUEST, nodes.start, None),
        (PLAN_STEP, nodes.plan, nodes.aplan),
        (WRITE_ARGUMENTS, nodes.call, nodes.acall),
        (RUN_TOOL, nodes.act, nodes.aact),
        (WRITE_ANSWER, nodes.answer, nodes.aanswer),
    ):
        graph.add_node(node, RunnableLambda(func, afunc=afunc, name=node))
    graph.add_edge(START, TAKE_REQUEST)
    graph.add_edge(TAKE_REQUEST, PLAN_STEP)
    graph.add_conditional_edges(
        PLAN_STEP, nodes.route_plan, [PLAN_STEP, WRITE_ARGUMENTS, WRITE_ANSWER, END]
    )
    after_call = [RUN_TOOL, PLAN_STEP, WRITE_ANSWER]
    if nodes.approvals:  # the approval node only where a tool needs one
        graph.add_node(APPROVE_CALL, RunnableLambda(nodes.approve, name=APPROVE_CALL))
        graph.add_conditional_edges(APPROVE_CALL, nodes.route_approved, [RUN_TOOL, PLAN_STEP])
        after_call.insert(0, APPROVE_CALL)
    graph.add_conditional_edges(WRITE_ARGUMENTS, nodes.route_call, after_call)
    graph.add_conditional_edges(RUN_TOOL, nodes.route_observed, [PLAN_STEP, WRITE_ANSWER])
    graph.add_conditional_edges(WRITE_ANSWER, nodes.route_answered, [PLAN_STEP, END])
    compiled = graph.compile(checkpointer=checkpointer, name=name)
    # Each step is at most four supersteps (plan, arguments, approval, tool).
    return compiled.with_config(recursion_limit=4 * max_steps + 10)  # type: ignore[return-value]


def _threshold(value: bool | float, default: float) -> float | None:
    """A probability threshold from a bool-or-number option (None: off)."""
    if value is False:
        return None
    threshold = default if value is True else float(value)
    if not 0.0 <= threshold <= 1.0:
        msg = f"A probability threshold must be between 0 and 1, got {value!r}."
        raise AgentConfigError(msg)
    return threshold


def _in_context(model: BaseChatModel, context: str) -> BaseChatModel:
    """An in-process model in the llama.cpp context ``context``; any other model as it is."""
    from langchain_gba.chat_models.llama_cpp import ChatLlamaCpp

    return model.in_context(context) if isinstance(model, ChatLlamaCpp) else model


def _check_tools(
    tools: Sequence[BaseTool | Callable[..., Any]], *, ask_user: bool
) -> dict[str, BaseTool]:
    checked: dict[str, BaseTool] = {}
    for item in tools:
        if isinstance(item, BaseTool):
            tool = item
        elif callable(item):
            try:
                tool = as_tool(item)
            except ValueError as e:
                msg = f"Cannot make a tool of {item!r}: {e} (give it a docstring)."
                raise AgentConfigError(msg) from e
        else:
            msg = f"Not a tool: {item!r}. Pass LangChain BaseTools or functions with docstrings."
            raise AgentConfigError(msg)
        if tool.name in checked:
            msg = f"Two tools are named {tool.name!r}: tool names must be unique."
            raise AgentConfigError(msg)
        if tool.name == FINAL_ANSWER:
            msg = (
                f"{FINAL_ANSWER!r} is built in (the run ends with it); rename your tool, or pass "
                "answer_model=... to change who writes the answer."
            )
            raise AgentConfigError(msg)
        if not (tool.description or "").strip():
            msg = (
                f"Tool {tool.name!r} has no description: the planner selects tools by their "
                "descriptions; give it one."
            )
            raise AgentConfigError(msg)
        checked[tool.name] = tool
    if ask_user and ASK_USER not in checked:
        checked[ASK_USER] = AskUserTool()
    return checked
