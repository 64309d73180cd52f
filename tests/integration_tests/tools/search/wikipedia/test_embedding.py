from __future__ import annotations

import numpy as np
import pytest

from langchain_gba.tools.search.wikipedia import DEFAULT_EMBEDDING_MODEL, Embedder

TEXTS = [
    "The Eiffel Tower is a wrought-iron lattice tower in Paris.",
    "Photosynthesis turns light into chemical energy in plants.",
    "Mount Everest is Earth's highest mountain above sea level.",
]


def test_default_embedder_is_minilm_int8(embedder: Embedder) -> None:
    assert embedder.model_id == DEFAULT_EMBEDDING_MODEL
    assert embedder.backend == "onnx-int8"
    assert (embedder.dimension, embedder.max_seq_length) == (384, 128)
    vectors = embedder.encode(TEXTS)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = embedder.encode(["Which is the tallest mountain in the world?"])[0]
    assert int(np.argmax(vectors @ query)) == 2


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_int8_onnx_stays_close_to_full_precision(embedder: Embedder, backend: str) -> None:
    reference = Embedder(backend=backend)  # type: ignore[arg-type]
    exact = reference.encode(TEXTS)
    cosine = np.sum(exact * embedder.encode(TEXTS), axis=1)
    assert cosine.min() > 0.9
    if backend == "onnx":  # the ONNX export itself is exact: same numbers as PyTorch
        torch_vectors = Embedder(backend="torch").encode(TEXTS)
        np.testing.assert_allclose(exact, torch_vectors, atol=1e-4)


def test_encode_keeps_input_order_and_reports_progress(embedder: Embedder) -> None:
    texts = ["short", "a much longer text about rivers and mountains " * 5, "mid length text"]
    done: list[int] = []
    together = embedder.encode(texts, batch_size=2, on_batch=done.append)
    alone = np.vstack([embedder.encode([t]) for t in texts])
    # int8 activations are scaled per batch, so batch-mates nudge a vector a little
    assert np.sum(together * alone, axis=1).min() > 0.98
    assert done == [2, 1]


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="backend must be"):
        Embedder(backend="tpu")  # type: ignore[arg-type]
