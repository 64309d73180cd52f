"""langchain-gba: grammar-based agents for LangChain and LangGraph."""

from importlib.metadata import PackageNotFoundError, version

from langchain_gba.agent import create_gba_agent
from langchain_gba.chat_models import ChatLlamaCpp
from langchain_gba.exceptions import (
    AgentConfigError,
    AgentInputError,
    ContextWindowError,
    GBAError,
    ModelNotFoundError,
    StructuredOutputError,
    ToolError,
    UnsupportedSchemaError,
)
from langchain_gba.models import DEFAULT_MODEL, EMBEDDED_MODELS, resolve_model_path
from langchain_gba.planner import FineTunedPlanner, Planner, ZeroShotPlanner

try:
    __version__ = version("langchain-gba")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "DEFAULT_MODEL",
    "EMBEDDED_MODELS",
    "AgentConfigError",
    "AgentInputError",
    "ChatLlamaCpp",
    "ContextWindowError",
    "FineTunedPlanner",
    "GBAError",
    "ModelNotFoundError",
    "Planner",
    "StructuredOutputError",
    "ToolError",
    "UnsupportedSchemaError",
    "ZeroShotPlanner",
    "__version__",
    "create_gba_agent",
    "resolve_model_path",
]
