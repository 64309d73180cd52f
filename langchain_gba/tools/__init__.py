"""LangChain tools for grammar-based agents.

The search tools need the ``search`` extra and are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_gba.exceptions import CalculationError
from langchain_gba.tools.arithmetic import CalculatorLimits, safe_eval
from langchain_gba.tools.base import (
    TaskInput,
    TaskWithContextInput,
    TaskWithRequestInput,
    reads_context,
    reads_request,
    takes_task,
)
from langchain_gba.tools.calculate import CalculatorTool
from langchain_gba.tools.function_calling import FunctionCaller, function_spec

if TYPE_CHECKING:
    from langchain_gba.tools.search import InternetSearchTool, WikipediaSearchTool

__all__ = [
    "CalculationError",
    "CalculatorLimits",
    "CalculatorTool",
    "FunctionCaller",
    "InternetSearchTool",
    "TaskInput",
    "TaskWithContextInput",
    "TaskWithRequestInput",
    "WikipediaSearchTool",
    "function_spec",
    "reads_context",
    "reads_request",
    "safe_eval",
    "takes_task",
]

_LAZY = {"InternetSearchTool", "WikipediaSearchTool"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        try:
            from langchain_gba.tools import search
        except ImportError as e:
            msg = f"{name} needs the search extra: pip install 'langchain-gba[search]' ({e})"
            raise ImportError(msg) from e
        return getattr(search, name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
