"""Tools by short name, for the CLI, the LangGraph app and the simulation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from langchain_gba._importing import import_object
from langchain_gba.exceptions import AgentConfigError

__all__ = ["TOOL_NAMES", "import_tools", "load_tools"]

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
        names: any of ``TOOL_NAMES``, or an app's own tools as ``module:attribute`` or
            ``path/to/file.py:attribute`` (see ``import_tools``).
        llm: the chat model inside the tools (the embedded default when None).
        index_path: a Wikipedia index folder (default: the built-in corpus's index, built once).
        searxng_url: the SearXNG instance for ``internet`` (default: ``$GBA_SEARXNG_URL``).

    Raises:
        AgentConfigError: an unknown name, or an import spec that gives no tools.
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
        elif ":" in name:
            tools.extend(import_tools(name))
        else:
            msg = (
                f"Unknown tool {name!r}; choose from: {', '.join(TOOL_NAMES)}, or name your "
                "own as module:attribute or path/to/file.py:attribute."
            )
            raise AgentConfigError(msg)
    return tools


def import_tools(spec: str) -> list[BaseTool]:
    """An app's own tools from ``module:attribute`` or ``path/to/file.py:attribute``.

    The attribute is a tool, a list of tools, or a function of no arguments that returns either
    (``examples/assistant.py:simulation_tools``: ``create_event`` and ``send_email``). The
    simulation replaces them by their twins unless ``--keep-real`` names them.

    Raises:
        AgentConfigError: the module or file cannot be imported, has no such attribute, or it
            gives something other than tools.
    """
    found = import_object(spec, what="a tool or a list of tools")
    tools = (
        [found]
        if isinstance(found, BaseTool)
        else list(found)
        if isinstance(found, list | tuple)
        else []
    )
    if not tools or not all(isinstance(t, BaseTool) for t in tools):
        msg = f"{spec!r} gives {found!r}, not a tool or a list of tools."
        raise AgentConfigError(msg)
    return tools
