"""``merge``: fold a LoRA adapter into its base model's weights; save a Hugging Face folder.

The base is read from the adapter folder's ``train_settings.json`` (written by ``train``)
unless given. The weights are loaded in full precision (also after QLoRA: merging into 4-bit
weights would round the update away), merged, and saved with the adapter's tokenizer, so the
chat template the model was trained with (``PLAIN_TEMPLATE`` for a base model without one)
goes into the folder and from there into the GGUF.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finetune.base import inspect_base, load_model, resolve_base
from finetune.disk import check_disk
from finetune.errors import FinetuneError

__all__ = ["DTYPES", "MergeResult", "adapter_base", "merge"]

DTYPES = ("float32", "float16", "bfloat16")


@dataclass
class MergeResult:
    """Where the merged model went."""

    output_dir: Path
    base: str
    parameters: int


def adapter_base(adapter_dir: Path) -> str:
    """The base model an adapter was trained on (from ``train_settings.json``).

    Raises:
        FinetuneError: not an adapter folder, or no record of its base.
    """
    if not (adapter_dir / "adapter_config.json").is_file():
        raise FinetuneError(
            f"{adapter_dir} is not a LoRA adapter folder (no adapter_config.json): pass the "
            "--output-dir of `python -m finetune train`, or one of its checkpoint-N folders."
        )
    for folder in (adapter_dir, adapter_dir.parent):
        settings = folder / "train_settings.json"
        if settings.is_file():
            return str(json.loads(settings.read_text(encoding="utf-8"))["base_model"])
    config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    base = config.get("base_model_name_or_path")
    if base and Path(base).is_dir():
        return str(base)
    raise FinetuneError(
        f"No record of the base model of {adapter_dir} (no train_settings.json): pass --base-model."
    )


def merge(
    adapter_dir: str | Path,
    output_dir: str | Path,
    *,
    base_model: str | None = None,
    dtype: str = "float32",
    overwrite: bool = False,
    on_status: Callable[[str], None] | None = None,
) -> MergeResult:
    """Merge ``adapter_dir`` into its base model and save the result to ``output_dir``.

    Args:
        adapter_dir: a ``train`` output folder or one of its ``checkpoint-N`` folders.
        output_dir: the merged Hugging Face model folder (written whole or not at all).
        base_model: the base (default: the one the adapter was trained on).
        dtype: the saved weights' type: float32, float16 or bfloat16.
        overwrite: replace an existing ``output_dir``.
        on_status: called with a message before each slow phase.

    Raises:
        FinetuneError: no adapter, an existing output, an unknown dtype, a full disk
            (``DiskSpaceError``), an unloadable base (``BaseModelError``).
    """
    import torch
    from peft import PeftModel
    from transformers import AutoTokenizer

    status = on_status or (lambda _msg: None)
    adapter = Path(adapter_dir).expanduser()
    out = Path(output_dir).expanduser()
    if dtype not in DTYPES:
        raise FinetuneError(f"--dtype must be one of {', '.join(DTYPES)}, not {dtype!r}.")
    base = base_model or adapter_base(adapter)
    if not (adapter / "adapter_config.json").is_file():
        adapter_base(adapter)  # raises the explanation
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise FinetuneError(f"{out} exists and is not empty: pass --overwrite or another folder.")
    source = resolve_base(base, on_status=status)
    info = inspect_base(source)
    width = {"float32": 4, "float16": 2, "bfloat16": 2}[dtype]
    out.parent.mkdir(parents=True, exist_ok=True)
    check_disk(out.parent, info.parameters * width, "the merged model")

    status(f"loading {source.describe()}")
    model = load_model(source, dtype=torch.float32)
    status(f"merging {adapter}")
    try:
        merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    except Exception as e:
        raise FinetuneError(
            f"Cannot apply the adapter {adapter} to {source.describe()}: {type(e).__name__}: {e}"
        ) from e
    merged = merged.to(getattr(torch, dtype))
    tokenizer_dir = adapter if (adapter / "tokenizer_config.json").is_file() else adapter.parent
    tokenizer: Any = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    status(f"saving {out}")
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        merged.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return MergeResult(output_dir=out, base=base, parameters=info.parameters)
