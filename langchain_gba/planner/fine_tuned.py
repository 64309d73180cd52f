"""The fine-tuned planners that ship with the package: a LoRA adapter in GGUF per planner.

Each adapter (``adapters/<name>.gguf``, a few MB) was trained on trajectories of the 1.5B
teacher and is applied by llama.cpp to its embedded base model when it loads it; its card
(``adapters/<name>.json``, written by ``python -m finetune export-lora``) names the base and the
SHA-256 of the base's GGUF file it was trained on.

Example:
    .. code-block:: python

        from langchain_gba.planner import FineTunedPlanner

        planner = FineTunedPlanner()  # the shipped default: smollm2-135m-plans, plans ahead
        planner = FineTunedPlanner("qwen-0.5b-plans")  # more often right, ~3x the seconds
        planner = FineTunedPlanner("smollm2-135m-planner")  # one step at a time
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from langchain_gba._files import sha256_file_once
from langchain_gba.exceptions import ModelNotFoundError

PLANNER_CONTEXT = "planner"
"""The llama.cpp context an in-process planner model runs in (its prompt prefix stays cached)."""

__all__ = [
    "ADAPTERS_DIR",
    "DEFAULT_FINE_TUNED_PLANNER",
    "ShippedPlanner",
    "fine_tuned_planner_model",
    "shipped_planners",
]

ADAPTERS_DIR = Path(__file__).with_name("adapters")
DEFAULT_FINE_TUNED_PLANNER = "smollm2-135m-plans"
"""SmolLM2-135M taught the 1.5B teacher's plans, steps only (no thoughts): it plans ahead. The
step-by-step student of earlier releases ships as ``smollm2-135m-planner``."""


FINE_TUNED_SAMPLING: dict[str, Any] = {"temperature": 0.0, "repeat_penalty": 1.0}
"""How a fine-tuned planner decodes: greedy, no repetition penalty (it writes what it learned)."""


@dataclass(frozen=True)
class ShippedPlanner:
    """A shipped adapter: its name, file, base model and card."""

    name: str
    adapter: Path
    base_model: str
    card: dict[str, Any]


def shipped_planners(directory: str | Path = ADAPTERS_DIR) -> dict[str, ShippedPlanner]:
    """The planners whose adapter and card are in ``directory``, by name."""
    directory = Path(directory)
    found = {}
    for card_path in sorted(directory.glob("*.json")):
        card = json.loads(card_path.read_text(encoding="utf-8"))
        adapter = card_path.with_name(card.get("adapter") or f"{card_path.stem}.gguf")
        if adapter.is_file() and card.get("base_model"):
            found[card_path.stem] = ShippedPlanner(
                card_path.stem, adapter, str(card["base_model"]), card
            )
    return found


def fine_tuned_planner_model(
    name: str = DEFAULT_FINE_TUNED_PLANNER,
    *,
    directory: str | Path = ADAPTERS_DIR,
    merge: bool = True,
    **kwargs: Any,
) -> BaseChatModel:
    """The shipped planner ``name``: its base model in ``ChatLlamaCpp`` with the adapter.

    With ``merge`` (the default) the adapter is merged into a copy of the base once, into the
    cache directory (``merge.merged_model_path``; ~20 s and ~150 MB for SmolLM2-135M), and the
    planner runs the merged model: faster per step than applying the adapter at run time
    (``bench/merged_lora.py``). If merging fails (no ``gguf`` package, no disk space), the
    adapter is applied at run time, with a warning.

    ``kwargs`` go to ``ChatLlamaCpp`` (greedy decoding and no repetition penalty by default:
    the planner writes what it was trained to write). Warns when the installed base model's
    file is not the one the adapter was trained on (another quantization of the same model
    still runs, with somewhat different steps).

    Raises:
        ModelNotFoundError: no such shipped planner (the message lists those there are), or its
            base model is not installed.
    """
    from langchain_gba.chat_models.llama_cpp import ChatLlamaCpp
    from langchain_gba.models import resolve_model_path

    planners = shipped_planners(directory)
    if name not in planners:
        there = ", ".join(planners) or "none"
        msg = (
            f"No shipped fine-tuned planner {name!r} (shipped: {there}). Pass a GGUF file of "
            "your own (python -m finetune export), or train one (see the README's fine-tuning "
            "section)."
        )
        raise ModelNotFoundError(msg)
    shipped = planners[name]
    base = resolve_model_path(shipped.base_model)
    expected = shipped.card.get("base_gguf_sha256")
    if expected and sha256_file_once(base) != expected:
        warnings.warn(
            f"The planner {name!r} was trained on another file of {shipped.base_model} than "
            f"the one installed ({base}); reinstall the version the card names for the "
            "steps it was measured with.",
            stacklevel=2,
        )
    settings: dict[str, Any] = {
        **FINE_TUNED_SAMPLING,
        "context": PLANNER_CONTEXT,  # where a Planner runs it: loaded once
        **kwargs,
    }
    if merge:
        from langchain_gba.planner.merge import merged_model_path

        try:
            merged = merged_model_path(base, shipped.adapter)
        except (ImportError, OSError, ValueError) as e:
            warnings.warn(
                f"Could not merge the planner {name!r} into its base ({e}); applying the "
                "adapter at run time instead (slower per step).",
                stacklevel=2,
            )
        else:
            return ChatLlamaCpp(model=str(merged), **settings)
    return ChatLlamaCpp(model=shipped.base_model, lora_path=str(shipped.adapter), **settings)
