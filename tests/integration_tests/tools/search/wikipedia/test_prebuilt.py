from __future__ import annotations

import json
from pathlib import Path

import pytest

from langchain_gba.tools.search.wikipedia import (
    DEFAULT_CORPUS,
    Document,
    WikipediaIndex,
    load_corpus,
    prebuilt,
)


@pytest.fixture
def shipped(
    index_dir: Path, small_corpus: list[Document], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The small index exported as the package ships an index, under a private prebuilt folder."""
    monkeypatch.setattr(prebuilt, "PREBUILT_DIR", tmp_path / "prebuilt")
    return prebuilt.export_prebuilt(index_dir, small_corpus, prebuilt.prebuilt_path("test"))


def test_export_keeps_spans_instead_of_text(shipped: Path, index_dir: Path) -> None:
    files = {f.name for f in shipped.iterdir()}
    assert files == {"meta.json", "binary.faiss", "int8.npy", "calibration.npy", "spans.json"}
    spans = json.loads((shipped / "spans.json").read_text())
    assert all(len(s) == 3 for s in spans), "every passage is a span of its document"
    assert (shipped / "spans.json").stat().st_size < (index_dir / "passages.jsonl").stat().st_size


def test_install_assembles_the_same_index(
    shipped: Path, index_dir: Path, small_corpus: list[Document], tmp_path: Path
) -> None:
    folder = tmp_path / "cache" / "index"
    assert prebuilt.install_prebuilt("test", small_corpus, folder)
    installed = WikipediaIndex.load(folder, verify_checksums=True)
    original = WikipediaIndex.load(index_dir)
    assert installed.passages == original.passages
    assert installed.metadata == original.metadata
    assert installed.search("Who painted the Mona Lisa?", 1)[0].passage.title == "Mona Lisa"


def test_install_refuses_another_corpus_or_a_tampered_file(
    shipped: Path, small_corpus: list[Document], tmp_path: Path
) -> None:
    folder = tmp_path / "index"
    changed = [*small_corpus[:-1], Document("Other", "A newer release of the corpus.")]
    assert not prebuilt.install_prebuilt("test", changed, folder)
    assert not prebuilt.install_prebuilt("no-such-corpus", small_corpus, folder)
    codes = (shipped / "int8.npy").read_bytes()
    (shipped / "int8.npy").write_bytes(codes[:-1] + bytes([codes[-1] ^ 1]))  # same size
    assert not prebuilt.install_prebuilt("test", small_corpus, folder)
    assert not (folder / "meta.json").exists(), "a refused install leaves no index behind"


def test_the_shipped_index_fits_the_installed_corpus(tmp_path: Path) -> None:
    """The index in the package was built from this corpus release (else: rebuild and ship)."""
    docs = load_corpus(DEFAULT_CORPUS)
    assert prebuilt.install_prebuilt(DEFAULT_CORPUS, docs, tmp_path / "index")
    index = WikipediaIndex.load(tmp_path / "index", verify_checksums=True)
    assert index.metadata.documents == len(docs)
    hits = index.search("Who wrote the novel Nineteen Eighty-Four?", 3)
    assert "Nineteen Eighty-Four" in [h.passage.title for h in hits]
