"""A BERT sentence encoder in NumPy: query embeddings without PyTorch.

Searching an index embeds one short query at a time; that needs neither PyTorch nor
sentence-transformers (hundreds of MB to install, seconds to import). This encoder runs the
sentence-transformers pipeline *Transformer (BERT) → mean pooling → normalize* in float32 NumPy,
with the model's own ``tokenizer.json`` (the ``tokenizers`` package) and ``model.safetensors``
(the ``safetensors`` package). It matches sentence-transformers on PyTorch to float rounding
(cosine > 0.9999) and embeds a query in a few milliseconds; for embedding a whole corpus, the
ONNX int8 backend is several times faster.

Supported: BERT models (``model_type: "bert"``, absolute positions, GELU) whose
sentence-transformers modules are a Transformer, a mean Pooling and optionally a Normalize —
all-MiniLM-L6-v2, the default model, among them. :func:`supports` tells.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["NumpyBertEncoder", "supports"]

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def unsupported_reason(folder: str | os.PathLike[str]) -> str | None:
    """Why the model in ``folder`` cannot run here, or None when it can."""
    root = Path(folder)
    for name in ("config.json", "modules.json", "tokenizer.json", "model.safetensors"):
        if not (root / name).is_file():
            return f"{root} has no {name}"
    config = _read_json(root / "config.json")
    if config.get("model_type") != "bert":
        return f"model_type is {config.get('model_type')!r}, not 'bert'"
    if config.get("hidden_act") != "gelu":
        return f"hidden_act is {config.get('hidden_act')!r}, not 'gelu'"
    if config.get("position_embedding_type", "absolute") != "absolute":
        return "only absolute position embeddings are supported"
    modules = _read_json(root / "modules.json")
    types = [m.get("type") for m in modules]
    if types not in ([_TRANSFORMER, _POOLING], [_TRANSFORMER, _POOLING, _NORMALIZE]):
        return f"modules {types} are not Transformer, Pooling[, Normalize]"
    pooling = _read_json(root / modules[1]["path"] / "config.json")
    modes = sorted(k for k, v in pooling.items() if k.startswith("pooling_mode") and v)
    if modes != ["pooling_mode_mean_tokens"]:
        return f"pooling {modes} is not mean pooling"
    return None


def supports(folder: str | os.PathLike[str]) -> bool:
    """Whether :class:`NumpyBertEncoder` can run the sentence-transformers model in ``folder``."""
    return unsupported_reason(folder) is None


class _Tokenizer:
    """The subset of a Hugging Face tokenizer that chunking uses, over ``tokenizers``."""

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer

    def encode(self, text: str, add_special_tokens: bool = True, **_: Any) -> list[int]:
        return list(self._tokenizer.encode(text, add_special_tokens=add_special_tokens).ids)


class NumpyBertEncoder:
    """Sentence embeddings of a BERT sentence-transformers model, computed with NumPy.

    Args:
        folder: the sentence-transformers model folder.
        max_seq_length: tokens per text (special tokens included); longer texts are truncated.

    Raises:
        ValueError: the model is not supported (the reason is given).
        ImportError: ``tokenizers`` or ``safetensors`` is missing.
    """

    def __init__(self, folder: str | os.PathLike[str], *, max_seq_length: int = 128) -> None:
        reason = unsupported_reason(folder)
        if reason is not None:
            msg = (
                f"The NumPy encoder cannot run this model ({reason}). Use the 'onnx-int8' or "
                "'torch' backend: pip install 'langchain-gba[search]'"
            )
            raise ValueError(msg)
        try:
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ImportError as e:
            msg = "The NumPy encoder needs: pip install 'langchain-gba[search-lite]'"
            raise ImportError(msg) from e
        root = Path(folder)
        config = _read_json(root / "config.json")
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.max_seq_length = min(max_seq_length, int(config["max_position_embeddings"]))
        self.normalize = any(m["type"] == _NORMALIZE for m in _read_json(root / "modules.json"))
        tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(self.max_seq_length)
        self._tokenizer = tokenizer
        self.tokenizer = _Tokenizer(tokenizer)
        weights = load_file(str(root / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
        self._w = {
            k.removeprefix(prefix): v.astype(np.float32, copy=False)
            for k, v in weights.items()
            if v.dtype.kind == "f"
        }
        # Linear weights are stored (out, in): transpose once for x @ W.
        for k in [k for k, v in self._w.items() if k.endswith(".weight") and v.ndim == 2]:
            if k.startswith("encoder."):
                self._w[k] = np.ascontiguousarray(self._w[k].T)
        self.dimension = int(self._w["embeddings.word_embeddings.weight"].shape[1])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` into an ``(n, dimension)`` float32 array (unit vectors if normalized)."""
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), length), dtype=np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros((len(texts), length), dtype=np.float32)
        for row, e in enumerate(encodings):
            n = len(e.ids)
            ids[row, :n] = e.ids
            types[row, :n] = e.type_ids
            mask[row, :n] = 1.0
        hidden = self._forward(ids, types, mask)
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(1, keepdims=True), 1)
        if self.normalize:
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32, copy=False)

    def _forward(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self._w
        batch, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        width = x.shape[-1]
        size = width // self.heads
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]

        def heads(t: np.ndarray) -> np.ndarray:  # (b, t, h*d) -> (b, h, t, d)
            return t.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)

        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q = heads(self._linear(x, p + "attention.self.query"))
            k = heads(self._linear(x, p + "attention.self.key"))
            v = heads(self._linear(x, p + "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(size)) + bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, width)
            x = self._norm(
                x + self._linear(context, p + "attention.output.dense"),
                p + "attention.output.LayerNorm",
            )
            h = _gelu(self._linear(x, p + "intermediate.dense"))
            x = self._norm(x + self._linear(h, p + "output.dense"), p + "output.LayerNorm")
        return x

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self._w[name + ".weight"] + self._w[name + ".bias"]

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        normed = (x - mean) / np.sqrt(var + np.float32(self.eps))
        return normed * self._w[name + ".weight"] + self._w[name + ".bias"]


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU, ``x · Φ(x)``, with erf to 1.5e-7 (Abramowitz & Stegun 7.1.26)."""
    z = np.abs(x) / np.float32(math.sqrt(2.0))
    t = 1.0 / (1.0 + np.float32(0.3275911) * z)
    poly = np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly = poly * t + np.float32(c)
    poly = poly * t
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return (x * 0.5 * (1.0 + erf)).astype(np.float32, copy=False)
