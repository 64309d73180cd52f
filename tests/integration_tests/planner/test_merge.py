"""Merging a shipped planner's adapter into its base: the same model without the adapter's cost."""

from __future__ import annotations

import numpy as np
import pytest

from langchain_gba import ChatLlamaCpp
from langchain_gba.exceptions import ModelNotFoundError
from langchain_gba.models import resolve_model_path
from langchain_gba.planner.fine_tuned import DEFAULT_FINE_TUNED_PLANNER, shipped_planners
from langchain_gba.planner.merge import merge_lora, merged_model_path


@pytest.fixture(scope="module")
def shipped():  # type: ignore[no-untyped-def]
    return shipped_planners()[DEFAULT_FINE_TUNED_PLANNER]


@pytest.fixture(scope="module")
def merged(shipped):  # type: ignore[no-untyped-def]
    return merged_model_path(resolve_model_path(shipped.base_model), shipped.adapter)


def _last_logits(model: ChatLlamaCpp, prompt: bytes) -> np.ndarray:
    llama = model.loaded.llama
    llama.reset()
    llama.eval(llama.tokenize(prompt))
    return np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),)).copy()


def test_the_merged_model_is_cached_under_both_files_hashes(merged, shipped):
    assert merged.read_bytes()[:4] == b"GGUF"
    assert merged.name.startswith(f"{shipped.adapter.stem}-")
    again = merged_model_path(resolve_model_path(shipped.base_model), shipped.adapter)
    assert again == merged and not list(merged.parent.glob("*.part"))


def test_the_merged_model_computes_what_the_adapter_at_run_time_does(merged, shipped):
    prompt = b"Request: What is the capital of Australia?\nNext step:"
    context = "merge-check"
    base = _last_logits(ChatLlamaCpp(model=shipped.base_model, context=context), prompt)
    tuned = _last_logits(
        ChatLlamaCpp(model=shipped.base_model, lora_path=str(shipped.adapter), context=context),
        prompt,
    )
    fused = _last_logits(ChatLlamaCpp(model=str(merged), context=context), prompt)
    # the adapter moves the logits; the merge moves them the same way, up to rounding
    moved = np.abs(tuned - base).mean()
    assert moved > 0.1
    assert np.abs(fused - tuned).mean() < 0.25 * moved
    assert np.argmax(fused) == np.argmax(tuned)


def test_an_adapter_for_another_base_is_refused(shipped, tmp_path):
    other = resolve_model_path("gemma-3-270m")
    with pytest.raises(ValueError, match="trained on another base model"):
        merge_lora(other, shipped.adapter, tmp_path / "x.gguf")


def test_a_model_that_is_not_an_adapter_is_refused(shipped, tmp_path):
    base = resolve_model_path(shipped.base_model)
    with pytest.raises(ValueError, match="not a LoRA adapter"):
        merge_lora(base, base, tmp_path / "x.gguf")


def test_a_missing_file_is_named(shipped, tmp_path):
    with pytest.raises(ModelNotFoundError, match="No GGUF file at"):
        merged_model_path(tmp_path / "nope.gguf", shipped.adapter, cache=tmp_path)
