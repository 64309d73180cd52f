from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from langchain_gba.tools.search import (
    EmbeddingModelMismatchError,
    IndexCorruptedError,
    IndexMismatchError,
    WikipediaIndex,
)
from langchain_gba.tools.search.wikipedia import Embedder


def test_search_finds_the_right_articles(small_index: WikipediaIndex) -> None:
    expectations = {
        "Who painted the Mona Lisa?": {"Mona Lisa", "Leonardo da Vinci"},
        "the highest mountain on Earth": {"Mount Everest"},
        "How do plants make energy from sunlight?": {"Photosynthesis"},
        "dystopian novel about Big Brother": {"Nineteen Eighty-Four", "George Orwell"},
    }
    for query, titles in expectations.items():
        hits = small_index.search(query, k=3)
        assert hits[0].passage.title in titles, (query, [h.passage.title for h in hits])
        assert hits[0].score > 0.4
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_metadata_records_how_it_was_built(index_dir: Path, small_index: WikipediaIndex) -> None:
    meta = json.loads((index_dir / "meta.json").read_text())
    assert meta["format_version"] == 1
    assert meta["embedding_model"] == "all-MiniLM-L6-v2"
    assert meta["embedding_backend"] == "onnx-int8" and meta["dimension"] == 384
    assert meta["count"] == len(small_index) and meta["documents"] == 250
    assert meta["quantization"]["bytes_per_vector_in_memory"] == 48
    assert set(meta["files"]) == {"binary.faiss", "int8.npy", "calibration.npy", "passages.jsonl"}
    assert len(meta["corpus_checksum"]) == 64
    assert not list(index_dir.glob("*.part")), "temporary files are renamed into place"


def test_load_round_trip(index_dir: Path, small_index: WikipediaIndex, embedder: Embedder) -> None:
    loaded = WikipediaIndex.load(index_dir, embedder=embedder, verify_checksums=True)
    assert isinstance(loaded.vectors.int8, np.memmap)
    assert loaded.passages == small_index.passages
    query = "the tower in Paris built by Gustave Eiffel"
    assert [h.passage for h in loaded.search(query, 3)] == [
        h.passage for h in small_index.search(query, 3)
    ]


@pytest.fixture
def copy(index_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(index_dir, tmp_path / "copy"))


def test_truncated_file_is_a_clear_error(copy: Path) -> None:
    data = (copy / "int8.npy").read_bytes()
    (copy / "int8.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorruptedError, match=r"int8.npy is truncated: .* Rebuild"):
        WikipediaIndex.load(copy)


def test_missing_file_and_missing_index(copy: Path, tmp_path: Path) -> None:
    (copy / "passages.jsonl").unlink()
    with pytest.raises(IndexCorruptedError, match="lacks passages.jsonl"):
        WikipediaIndex.load(copy)
    with pytest.raises(IndexCorruptedError, match="No index at .*gba index build"):
        WikipediaIndex.load(tmp_path / "nowhere")


def test_corrupted_bytes_are_caught_by_checksums(copy: Path) -> None:
    data = bytearray((copy / "binary.faiss").read_bytes())
    data[-1] ^= 0xFF
    (copy / "binary.faiss").write_bytes(bytes(data))
    with pytest.raises(IndexCorruptedError, match="SHA-256"):
        WikipediaIndex.load(copy, verify_checksums=True)


def test_other_embedding_model_is_refused(copy: Path, embedder: Embedder) -> None:
    meta = json.loads((copy / "meta.json").read_text())
    meta["embedding_model"] = "sentence-transformers/all-mpnet-base-v2"
    (copy / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(EmbeddingModelMismatchError, match="all-mpnet-base-v2.*not 'all-MiniLM"):
        WikipediaIndex.load(copy, embedder=embedder)


def test_wrong_dimension_and_format(copy: Path, embedder: Embedder) -> None:
    meta = json.loads((copy / "meta.json").read_text())
    (copy / "meta.json").write_text(json.dumps({**meta, "dimension": 768}))
    with pytest.raises(IndexMismatchError, match="768-dimensional vectors"):
        WikipediaIndex.load(copy, embedder=embedder)
    with pytest.raises(IndexCorruptedError, match="metadata says .* dimension 768"):
        WikipediaIndex.load(copy)  # the files themselves disagree with the metadata
    (copy / "meta.json").write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(IndexMismatchError, match="format 99"):
        WikipediaIndex.load(copy)


def test_resave_replaces_files_atomically(copy: Path, small_index: WikipediaIndex) -> None:
    before = json.loads((copy / "meta.json").read_text())["files"]
    small_index.save(copy)
    after = json.loads((copy / "meta.json").read_text())["files"]
    assert before == after
    assert sorted(p.name for p in copy.iterdir()) == sorted([*after, "meta.json"])


def test_quantization_is_the_sentence_transformers_recipe() -> None:
    """Codes written without sentence-transformers equal its ``quantize_embeddings``."""
    from sentence_transformers.util import quantize_embeddings

    from langchain_gba.tools.search.wikipedia.quantized import binarize, to_int8

    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 384)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    ranges = np.vstack([x.min(axis=0), x.max(axis=0)])
    center = x.mean(axis=0)
    expected = quantize_embeddings(x, precision="int8", ranges=ranges)
    np.testing.assert_array_equal(to_int8(x, ranges), expected)
    expected_bits = quantize_embeddings(x - center, precision="ubinary")
    np.testing.assert_array_equal(binarize(x, center), expected_bits)
