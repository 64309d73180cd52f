"""``soup``: LoRA adapters of one base averaged into one (a "model soup" of fine-tuned planners).

Two students trained from the same start on different data each learn part of the job (one
keeps multi-step plans, the other picks the calculator first); the weighted mean of their
weight updates often keeps both, at no training cost. The mean is exact: adapter ``i`` adds
``s_i · B_i A_i`` to a weight (``s_i = alpha_i / r_i``), and the soup stacks the ranks,
``B = [B_1 … B_n]``, ``A = [w_1 s_1 A_1; …; w_n s_n A_n]``, with ``alpha = r`` (scale 1), so it
adds ``Σ w_i s_i B_i A_i`` — no approximation, at the sum of the ranks. The result is an adapter
folder like ``train``'s: ``export-lora`` turns it into a GGUF adapter with its card.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from finetune.errors import FinetuneError

__all__ = ["soup_adapters"]

_WEIGHTS = "adapter_model.safetensors"
_CONFIG = "adapter_config.json"
# Settings that every adapter of a soup must share (else their updates do not add up).
_SAME = ("base_model_name_or_path", "peft_type", "bias", "fan_in_fan_out")
_UNSUPPORTED = ("use_dora", "use_rslora")


def _load(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    from safetensors.torch import load_file

    config_file, weights_file = folder / _CONFIG, folder / _WEIGHTS
    if not config_file.is_file() or not weights_file.is_file():
        raise FinetuneError(
            f"{folder} is not a LoRA adapter folder (it needs {_CONFIG} and {_WEIGHTS}): pass "
            "train's --output-dir or one of its checkpoint-N folders."
        )
    config = json.loads(config_file.read_text(encoding="utf-8"))
    if config.get("peft_type") != "LORA":
        raise FinetuneError(f"{folder} holds a {config.get('peft_type')} adapter, not LoRA.")
    for key in _UNSUPPORTED:
        if config.get(key):
            raise FinetuneError(f"{folder} uses {key}: only plain LoRA adapters can be averaged.")
    for key in ("rank_pattern", "alpha_pattern", "modules_to_save"):
        if config.get(key):
            raise FinetuneError(
                f"{folder} has {key} set: only adapters with one rank and alpha for every "
                "module and no fully trained modules can be averaged."
            )
    return config, load_file(weights_file)


def soup_adapters(
    adapters: Sequence[str | Path],
    out: str | Path,
    *,
    weights: Sequence[float] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the weighted mean of ``adapters`` (LoRA folders of one base) to the folder ``out``.

    Args:
        adapters: two or more adapter folders (``train``'s ``--output-dir`` or checkpoints),
            trained on the same base model, modules and format.
        out: the adapter folder to write (``adapter_config.json``, the weights, and the
            ``train_settings.json`` that ``export-lora`` reads: base, format, the soup's parts).
        weights: one weight per adapter (default: equal weights that sum to 1).
        overwrite: replace ``out``'s adapter if it has one.

    Returns:
        The folder written.

    Raises:
        FinetuneError: fewer than two adapters, a weight count that does not match, a folder
            that is not a LoRA adapter, or adapters that differ in base, modules or format.
    """
    import torch
    from safetensors.torch import save_file

    from finetune.lora import _json, run_dir
    from finetune.train import SETTINGS_FILE

    folders = [Path(a).expanduser() for a in adapters]
    if len(folders) < 2:
        raise FinetuneError("A soup needs two or more adapters.")
    ws = [1 / len(folders)] * len(folders) if weights is None else [float(w) for w in weights]
    if len(ws) != len(folders):
        raise FinetuneError(f"{len(ws)} weights for {len(folders)} adapters: give one each.")
    target = Path(out).expanduser()
    if (target / _WEIGHTS).exists() and not overwrite:
        raise FinetuneError(f"{target} already holds an adapter: pass --overwrite to replace it.")
    loaded = [_load(f) for f in folders]
    settings = [_json(run_dir(f) / SETTINGS_FILE) for f in folders]
    first_config, first_weights = loaded[0]
    for folder, (config, tensors) in zip(folders[1:], loaded[1:], strict=True):
        for key in _SAME:
            if config.get(key) != first_config.get(key):
                raise FinetuneError(
                    f"{folder} differs from {folders[0]} in {key} ({config.get(key)!r} against "
                    f"{first_config.get(key)!r}): a soup needs adapters of one base and setup."
                )
        if set(tensors) != set(first_weights):
            raise FinetuneError(
                f"{folder} adapts other modules than {folders[0]}: train both with the same "
                "--target-modules."
            )
    formats = {s.get("format", "step") for s in settings}
    if len(formats) > 1:
        raise FinetuneError(
            f"The adapters plan in different formats ({', '.join(sorted(formats))}): a soup "
            "needs students of one format."
        )
    scales = [c["lora_alpha"] / c["r"] for c, _ in loaded]
    merged: dict[str, torch.Tensor] = {}
    for key in first_weights:
        if ".lora_A." in key:
            parts = [t[key] * (w * s) for (_, t), w, s in zip(loaded, ws, scales, strict=True)]
            merged[key] = torch.cat(parts, dim=0).contiguous()
        elif ".lora_B." in key:
            merged[key] = torch.cat([t[key] for _, t in loaded], dim=1).contiguous()
        else:
            raise FinetuneError(f"{folders[0]}: unexpected tensor {key!r} in a LoRA adapter.")
    rank = sum(c["r"] for c, _ in loaded)
    config = {**first_config, "r": rank, "lora_alpha": rank, "inference_mode": True}
    target.mkdir(parents=True, exist_ok=True)
    save_file(merged, str(target / _WEIGHTS))
    (target / _CONFIG).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    soup = {
        "base_model": settings[0].get("base_model") or first_config["base_model_name_or_path"],
        "format": formats.pop(),
        "rank": rank,
        "alpha": rank,
        "soup": [{"adapter": str(f), "weight": w} for f, w in zip(folders, ws, strict=True)],
    }
    (target / SETTINGS_FILE).write_text(json.dumps(soup, indent=2) + "\n", encoding="utf-8")
    return target
