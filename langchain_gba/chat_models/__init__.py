"""LangChain chat models with schema-constrained structured output."""

from langchain_gba.chat_models.llama_cpp import ChatLlamaCpp

__all__ = ["ChatLlamaCpp"]
