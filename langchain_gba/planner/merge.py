"""Merge a LoRA adapter (GGUF) into its base model (GGUF): the planner runs at the base's speed.

llama.cpp applies an adapter at run time as two extra small matrix products per adapted weight
(``W x + s·B(A x)``), which on a small model costs a sizeable share of each token. Merging once
(``W' = W + s·B A``, ``s = alpha / rank``) removes that cost. The merged weights are quantized to
Q8_0, not back to the base's 4-bit type: a LoRA's change is small next to a 4-bit step, and
rounding back to 4 bits would undo much of it.

Pure numpy with the ``gguf`` package (llama.cpp's own reader and writer); no torch. The merged file
is written once into the cache directory and reused while the adapter and base are the same.

Example:
    .. code-block:: python

        from langchain_gba.planner.merge import merged_model_path

        path = merged_model_path(base_gguf, adapter_gguf)  # cached
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, cast

import numpy as np

from langchain_gba._files import atomic_write, sha256_file_once
from langchain_gba.exceptions import ModelNotFoundError

__all__ = ["MERGED_TYPE", "merge_lora", "merged_model_path"]

logger = logging.getLogger(__name__)

MERGED_TYPE = "Q8_0"
"""The quantization of merged weights (other tensors keep theirs)."""


def merge_lora(base: Path, adapter: Path, out: Path, *, scale: float = 1.0) -> int:
    """Write ``base`` with ``adapter`` merged into its weights to ``out``.

    Args:
        base: the base model's GGUF file (the one the adapter was trained on).
        adapter: a LoRA adapter in GGUF (``general.type = adapter``, ``*.lora_a``/``*.lora_b``).
        out: where to write the merged GGUF.
        scale: the adapter's strength, as llama.cpp's ``--lora-scaled`` (1.0: as trained).

    Returns:
        The number of weights merged.

    Raises:
        ValueError: ``adapter`` is not a LoRA adapter, or does not fit ``base`` (a weight it
            adapts is missing there, or has another shape).
    """
    import gguf

    base_reader = gguf.GGUFReader(base)
    lora_reader = gguf.GGUFReader(adapter)
    if _field(lora_reader, "adapter.type") != "lora":
        msg = f"{adapter} is not a LoRA adapter in GGUF (no adapter.type = lora)."
        raise ValueError(msg)
    alpha = _field(lora_reader, "adapter.lora.alpha")
    pairs: dict[str, dict[str, np.ndarray]] = {}
    for tensor in lora_reader.tensors:
        name, _, part = tensor.name.rpartition(".")
        if part not in ("lora_a", "lora_b"):
            msg = f"{adapter}: unexpected tensor {tensor.name!r} in a LoRA adapter."
            raise ValueError(msg)
        pairs.setdefault(name, {})[part] = _float(tensor)
    tensors = {t.name: t for t in base_reader.tensors}
    missing = sorted(set(pairs) - set(tensors))
    if missing:
        msg = (
            f"The adapter {adapter.name} adapts weights that {base.name} lacks ({missing[:3]}): "
            "it was trained on another base model."
        )
        raise ValueError(msg)

    arch = _field(base_reader, "general.architecture")
    writer = gguf.GGUFWriter(out, arch=str(arch), endianess=base_reader.endianess)
    for field in base_reader.fields.values():
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        kind = field.types[0]
        sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), kind, sub_type=sub)
    merged_type = gguf.GGMLQuantizationType[MERGED_TYPE]
    for tensor in base_reader.tensors:
        lora = pairs.get(tensor.name)
        if lora is None:
            writer.add_tensor(tensor.name, tensor.data, raw_dtype=tensor.tensor_type)
            continue
        a, b = lora["lora_a"], lora["lora_b"]  # (rank, in), (out, rank)
        weight = _float(tensor)
        if b.shape[0] != weight.shape[0] or a.shape[1] != weight.shape[1]:
            msg = (
                f"The adapter's {tensor.name} is {b.shape[0]}x{a.shape[1]}, the base's "
                f"{weight.shape[0]}x{weight.shape[1]}: it was trained on another base model."
            )
            raise ValueError(msg)
        rank = a.shape[0]
        factor = scale * (float(cast(Any, alpha)) / rank if alpha else 1.0)
        weight = weight + factor * (b @ a)
        quantized = gguf.quants.quantize(weight.astype(np.float32), merged_type)
        writer.add_tensor(tensor.name, quantized, raw_dtype=merged_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return len(pairs)


def merged_model_path(base: Path, adapter: Path, *, cache: Path | None = None) -> Path:
    """The merged model for ``base`` and ``adapter``, written into the cache on first use.

    The file's name holds both files' SHA-256 prefixes, so a changed adapter or base gets a new
    merge. Writes to a temporary file first: a killed merge leaves no half-written model.

    Raises:
        ModelNotFoundError: ``base`` or ``adapter`` does not exist.
    """
    from langchain_gba.models import cache_dir

    for path in (base, adapter):
        if not path.is_file():
            msg = f"No GGUF file at {path} to merge."
            raise ModelNotFoundError(msg)
    directory = (cache or cache_dir()) / "merged"
    directory.mkdir(parents=True, exist_ok=True)
    key = f"{sha256_file_once(adapter)[:12]}-{sha256_file_once(base)[:12]}"
    out = directory / f"{adapter.stem}-{key}.gguf"
    if out.is_file():
        return out
    logger.info("Merging %s into %s (once; cached at %s)", adapter.name, base.name, out)

    def write(tmp: Path) -> None:
        merge_lora(base, adapter, tmp)

    return atomic_write(out, write)


def _field(reader: object, name: str) -> object:
    field = reader.fields.get(name)  # type: ignore[attr-defined]
    return None if field is None else field.contents()


def _float(tensor: object) -> np.ndarray:
    """A tensor of a GGUF file as float32, in numpy's (rows, columns) order."""
    import gguf

    try:
        data = gguf.quants.dequantize(tensor.data, tensor.tensor_type)  # type: ignore[attr-defined]
    except NotImplementedError as e:
        msg = f"Cannot merge tensor {tensor.name!r}: {e}."  # type: ignore[attr-defined]
        raise ValueError(msg) from e
    return np.asarray(data, dtype=np.float32)
