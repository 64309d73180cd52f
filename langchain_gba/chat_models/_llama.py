"""One loaded llama.cpp model per (file, context settings), shared by every chat model using it."""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_gba.chat_models._prompt_cache import PROMPT_CACHE_ENV, PromptCache
from langchain_gba.chat_models._repack import no_repack, repack_works
from langchain_gba.structured.llguidance import GrammarCompiler

if TYPE_CHECKING:
    import llama_cpp

__all__ = [
    "LoadedModel",
    "PLAIN_TEMPLATE",
    "THREADS_ENV",
    "close_models",
    "default_threads",
    "load_model",
    "physical_cores",
    "prompt_cache_for",
]

PLAIN_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] }}\n\n"
    "{% elif message['role'] == 'user' %}### Input:\n{{ message['content'] }}\n\n"
    "{% else %}### Response:\n{{ message['content'] }}{{ eos_token }}\n\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}### Response:\n{% endif %}"
)
"""Prompt format for base models whose GGUF has no chat template (e.g. Gemma-3-270M base)."""


@dataclass
class LoadedModel:
    """A llama.cpp model and context, with what is derived from it once (tokenizer, grammars)."""

    path: Path
    llama: llama_cpp.Llama
    lock: threading.RLock = field(default_factory=threading.RLock)
    """llama.cpp contexts are not thread-safe: hold this around every evaluation."""
    lora_path: Path | None = None
    """The LoRA adapter applied at load time, if any."""
    system_tokens: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    """Rendered and tokenized system messages (the prompt cache's fixed prefixes), by text."""

    @cached_property
    def prompt_cache(self) -> PromptCache:
        """Evaluated prompt prefixes of this model file, shared by all its contexts."""
        return prompt_cache_for(self.path, self.lora_path)

    @cached_property
    def chat_template(self) -> str | None:
        """The model's own chat template, or None for a base model."""
        return self.llama.metadata.get("tokenizer.chat_template") or None

    @cached_property
    def formatter(self) -> Any:
        """A Jinja chat formatter for the model's template (or the plain one for base models)."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        vocab = self.llama._model
        eos = vocab.token_get_text(self.llama.token_eos()) if self.llama.token_eos() >= 0 else ""
        bos = vocab.token_get_text(self.llama.token_bos()) if self.llama.token_bos() >= 0 else ""
        return Jinja2ChatFormatter(
            template=self.chat_template or PLAIN_TEMPLATE,
            eos_token=eos,
            bos_token=bos,
            stop_token_ids=[self.llama.token_eos()],
        )

    @cached_property
    def end_tokens(self) -> list[int]:
        """Tokens that end a generation (end of sequence and end of turn)."""
        import llama_cpp

        vocab = self.llama._model.vocab
        ids = {llama_cpp.llama_vocab_eos(vocab), llama_cpp.llama_vocab_eot(vocab)}
        return sorted(i for i in ids if i >= 0)

    @cached_property
    def compiler(self) -> GrammarCompiler:
        """The grammar compiler for this model's tokenizer (built once, ~0.3–2 s)."""
        from llguidance.llamacpp import lltokenizer_from_vocab

        with self.lock, warnings.catch_warnings():
            # llguidance calls a llama.cpp function deprecated in recent versions, once per token.
            warnings.simplefilter("ignore", DeprecationWarning)
            tokenizer = lltokenizer_from_vocab(
                self.llama._model.vocab, n_vocab=self.llama.n_vocab(), eos_token=self.end_tokens
            )
        return GrammarCompiler(tokenizer)

    def prompt_eval_count(self) -> int:
        """Prompt tokens evaluated by this context so far (prefix reuse shows as a small delta)."""
        import llama_cpp

        return int(llama_cpp.llama_perf_context(self.llama._ctx.ctx).n_p_eval)


DEFAULT_MAX_CTX = 8192
"""The context window when none is given: the model's trained context, at most this."""


THREADS_ENV = "GBA_LLAMA_THREADS"


def default_threads() -> int:
    """Threads for a model given none: ``$GBA_LLAMA_THREADS``, else one per physical core.

    Set the variable when several processes run models on the same cores at once (parallel
    test workers, a benchmark beside a recording): llama.cpp's threads spin while they wait for
    each other, so more threads than cores slows every process down many times over.
    """
    value = os.environ.get(THREADS_ENV, "").strip()
    if value:
        try:
            return max(int(value), 1)
        except ValueError:
            msg = f"{THREADS_ENV} must be a whole number of threads, got {value!r}."
            raise ValueError(msg) from None
    return physical_cores()


