from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from langchain_gba.tools.search.wikipedia import Embedder, WikipediaIndex
from langchain_gba.tools.search.wikipedia.embedding import query_backend, resolve_embedding_model
from langchain_gba.tools.search.wikipedia.numpy_bert import (
    NumpyBertEncoder,
    supports,
    unsupported_reason,
)

TEXTS = [
    "The Eiffel Tower is a wrought-iron lattice tower in Paris.",
    "Who wrote the novel Nineteen Eighty-Four?",
    "short",
    "Photosynthesis turns light into chemical energy in plants, algae and bacteria. " * 8,
]


@pytest.fixture(scope="module")
def numpy_embedder() -> Embedder:
    return Embedder(backend="numpy")


def test_numpy_matches_sentence_transformers_on_pytorch(numpy_embedder: Embedder) -> None:
    exact = Embedder(backend="torch").encode(TEXTS)
    ours = numpy_embedder.encode(TEXTS, batch_size=3)  # padded batches and a truncated text
    assert ours.shape == (4, 384) and ours.dtype == np.float32
    assert np.sum(exact * ours, axis=1).min() > 0.9999
    np.testing.assert_allclose(ours, exact, atol=2e-4)


def test_numpy_counts_tokens_like_the_model_tokenizer(numpy_embedder: Embedder) -> None:
    reference = Embedder(backend="torch").tokenizer
    for text in TEXTS:
        expected = reference.encode(text, add_special_tokens=False, verbose=False)
        assert numpy_embedder.tokenizer.encode(text, add_special_tokens=False) == expected


def test_queries_are_embedded_without_pytorch_for_the_default_model() -> None:
    embedder = Embedder.for_queries(backend="onnx-int8")
    assert embedder.backend == "numpy"


def test_index_searched_with_numpy_queries_finds_the_article(index_dir: Path) -> None:
    index = WikipediaIndex.load(index_dir)  # built with ONNX int8
    assert index.embedder.backend == "numpy"
    titles = [h.passage.title for h in index.search("Who painted the Mona Lisa?", 3)]
    assert "Mona Lisa" in titles


def test_unsupported_models_are_named_with_the_reason(tmp_path: Path) -> None:
    assert supports(resolve_embedding_model("all-MiniLM-L6-v2"))
    folder = tmp_path / "model"
    shutil.copytree(resolve_embedding_model("all-MiniLM-L6-v2"), folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "model_type": "roberta"}))
    assert "roberta" in (unsupported_reason(folder) or "")
    assert not supports(tmp_path / "missing")
    with pytest.raises(ValueError, match="onnx-int8"):
        NumpyBertEncoder(folder)
    # such a model's index is searched with the backend it was built with
    assert query_backend(folder, "torch") == "torch"
    assert query_backend("all-MiniLM-L6-v2", "onnx-int8") == "numpy"
