"""Swap real tools for simulated twins: ``simulate_tool`` and ``simulated_environment``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from langchain_gba.prompts import SIMULATED_CALCULATOR_SYSTEM
from langchain_gba.simulated.history import SimulationHistory
from langchain_gba.simulated.search import SimulatedSearchTool
from langchain_gba.simulated.tool import SimulatedTool
from langchain_gba.simulated.user import SimulatedUser
from langchain_gba.tools.ask_user import ASK_USER

__all__ = ["KEEP_REAL", "simulate_tool", "simulated_environment"]

KEEP_REAL = ("calculate_number",)
"""Tools ``simulated_environment`` keeps real by default: cheap and exact."""

_SEARCH_SOURCES = {"search_wikipedia": "wikipedia", "search_internet": "web"}
_USER_OPTIONS = ("context_steps", "method")


def simulate_tool(
    tool: BaseTool,
    llm: BaseChatModel,
    *,
    prompt: str | None = None,
    history: SimulationHistory | None = None,
    **options: Any,
) -> SimulatedTool:
    """The simulated twin of ``tool``: same name, description and args schema.

    Specialised twins: ``search_wikipedia`` / ``search_internet`` (no information 10%, partial
    10%, full 80%, in the real tool's observation format), ``ask_user`` (a simulated user),
    ``calculate_number`` (one number, or an error for a task that is not a calculation); any
    other tool gets a generic twin that writes a plausible result of the call.

    Args:
        tool: the real tool (only its name, description and args schema are used).
        llm: the chat model that writes the observations.
        prompt: a system message replacing the default (``{name}``, ``{description}`` filled).
        history: shared by the twins of one environment (a new one when None).
        **options: further fields of the twin (``max_length``, ``seed``, ``persona``,
            ``outcomes``, ``method``...).
    """
    fields: dict[str, Any] = {
        "name": tool.name,
        "description": tool.description,
        "args_schema": tool.args_schema,
        "llm": llm,
        "prompt": prompt,
        **options,
    }
    if history is not None:
        fields["history"] = history
    if tool.name in _SEARCH_SOURCES:
        fields.setdefault("sources", _SEARCH_SOURCES[tool.name])
        return SimulatedSearchTool(**fields)
    for search_only in ("seed", "outcomes", "sources", "max_sources", "max_title_length"):
        fields.pop(search_only, None)
    if tool.name == ASK_USER:
        return SimulatedUser(**fields)
    fields.pop("persona", None)
    if tool.name == "calculate_number" and prompt is None:
        fields["prompt"] = SIMULATED_CALCULATOR_SYSTEM
        fields.setdefault("max_length", 120)
    return SimulatedTool(**fields)


def simulated_environment(
    tools: Sequence[BaseTool],
    llm: BaseChatModel,
    *,
    user: bool = True,
    persona: str | None = None,
    keep_real: Iterable[str] = KEEP_REAL,
    seed: int = 0,
    **options: Any,
) -> list[BaseTool]:
    """Replace real tools by their twins, in one line; the twins share one run history.

    Args:
        tools: the agent's real tools.
        llm: the chat model behind every twin.
        user: add a ``SimulatedUser`` as ``ask_user`` (unless ``tools`` has one).
        persona: the simulated user's persona.
        keep_real: names of tools kept as they are (default: the calculator).
        seed: seeds the search twins' outcomes.
        **options: passed to every twin (``max_length``, ``context_steps``, ``method``...).

    Returns:
        The tools to give ``create_gba_agent``: twins, the tools kept real, the simulated user.

    Example:
        .. code-block:: python

            tools = load_tools(["calculator", "wikipedia", "internet"])
            agent = create_gba_agent(simulated_environment(tools, llm), planner=teacher)
            agent.invoke({"request": "..."}, {"configurable": {"thread_id": "r1"}})
    """
    history = SimulationHistory()
    keep = set(keep_real)
    out: list[BaseTool] = []
    for tool in tools:
        if tool.name in keep:
            out.append(tool)
            continue
        extra = dict(options)
        if tool.name in _SEARCH_SOURCES:
            extra["seed"] = seed
        if tool.name == ASK_USER:
            extra["persona"] = persona
        out.append(simulate_tool(tool, llm, history=history, **extra))
    if user and not any(t.name == ASK_USER for t in out):
        user_options = {k: v for k, v in options.items() if k in _USER_OPTIONS}
        if "max_length" in options:  # a reply is short anyway
            user_options["max_length"] = min(120, options["max_length"])
        out.append(SimulatedUser(llm=llm, persona=persona, history=history, **user_options))
    return out
