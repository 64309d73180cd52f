"""``ChatLlamaServer``: a llama.cpp server (``llama-server`` or ``python -m llama_cpp.server``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.runnables.config import run_in_executor
from langchain_core.tools import BaseTool
from langchain_openai import ChatOpenAI
from pydantic import Field, SecretStr

from langchain_gba.chat_models.tool_calling import call_chunk, decide_reply, prepare_tools
from langchain_gba.exceptions import UnsupportedSchemaError
from langchain_gba.structured.gbnf import to_gbnf
from langchain_gba.structured.output import (
    Method,
    constraint_for,
    structured_chain,
    tracing_format,
)
from langchain_gba.structured.schema import SchemaLike

__all__ = ["ChatLlamaServer"]


class ChatLlamaServer(ChatOpenAI):
    r"""A llama.cpp server's OpenAI-compatible chat endpoint, with server-side constrained output.

    Everything ``ChatOpenAI`` does (invoke, stream, async, batching) works unchanged; structured
    output is sent as a GBNF grammar in the request's ``grammar`` field (``to_gbnf``: llama.cpp's
    converter with integer bounds, bounded repetitions and ``\d``/``\w``/``\s`` mended), which
    llama.cpp's C++ server and llama-cpp-python's server both take. A schema ``to_gbnf`` cannot
    convert goes as ``response_format={"type": "json_object", "schema": ...}`` for the server's
    own converter. llama-cpp-python's converter (0.3.x) ignores ``minimum``/``maximum``, nests
    one rule per character of a ``maxLength`` (its parser refuses more than 2000) and writes
    pattern escapes that kill its process (SIGSEGV): hence our grammar first.

    Setup:
        ``pip install 'langchain-gba[server]'`` then
        ``python -m llama_cpp.server --model model.gguf --port 8080`` (or ``llama-server``).

    Instantiate and invoke:
        .. code-block:: python

            from langchain_gba.chat_models import ChatLlamaServer

            llm = ChatLlamaServer(base_url="http://127.0.0.1:8080/v1", max_tokens=64)
            llm.invoke("Hello")
            llm.with_structured_output(City).invoke("Name the capital of France.")

    For vLLM or OpenAI, use ``ChatOpenAI`` with ``method="json_schema"`` structured output.
    """

    openai_api_key: SecretStr | None = Field(alias="api_key", default=SecretStr("no-key"))  # type: ignore[assignment]
    """llama.cpp servers ignore the key unless started with ``--api-key``."""
    model_name: str = Field(default="local", alias="model")
    """The server serves one model; the name is only reported."""
    temperature: float | None = 0.0
    """Greedy by default, like the in-process model."""
    max_string_length: int | None = None
    """Default ``maxLength`` for unbounded strings in structured output."""

    def _get_request_payload(
        self, input_: LanguageModelInput, *, stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        # ChatOpenAI renames max_tokens to max_completion_tokens, which llama-cpp-python's
        # server ignores (it would generate until the context is full).
        if "max_completion_tokens" in payload:
            payload["max_tokens"] = payload.pop("max_completion_tokens")
        return payload

    # -- tool calling ---------------------------------------------------------------------------

    def bind_tools(  # type: ignore[override]
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        parallel_tool_calls: bool | None = None,
        native: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools: calls decided and written under constraint, as ``ChatLlamaCpp`` does.

        The decision (call or reply) reads the server's ``logprobs``; the arguments are
        constrained to the tool's schema by the server's grammar. ``native=True`` sends the
        tools to the server instead (``ChatOpenAI.bind_tools``: llama-server ``--jinja``
        parses the model's own tool-call format, which small models often miss).

        Raises:
            UnsupportedSchemaError: a tool's argument schema cannot become a grammar.
            ValueError: ``tool_choice`` names no bound tool.
        """
        if native:
            return super().bind_tools(
                tools, tool_choice=tool_choice, parallel_tool_calls=parallel_tool_calls, **kwargs
            )
        formatted, choice = prepare_tools(tools, tool_choice, to_gbnf)
        return self.bind(gba_tools=formatted, gba_tool_choice=choice, **kwargs)

    @staticmethod
    def _bound(kwargs: dict[str, Any]) -> dict[str, Any]:
        """The tools bound by ``bind_tools`` under ``decide_reply``'s names (not sent as such)."""
        if "gba_tools" not in kwargs:
            return {}
        return {"tools": kwargs.pop("gba_tools"), "tool_choice": kwargs.pop("gba_tool_choice")}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        call, messages = decide_reply(self, messages, self._bound(kwargs))
        if call is not None:
            return ChatResult(generations=[ChatGeneration(message=call)])
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        bound = self._bound(kwargs)
        call, messages = await run_in_executor(None, decide_reply, self, messages, bound)
        if call is not None:
            return ChatResult(generations=[ChatGeneration(message=call)])
        return await super()._agenerate(messages, stop=stop, run_manager=run_manager, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        call, messages = decide_reply(self, messages, self._bound(kwargs))
        if call is not None:
            yield ChatGenerationChunk(message=call_chunk(call))
            return
        yield from super()._stream(messages, stop=stop, run_manager=run_manager, **kwargs)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        bound = self._bound(kwargs)
        call, messages = await run_in_executor(None, decide_reply, self, messages, bound)
        if call is not None:
            yield ChatGenerationChunk(message=call_chunk(call))
            return
        async for chunk in super()._astream(messages, stop=stop, run_manager=run_manager, **kwargs):
            yield chunk

    def with_structured_output(  # type: ignore[override]
        self,
        schema: SchemaLike,
        *,
        method: Method = "json_schema",
        include_raw: bool = False,
        max_string_length: int | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """Return a runnable whose output the server constrains to ``schema``.

        Args:
            schema: a pydantic model class (returns instances) or a JSON-schema dict / TypedDict.
            method: ``"json_schema"`` (our grammar, or the schema for the server to compile
                where ``to_gbnf`` cannot convert it), ``"grammar"`` (our grammar; an
                unconvertible schema raises) or ``"json_mode"`` (any JSON object, validated
                afterwards).
            include_raw: return ``{"raw", "parsed", "parsing_error"}`` instead of raising.
            max_string_length: bound every unbounded string so small models finish (default:
                the model's ``max_string_length``).
            strict: accepted for compatibility; constrained decoding is always strict.
            **kwargs: not accepted (raises ``ValueError``), listed for LangChain compatibility.
        """
        if kwargs:
            msg = f"Unsupported arguments for with_structured_output: {sorted(kwargs)}"
            raise ValueError(msg)
        if max_string_length is None:
            max_string_length = self.max_string_length
        constraint = constraint_for(schema, method, max_string_length)
        ls_format = tracing_format(schema, method)
        grammar = None
        if method == "grammar":
            grammar = to_gbnf(constraint)
        elif method == "json_schema":
            # Our grammar, not the schema: llama-cpp-python's server converts the schema with a
            # converter that ignores integer bounds, nests one rule a character of maxLength
            # (its parser refuses >2000) and writes pattern escapes that kill its process.
            try:
                grammar = to_gbnf(constraint)
            except (ImportError, UnsupportedSchemaError):
                grammar = None  # the server's converter may still handle it
        if grammar is not None:
            bound = self.bind(
                extra_body={"grammar": grammar}, ls_structured_output_format=ls_format
            )
        else:
            # Sent in extra_body: as a top-level response_format, ChatOpenAI would use the
            # client's parse() route, which raises its own error on a cut-off output.
            bound = self.bind(
                extra_body={"response_format": {"type": "json_object", "schema": constraint}},
                ls_structured_output_format=ls_format,
            )
        return structured_chain(bound, schema, include_raw=include_raw)
