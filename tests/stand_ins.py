"""Stand-ins for unit tests that need no model: an embedder of word counts."""

from __future__ import annotations

import numpy as np

from langchain_gba._text import words


def bag_of_words(texts: list[str]) -> np.ndarray:
    """Unit vectors of counts of words over 3 letters (a stand-in for an embedder)."""
    vocab = sorted({w for t in texts for w in words(t) if len(w) > 3})
    out = np.array([[words(t).count(w) for w in vocab] for t in texts], dtype=np.float32)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
