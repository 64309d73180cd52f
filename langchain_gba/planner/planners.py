"""Planners: a chat model that writes the next step (a ``PlanStep``) from the trajectory so far.

- ``ZeroShotPlanner``: instruct models, given the tools with their descriptions; with a strong
  model (e.g. ``ChatOpenAI``) and ``teacher=True`` it is the teacher that records trajectories.
- ``FineTunedPlanner``: a model fine-tuned on recorded trajectories, given only the request and the
  steps (the exact text ``finetune/`` trains on).

With langchain-gba's chat models the step is produced by constrained decoding (always valid);
with other chat models through their structured output.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.tools import BaseTool

from langchain_gba.exceptions import ContextWindowError
from langchain_gba.planner.fine_tuned import (
    DEFAULT_FINE_TUNED_PLANNER,
    FINE_TUNED_SAMPLING,
    PLANNER_CONTEXT,
    ShippedPlanner,
    fine_tuned_planner_model,
    shipped_planners,
)
from langchain_gba.planner.step import (
    MAX_PLANNED_STEPS,
    PLAN_FIELDS,
    TEACHER_FIELDS,
    Plan,
    PlanStep,
    plan_model,
    plan_step_model,
)
from langchain_gba.prompts import (
    PLAN_AHEAD_EXAMPLES,
    PLANNER_EXAMPLES,
    RESULTS_ANSWER_QUESTION,
    PlanAheadExample,
    PlannerExample,
    fine_tuned_plan_prompt,
    fine_tuned_planner_prompt,
    plan_ahead_messages,
    zero_shot_planner_messages,
)
from langchain_gba.structured.choice import YES_NO, choice_probabilities
from langchain_gba.structured.route import structured_model

__all__ = ["FineTunedPlanner", "Planner", "ToolLike", "ZeroShotPlanner", "tool_descriptions"]

ToolLike = BaseTool | tuple[str, str]
"""A tool, or its ``(name, description)``."""

logger = logging.getLogger(__name__)

SHORTENED_OBSERVATION_CHARS = (400, 120)
"""What an older step's result is cut to, in turn, when the trajectory outgrows the context."""


def tool_descriptions(tools: Iterable[ToolLike]) -> list[tuple[str, str]]:
    """``(name, description)`` of each tool."""
    return [(t.name, t.description) if isinstance(t, BaseTool) else (t[0], t[1]) for t in tools]


def default_planner_model(model: str | None = None, **settings: Any) -> BaseChatModel:
    """An embedded (or GGUF-file) model configured for planning.

    Greedy, with a mild repetition penalty (small models otherwise loop inside a free-text field
    until its length bound); the step's token budget follows from its schema's bounds.
    ``settings`` override these (``ChatLlamaCpp`` fields).
    """
    from langchain_gba.chat_models.llama_cpp import ChatLlamaCpp
    from langchain_gba.models import DEFAULT_MODEL

    return ChatLlamaCpp(
        model=model or DEFAULT_MODEL,
        **{"repeat_penalty": 1.1, "context": PLANNER_CONTEXT, **settings},
    )


