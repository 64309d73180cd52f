"""Run a llama.cpp OpenAI-compatible server as a subprocess.

Used by the tests, the simulation pipeline and the benchmarks to get a real loopback server for
an embedded model or any GGUF file::

    with LlamaServer("smollm2-135m-instruct") as server:
        model = ChatLlamaServer(base_url=server.base_url)

Two servers: llama-cpp-python's ``python -m llama_cpp.server`` (the default; one request at a
time) and llama.cpp's C++ ``llama-server`` (``binary="llama-server"``; ``parallel`` slots decode
their requests together, continuous batching). ``scripts/build_llama_server.sh`` builds the
latter from the llama.cpp source in the llama-cpp-python sdist.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from langchain_gba.chat_models._llama import default_threads
from langchain_gba.chat_models._repack import repack_works, server_command
from langchain_gba.exceptions import GBAError
from langchain_gba.models import resolve_model_path

__all__ = ["LlamaServer", "LlamaServerError", "find_llama_server"]


class LlamaServerError(GBAError):
    """The llama.cpp server did not start or exited."""


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def find_llama_server(binary: str = "llama-server") -> str:
    """The path of llama.cpp's ``llama-server``: a path, on ``PATH``, or beside this Python.

    Raises:
        LlamaServerError: not found (the message says how to build it).
    """
    if os.sep in binary and Path(binary).is_file():
        return binary
    found = shutil.which(binary) or shutil.which(binary, path=str(Path(sys.executable).parent))
    if found is None:
        msg = (
            f"No {binary!r} found on PATH or beside {sys.executable}. Build llama.cpp's server "
            "with: scripts/build_llama_server.sh (from a checkout; ~6 min on 2 cores)"
        )
        raise LlamaServerError(msg)
    return found


class LlamaServer:
    """A llama.cpp server subprocess bound to ``host`` (loopback by default).

    Args:
        model: an embedded model name or a GGUF path.
        port: a fixed port, or ``None`` for a free one.
        n_ctx: context size per slot.
        extra_args: further server options, e.g. ``["--n_threads", "2"]``.
        startup_timeout: seconds to wait for ``/v1/models`` to answer.
        binary: ``None`` for ``python -m llama_cpp.server``, or llama.cpp's ``llama-server``
            (a path or a name found by :func:`find_llama_server`).
        parallel: slots of ``llama-server`` (requests decoded together); 1 for llama_cpp.server.
    """

    def __init__(
        self,
        model: str | Path = "smollm2-135m-instruct",
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        n_ctx: int = 2048,
        extra_args: list[str] | None = None,
        startup_timeout: float = 120.0,
        binary: str | None = None,
        parallel: int = 1,
    ) -> None:
        if parallel < 1 or (parallel > 1 and binary is None):
            msg = "parallel slots need llama.cpp's llama-server (binary='llama-server')"
            raise ValueError(msg)
        self.binary = find_llama_server(binary) if binary is not None else None
        self.parallel = parallel
        self.model_path = resolve_model_path(model)
        self.host = host
        self.port = port or _free_port(host)
        self.n_ctx = n_ctx
        self.extra_args = list(extra_args or [])
        self.startup_timeout = startup_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        # The server logs a lot to stderr; a pipe nobody reads would fill up and block it.
        self._log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)

    @property
    def _name(self) -> str:
        return "llama_cpp.server" if self.binary is None else Path(self.binary).name

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, ``http://HOST:PORT/v1``."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def log_path(self) -> Path:
        """Where the server's output goes."""
        return Path(self._log.name)

    def _log_tail(self, n: int = 2000) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-n:]

    def _threads(self, flag: str) -> list[str]:
        """Threads as in-process models get them, unless ``extra_args`` sets them."""
        return [] if flag in self.extra_args else [flag, str(default_threads())]

    def start(self) -> LlamaServer:
        """Start the server and wait until it answers; raises LlamaServerError otherwise."""
        if self.binary is None:
            cmd = [
                *server_command(self.model_path),
                "--model", str(self.model_path),
                "--host", self.host, "--port", str(self.port), "--n_ctx", str(self.n_ctx),
                *self._threads("--n_threads"),
                *self.extra_args,
            ]  # fmt: skip
        else:  # the context is shared by the slots: n_ctx tokens each
            cmd = [
                self.binary, "--model", str(self.model_path),
                "--host", self.host, "--port", str(self.port),
                "--ctx-size", str(self.n_ctx * self.parallel), "--parallel", str(self.parallel),
                *([] if repack_works(self.model_path) else ["--no-repack"]),
                *self._threads("--threads"),
                *self.extra_args,
            ]  # fmt: skip
        self._proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self._proc.poll() is not None:
                hint = (
                    "Is the 'server' extra installed (pip install 'langchain-gba[server]')?"
                    if self.binary is None
                    else "Does the binary run (it was built for this machine)?"
                )
                msg = (
                    f"{self._name} exited with code {self._proc.returncode}. {hint} "
                    f"Log:\n{self._log_tail()}"
                )
                raise LlamaServerError(msg)
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                msg = f"{self._name} did not answer within {self.startup_timeout:.0f} s."
                raise LlamaServerError(f"{msg} Log:\n{self._log_tail()}")
            time.sleep(0.3)

    def stop(self) -> None:
        """Terminate the server (kill it if it does not exit within 10 s)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        self._log.close()
        self.log_path.unlink(missing_ok=True)