def physical_cores() -> int:
    """CPU cores this process may run on, each counted once however many threads it has.

    llama.cpp decodes fastest with one thread per core; llama-cpp-python's default (half the
    logical CPUs) assumes two threads per core and uses only half the cores where there is one
    (1.8x slower decoding of the 1.5B model on 2 cores here).
    """
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return max((os.cpu_count() or 2) // 2, 1)
    cores = set()
    for cpu in cpus:
        topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            package = (topology / "physical_package_id").read_text().strip()
            core = (topology / "core_id").read_text().strip()
        except OSError:
            return max(len(cpus) // 2, 1)
        cores.add((package, core))
    return max(len(cores), 1)


_CACHES: dict[tuple[str, str], PromptCache] = {}


def prompt_cache_for(path: Path, lora_path: Path | None = None) -> PromptCache:
    """The prompt cache of a model file (and adapter): one per process, its files on disk.

    Files go to ``<cache dir>/prompt-cache/<model>-<size>-<llama.cpp version>[-<adapter>]``;
    ``$GBA_PROMPT_CACHE=memory`` keeps states in memory only.
    """
    key = (str(path), str(lora_path or ""))
    with _LOAD_LOCK:
        if key not in _CACHES:
            directory = None
            if os.environ.get(PROMPT_CACHE_ENV, "").strip().lower() != "memory":
                directory = _cache_directory(path, lora_path)
            _CACHES[key] = PromptCache(directory)
        return _CACHES[key]


def _cache_directory(path: Path, lora_path: Path | None) -> Path | None:
    import hashlib

    import llama_cpp

    from langchain_gba.models import cache_dir

    try:
        name = f"{path.stem}-{path.stat().st_size}-{llama_cpp.__version__}"
        if lora_path is not None:
            adapter = f"{lora_path.resolve()}:{lora_path.stat().st_size}"
            name += "-" + hashlib.sha256(adapter.encode()).hexdigest()[:12]
        return cache_dir() / "prompt-cache" / name
    except OSError:
        return None


_LOADED: dict[tuple[Any, ...], LoadedModel] = {}
_LOAD_LOCK = threading.Lock()


@atexit.register
def close_models() -> None:
    """Free every loaded model while the interpreter still can (at exit, or to release memory).

    llama-cpp-python frees a model in ``Llama.__del__``; left to interpreter shutdown, that runs
    after llama.cpp's bindings are gone and prints "Exception ignored in Llama.__del__". Models
    loaded again after this call are loaded afresh.
    """
    with _LOAD_LOCK:
        loaded = list(_LOADED.values())
        _LOADED.clear()
    for model in loaded:
        with model.lock:
            model.llama.close()


def load_model(
    path: Path,
    *,
    n_ctx: int | None,
    n_threads: int | None,
    n_batch: int,
    seed: int,
    verbose: bool,
    context: str = "shared",
    lora_path: Path | None = None,
) -> LoadedModel:
    """Load a GGUF model once per process, settings and context name; later calls share it.

    ``n_ctx=None`` sizes the context from the model: its trained context, at most
    ``DEFAULT_MAX_CTX`` tokens. ``lora_path``: a LoRA adapter in GGUF applied at load time.
    """
    key = (str(path), n_ctx, n_threads, n_batch, seed, context, str(lora_path or ""))
    with _LOAD_LOCK:
        if key in _LOADED:
            return _LOADED[key]
        try:
            import llama_cpp
        except ImportError as e:
            msg = (
                "The in-process backend needs llama-cpp-python: pip install 'langchain-gba[local]'"
            )
            raise ImportError(msg) from e
        settings: dict[str, Any] = {
            "model_path": os.fspath(path),
            "n_threads": n_threads or default_threads(),
            "n_threads_batch": n_threads or default_threads(),
            "n_batch": n_batch,
            "seed": seed,
            "verbose": verbose,
        }
        if lora_path is not None:
            settings["lora_path"] = os.fspath(lora_path)
        guard = contextlib.nullcontext() if repack_works(path) else no_repack()
        with guard:
            llama = llama_cpp.Llama(n_ctx=n_ctx or DEFAULT_MAX_CTX, **settings)
            trained = llama._model.n_ctx_train()
            if n_ctx is None and 0 < trained < llama.n_ctx():
                llama.close()
                llama = llama_cpp.Llama(n_ctx=trained, **settings)
        loaded = LoadedModel(path=path, llama=llama, lora_path=lora_path)
        _LOADED[key] = loaded
        return loaded