class Planner(ABC):
    """Writes the next step for a request, given the steps so far and the tools to choose from.

    Args:
        model: a chat model, an embedded model name or GGUF path, or None for the default model.
        max_length: the most characters per text field of the step.
        teacher: also write ``user_request`` and ``missing_information_or_action`` first.
        method: the structured-output route (see ``structured_model``).
        own_context: run an in-process model in its own llama.cpp context, so that the growing
            planner prompt is not evicted by the tools' prompts between steps.
        fields: the step's fields in writing order (``PLAN_FIELDS``; ``SEED_PLAN_FIELDS`` is
            the research system's format). A fine-tuned planner must use the fields it was
            trained on.
    """

    def __init__(
        self,
        model: BaseChatModel | str | None = None,
        *,
        max_length: int = 200,
        teacher: bool = False,
        method: str = "auto",
        own_context: bool = True,
        fields: Sequence[str] = PLAN_FIELDS,
    ) -> None:
        if model is None or isinstance(model, str):
            model = default_planner_model(model)
        elif own_context:
            from langchain_gba.chat_models.llama_cpp import ChatLlamaCpp

            if isinstance(model, ChatLlamaCpp):
                model = model.in_context(PLANNER_CONTEXT)
        self.model: BaseChatModel = model
        self.max_length = max_length
        self.teacher = teacher
        self.method = method
        self.fields = tuple(fields)
        self._runnables: dict[tuple[str, ...], Runnable[Any, Any]] = {}

    @property
    def model_name(self) -> str:
        """The planner model's name, for records and traces."""
        for attr in ("model", "model_name", "model_id"):
            value = getattr(self.model, attr, None)
            if isinstance(value, str):
                return value
        return type(self.model).__name__

    @abstractmethod
    def messages(
        self, request: str, steps: Sequence[Mapping[str, Any]], tools: Sequence[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """The chat messages the planner model sees."""

    can_plan_ahead: bool = False
    can_answer_questions: bool = False
    """Whether the planner model follows a question put after its prompt (``results_answer``):
    an instruction-following model does; a model fine-tuned on steps only may not."""
    """Whether ``plan_ahead`` works (a prompt format for whole plans)."""

    def ahead_messages(
        self, request: str, steps: Sequence[Mapping[str, Any]], tools: Sequence[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """The chat messages of a plan ahead (planners that ``can_plan_ahead``)."""
        msg = f"{type(self).__name__} plans one step at a time: use planning='step'."
        raise NotImplementedError(msg)

    def plan_ahead(
        self,
        request: str,
        steps: Sequence[Mapping[str, Any]],
        tools: Iterable[ToolLike],
        config: RunnableConfig | None = None,
        *,
        min_steps: int = 0,
        without: Collection[str] = (),
    ) -> Plan:
        """The steps still needed to answer ``request`` (empty when nothing is missing).

        ``min_steps``: the fewest steps the plan may hold (1 after a refused answer: something
        is missing). ``without``: tools the plan may not select this time (the prompt still
        lists them; the grammar leaves them out).

        Raises:
            StructuredOutputError, ContextWindowError: as for ``plan``.
        """
        described = tool_descriptions(tools)
        return self._ahead_runnable(described, min_steps, without).invoke(
            self.fitted_messages(request, steps, described, ahead=True), config=config
        )

    async def aplan_ahead(
        self,
        request: str,
        steps: Sequence[Mapping[str, Any]],
        tools: Iterable[ToolLike],
        config: RunnableConfig | None = None,
        *,
        min_steps: int = 0,
        without: Collection[str] = (),
    ) -> Plan:
        """Async ``plan_ahead``."""
        described = tool_descriptions(tools)
        return await self._ahead_runnable(described, min_steps, without).ainvoke(
            self.fitted_messages(request, steps, described, ahead=True), config=config
        )

    def _ahead_runnable(
        self, tools: Sequence[tuple[str, str]], min_steps: int = 0, without: Collection[str] = ()
    ) -> Runnable[Any, Any]:
        names = [name for name, _ in tools if name != "final_answer" and name not in without]
        if without and not names:
            msg = f"A plan needs a tool to select; every tool is left out ({', '.join(without)})."
            raise ValueError(msg)
        key = (f"(ahead, {min_steps})", *sorted(names))
        if key not in self._runnables:
            schema = plan_model(names, max_length=self.max_length, min_steps=min_steps)
            self._runnables[key] = structured_model(
                self.model, schema, method=self.method
            ).with_config(run_name=f"{type(self).__name__}.plan_ahead")
        return self._runnables[key]

    def step_model(self, tools: Iterable[ToolLike]) -> type[PlanStep]:
        """The step schema for ``tools``."""
        names = [name for name, _ in tool_descriptions(tools)]
        return plan_step_model(
            names, max_length=self.max_length, teacher=self.teacher, fields=self.fields
        )

    def _runnable(self, tools: Sequence[tuple[str, str]]) -> Runnable[Any, Any]:
        key = tuple(sorted(name for name, _ in tools))
        if key not in self._runnables:
            self._runnables[key] = structured_model(
                self.model, self.step_model(tools), method=self.method
            ).with_config(run_name=type(self).__name__)
        return self._runnables[key]

    def plan(
        self,
        request: str,
        steps: Sequence[Mapping[str, Any]],
        tools: Iterable[ToolLike],
        config: RunnableConfig | None = None,
    ) -> PlanStep:
        """The next step.

        Raises:
            StructuredOutputError: the output was cut off, or did not validate after the retries
                of a backend that cannot constrain decoding.
            ContextWindowError: the request alone (with the shortest trajectory) does not fit
                the planner model's context window.
        """
        described = tool_descriptions(tools)
        return self._runnable(described).invoke(
            self.fitted_messages(request, steps, described), config=config
        )

    async def aplan(
        self,
        request: str,
        steps: Sequence[Mapping[str, Any]],
        tools: Iterable[ToolLike],
        config: RunnableConfig | None = None,
    ) -> PlanStep:
        """Async ``plan``."""
        described = tool_descriptions(tools)
        return await self._runnable(described).ainvoke(
            self.fitted_messages(request, steps, described), config=config
        )

    def results_answer(
        self,
        request: str,
        steps: Sequence[Mapping[str, Any]],
        tools: Iterable[ToolLike],
        *,
        ahead: bool = False,
    ) -> float:
        """The planner model's probability that the results so far answer ``request``.

        Its own prompt for the next step (``ahead``: for a plan) with
        ``RESULTS_ANSWER_QUESTION`` appended, so an in-process model reads only the new tokens
        (its prompt prefix stays evaluated, and the step written after a "No" reuses all but
        the question).
        """
        described = tool_descriptions(tools)
        messages = list(self.fitted_messages(request, steps, described, ahead=ahead))
        role, text = messages[-1]
        messages[-1] = (role, text + RESULTS_ANSWER_QUESTION)

        def yes(question: list[tuple[str, str]]) -> float:
            return choice_probabilities(self.model, question, YES_NO)[YES_NO[0]]

        return float(RunnableLambda(yes, name="results_answer").invoke(messages))

    def fitted_messages(
        self,
        request: str,
        steps: Sequence[Mapping[str, Any]],
        tools: Sequence[tuple[str, str]],
        *,
        ahead: bool = False,
    ) -> list[tuple[str, str]]:
        """``messages``, with older results shortened if the prompt outgrows the context.

        Only an in-process model (``ChatLlamaCpp``) tells its context window; other models get
        ``messages`` unchanged. The latest result always stays whole.

        Raises:
            ContextWindowError: even with every older result shortened, the prompt does not fit.
        """
        write = self.ahead_messages if ahead else self.messages
        messages = write(request, steps, tools)
        window = self._window()
        if window is None:
            return messages
        n_ctx, count = window
        limit = n_ctx - (self._plan_reserve() if ahead else self._step_reserve(tools))
        n = count(messages)
        for chars in SHORTENED_OBSERVATION_CHARS:
            if n <= limit or len(steps) < 2:
                break
            steps = [*(_shortened(s, chars) for s in steps[:-1]), steps[-1]]
            messages = write(request, steps, tools)
            n = count(messages)
            logger.warning(
                "The planner's prompt outgrew its context: older results cut to %d characters.",
                chars,
            )
        if n > limit:
            msg = (
                f"The planner's prompt is {n:,} tokens (the request is {len(request):,} "
                f"characters), but its model's context window holds {n_ctx:,} tokens, "
                f"{n_ctx - limit:,} of them kept for the step: at most {limit:,} prompt tokens "
                "fit. Shorten the request, lower max_observation_chars, or load the planner "
                "model with a larger n_ctx."
            )
            raise ContextWindowError(msg, prompt_tokens=n, n_ctx=n_ctx)
        return messages

    def _window(self) -> tuple[int, Any] | None:
        from langchain_gba.chat_models.llama_cpp import ChatLlamaCpp

        model = self.model
        if not isinstance(model, ChatLlamaCpp):
            return None

        def count(messages: list[tuple[str, str]]) -> int:
            prompt = model.render_prompt(model._convert_input(messages).to_messages())
            return len(model.get_token_ids(prompt))

        return model.context_window, count

    def _plan_reserve(self) -> int:
        """Tokens kept for a plan ahead: thoughts and every step at about half their bound."""
        return 32 + (160 + MAX_PLANNED_STEPS * (self.max_length + 40)) // 6

    def _step_reserve(self, tools: Sequence[tuple[str, str]]) -> int:
        """Tokens kept for the step: its fields at about half their bound, 3 characters/token."""
        fields = self.step_model(tools).model_json_schema()["properties"].values()
        chars = sum(int(f.get("maxLength", 24)) for f in fields)
        return 32 + chars // 6


class ZeroShotPlanner(Planner):
    """An instruct model prompted with the tools, their descriptions and example steps.

    ``examples``: steps shown in the system prompt where they fit the tools and fields (default
    ``PLANNER_EXAMPLES``, written for the default tools; pass your own for other tools, or
    ``()`` for none). ``plan_examples``: the plans shown when it plans ahead
    (``create_gba_agent(..., planning="ahead")``; default ``PLAN_AHEAD_EXAMPLES``). Other
    arguments as for :class:`Planner`.

    Example:
        .. code-block:: python

            planner = ZeroShotPlanner("smollm2-135m-instruct")
            # the seed's GPT-4 teacher:
            planner = ZeroShotPlanner(ChatOpenAI(model="gpt-4o", temperature=0.1), teacher=True)
    """

    can_plan_ahead = True
    can_answer_questions = True

    def __init__(
        self,
        model: BaseChatModel | str | None = None,
        *,
        examples: Iterable[PlannerExample] | None = None,
        plan_examples: Iterable[PlanAheadExample] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, **kwargs)
        self.examples = PLANNER_EXAMPLES if examples is None else tuple(examples)
        self.plan_examples = PLAN_AHEAD_EXAMPLES if plan_examples is None else tuple(plan_examples)

    def ahead_messages(
        self, request: str, steps: Sequence[Mapping[str, Any]], tools: Sequence[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """System prompt: tools, the plan's format, the plan examples that fit; user: results."""
        return plan_ahead_messages(request, steps, tools, examples=self.plan_examples)

    def messages(
        self, request: str, steps: Sequence[Mapping[str, Any]], tools: Sequence[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """System prompt: tools, the step's fields, the examples that fit; user: the results."""
        return zero_shot_planner_messages(
            request,
            steps,
            tools,
            fields=(*TEACHER_FIELDS, *self.fields) if self.teacher else self.fields,
            examples=self.examples,
        )


class FineTunedPlanner(Planner):
    """A model fine-tuned on recorded trajectories: only the request and the steps, no tool list.

    ``plans_ahead``: the model was trained on whole plans (``fine_tuned_plan_prompt`` → the
    plan's JSON; ``simulation export --plans``): it plans ahead, and ``create_gba_agent`` runs it
    with ``planning="ahead"``. None: from a shipped planner's card (``"format": "ahead"``),
    else False (one step at a time).

    ``model``: None for the shipped default (``smollm2-135m-plans``: SmolLM2-135M with a LoRA
    adapter trained on the 1.5B teacher's plans; it plans ahead), the name of a shipped planner
    (``qwen-0.5b-plans``; ``smollm2-135m-planner`` plans one step at a time), a LoRA adapter's
    GGUF with its card beside it (``finetune export-lora``: base model and format from the
    card), a fine-tuned GGUF file (run like the shipped ones: greedy, no repetition penalty),
    or a chat model. Other arguments as for :class:`Planner`.

    Example:
        .. code-block:: python

            planner = FineTunedPlanner()
            planner = FineTunedPlanner("runs/planner/planner-q8_0.gguf")
            planner = FineTunedPlanner("runs/plans/smollm2-135m-plans-209.gguf")  # + .json
    """

    def __init__(
        self,
        model: BaseChatModel | str | None = None,
        *,
        plans_ahead: bool | None = None,
        **kwargs: Any,
    ) -> None:
        shipped = shipped_planners()
        adapter = _adapter_with_card(model)
        if model is None or (isinstance(model, str) and model in shipped):
            name = model or DEFAULT_FINE_TUNED_PLANNER
            if plans_ahead is None:
                plans_ahead = shipped[name].card.get("format") == "ahead"
            model = fine_tuned_planner_model(name)
        elif adapter is not None:
            if plans_ahead is None:
                plans_ahead = adapter.card.get("format") == "ahead"
            model = fine_tuned_planner_model(adapter.name, directory=adapter.adapter.parent)
        elif isinstance(model, str):
            model = default_planner_model(model, **FINE_TUNED_SAMPLING)
        super().__init__(model, **kwargs)
        self.can_plan_ahead = bool(plans_ahead)

    def messages(
        self, request: str, steps: Sequence[Mapping[str, Any]], tools: Sequence[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """One user message in the fine-tuning format."""
        return [("human", fine_tuned_planner_prompt(request, steps))]

    def ahead_messages(
        self, request: str, steps: Sequence[Mapping[str, Any]], tools: Sequence[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """One user message in the plan-ahead fine-tuning format (tools, request, results)."""
        if not self.can_plan_ahead:
            return super().ahead_messages(request, steps, tools)
        return [("human", fine_tuned_plan_prompt(request, steps, tools))]


def _adapter_with_card(model: object) -> ShippedPlanner | None:
    """A LoRA adapter's GGUF with its card beside it (``finetune export-lora``), else None."""
    if not isinstance(model, str) or not model.endswith(".gguf"):
        return None
    path = Path(model)
    if not path.with_suffix(".json").is_file():
        return None
    return shipped_planners(path.parent).get(path.stem)


def _shortened(step: Mapping[str, Any], chars: int) -> dict[str, Any]:
    text = str(step.get("observation", ""))
    if len(text) <= chars:
        return dict(step)
    return {**step, "observation": text[:chars].rsplit(" ", 1)[0] + " [cut]"}
