"""``merge_lora`` on small GGUF files written here: the merged weight is W + (alpha / r)·B·A."""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
import pytest

from langchain_gba.planner.merge import merge_lora

RNG = np.random.default_rng(0)
OUT, IN, RANK, ALPHA = 64, 96, 4, 8.0


def _base(path: Path, weight: np.ndarray) -> None:
    writer = gguf.GGUFWriter(path, arch="llama")
    writer.add_name("tiny")
    writer.add_tensor("blk.0.ffn_down.weight", weight)  # float32
    q8 = gguf.quants.quantize(weight, gguf.GGMLQuantizationType.Q8_0)
    writer.add_tensor("blk.0.attn_q.weight", q8, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    writer.add_tensor("blk.0.attn_norm.weight", np.ones(IN, dtype=np.float32))
    _close(writer)


def _adapter(path: Path, a: np.ndarray, b: np.ndarray, name: str = "blk.0.ffn_down.weight") -> None:
    writer = gguf.GGUFWriter(path, arch="llama")
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", ALPHA)
    writer.add_tensor(f"{name}.lora_a", a.astype(np.float32))
    writer.add_tensor(f"{name}.lora_b", b.astype(np.float16))
    _close(writer)


def _close(writer: gguf.GGUFWriter) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def _tensors(path: Path) -> dict[str, np.ndarray]:
    reader = gguf.GGUFReader(path)
    return {t.name: gguf.quants.dequantize(t.data, t.tensor_type) for t in reader.tensors}


def test_the_merged_weight_is_the_base_plus_the_scaled_product(tmp_path):
    weight = RNG.normal(size=(OUT, IN)).astype(np.float32)
    a = RNG.normal(size=(RANK, IN)).astype(np.float32)
    b = RNG.normal(size=(OUT, RANK)).astype(np.float32)
    _base(tmp_path / "base.gguf", weight)
    _adapter(tmp_path / "lora.gguf", a, b)
    merged = tmp_path / "merged.gguf"
    assert merge_lora(tmp_path / "base.gguf", tmp_path / "lora.gguf", merged) == 1

    tensors = _tensors(merged)
    expected = weight + (ALPHA / RANK) * (b.astype(np.float16).astype(np.float32) @ a)
    got = tensors["blk.0.ffn_down.weight"]
    assert got.shape == (OUT, IN)
    step = np.abs(expected).max() / 127  # Q8_0's rounding
    assert np.abs(got - expected).max() <= step
    # what the adapter does not touch is copied as it was, metadata included
    before = _tensors(tmp_path / "base.gguf")
    assert np.array_equal(tensors["blk.0.attn_q.weight"], before["blk.0.attn_q.weight"])
    assert np.array_equal(tensors["blk.0.attn_norm.weight"], before["blk.0.attn_norm.weight"])
    assert gguf.GGUFReader(merged).fields["general.name"].contents() == "tiny"


def test_a_scale_of_zero_leaves_the_weights_as_they_were_up_to_rounding(tmp_path):
    weight = RNG.normal(size=(OUT, IN)).astype(np.float32)
    _base(tmp_path / "base.gguf", weight)
    _adapter(tmp_path / "lora.gguf", np.ones((RANK, IN), np.float32), np.ones((OUT, RANK)))
    merge_lora(tmp_path / "base.gguf", tmp_path / "lora.gguf", tmp_path / "m.gguf", scale=0.0)
    got = _tensors(tmp_path / "m.gguf")["blk.0.ffn_down.weight"]
    assert np.abs(got - weight).max() <= np.abs(weight).max() / 127


def test_a_mismatched_adapter_says_it_was_trained_on_another_base(tmp_path):
    _base(tmp_path / "base.gguf", RNG.normal(size=(OUT, IN)).astype(np.float32))
    _adapter(tmp_path / "wide.gguf", np.ones((RANK, IN + 32), np.float32), np.ones((OUT, RANK)))
    with pytest.raises(ValueError, match="trained on another base model"):
        merge_lora(tmp_path / "base.gguf", tmp_path / "wide.gguf", tmp_path / "m.gguf")
    _adapter(tmp_path / "other.gguf", np.ones((RANK, IN)), np.ones((OUT, RANK)), "blk.9.x.weight")
    with pytest.raises(ValueError, match="lacks"):
        merge_lora(tmp_path / "base.gguf", tmp_path / "other.gguf", tmp_path / "m.gguf")
