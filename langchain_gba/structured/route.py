"""Which structured-output route a chat model gets: constrained, native, or prompted."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.runnables import Runnable

from langchain_gba.structured.output import Method
from langchain_gba.structured.prompted import with_prompted_output
from langchain_gba.structured.schema import SchemaLike

__all__ = ["structured_model"]


def structured_model(
    model: BaseChatModel,
    schema: SchemaLike,
    *,
    method: Method | str = "auto",
    max_string_length: int | None = None,
    max_retries: int = 2,
) -> Runnable[LanguageModelInput, Any]:
    """The best structured-output route for ``model``.

    - langchain-gba chat models: constrained decoding (in process, or on the llama.cpp server);
    - ``method="prompted"``: prompt, validate and retry (any chat model);
    - any other chat model: its own ``with_structured_output`` (``json_schema`` for ChatOpenAI).
    """
    from langchain_gba.chat_models import ChatLlamaCpp

    if method == "prompted":
        return with_prompted_output(
            model, schema, max_retries=max_retries, max_string_length=max_string_length
        )
    target: Any = schema  # SchemaLike is wider than what BaseChatModel's signature names
    if isinstance(model, ChatLlamaCpp) or _is_llama_server(model):
        kw: dict[str, Any] = {"max_string_length": max_string_length}
        if method != "auto":
            kw["method"] = method
        return model.with_structured_output(target, **kw)
    if method == "auto" and _is_openai(model):
        method = "json_schema"
    if method == "auto":
        return model.with_structured_output(target)
    return model.with_structured_output(target, method=method)


def _is_llama_server(model: BaseChatModel) -> bool:
    try:
        from langchain_gba.chat_models.llama_server import ChatLlamaServer
    except ImportError:  # langchain-openai not installed
        return False
    return isinstance(model, ChatLlamaServer)


def _is_openai(model: BaseChatModel) -> bool:
    """OpenAI's chat models (and Azure's), whose native route is ``json_schema``."""
    try:
        from langchain_openai.chat_models.base import BaseChatOpenAI
    except ImportError:  # langchain-openai not installed: the model is not one of them
        return False
    return isinstance(model, BaseChatOpenAI)
