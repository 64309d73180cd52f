"""``create_gba_agent``: the grammar-based agent as a LangGraph ``StateGraph``.

::

    START ─► take_request ─► plan_step ─┬─ final_answer ─► write_answer ─► END
                               ▲        ├─ a tool ─► write_arguments ─► [approve_call] ─► run_tool ┐
                               │        └─ step limit / planner failure ─► END                    │
                               └──────── the observation (a new step), or a rejection ◄───────────┘

Each stage leaves its product in the state: ``plan`` (the step planned), ``call`` (the tool
and its arguments), then a new entry of ``steps`` (the observation). ``write_arguments`` passes
the task as it is to tools that take a task (no model call); for other tools, function calling
writes the arguments under the tool's schema. ``approve_call`` pauses the run before a tool named
in ``interrupt_on`` runs, for a person to approve, edit or reject the call (``approval``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolCall, ToolMessage
from langchain_core.messages.tool import tool_call
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langchain_core.tools import BaseTool, ToolException
from langchain_core.tools import tool as as_tool
from langgraph.errors import GraphBubbleUp
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer, interrupt

from langchain_gba._text import words
from langchain_gba.agent.approval import (
    APPROVE_CALL,
    ApprovalConfig,
    ApprovalRequest,
    approval_configs,
    read_decision,
    validated_arguments,
)
from langchain_gba.agent.state import AgentInput, AgentOutput, AgentState, Step
from langchain_gba.exceptions import (
    AgentConfigError,
    AgentInputError,
    ContextWindowError,
    StructuredOutputError,
)
from langchain_gba.planner.planners import Planner, ZeroShotPlanner, tool_descriptions
from langchain_gba.planner.step import copies_descriptions
from langchain_gba.prompts import (
    COPIED_QUESTION_NOTE,
    LOOP_NOTE,
    LOOP_STOP_TASK,
    SAME_RESULT_NOTE,
    format_context,
)
from langchain_gba.tools.ask_user import ASK_USER, AskUserTool
from langchain_gba.tools.base import reads_context, reads_request, takes_task
from langchain_gba.tools.final_answer import FINAL_ANSWER, FinalAnswerTool
from langchain_gba.tools.function_calling import Decision, FunctionCaller

__all__ = ["create_gba_agent"]

PlannerLike = Planner | BaseChatModel | str | None

TAKE_REQUEST = "take_request"
PLAN_STEP = "plan_step"
WRITE_ARGUMENTS = "write_arguments"
RUN_TOOL = "run_tool"
WRITE_ANSWER = "write_answer"
# The graph's nodes are named after what they do; stream updates are keyed by these names.

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
    if function_calling_model is None:
        function_calling_model = _in_context(the_planner.model, "shared")
    nodes = _Nodes(
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
        approvals=approval_configs(interrupt_on, tool_map),
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
    after_call = [RUN_TOOL, PLAN_STEP]
    if nodes.approvals:  # the approval node only where a tool needs one
        graph.add_node(APPROVE_CALL, RunnableLambda(nodes.approve, name=APPROVE_CALL))
        graph.add_conditional_edges(APPROVE_CALL, nodes.route_approved, [RUN_TOOL, PLAN_STEP])
        after_call.insert(0, APPROVE_CALL)
    graph.add_conditional_edges(WRITE_ARGUMENTS, nodes.route_call, after_call)
    graph.add_conditional_edges(RUN_TOOL, nodes.route_observed, [PLAN_STEP, WRITE_ANSWER])
    graph.add_edge(WRITE_ANSWER, END)
    compiled = graph.compile(checkpointer=checkpointer, name=name)
    # Each step is at most four supersteps (plan, arguments, approval, tool).
    return compiled.with_config(recursion_limit=4 * max_steps + 10)  # type: ignore[return-value]


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


class _Nodes:
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
    ) -> None:
        self.planner = planner
        self.approvals = approvals or {}
        self.max_loops = max_loops
        self.tools = tools
        self.caller = caller
        self.answer_tool = answer
        self.max_steps = max_steps
        self.max_observation_chars = max_observation_chars
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
        }

    # -- planner ------------------------------------------------------------------------

    def _stop(self, state: AgentState) -> dict[str, Any] | None:
        if len(state["steps"]) < self.max_steps:
            return None
        text = f"I could not finish within {self.max_steps} steps."
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
        tool = step.get("selected_tool", "")
        if copies_descriptions(step["task"]):
            if tool == ASK_USER:
                return {"steps": [_step(step, {}, COPIED_QUESTION_NOTE, error=True)], "plan": None}
            step = {**step, "task": state["request"], "copied_task": step["task"]}
        earlier = None if tool == FINAL_ANSWER else _earlier(steps, tool, "task", step["task"])
        if earlier is None:
            return {"plan": step}
        loops, stop = self._looped(state)
        if stop is not None:
            return {"plan": stop, "loops": loops}
        note = LOOP_NOTE.format(step=earlier + 1)
        args = dict(steps[earlier]["arguments"])  # the call it repeats
        repeat = {**step, "repeat_of": earlier + 1}  # kept out of the final answer's context
        return {"steps": [_step(repeat, args, note, error=False)], "plan": None, "loops": loops}

    def plan(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """Write the next step, or stop at the step limit."""
        if (stop := self._stop(state)) is not None:
            return stop
        try:
            step = self.planner.plan(state["request"], state["steps"], self.described, config)
        except (StructuredOutputError, ContextWindowError) as e:
            return self._failed(e)
        return self._planned(state, step.model_dump())

    async def aplan(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """Async ``plan``."""
        if (stop := self._stop(state)) is not None:
            return stop
        try:
            step = await self.planner.aplan(
                state["request"], state["steps"], self.described, config
            )
        except (StructuredOutputError, ContextWindowError) as e:
            return self._failed(e)
        return self._planned(state, step.model_dump())

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
        return {"steps": [_step(plan, {}, text, error=True)], "plan": None, "call": None}

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
        return {"steps": [_step(plan, {}, text, error=True)], "plan": None, "call": None}

    def _written(
        self, state: AgentState, config: RunnableConfig, plan: dict[str, Any], out: Any
    ) -> dict[str, Any]:
        if isinstance(out, Decision):
            if not out.fits:
                return self._declined(plan, out)
            out = out.arguments or {}
        return self._call(state, config, plan, out)

    def _writer(self, tool: BaseTool) -> Any:
        if self.caller.check_fit:
            return self.caller.decision(tool)
        return self.caller.runnable(tool)

    def call(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """Write the call: the task itself for a task-taking tool, else its arguments.

        With ``check_fit``, a tool that does not do the task is declined (an observation).
        """
        plan = dict(state["plan"] or {})
        tool = self.tools[plan["selected_tool"]]
        if takes_task(tool):
            return self._call(state, config, plan, {"task": plan["task"]})
        try:
            out = self._writer(tool).invoke({"task": plan["task"]}, config)
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
            out = await self._writer(tool).ainvoke({"task": plan["task"]}, config)
        except Exception as e:
            return self._call_failed(plan, e)
        return self._written(state, config, plan, out)

    def route_call(self, state: AgentState) -> str:
        """To the tool (through approval if it needs one), or back to planning.

        Back to planning when no arguments could be written (the failure is a step).
        """
        call = state.get("call")
        if not call:
            return PLAN_STEP
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
            return {"steps": [_step(rejected, args, text, error=False)], "plan": None, "call": None}

    @staticmethod
    def route_approved(state: AgentState) -> str:
        """To the tool when approved (or edited), back to planning when rejected."""
        return RUN_TOOL if state.get("call") else PLAN_STEP

    # -- tools --------------------------------------------------------------------------

    def _tool_call(self, state: AgentState) -> tuple[dict[str, Any], BaseTool, dict[str, Any]]:
        call = state.get("call") or {}
        return dict(state["plan"] or {}), self.tools[call["tool"]], dict(call["arguments"])

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
        text = _as_text(out)
        if len(text) > self.max_observation_chars:
            text = text[: self.max_observation_chars] + " [cut]"
        update: dict[str, Any] = {"plan": None, "call": None}
        tool = plan["selected_tool"]
        earlier = _earlier(state["steps"], tool, "observation", text, failed=error)
        if earlier is not None:
            text += SAME_RESULT_NOTE.format(step=earlier + 1)
            update["loops"], update["plan"] = self._looped(state)
        return {**update, "steps": [_step(plan, args, text, error=error)]}

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
            out, error = _observation(tool.invoke(self._as_tool_call(state, tool, args), config))
        except GraphBubbleUp:  # an interrupt (ask_user) pauses the run
            raise
        except Exception as e:
            out, error = _error_text(tool.name, e), True
        return self._observed(state, plan, args, out, error)

    async def aact(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """Async ``act``."""
        plan, tool, args = self._tool_call(state)
        try:
            call = self._as_tool_call(state, tool, args)
            out, error = _observation(await tool.ainvoke(call, config))
        except GraphBubbleUp:
            raise
        except Exception as e:
            out, error = _error_text(tool.name, e), True
        return self._observed(state, plan, args, out, error)

    @staticmethod
    def route_observed(state: AgentState) -> str:
        """Back to planning, or to the answer when the tool's result closed a loop."""
        return WRITE_ANSWER if state.get("plan") else PLAN_STEP

    # -- final answer -------------------------------------------------------------------

    def _answer_input(self, state: AgentState) -> dict[str, Any]:
        plan = state["plan"] or {}
        return {
            "request": state["request"],
            "context": format_context(
                [s for s in state["steps"] if "repeat_of" not in s.get("plan", {})]
            ),
            "task": plan.get("task") or "Answer the request.",
        }

    def _answered(self, state: AgentState, answer: str) -> dict[str, Any]:
        plan = dict(state["plan"] or {})
        return {
            "steps": [_step(plan, {}, answer, error=False)],
            "plan": None,
            "answer": answer,
            "status": "answered",
            "messages": [AIMessage(answer)],
        }

    def _answer_failed(self, e: Exception) -> dict[str, Any]:
        error = f"The final answer could not be written: {type(e).__name__}: {e}"
        text = "I could not write the answer (the model's output was unusable)."
        return {"status": "failed", "error": error, "plan": None, "messages": [AIMessage(text)]}

    def answer(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """Write the answer from the request and the steps; the run ends."""
        try:
            text = self.answer_tool.invoke(self._answer_input(state), config)
        except Exception as e:
            return self._answer_failed(e)
        return self._answered(state, str(text))

    async def aanswer(self, state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        """Async ``answer``."""
        try:
            text = await self.answer_tool.ainvoke(self._answer_input(state), config)
        except Exception as e:
            return self._answer_failed(e)
        return self._answered(state, str(text))


MAX_CONTEXT_CHARS = 6000
"""At most this much of the run's results goes to a tool that reads the context (the latest)."""


def known_so_far(request: str, steps: Sequence[Step]) -> str:
    """The request and the results of the steps that ran (no errors, repeats or answers).

    What a tool that reads the context (the calculator) gets beside its task: the latest results
    that fit ``MAX_CONTEXT_CHARS``, in ``format_context``'s form.
    """
    ran = [
        s
        for s in steps
        if not s.get("error") and "repeat_of" not in s.get("plan", {}) and s["tool"] != FINAL_ANSWER
    ]
    head = f"Request: {request}\n\n"
    while ran and len(head) + len(format_context(ran)) > MAX_CONTEXT_CHARS:
        ran = ran[1:]
    return (head + format_context(ran))[:MAX_CONTEXT_CHARS]


def _step(plan: dict[str, Any], args: dict[str, Any], observation: str, *, error: bool) -> Step:
    return Step(
        task=plan.get("task", ""),
        tool=plan.get("selected_tool", ""),
        arguments=args,
        observation=observation,
        error=error,
        plan={k: v for k, v in plan.items() if k != "arguments"},
    )


def _normalized(text: str) -> str:
    return " ".join(words(text))


def _earlier(
    steps: Sequence[Step],
    tool: str,
    field: Literal["task", "observation"],
    text: str,
    *,
    failed: bool = False,
) -> int | None:
    """The index of an earlier step of ``tool`` whose ``field`` matches ``text``.

    Compared without case, punctuation or spacing: the same task planned again, or the same
    result returned again. Failed steps count only with ``failed``: a failed task may be tried
    again (the results may have changed since), but the same failure again is no progress.
    """
    wanted = _normalized(text)
    for i, step in enumerate(steps):
        if step["tool"] != tool or (step["error"] and not failed):
            continue
        if _normalized(str(step[field])) == wanted:
            return i
    return None


def _observation(result: Any) -> tuple[Any, bool]:
    """A tool's result and whether it is a failure the tool handled (``status="error"``)."""
    if isinstance(result, ToolMessage):
        if result.status == "error":
            return f"Error: {' '.join(result.text.split()) or 'no details'}", True
        return result.content, False
    return result, False


def _error_text(name: str, e: BaseException) -> str:
    """The observation of a tool that raised: a tool's own message, or what broke."""
    detail = " ".join(str(e).split()) or "no details"
    if isinstance(e, ToolException):  # written for the agent (CalculationError, SearxngError)
        return f"Error: {detail}"
    logger.warning("Tool %s raised", name, exc_info=e)
    return f"Error: {name} failed: {type(e).__name__}: {detail}"


def _as_text(out: Any) -> str:
    """A tool's output as observation text."""
    content = getattr(out, "content", out)  # a ToolMessage or message-like object
    if isinstance(content, str):
        return content
    try:
        return json.dumps(content, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(content)
