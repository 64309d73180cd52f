"""LangChain tools for grammar-based agents."""

from langchain_gba.tools.base import TaskInput, takes_task

__all__ = ["TaskInput", "takes_task"]
