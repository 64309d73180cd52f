"""``export-lora``: a trained LoRA adapter → one small GGUF adapter for the embedded base model.

llama.cpp applies a GGUF LoRA adapter to its base model when it loads it (``lora_path`` of
``ChatLlamaCpp`` and llama-cpp-python, ``--lora`` of ``llama-server``), so a fine-tuned planner
ships as a few MB beside the base model the user already has, instead of a merged copy of the
whole model (145 MB for SmolLM2-135M in q8_0).

The conversion is llama.cpp's own ``convert_lora_to_gguf.py``, which comes with llama.cpp's
source (``scripts/llama_cpp_source.sh`` unpacks the source of the installed llama-cpp-python;
or pass a llama.cpp checkout's script). Beside ``<name>.gguf`` goes ``<name>.json``: the base
model it was trained on (embedded name and SHA-256 of its GGUF), the LoRA settings and the
training summary, which ``langchain_gba.planner.fine_tuned`` reads to load it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from finetune.errors import ExportError
from langchain_gba._files import sha256_file

__all__ = ["LORA_TYPES", "export_lora", "lora_converter", "run_dir"]

_SCRIPT = "convert_lora_to_gguf.py"
LORA_TYPES = ("f16", "bf16", "q8_0", "f32")


def lora_converter(converter: str | Path | None = None) -> tuple[list[str], dict[str, str]]:
    """The command that runs ``convert_lora_to_gguf.py`` and the environment it needs.

    Looks for the script given, then in the llama.cpp source that
    ``scripts/llama_cpp_source.sh`` unpacks beside the interpreter's environment.

    Raises:
        ExportError: no converter script found.
    """
    if converter is not None:
        script = Path(converter).expanduser()
        if not script.is_file():
            raise ExportError(f"No converter script at {script}.")
    else:
        prefix = Path(sys.prefix)
        found = sorted(
            prefix.glob(f"llama-server-build/llama_cpp_python-*/vendor/llama.cpp/{_SCRIPT}")
        )
        if not found:
            raise ExportError(
                f"llama.cpp's {_SCRIPT} was not found: run scripts/llama_cpp_source.sh (it unpacks "
                "the llama.cpp source of the installed llama-cpp-python), or pass --converter "
                f"PATH/{_SCRIPT} from a llama.cpp checkout."
            )
        script = found[-1]
    root = script.parent
    path = [str(root), str(root / "gguf-py"), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
    return [sys.executable, str(script)], env


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def run_dir(adapter_dir: Path) -> Path:
    """The training run's folder of an adapter folder: itself, or a checkpoint's parent."""
    from finetune.train import SETTINGS_FILE

    return adapter_dir if (adapter_dir / SETTINGS_FILE).is_file() else adapter_dir.parent


def export_lora(
    adapter_dir: str | Path,
    out: str | Path,
    *,
    outtype: str = "q8_0",
    converter: str | Path | None = None,
    on_status: Callable[[str], None] | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Convert the adapter in ``adapter_dir`` to ``out`` (a ``.gguf``) and write its card.

    Args:
        adapter_dir: ``train``'s ``--output-dir`` (or one of its checkpoints).
        out: the GGUF file to write; the card goes beside it as ``.json``.
        outtype: f16, bf16, q8_0 or f32.
        converter: a ``convert_lora_to_gguf.py`` to use instead of the one found.
        on_status: called with a message before the conversion.

    Returns:
        The GGUF file and its card (base model, LoRA settings, training summary; for a
        checkpoint, its step and epoch under ``checkpoint``).

    Raises:
        ExportError: not an adapter folder, its base model is gone, an unknown type, no
            converter, or the converter failed (with the end of its log).
    """
    from finetune.base import resolve_base
    from finetune.export import _run
    from finetune.train import SETTINGS_FILE, SUMMARY_FILE

    src = Path(adapter_dir).expanduser()
    target = Path(out).expanduser()
    if target.suffix != ".gguf":
        raise ExportError(f"The adapter file should end in .gguf, not {target.name!r}.")
    config = _json(src / "adapter_config.json")
    if not config:
        raise ExportError(
            f"{src} is not a LoRA adapter folder (no adapter_config.json): pass train's "
            "--output-dir or one of its checkpoint-N folders."
        )
    if outtype not in LORA_TYPES:
        raise ExportError(f"Unknown adapter type {outtype!r}; choose from {', '.join(LORA_TYPES)}.")
    run = run_dir(src)
    settings = _json(run / SETTINGS_FILE)
    summary = _json(run / SUMMARY_FILE)
    base_spec = settings.get("base_model") or config.get("base_model_name_or_path")
    if not base_spec:
        raise ExportError(f"{src}: no base model recorded in {SETTINGS_FILE} or the adapter.")
    base = resolve_base(base_spec)  # the Hugging Face folder the converter reads the config of
    command, env = lora_converter(converter)
    target.parent.mkdir(parents=True, exist_ok=True)
    log = target.with_suffix(".log")
    log.write_text("", encoding="utf-8")
    part = target.with_name(f".{target.name}.part")
    if on_status is not None:
        on_status(f"converting {src} → {target.name} (llama.cpp {_SCRIPT}, {outtype})")
    t0 = time.perf_counter()
    argv = [*command, str(src), "--outfile", str(part), "--outtype", outtype,
            "--base", str(base.directory)]  # fmt: skip
    _run(argv, log, "The LoRA converter", env)
    os.replace(part, target)
    card = {
        "adapter": target.name,
        "adapter_sha256": sha256_file(target),
        "adapter_type": outtype,
        "base_model": base_spec,
        "base_gguf_sha256": sha256_file(base.gguf) if base.gguf else None,
        "rank": config.get("r"),
        "alpha": config.get("lora_alpha"),
        "target_modules": sorted(config.get("target_modules") or []),
        "format": settings.get("format", "step"),
        "training": {k: settings.get(k) for k in ("dataset", "epochs", "learning_rate",
                                                  "max_length", "max_steps", "init_adapter",
                                                  "soup")
                     if settings.get(k) is not None},
        "summary": {k: summary[k] for k in ("examples", "steps", "loss_first", "loss_last",
                                            "tokens", "tokens_per_second", "seconds", "device")
                    if k in summary},
        "seconds": round(time.perf_counter() - t0, 1),
    }  # fmt: skip
    if src != run:  # a checkpoint: its step; the summary is the whole run's
        state = _json(src / "trainer_state.json")
        card["checkpoint"] = {
            "name": src.name,
            "step": state.get("global_step"),
            "epoch": state.get("epoch"),
        }
    target.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n", "utf-8")
    return target, card
