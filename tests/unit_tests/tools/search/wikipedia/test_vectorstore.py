"""The index as a LangChain vector store and retriever, on an in-memory index (no model)."""

from __future__ import annotations

import numpy as np
import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_gba.tools.search.wikipedia import (
    IndexMetadata,
    Passage,
    QuantizedVectors,
    SearchHit,
    WikipediaIndex,
    WikipediaIndexRetriever,
    WikipediaVectorStore,
)
from langchain_gba.tools.search.wikipedia.vectorstore import filter_hits, passage_document

DIM = 32


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return _unit(np.random.default_rng(0).standard_normal((60, DIM)))


@pytest.fixture(scope="module")
def store(vectors: np.ndarray) -> WikipediaVectorStore:
    passages = [
        Passage(i // 2, f"Article {i // 2}", f"https://example.org/{i // 2}", f"passage {i}")
        for i in range(len(vectors))
    ]
    metadata = IndexMetadata(
        embedding_model="none",
        embedding_backend="numpy",
        max_seq_length=128,
        dimension=DIM,
        count=len(passages),
        documents=len(passages) // 2,
        corpus_checksum="",
    )
    index = WikipediaIndex(QuantizedVectors.from_embeddings(vectors), passages, metadata)
    return index.as_vectorstore(candidates=60)


def test_passage_document_metadata() -> None:
    doc = passage_document(Passage(3, "Paris", "https://x/Paris", "Paris is a city."), 7, 0.5)
    assert doc.id == "7" and doc.page_content == "Paris is a city."
    assert doc.metadata == {
        "title": "Paris",
        "url": "https://x/Paris",
        "source": "https://x/Paris",
        "doc_id": 3,
        "passage_id": 7,
        "score": 0.5,
    }
    bare = passage_document(Passage(0, "Note", "", "text"), 0)
    assert "source" not in bare.metadata and "score" not in bare.metadata


def test_filter_hits_by_floor_and_margin() -> None:
    hits = [SearchHit(Passage(i, "", "", ""), s, i) for i, s in enumerate([0.8, 0.7, 0.5, 0.3])]
    assert [h.score for h in filter_hits(hits, None, None)] == [0.8, 0.7, 0.5, 0.3]
    assert [h.score for h in filter_hits(hits, 0.4, None)] == [0.8, 0.7, 0.5]
    assert [h.score for h in filter_hits(hits, 0.4, 0.15)] == [0.8, 0.7]
    assert filter_hits([], 0.4, 0.1) == []


def test_search_by_vector_finds_the_vector_itself(
    store: WikipediaVectorStore, vectors: np.ndarray
) -> None:
    pairs = store.similarity_search_with_score_by_vector(vectors[17].tolist(), k=3)
    assert len(pairs) == 3
    doc, score = pairs[0]
    assert doc.id == "17" and doc.metadata["passage_id"] == 17 and doc.metadata["doc_id"] == 8
    assert score == pytest.approx(1.0, abs=0.02) and doc.metadata["score"] == score
    assert [s for _, s in pairs] == sorted((s for _, s in pairs), reverse=True)
    docs = store.similarity_search_by_vector(vectors[17].tolist(), k=2)
    assert [d.id for d in docs] == [d.id for d, _ in pairs[:2]]


def test_relevance_scores_are_clipped_to_unit_range(store: WikipediaVectorStore) -> None:
    assert store._select_relevance_score_fn()(-0.3) == 0.0
    assert store._select_relevance_score_fn()(0.42) == 0.42
    assert store._select_relevance_score_fn()(1.01) == 1.0


def test_mmr_by_vector_picks_distinct_passages(
    store: WikipediaVectorStore, vectors: np.ndarray
) -> None:
    query = _unit(vectors[5] + 0.9 * vectors[6])
    plain = store.similarity_search_by_vector(query.tolist(), k=4)
    mmr = store.max_marginal_relevance_search_by_vector(
        query.tolist(), k=4, fetch_k=20, lambda_mult=0.3
    )
    assert len(mmr) == 4 and len({d.id for d in mmr}) == 4
    assert mmr[0].id == plain[0].id, "the most relevant passage comes first"
    assert {d.id for d in mmr} <= {
        d.id for d in store.similarity_search_by_vector(query.tolist(), k=20)
    }


def test_get_by_ids_are_positions(store: WikipediaVectorStore) -> None:
    docs = store.get_by_ids(["4", "4", "not-an-id", "999", "0"])
    assert [d.id for d in docs] == ["4", "0"]
    assert docs[0].page_content == "passage 4" and docs[0].metadata["title"] == "Article 2"


def test_the_store_is_read_only(store: WikipediaVectorStore) -> None:
    with pytest.raises(NotImplementedError, match="gba index build"):
        store.add_texts(["more"])
    with pytest.raises(NotImplementedError, match="cannot be added"):
        store.add_documents([Document("more")])
    with pytest.raises(NotImplementedError, match="cannot be deleted"):
        store.delete(["1"])


def test_unknown_search_arguments_are_refused(
    store: WikipediaVectorStore, vectors: np.ndarray
) -> None:
    with pytest.raises(TypeError, match="'filter'"):
        store.similarity_search_by_vector(vectors[0].tolist(), k=2, filter={"title": "x"})
    found = store.similarity_search_by_vector(vectors[0].tolist(), k=2, candidates=10)
    assert found[0].id == "0"


def test_from_texts_wants_the_package_embedder() -> None:
    with pytest.raises(TypeError, match="EmbedderEmbeddings"):
        WikipediaVectorStore.from_texts(["a"], DeterministicFakeEmbedding(size=DIM))


def test_as_retriever_carries_its_settings(store: WikipediaVectorStore) -> None:
    retriever = store.index.as_retriever(k=2, candidates=30, min_score=0.2, score_margin=0.1)
    assert isinstance(retriever, WikipediaIndexRetriever)
    assert (retriever.k, retriever.candidates, retriever.min_score, retriever.score_margin) == (
        2,
        30,
        0.2,
        0.1,
    )
    assert retriever.index is store.index
