"""Optional reranking of retrieved passages with a cross-encoder."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from langchain_gba.tools.search.wikipedia.index import SearchHit

__all__ = ["CrossEncoderReranker", "Reranker"]


@runtime_checkable
class Reranker(Protocol):
    """Scores (query, passage) pairs; higher is more relevant."""

    def score(self, query: str, texts: Sequence[str]) -> list[float]:
        """One relevance score per text."""
        ...


class CrossEncoderReranker:
    """A sentence-transformers ``CrossEncoder`` (e.g. a local copy of ms-marco-MiniLM-L-6-v2).

    Args:
        model: a cross-encoder model folder, or a Hub name already in the local cache.
        max_length: tokens per (query, passage) pair.
    """

    def __init__(self, model: str | os.PathLike[str], *, max_length: int = 256) -> None:
        try:
            from sentence_transformers import CrossEncoder
        except ImportError as e:
            msg = "CrossEncoderReranker needs: pip install 'langchain-gba[search]'"
            raise ImportError(msg) from e

        self.model = CrossEncoder(os.fspath(model), device="cpu", max_length=max_length)

    def score(self, query: str, texts: Sequence[str]) -> list[float]:
        """Cross-encoder scores of ``query`` with each text."""
        if not texts:
            return []
        return [float(s) for s in self.model.predict([(query, t) for t in texts])]


def rerank(reranker: Reranker, query: str, hits: Sequence[SearchHit]) -> list[SearchHit]:
    """``hits`` reordered by ``reranker`` (stable for ties)."""
    scores = reranker.score(query, [h.passage.embedding_text() for h in hits])
    order = sorted(range(len(hits)), key=lambda i: -scores[i])
    return [hits[i] for i in order]
