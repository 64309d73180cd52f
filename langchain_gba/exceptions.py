"""Named errors of langchain-gba: each message says what is wrong and what to do."""

from __future__ import annotations

from langchain_core.tools import ToolException

__all__ = [
    "AgentConfigError",
    "AgentInputError",
    "CalculationError",
    "ContextWindowError",
    "GBAError",
    "ModelNotFoundError",
    "StructuredOutputError",
    "ToolError",
    "UnsupportedSchemaError",
]


class GBAError(Exception):
    """Base class of every error langchain-gba raises on purpose."""


class ModelNotFoundError(GBAError, LookupError):
    """A model name is unknown, or its file or PyPI package is missing."""


class ContextWindowError(GBAError, ValueError):
    """A prompt does not fit the model's context window.

    Attributes:
        prompt_tokens: the prompt's length in tokens.
        n_ctx: the context window in tokens.
    """

    def __init__(self, message: str, *, prompt_tokens: int = 0, n_ctx: int = 0) -> None:
        super().__init__(message)
        self.prompt_tokens = prompt_tokens
        self.n_ctx = n_ctx


class UnsupportedSchemaError(GBAError, ValueError):
    """A JSON schema uses a construct the constraint engine cannot compile."""


class StructuredOutputError(GBAError, ValueError):
    """A model's output does not parse or validate against the requested schema.

    Attributes:
        raw: the text the model produced.
        reason: why it was rejected (cut off by ``max_tokens``, invalid JSON, validation error).
    """

    def __init__(self, message: str, *, raw: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.raw = raw
        self.reason = reason


class AgentConfigError(GBAError, ValueError):
    """The agent was built with an invalid tool set or options."""


class AgentInputError(GBAError, ValueError):
    """A run was started with an input the agent cannot use (empty request, unknown thread)."""


class ToolError(GBAError, ToolException):
    """A tool could not do its task; the message says why, written for the agent.

    Tools raise it (or a subclass) and never turn failures into results themselves: the agent's
    tool node makes the message the step's observation and sets ``error``. The built-in tools set
    ``handle_tool_error=True``, so in LangChain agents (LangGraph's ``ToolNode``) and when
    invoked alone they return the message (a ``ToolMessage`` with ``status="error"`` for a tool
    call); build them with ``handle_tool_error=False`` to get the exception.
    """


class CalculationError(ToolError, ValueError):
    """An expression is not allowed, too large, or has no value (division by zero...)."""
