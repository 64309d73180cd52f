from __future__ import annotations

import faiss
import numpy as np
import pytest

from langchain_gba.tools.search.wikipedia import QuantizedVectors


def _clustered(n: int, d: int = 384, seed: int = 0) -> np.ndarray:
    """Unit vectors like sentence embeddings: topics, a low-dimensional spread, a common offset."""
    shared = np.random.default_rng(12345)
    centers = shared.standard_normal((200, d)).astype(np.float32)
    spread = (shared.standard_normal((d, 48)) / np.sqrt(48)).astype(np.float32)
    offset = shared.standard_normal(d).astype(np.float32) * 0.3
    rng = np.random.default_rng(seed)
    x = (
        centers[rng.integers(0, 200, n)] * 0.6
        + rng.standard_normal((n, 48)).astype(np.float32) @ spread.T
        + offset
        + 0.15 * rng.standard_normal((n, d)).astype(np.float32)
    )
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    pairs = zip(found, truth, strict=True)
    return float(np.mean([len(set(a) & set(b)) / truth.shape[1] for a, b in pairs]))


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = _clustered(20_000)
    queries = _clustered(100, seed=1)
    exact = faiss.IndexFlatIP(x.shape[1])
    exact.add(x)
    _, truth = exact.search(queries, 10)
    return x, queries, truth


def test_quantized_search_matches_exact_float_search(data) -> None:  # type: ignore[no-untyped-def]
    x, queries, truth = data
    qv = QuantizedVectors.from_embeddings(x)
    assert qv.bytes_in_memory_per_vector == 48 and qv.bytes_mapped_per_vector == 384
    assert qv.binary.ntotal == len(x) and qv.int8.dtype == np.int8
    scores, ids = qv.search(queries, 10, candidates=1000)
    assert _recall(ids, truth) >= 0.95
    # scores are cosine similarities (int8 rescoring), best first
    exact = np.einsum("qd,qkd->qk", queries, x[ids])
    np.testing.assert_allclose(scores, exact, atol=0.02)
    assert np.all(np.diff(scores, axis=1) <= 0)
    # fewer candidates, lower recall: the knob matters
    _, few = qv.search(queries, 10, candidates=10)
    assert _recall(few, truth) < _recall(ids, truth)


def test_inverted_file_variant(data) -> None:  # type: ignore[no-untyped-def]
    x, queries, truth = data
    flat = QuantizedVectors.from_embeddings(x)
    qv = QuantizedVectors.from_embeddings(x, nlist=32, nprobe=32)
    assert qv.bytes_in_memory_per_vector == 48 + 8
    # every list probed: the same candidates as the exhaustive scan
    _, ids = qv.search(queries, 10, candidates=400)
    _, flat_ids = flat.search(queries, 10, candidates=400)
    assert _recall(ids, truth) == pytest.approx(_recall(flat_ids, truth), abs=0.01)
    qv.nprobe = 1  # one list of 32: fewer candidates reach the rescoring
    _, probed = qv.search(queries, 10, candidates=400)
    assert _recall(probed, truth) < _recall(ids, truth)


def test_small_and_empty_collections() -> None:
    x = _clustered(3)
    qv = QuantizedVectors.from_embeddings(x)
    scores, ids = qv.search(x[:1], 5)
    assert ids[0, 0] == 0 and list(ids[0, 3:]) == [-1, -1]
    assert np.isneginf(scores[0, 3:]).all()
    empty = QuantizedVectors.from_embeddings(np.zeros((0, 384), np.float32), calibration=x)
    assert (empty.search(x[:1], 3)[1] == -1).all()
