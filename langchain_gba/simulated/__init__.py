"""The simulated environment: LLM-backed twins of the agent's tools and a simulated user.

Recording trajectories needs observations, not facts: a twin answers every call plausibly, and
the search twins sometimes find nothing or only part of the answer, so that a planner learns
to cope. Swapping real for simulated tools is one line::

    tools = simulated_environment(load_tools(["calculator", "wikipedia", "internet"]), llm)
"""

from langchain_gba.simulated.environment import KEEP_REAL, simulate_tool, simulated_environment
from langchain_gba.simulated.history import SimulationHistory, run_key
from langchain_gba.simulated.search import DEFAULT_OUTCOMES, Outcome, SimulatedSearchTool
from langchain_gba.simulated.tool import SimulatedTool
from langchain_gba.simulated.user import SimulatedUser

__all__ = [
    "DEFAULT_OUTCOMES",
    "KEEP_REAL",
    "Outcome",
    "SimulatedSearchTool",
    "SimulatedTool",
    "SimulatedUser",
    "SimulationHistory",
    "run_key",
    "simulate_tool",
    "simulated_environment",
]
