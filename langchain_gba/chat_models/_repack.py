"""Guard against llama.cpp builds that crash when they repack a model's weights on this CPU.

llama.cpp repacks quantized weights at load time into CPU-specific layouts ("extra buffer
types") for faster matrix products. Some builds crash in those kernels on some CPUs (seen here:
llama-cpp-python 0.3.36 built with ``-march=native`` by GCC 12 on an AVX-512 Xeon segfaults in
its first batch of more than one token). A segfault kills the Python process with no error to
catch, so before loading a model the first time on a machine, :func:`repack_works` loads it with
repacking in a subprocess and decodes a few tokens; if that process dies, the model is loaded
without repacking (slower prompt processing, same outputs) and a warning says so. The verdict
is kept in the cache directory per llama.cpp version, CPU and model file.

``GBA_LLAMA_REPACK=1`` (or ``0``) skips the check and forces repacking on (or off).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["REPACK_ENV", "disable_repack", "no_repack", "repack_works", "server_command"]

REPACK_ENV = "GBA_LLAMA_REPACK"
PROBE_TIMEOUT_S = 300.0

logger = logging.getLogger(__name__)
_LOCK = threading.Lock()

_PROBE = """\
import sys, llama_cpp
llm = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=256, n_batch=64, verbose=False)
tokens = llm.tokenize(b"The quick brown fox jumps over the lazy dog. " * 3)
llm.create_completion(tokens, max_tokens=2, temperature=0.0)
"""

_SERVER = (
    "from langchain_gba.chat_models._repack import disable_repack; disable_repack(); "
    "import runpy; runpy.run_module('llama_cpp.server', run_name='__main__')"
)
"""``python -m llama_cpp.server`` with repacking off."""


def _cpu() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _key(path: Path) -> str:
    import llama_cpp

    stat = path.stat()
    return f"{llama_cpp.__version__}|{_cpu()}|{path.name}|{stat.st_size}"


def _verdicts_file() -> Path:
    from langchain_gba.models import cache_dir

    return cache_dir() / "llama-repack.json"


def _read(file: Path) -> dict[str, bool]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): bool(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _probe(path: Path) -> bool | None:
    """True if a subprocess loads ``path`` with repacking and decodes; None if it cannot tell."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, os.fspath(path)],
            capture_output=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode < 0:  # killed by a signal: the crash this guards against
        return False
    return True if done.returncode == 0 else None


def repack_works(path: Path) -> bool:
    """Whether llama.cpp may repack the weights of the GGUF file ``path`` on this machine.

    ``GBA_LLAMA_REPACK`` forces the answer; otherwise a cached verdict, or a subprocess check
    (a few seconds, once per machine, llama.cpp version and model file).
    """
    forced = os.environ.get(REPACK_ENV, "").strip().lower()
    if forced in ("0", "1", "false", "true", "no", "yes", "off", "on"):
        return forced in ("1", "true", "yes", "on")
    key = _key(path)
    with _LOCK:
        file = _verdicts_file()
        known = _read(file)
        if key in known:
            return known[key]
        verdict = _probe(path)
        if verdict is None:  # the check itself failed (not a crash): llama.cpp's default
            return True
        if not verdict:
            logger.warning(
                "llama.cpp crashed repacking the weights of %s on this CPU (a llama.cpp bug); "
                "loading it without repacking: same outputs, slower prompt processing. Set "
                "%s=1 to force repacking, e.g. with a llama-cpp-python build that works.",
                path.name,
                REPACK_ENV,
            )
        known = {**_read(file), key: verdict}
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(file)
        return verdict


def disable_repack() -> Callable[[], None]:
    """Make llama-cpp-python load models without repacking (it has no setting for it).

    Returns the function that undoes it. Not thread-safe: hold the model-loading lock.
    """
    import llama_cpp.llama_cpp as lib

    default = lib.llama_model_default_params

    def patched() -> lib.llama_model_params:
        params = default()
        params.use_extra_bufts = False
        return params

    lib.llama_model_default_params = patched  # type: ignore[assignment]

    def undo() -> None:
        lib.llama_model_default_params = default  # type: ignore[assignment]

    return undo


@contextlib.contextmanager
def no_repack() -> Iterator[None]:
    """Models that llama-cpp-python loads inside this block are not repacked."""
    undo = disable_repack()
    try:
        yield
    finally:
        undo()


def server_command(path: Path) -> list[str]:
    """How to start ``python -m llama_cpp.server`` for the model ``path`` (its arguments follow)."""
    if repack_works(path):
        return [sys.executable, "-m", "llama_cpp.server"]
    return [sys.executable, "-c", _SERVER]
