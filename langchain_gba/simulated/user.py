"""``SimulatedUser``: answers the agent's ``ask_user`` questions with plausible personal details."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import ArgsSchema
from pydantic import Field

from langchain_gba.prompts import SIMULATED_USER_SYSTEM, SIMULATED_USER_USER, format_context
from langchain_gba.simulated.tool import SimulatedTool, _object, _text
from langchain_gba.tools.ask_user import ASK_USER, AskUserTool
from langchain_gba.tools.base import TaskInput

__all__ = ["SimulatedUser"]


class SimulatedUser(SimulatedTool):
    """A tool named ``ask_user`` whose replies a chat model invents: short personal details.

    Passed in the agent's tools it replaces the built-in ``ask_user`` (which would interrupt the
    run), so a simulated run never waits for a person.

    Example:
        .. code-block:: python

            user = SimulatedUser(llm=llm, persona="a nurse in Lyon, 34, cycles to work")
            agent = create_gba_agent([search, user], planner=planner)
    """

    name: str = ASK_USER
    description: str = Field(
        default_factory=lambda: AskUserTool.model_fields["description"].default
    )
    args_schema: ArgsSchema | None = TaskInput

    persona: str | None = None
    """Who the user is (details the replies stay consistent with); invented when None."""
    max_length: int = Field(default=120, ge=8)
    """The most characters of a reply."""

    def observation_schema(self) -> dict[str, Any]:
        """A one-sentence reply."""
        return _object(reply=_text(self.max_length))

    def system_prompt(self, arguments: dict[str, Any], outcome: str | None = None) -> str:
        """The user's instructions, with the persona."""
        if self.prompt:
            return super().system_prompt(arguments, outcome)
        persona = f" You are: {' '.join(self.persona.split())}" if self.persona else ""
        return SIMULATED_USER_SYSTEM.format(persona=persona)

    def user_prompt(self, arguments: dict[str, Any], previous: list[dict[str, Any]]) -> str:
        """The question, after the run's earlier calls."""
        return SIMULATED_USER_USER.format(
            context=format_context(previous), question=self.describe_call(arguments)
        )

    def observation(self, output: dict[str, Any], arguments: dict[str, Any]) -> str:
        """The reply."""
        return " ".join(str(output["reply"]).split())
