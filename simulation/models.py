"""Chat models for the pipeline: an embedded name, a GGUF path, or an OpenAI-compatible server.

``--base-url`` servers are probed first (``GET /models``) with retries and exponential backoff,
so a server that is still starting is waited for and one that is down gives a clear error. A
llama.cpp server (``llama-server`` or ``python -m llama_cpp.server``) gets ``ChatLlamaServer``,
which constrains structured output on the server; any other endpoint (OpenAI, vLLM) gets
``ChatOpenAI`` with ``json_schema`` structured output.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from langchain_core.language_models import BaseChatModel

from langchain_gba.exceptions import GBAError

__all__ = [
    "SERVER_ERROR_NAMES",
    "Backend",
    "ModelSpec",
    "ServerUnavailableError",
    "chat_model",
    "is_server_unavailable",
    "model_label",
    "wait_for_server",
]

Backend = Literal["auto", "llama", "openai"]

LLAMA_OWNERS = {"me", "llamacpp"}
"""``owned_by`` of the models that llama-cpp-python's and llama.cpp's servers list."""


class ServerUnavailableError(GBAError):
    """The model server did not answer (after the retries): the run stops, nothing is lost."""


@dataclass(frozen=True)
class ModelSpec:
    """Where a model comes from: a name or GGUF path, or a server."""

    model: str | None = None
    """Embedded model name or GGUF path; with ``base_url``, the served model's name."""
    base_url: str | None = None
    """An OpenAI-compatible endpoint, ``http://HOST:PORT/v1``."""
    backend: Backend = "auto"
    """``llama`` (ChatLlamaServer), ``openai`` (ChatOpenAI), ``auto`` (asks the server)."""
    max_tokens: int = 512
    """The most tokens per reply."""
    temperature: float = 0.0
    """Sampling temperature (0: greedy)."""
    timeout: float = 120.0
    """Seconds per request to a server."""
    retries: int = 3
    """Retries (with backoff) of a failed request to a server."""
    connect_attempts: int = 5
    """Tries to reach a server before giving up."""


def wait_for_server(
    base_url: str, *, attempts: int = 5, backoff: float = 0.5, api_key: str | None = None
) -> dict[str, Any]:
    """``GET {base_url}/models``, retried with exponential backoff; returns the JSON.

    Raises:
        ServerUnavailableError: no answer after ``attempts`` tries.
    """
    url = f"{base_url.rstrip('/')}/models"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    last: Exception | None = None
    for attempt in range(max(1, attempts)):
        try:
            response = httpx.get(url, headers=headers, timeout=10, trust_env=False)
            response.raise_for_status()
            data = response.json()
            return data if isinstance(data, dict) else {}
        except (httpx.HTTPError, ValueError) as e:
            last = e
            if attempt + 1 < attempts:
                time.sleep(backoff * 2**attempt)
    msg = (
        f"No OpenAI-compatible server answered at {base_url} after {attempts} attempts "
        f"({type(last).__name__}: {last}). Start one, e.g. `python -m llama_cpp.server --model "
        f"MODEL.gguf --port 8080`, or check --base-url."
    )
    raise ServerUnavailableError(msg)


def chat_model(spec: ModelSpec) -> BaseChatModel:
    """The chat model for ``spec`` (a server is probed first, see ``wait_for_server``).

    Raises:
        ServerUnavailableError: the server does not answer.
        ModelNotFoundError: an unknown embedded model name or a missing GGUF file.
    """
    if spec.base_url is None:
        from langchain_gba.chat_models.llama_cpp import ChatLlamaCpp
        from langchain_gba.models import DEFAULT_MODEL

        return ChatLlamaCpp(
            model=spec.model or DEFAULT_MODEL,
            max_tokens=spec.max_tokens,
            temperature=spec.temperature,
            n_ctx=4096,
        )
    api_key = os.environ.get("OPENAI_API_KEY") or "no-key"
    listing = wait_for_server(spec.base_url, attempts=spec.connect_attempts, api_key=api_key)
    served = [m for m in listing.get("data") or [] if isinstance(m, dict)]
    name = spec.model or (str(served[0].get("id")) if served else "local")
    backend = spec.backend
    if backend == "auto":
        owners = {str(m.get("owned_by", "")) for m in served}
        backend = "llama" if owners & LLAMA_OWNERS else "openai"
    common: dict[str, Any] = {
        "base_url": spec.base_url,
        "api_key": api_key,
        "model": name,
        "max_tokens": spec.max_tokens,
        "temperature": spec.temperature,
        "timeout": spec.timeout,
        "max_retries": spec.retries,
    }
    if backend == "llama":
        return _llama_server_model(common)
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(**common)


def model_label(model: BaseChatModel) -> str:
    """A short name of a chat model for the records."""
    for attr in ("model_name", "model"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return os.path.basename(value) if value.endswith(".gguf") else value
    return type(model).__name__


def is_server_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the server is down or too slow (not a problem of one request)."""
    if isinstance(error, ServerUnavailableError | httpx.TransportError | ConnectionError):
        return True
    try:
        import openai
    except ImportError:  # pragma: no cover - the openai extra is missing
        return False
    if isinstance(error, openai.APIConnectionError):  # timeouts included
        return True
    return isinstance(error, openai.APIStatusError) and error.status_code in (502, 503, 504)


SERVER_ERROR_NAMES = ("APIConnectionError", "APITimeoutError", "ConnectError", "ReadTimeout")
"""Exception names that, inside an observation, show that the server failed mid-run."""


# llama-cpp-python's JSON-schema converter lets raw control characters into strings, which a
# small model's output often has ("Invalid control character"); the pipeline sends the grammar
# itself (both llama.cpp servers take a `grammar` field), made by the library's to_gbnf, which
# uses llama.cpp's stricter string rule.


def _llama_server_model(fields: dict[str, Any]) -> BaseChatModel:
    from langchain_core.runnables import Runnable

    from langchain_gba.chat_models.llama_server import ChatLlamaServer
    from langchain_gba.exceptions import UnsupportedSchemaError

    class JsonSafeLlamaServer(ChatLlamaServer):
        """``ChatLlamaServer`` whose JSON-schema output is sent as ``to_gbnf``'s grammar."""

        def with_structured_output(  # type: ignore[override]
            self,
            schema: Any,
            *,
            method: Any = "json_schema",
            include_raw: bool = False,
            max_string_length: int | None = None,
            strict: bool | None = None,
            **kwargs: Any,
        ) -> Runnable[Any, Any]:
            if method == "json_schema" and not kwargs:
                try:
                    return super().with_structured_output(
                        schema, method="grammar", include_raw=include_raw,
                        max_string_length=max_string_length,
                    )  # fmt: skip
                except UnsupportedSchemaError:  # e.g. regex groups: the server's own route
                    pass
            return super().with_structured_output(
                schema, method=method, include_raw=include_raw,
                max_string_length=max_string_length, strict=strict, **kwargs,
            )  # fmt: skip

    return JsonSafeLlamaServer(**fields)
