from __future__ import annotations

from pathlib import Path

import pytest

from langchain_gba.tools.search.wikipedia import Document, Embedder, WikipediaIndex, builder


@pytest.fixture
def tiny_builtin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, small_corpus, embedder):  # type: ignore[no-untyped-def]
    """The demo index machinery on 20 real articles, in a private cache folder."""
    docs: list[Document] = list(small_corpus[:20])
    monkeypatch.setenv("GBA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(builder, "load_corpus", lambda name: docs)
    monkeypatch.setattr(builder, "Embedder", lambda *a, **k: embedder)
    builds: list[int] = []
    real_build = builder.build_index

    def counting_build(*args, **kwargs):  # type: ignore[no-untyped-def]
        builds.append(1)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(builder, "build_index", counting_build)
    return docs, builds


def test_default_index_is_built_once_then_loaded(tiny_builtin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    docs, builds = tiny_builtin
    first = builder.default_index(show_progress=False)
    folder = builder.default_index_path()
    assert folder.is_relative_to(tmp_path / "cache")
    assert (folder / "meta.json").is_file() and len(builds) == 1
    second = builder.default_index(show_progress=False)
    assert len(builds) == 1, "the second call loads the saved index"
    assert second.metadata == first.metadata and second.passages == first.passages
    assert second.search("Mona Lisa painting", 1)[0].passage.title == "Mona Lisa"


def test_default_index_rebuilds_when_the_corpus_changes_or_breaks(tiny_builtin) -> None:  # type: ignore[no-untyped-def]
    docs, builds = tiny_builtin
    builder.default_index(show_progress=False)
    docs.append(Document("New article", "Text added by a newer corpus release."))
    index = builder.default_index(show_progress=False)
    assert len(builds) == 2 and index.metadata.documents == 21
    (builder.default_index_path() / "int8.npy").write_bytes(b"broken")
    builder.default_index(show_progress=False)
    assert len(builds) == 3
    assert WikipediaIndex.load(builder.default_index_path()).metadata.documents == 21


def test_build_shows_progress(small_corpus, embedder: Embedder, capsys) -> None:  # type: ignore[no-untyped-def]
    index = builder.build_index(small_corpus[:8], embedder=embedder, show_progress=True)
    assert len(index) >= 8
    err = capsys.readouterr().err
    assert "Chunking" in err and "Embedding" in err
