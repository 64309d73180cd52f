"""``SimulatedTool``: an LLM-backed twin of any tool, with the same name, description and args."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.tools import ArgsSchema, BaseTool
from pydantic import Field, PrivateAttr

from langchain_gba.prompts import SIMULATED_TOOL_SYSTEM, SIMULATED_TOOL_USER, format_context
from langchain_gba.simulated.history import SimulationHistory, run_key
from langchain_gba.structured.route import structured_model
from langchain_gba.tools.base import TaskInput

__all__ = ["SimulatedTool"]


class SimulatedTool(BaseTool):
    """A stand-in for a tool: a chat model writes a plausible observation for each call.

    The twin has the real tool's name, description and args schema, so the planner and the
    function-calling step see the same tool; what the model writes is bounded
    (``max_length`` characters, through structured output: constrained decoding on
    langchain-gba's chat models), so a small model always finishes. The twin sees the tool's
    description, the call's arguments and, when the run has a ``thread_id``, the earlier calls
    of the environment's simulated tools in that run.

    Instantiate (usually through ``simulate_tool`` / ``simulated_environment``):
        .. code-block:: python

            from langchain_gba.simulated import simulate_tool

            twin = simulate_tool(send_email_tool, llm)
            twin.invoke({"recipient": "bob@example.com", "subject": "Hi", "body": "..."})
            # 'Email sent to bob@example.com (message id 4821).'
    """

    name: str = "simulated_tool"
    description: str = "A simulated tool."
    args_schema: ArgsSchema | None = TaskInput

    llm: BaseChatModel
    """The chat model that writes the observations."""
    prompt: str | None = None
    """The system message (``{name}`` and ``{description}`` are filled in); default
    ``SIMULATED_TOOL_SYSTEM``."""
    max_length: int = Field(default=300, ge=8)
    """The most characters of an observation."""
    context_steps: int = Field(default=3, ge=0)
    """Earlier calls of the run shown to the model (0: none)."""
    history: SimulationHistory = Field(default_factory=SimulationHistory)
    """Where the calls of each run are recorded (shared by the twins of an environment)."""
    method: str = "auto"
    """The structured-output route (see ``structured_model``); ``"prompted"`` for any model."""

    _writer: Runnable[Any, Any] | None = PrivateAttr(default=None)

    # -- what subclasses specialise --------------------------------------------------------

    def observation_schema(self) -> dict[str, Any]:
        """The JSON schema of what the model writes."""
        return _object(observation=_text(self.max_length))

    def system_prompt(self, arguments: dict[str, Any], outcome: str | None = None) -> str:
        """The system message for a call (``outcome``: what ``draw_outcome`` drew)."""
        template = self.prompt or SIMULATED_TOOL_SYSTEM
        description = " ".join(self.description.split())
        return template.replace("{name}", self.name).replace("{description}", description)

    def user_prompt(self, arguments: dict[str, Any], previous: list[dict[str, Any]]) -> str:
        """The user message for a call."""
        return SIMULATED_TOOL_USER.format(
            context=format_context(previous), call=self.describe_call(arguments)
        )

    def observation(self, output: dict[str, Any], arguments: dict[str, Any]) -> str:
        """The observation text from what the model wrote."""
        return " ".join(str(output["observation"]).split())

    def draw_outcome(self, arguments: dict[str, Any], key: str | None) -> str | None:
        """What kind of result this call gets, drawn before the model writes it (None: any)."""
        return None

    def shortcut(self, arguments: dict[str, Any], outcome: str | None) -> str | None:
        """An observation decided without the model (None: ask the model)."""
        return None

    # -- the call ----------------------------------------------------------------------------

    def describe_call(self, arguments: dict[str, Any]) -> str:
        """The call as text: the task for task-taking tools, else ``name({...})``."""
        if set(arguments) == {"task"}:
            return str(arguments["task"])
        return f"{self.name}({json.dumps(arguments, ensure_ascii=False, default=str)})"

    def messages(
        self,
        arguments: dict[str, Any],
        previous: list[dict[str, Any]],
        outcome: str | None = None,
    ) -> list[tuple[str, str]]:
        """The chat messages for a call, given the run's earlier calls and its drawn outcome."""
        shown = previous[-self.context_steps :] if self.context_steps else []
        return [
            ("system", self.system_prompt(arguments, outcome)),
            ("human", self.user_prompt(arguments, shown)),
        ]

    def writer(self) -> Runnable[Any, Any]:
        """The structured-output runnable (built once)."""
        if self._writer is None:
            self._writer = structured_model(
                self.llm, self.observation_schema(), method=self.method
            ).with_config(run_name=f"simulated_{self.name}")
        return self._writer

    def _prepare(self, kwargs: dict[str, Any], config: RunnableConfig | None) -> Any:
        arguments = {k: v for k, v in kwargs.items() if v is not None}
        key = run_key(config)
        outcome = self.draw_outcome(arguments, key)
        return arguments, key, outcome, self.shortcut(arguments, outcome)

    def _done(self, arguments: dict[str, Any], key: str | None, text: str) -> str:
        self.history.add(key, self.describe_call(arguments), text)
        return text

    def _run(
        self,
        config: RunnableConfig,
        run_manager: CallbackManagerForToolRun | None = None,
        **kwargs: Any,
    ) -> str:
        arguments, key, outcome, text = self._prepare(kwargs, config)
        if text is None:
            callbacks = run_manager.get_child() if run_manager else None
            out = self.writer().invoke(
                self.messages(arguments, self.history.get(key), outcome), {"callbacks": callbacks}
            )
            text = self.observation(out, arguments)
        return self._done(arguments, key, text)

    async def _arun(
        self,
        config: RunnableConfig,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
        **kwargs: Any,
    ) -> str:
        arguments, key, outcome, text = self._prepare(kwargs, config)
        if text is None:
            callbacks = run_manager.get_child() if run_manager else None
            out = await self.writer().ainvoke(
                self.messages(arguments, self.history.get(key), outcome), {"callbacks": callbacks}
            )
            text = self.observation(out, arguments)
        return self._done(arguments, key, text)


def _text(max_length: int, min_length: int = 1) -> dict[str, Any]:
    return {"type": "string", "minLength": min_length, "maxLength": max_length}


def _object(**properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
