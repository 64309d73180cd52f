"""LangChain chat models with schema-constrained structured output."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_gba.chat_models.llama_cpp import ChatLlamaCpp

if TYPE_CHECKING:
    from langchain_gba.chat_models.llama_server import ChatLlamaServer

__all__ = ["ChatLlamaCpp", "ChatLlamaServer"]


def __getattr__(name: str) -> Any:
    if name == "ChatLlamaServer":  # needs langchain-openai: the ``server`` extra
        try:
            from langchain_gba.chat_models.llama_server import ChatLlamaServer
        except ImportError as e:
            msg = "ChatLlamaServer needs langchain-openai: pip install 'langchain-gba[server]'"
            raise ImportError(msg) from e
        return ChatLlamaServer
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
