"""The grammar-based agent as a LangGraph graph."""

from langchain_gba.agent.graph import create_gba_agent
from langchain_gba.agent.state import AgentInput, AgentOutput, AgentState, Status, Step

__all__ = ["AgentInput", "AgentOutput", "AgentState", "Status", "Step", "create_gba_agent"]
