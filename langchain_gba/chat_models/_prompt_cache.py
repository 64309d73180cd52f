"""The evaluated state of each prompt's fixed prefix, kept in memory and on disk.

A prompt's leading system message (a planner's tools and examples, a search summary's or a
calculator's instructions) is the same on every call of that role, and evaluating it is most of
a call's prompt cost: ~95 tokens/s for the 1.5B model on 2 cores, so 12 s for the planner's 1,150
tokens. llama.cpp keeps only what its one context last evaluated, so roles sharing a context evict
each other's prefix, and a new process starts cold. :class:`PromptCache` keeps the KV state right
after each fixed prefix (~28 KB per token for the 1.5B model) in a bounded in-memory LRU and,
optionally, in files under the cache directory, and loads it back (milliseconds) instead of
evaluating the prefix again. Loaded states are the same numbers the evaluation wrote, so outputs
are unchanged.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import llama_cpp

__all__ = ["PROMPT_CACHE_ENV", "PromptCache", "common_prefix"]

PROMPT_CACHE_ENV = "GBA_PROMPT_CACHE"
"""``off`` turns prompt caching off everywhere; ``memory`` keeps it out of files."""

MIN_PREFIX_TOKENS = 32
"""Shorter fixed prefixes cost less to evaluate than to look up and load."""

MAGIC = b"GBAKV1\n"

logger = logging.getLogger(__name__)


def common_prefix(a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray) -> int:
    """The number of leading tokens ``a`` and ``b`` share."""
    n = min(len(a), len(b))
    if n == 0:
        return 0
    left = np.asarray(a[:n], dtype=np.int64)
    right = np.asarray(b[:n], dtype=np.int64)
    differ = np.flatnonzero(left != right)
    return int(differ[0]) if len(differ) else n


@dataclass
class _State:
    tokens: tuple[int, ...]
    data: bytes


class PromptCache:
    """KV states after fixed prompt prefixes, for one llama.cpp model (any of its contexts).

    ``directory``: where states are also written as files (None: memory only); a file is used
    only by the same model file, adapter and llama.cpp version (the caller names the directory
    after them). ``capacity_bytes`` bounds the in-memory states, ``disk_bytes`` the files (oldest
    removed first).
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        capacity_bytes: int = 512 * 2**20,
        disk_bytes: int = 1024 * 2**20,
    ) -> None:
        self.directory = directory
        self.capacity_bytes = capacity_bytes
        self.disk_bytes = disk_bytes
        self._states: OrderedDict[str, _State] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = {"context": 0, "memory": 0, "disk": 0, "evaluated": 0}

    def prepare(
        self, llama: llama_cpp.Llama, tokens: Sequence[int], fixed: int, *, persist: bool = True
    ) -> None:
        """Make ``llama``'s context hold ``tokens[:fixed]`` evaluated, by the cheapest route.

        Call it holding the model's lock, right before a completion of ``tokens``: the context
        then starts from the prefix (llama-cpp-python evaluates only the rest). A prefix shorter
        than ``MIN_PREFIX_TOKENS`` is left to the completion.
        """
        if fixed < MIN_PREFIX_TOKENS or fixed > len(tokens):
            return
        held = common_prefix(llama.input_ids[: llama.n_tokens], tokens)
        if held >= fixed:
            self.hits["context"] += 1
            return
        prefix = tuple(int(t) for t in tokens[:fixed])
        key = hashlib.sha256(np.asarray(prefix, dtype=np.int32).tobytes()).hexdigest()[:32]
        with self._lock:
            state = self._states.get(key)
            if state is not None:
                self._states.move_to_end(key)
        source = "memory"
        if state is None and persist and self.directory is not None:
            state, source = self._read(key, prefix), "disk"
        if state is not None and self._load(llama, state):
            self.hits[source] += 1
            if source == "disk":
                self._keep(key, state)
            return
        self.hits["evaluated"] += 1
        llama.n_tokens = held  # keep what the context shares with the prefix, evaluate the rest
        llama.eval(list(prefix[held:]))
        state = _State(prefix, self._save(llama))
        self._keep(key, state)
        if persist and self.directory is not None:
            self._write(key, state)

    def fixed_prefix(self, tokens: Sequence[int]) -> int:
        """The length of the longest kept prefix that ``tokens`` start with (0: none)."""
        with self._lock:
            states = list(self._states.values())
        best = 0
        for state in states:
            n = len(state.tokens)
            if n > best and common_prefix(tokens, state.tokens) == n:
                best = n
        return best

    def clear(self) -> None:
        """Forget the states kept in memory (files stay)."""
        with self._lock:
            self._states.clear()

    # -- llama.cpp state -----------------------------------------------------------------------

    @staticmethod
    def _save(llama: llama_cpp.Llama) -> bytes:
        import llama_cpp

        ctx = llama._ctx.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0)
        return bytes(buffer)[:written]

    @staticmethod
    def _load(llama: llama_cpp.Llama, state: _State) -> bool:
        import llama_cpp

        llama._ctx.kv_cache_seq_rm(0, 0, -1)
        buffer = (ctypes.c_uint8 * len(state.data)).from_buffer_copy(state.data)
        if not llama_cpp.llama_state_seq_set_data(llama._ctx.ctx, buffer, len(state.data), 0):
            llama.n_tokens = 0  # nothing usable in the context now: evaluate afresh
            return False
        n = len(state.tokens)
        llama.input_ids[:n] = state.tokens
        llama.n_tokens = n
        llama._requires_eval = True  # the logits are not restored: the completion decodes on
        return True

    # -- memory --------------------------------------------------------------------------------

    def _keep(self, key: str, state: _State) -> None:
        with self._lock:
            self._states[key] = state
            self._states.move_to_end(key)
            total = sum(len(s.data) for s in self._states.values())
            while total > self.capacity_bytes and len(self._states) > 1:
                _, dropped = self._states.popitem(last=False)
                total -= len(dropped.data)

    # -- files ---------------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / f"{key}.kv"

    def _read(self, key: str, prefix: tuple[int, ...]) -> _State | None:
        path = self._path(key)
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        n = len(prefix)
        head = len(MAGIC) + 4 * (n + 1)
        if not blob.startswith(MAGIC) or len(blob) <= head:
            return None
        stored = np.frombuffer(blob[len(MAGIC) : head], dtype="<i4")
        if int(stored[0]) != n or tuple(int(t) for t in stored[1:]) != prefix:
            return None  # another prefix with the same hash (or a foreign file): not this one
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: removed last
        return _State(prefix, blob[head:])

    def _write(self, key: str, state: _State) -> None:
        assert self.directory is not None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            header = np.asarray([len(state.tokens), *state.tokens], dtype="<i4").tobytes()
            tmp = self._path(key).with_suffix(f".tmp{os.getpid()}-{threading.get_ident()}")
            tmp.write_bytes(MAGIC + header + state.data)
            tmp.replace(self._path(key))
            self._prune()
        except OSError as e:  # a read-only or full disk costs speed, never the call
            logger.warning("Could not write the prompt cache to %s: %s", self.directory, e)

    def _prune(self) -> None:
        assert self.directory is not None
        files = sorted(self.directory.glob("*.kv"), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        for path in files[:-1]:
            if total <= self.disk_bytes:
                break
            total -= path.stat().st_size
            with contextlib.suppress(OSError):
                path.unlink()
