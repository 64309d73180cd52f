"""The quantized index as LangChain sees a search backend: a retriever and a read-only vector store.

``WikipediaIndexRetriever`` (``index.as_retriever(k=4)``) and ``WikipediaVectorStore``
(``index.as_vectorstore()``) return LangChain ``Document`` objects: the passage text, and in
``metadata`` its ``title``, ``url`` (also as ``source`` when there is one), ``score`` (cosine
similarity), ``doc_id`` (the document's position in the corpus) and ``passage_id`` (the
passage's position in the index, also the ``Document.id``). ``EmbedderEmbeddings`` offers the
package's :class:`~.embedding.Embedder` to any other store as LangChain ``Embeddings``.

An index is built once from its whole corpus (the int8 ranges and the centre of the sign bits are
calibrated on it), so the store cannot add or delete texts: ``from_texts`` builds a new index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from langchain_core.vectorstores import VectorStore
from langchain_core.vectorstores.utils import maximal_marginal_relevance

from langchain_gba.tools.search.wikipedia.chunking import Passage
from langchain_gba.tools.search.wikipedia.embedding import Embedder
from langchain_gba.tools.search.wikipedia.index import SearchHit, WikipediaIndex

__all__ = [
    "EmbedderEmbeddings",
    "WikipediaIndexRetriever",
    "WikipediaVectorStore",
    "filter_hits",
    "passage_document",
]

_READ_ONLY = (
    "A WikipediaIndex is built once from its whole corpus (its int8 ranges and sign-bit centre "
    "are calibrated on it), so texts cannot be {what} it. Build a new index from all the texts: "
    "WikipediaVectorStore.from_texts(texts, EmbedderEmbeddings(), metadatas), "
    "build_index(docs).save(folder), or `gba index build corpus.jsonl --out my-index`."
)


class EmbedderEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over an :class:`~.embedding.Embedder` (unit vectors, cosine).

    Example:
        .. code-block:: python

            from langchain_community.vectorstores import FAISS
            from langchain_gba.tools.search.wikipedia import EmbedderEmbeddings

            store = FAISS.from_texts(texts, EmbedderEmbeddings())

    Args:
        embedder: the embedder; by default all-MiniLM-L6-v2 for a few texts at a time
            (``Embedder.for_queries()``: NumPy, no PyTorch). Pass ``Embedder()`` (ONNX int8) to
            embed many texts faster.
    """

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.embedder = embedder if embedder is not None else Embedder.for_queries()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text."""
        if not texts:
            return []
        return self.embedder.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        """The vector of one query."""
        return self.embedder.encode([text])[0].tolist()


def passage_document(passage: Passage, passage_id: int, score: float | None = None) -> Document:
    """A passage of the index as a LangChain ``Document`` (metadata as the module says)."""
    metadata: dict[str, Any] = {"title": passage.title, "url": passage.url}
    if passage.url:
        metadata["source"] = passage.url
    metadata["doc_id"] = passage.doc_id
    metadata["passage_id"] = passage_id
    if score is not None:
        metadata["score"] = score
    return Document(page_content=passage.text, metadata=metadata, id=str(passage_id))


def filter_hits(
    hits: Sequence[SearchHit], min_score: float | None, score_margin: float | None
) -> list[SearchHit]:
    """``hits`` (best first) above ``min_score`` and within ``score_margin`` of the best."""
    floor = -np.inf if min_score is None else min_score
    if hits and score_margin is not None:
        floor = max(floor, hits[0].score - score_margin)
    return [h for h in hits if h.score >= floor]


class WikipediaIndexRetriever(BaseRetriever):
    """A LangChain retriever over a :class:`~.index.WikipediaIndex` (``index.as_retriever()``).

    Example:
        .. code-block:: python

            from langchain_gba.tools.search.wikipedia import default_index

            retriever = default_index().as_retriever(k=3)
            docs = retriever.invoke("Who painted the Mona Lisa?")
            docs[0].metadata  # {'title': 'Mona Lisa', 'url': ..., 'score': 0.61, ...}
            retriever.invoke("Who painted the Mona Lisa?", k=1)  # k per call
    """

    index: WikipediaIndex
    """The index searched."""
    k: int = 4
    """Passages returned (at most; fewer when the scores filter some out)."""
    candidates: int = 400
    """Binary candidates rescored with int8 vectors."""
    min_score: float | None = None
    """Cosine similarity below which a passage is left out (None keeps all ``k``)."""
    score_margin: float | None = None
    """Leave out passages that score this much below the best one (None keeps them)."""

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
    ) -> list[Document]:
        hits = self.index.search(query, self.k if k is None else k, candidates=self.candidates)
        hits = filter_hits(hits, self.min_score, self.score_margin)
        return [passage_document(h.passage, h.passage_id, h.score) for h in hits]


class WikipediaVectorStore(VectorStore):
    """A :class:`~.index.WikipediaIndex` as a read-only LangChain ``VectorStore``.

    Scores are cosine similarities (higher is closer); relevance scores clip them to [0, 1].
    Searching, MMR (on the dequantized int8 vectors) and ``get_by_ids`` (the passage positions)
    work; adding and deleting texts raise ``NotImplementedError``: build a new index instead
    (:meth:`from_texts`, ``build_index``, ``gba index build``).

    Example:
        .. code-block:: python

            from langchain_gba.tools.search.wikipedia import default_index

            store = default_index().as_vectorstore()
            for doc, score in store.similarity_search_with_score("Mona Lisa painter", k=3):
                print(f"{score:.2f} {doc.metadata['title']}")
            retriever = store.as_retriever(search_type="mmr", search_kwargs={"k": 3})

    Args:
        index: the index.
        candidates: binary candidates rescored with int8 vectors (per call: ``candidates=``).
    """

    def __init__(self, index: WikipediaIndex, *, candidates: int = 400) -> None:
        self.index = index
        self.candidates = candidates

    @property
    def embeddings(self) -> Embeddings:
        """The index's query embedder as LangChain ``Embeddings``."""
        return EmbedderEmbeddings(self.index.embedder)

    # -- search ------------------------------------------------------------------------------

    def similarity_search_with_score_by_vector(
        self, embedding: Sequence[float], k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """The ``k`` passages closest to a query vector, with their cosine similarity."""
        candidates = _candidates(self.candidates, kwargs)
        vector = np.asarray(embedding, dtype=np.float32)[None]
        scores, ids = self.index.vectors.search(vector, k, candidates=candidates)
        return [
            (passage_document(self.index.passages[i], int(i), float(s)), float(s))
            for s, i in zip(scores[0], ids[0], strict=True)
            if i >= 0
        ]

    def similarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """The ``k`` passages most similar to ``query``, with their cosine similarity."""
        candidates = _candidates(self.candidates, kwargs)
        hits = self.index.search(query, k, candidates=candidates)
        return [(passage_document(h.passage, h.passage_id, h.score), h.score) for h in hits]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """The ``k`` passages most similar to ``query`` (``metadata["score"]``: cosine)."""
        return [doc for doc, _ in self.similarity_search_with_score(query, k, **kwargs)]

    def similarity_search_by_vector(
        self, embedding: list[float], k: int = 4, **kwargs: Any
    ) -> list[Document]:
        """The ``k`` passages closest to a query vector."""
        pairs = self.similarity_search_with_score_by_vector(embedding, k, **kwargs)
        return [doc for doc, _ in pairs]

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        return _clip_unit

    def max_marginal_relevance_search_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        **kwargs: Any,
    ) -> list[Document]:
        """``k`` of the ``fetch_k`` closest passages, chosen for relevance and diversity (MMR)."""
        fetched = self.similarity_search_with_score_by_vector(embedding, fetch_k, **kwargs)
        if not fetched:
            return []
        ids = np.array([doc.metadata["passage_id"] for doc, _ in fetched])
        vectors = self.index.vectors.dequantize(ids)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        chosen = maximal_marginal_relevance(
            np.asarray(embedding, dtype=np.float32),
            vectors.tolist(),
            lambda_mult=lambda_mult,
            k=min(k, len(fetched)),
        )
        return [fetched[i][0] for i in chosen]

    def max_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        **kwargs: Any,
    ) -> list[Document]:
        """MMR for a query text (see :meth:`max_marginal_relevance_search_by_vector`)."""
        vector = self.index.embedder.encode([query])[0]
        return self.max_marginal_relevance_search_by_vector(
            vector.tolist(), k, fetch_k, lambda_mult, **kwargs
        )

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """The passages whose ``Document.id`` (position in the index) is in ``ids``."""
        found = []
        for key in dict.fromkeys(ids):
            position = int(key) if str(key).isdigit() else -1
            if 0 <= position < len(self.index.passages):
                found.append(passage_document(self.index.passages[position], position))
        return found

    # -- building ----------------------------------------------------------------------------

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Not supported: an index cannot grow (build a new one; see :meth:`from_texts`)."""
        raise NotImplementedError(_READ_ONLY.format(what="added to"))

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        """Not supported: an index cannot shrink (build a new one; see :meth:`from_texts`)."""
        raise NotImplementedError(_READ_ONLY.format(what="deleted from"))

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict] | None = None,
        *,
        ids: list[str] | None = None,
        candidates: int = 400,
        show_progress: bool = False,
        **kwargs: Any,
    ) -> WikipediaVectorStore:
        """Build a new quantized index of ``texts`` (chunked to the model's window) and wrap it.

        Each text keeps a title and a url, from its metadata's ``title`` and ``url`` (else
        ``source``); other metadata keys are not stored. Chunking needs
        ``langchain-text-splitters`` (the ``search`` extra).

        Args:
            texts: the texts.
            embedding: an :class:`EmbedderEmbeddings`: the index records its model and embeds
                queries with it.
            metadatas: one dict per text.
            ids: not supported (a passage's id is its position): pass None.
            candidates: see the class.
            show_progress: show a progress bar while embedding.
            **kwargs: more arguments of ``build_index`` (``batch_size``, ``overlap``,
                ``nlist``, ``corpus``).

        Raises:
            TypeError: ``embedding`` is not an :class:`EmbedderEmbeddings`.
            ValueError: ``ids`` are given, or ``metadatas`` does not match ``texts``.
        """
        from langchain_gba.tools.search.wikipedia.builder import build_index
        from langchain_gba.tools.search.wikipedia.corpus import Document as CorpusDocument

        if not isinstance(embedding, EmbedderEmbeddings):
            msg = (
                "WikipediaVectorStore embeds with the package's Embedder (its model is recorded "
                f"in the index): pass EmbedderEmbeddings(Embedder(...)), not "
                f"{type(embedding).__name__}."
            )
            raise TypeError(msg)
        if ids is not None:
            msg = "WikipediaVectorStore numbers its passages itself (Document.id); pass ids=None."
            raise ValueError(msg)
        texts = list(texts)
        metas = list(metadatas) if metadatas is not None else [{} for _ in texts]
        if len(metas) != len(texts):
            msg = f"{len(metas)} metadatas for {len(texts)} texts."
            raise ValueError(msg)
        docs = [
            CorpusDocument(
                str(m.get("title") or ""), text, str(m.get("url") or m.get("source") or "")
            )
            for text, m in zip(texts, metas, strict=True)
        ]
        kwargs.setdefault("corpus", "from_texts")
        index = build_index(
            docs, embedder=embedding.embedder, show_progress=show_progress, **kwargs
        )
        return cls(index, candidates=candidates)

    @classmethod
    def from_documents(
        cls, documents: list[Document], embedding: Embeddings, **kwargs: Any
    ) -> WikipediaVectorStore:
        """Build a new index of ``documents`` (see :meth:`from_texts`; their ids are not kept)."""
        texts = [d.page_content for d in documents]
        metadatas = [d.metadata for d in documents]
        return cls.from_texts(texts, embedding, metadatas=metadatas, **kwargs)


def _candidates(default: int, kwargs: dict[str, Any]) -> int:
    """The ``candidates`` of a call; any other search argument is refused, not ignored."""
    candidates = int(kwargs.pop("candidates", default))
    if kwargs:
        msg = (
            f"WikipediaVectorStore does not support {', '.join(map(repr, kwargs))} "
            "(only candidates=...; metadata filters are not supported)."
        )
        raise TypeError(msg)
    return candidates


def _clip_unit(score: float) -> float:
    return min(1.0, max(0.0, score))
