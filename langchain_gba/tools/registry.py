"""Tools by short name, for the CLI, the LangGraph app and the simulation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from langchain_gba.exceptions import AgentConfigError

__all__ = ["TOOL_NAMES", "load_tools"]

TOOL_NAMES = ("calculator", "wikipedia", "internet")
"""``calculator``: calculate_number; ``wikipedia``: search_wikipedia over the local index;
``internet``: search_internet through SearXNG."""


def load_tools(
    names: Iterable[str],
    *,
    llm: BaseChatModel | None = None,
    index_path: str | None = None,
    searxng_url: str | None = None,
) -> list[BaseTool]:
    """Build tools by short name, sharing one chat model.

    Args:
        names: any of ``TOOL_NAMES``.
        llm: the chat model inside the tools (the embedded default when None).
        index_path: a Wikipedia index folder (default: the built-in corpus's index, built once).
        searxng_url: the SearXNG instance for ``internet`` (default: ``$GBA_SEARXNG_URL``).

    Raises:
        AgentConfigError: an unknown name.
        ImportError: the search extra is missing for ``wikipedia`` / ``internet``.
    """
    tools: list[BaseTool] = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        if name == "calculator":
            from langchain_gba.tools.calculate import CalculatorTool

            tools.append(CalculatorTool(llm=llm))
        elif name == "wikipedia":
            from langchain_gba.tools import WikipediaSearchTool

            tools.append(WikipediaSearchTool(llm=llm, index_path=index_path))
        elif name == "internet":
            from langchain_gba.tools import InternetSearchTool

            kw: dict[str, Any] = {"searxng_url": searxng_url} if searxng_url else {}
            tools.append(InternetSearchTool(llm=llm, **kw))
        else:
            msg = f"Unknown tool {name!r}; choose from: {', '.join(TOOL_NAMES)}."
            raise AgentConfigError(msg)
    return tools
