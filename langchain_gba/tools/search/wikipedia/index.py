"""``WikipediaIndex``: passages, their quantized vectors and the metadata that ties them together.

On disk an index is a folder:

``meta.json``
    format version, embedding model, backend and window, dimension, quantization, counts,
    corpus checksum, and the size and SHA-256 of every other file. Written last.
``binary.faiss``
    the FAISS ``IndexBinaryFlat`` of sign bits (held in memory: 1 bit per dimension).
``int8.npy``
    the int8 codes for rescoring (memory-mapped on load: 1 byte per dimension, on disk).
``calibration.npy``
    per-dimension minimum, maximum and mean (int8 ranges and the centre of the sign bits).
``passages.jsonl``
    one passage per line: document id, title, url, text.

Every file is written to a temporary name and moved into place (``os.replace``), so a killed
build never leaves a half-written file under a real name, and a load checks every file against
the metadata: a truncated or foreign file is a :class:`IndexCorruptedError`, another embedding
model an :class:`EmbeddingModelMismatchError`, another dimension or format an
:class:`IndexMismatchError`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from langchain_gba._files import atomic_write, sha256_file
from langchain_gba.tools.search.exceptions import (
    EmbeddingModelMismatchError,
    IndexCorruptedError,
    IndexMismatchError,
)
from langchain_gba.tools.search.wikipedia.chunking import Passage
from langchain_gba.tools.search.wikipedia.embedding import Embedder
from langchain_gba.tools.search.wikipedia.quantized import QuantizedVectors

if TYPE_CHECKING:
    from langchain_gba.tools.search.wikipedia.vectorstore import (
        WikipediaIndexRetriever,
        WikipediaVectorStore,
    )

__all__ = ["FORMAT_VERSION", "IndexMetadata", "SearchHit", "WikipediaIndex"]

FORMAT_VERSION = 1
META = "meta.json"
BINARY = "binary.faiss"
INT8 = "int8.npy"
CALIBRATION = "calibration.npy"
PASSAGES = "passages.jsonl"


@dataclass(frozen=True)
class IndexMetadata:
    """What ``meta.json`` records about an index."""

    embedding_model: str
    embedding_backend: str
    max_seq_length: int
    dimension: int
    count: int
    """Number of passages (= vectors)."""
    documents: int
    corpus_checksum: str
    corpus: str = ""
    """Where the corpus came from (a built-in name or a file path), for humans."""
    quantization: dict[str, Any] = field(
        default_factory=lambda: {
            "candidates": "binary sign bits of centred vectors, FAISS IndexBinaryFlat (Hamming)",
            "rescore": "int8 per-dimension ranges, float query",
            "bytes_per_vector_in_memory": None,
            "bytes_per_vector_mapped": None,
        }
    )
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    """File name → ``{"bytes": ..., "sha256": ...}``."""
    format_version: int = FORMAT_VERSION
    created: str = ""

    @classmethod
    def read(cls, folder: Path) -> IndexMetadata:
        """Read ``meta.json`` from ``folder``.

        Raises:
            IndexCorruptedError: no index there, or its metadata is unreadable.
            IndexMismatchError: another format version.
        """
        path = folder / META
        if not path.is_file():
            msg = (
                f"No index at {folder} (no {META}). Build one with `gba index build` "
                "or build_index(docs).save(folder)."
            )
            raise IndexCorruptedError(msg)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            msg = f"{path} is not valid JSON ({e}); rebuild the index."
            raise IndexCorruptedError(msg) from e
        version = data.get("format_version") if isinstance(data, dict) else None
        if version != FORMAT_VERSION:
            msg = (
                f"{path} has index format {version!r}; this version of langchain-gba reads "
                f"format {FORMAT_VERSION}. Rebuild the index."
            )
            raise IndexMismatchError(msg)
        try:
            return cls(**data)
        except TypeError as e:
            msg = f"{path} lacks fields or has unknown ones ({e}); rebuild the index."
            raise IndexCorruptedError(msg) from e


@dataclass(frozen=True)
class SearchHit:
    """A retrieved passage and its cosine similarity to the query."""

    passage: Passage
    score: float
    passage_id: int = -1
    """The passage's position in the index (-1 when unknown)."""


class WikipediaIndex:
    """A searchable index of passages over a quantized FAISS index.

    Example:
        .. code-block:: python

            from langchain_gba.tools.search.wikipedia import (
                WikipediaIndex,
                build_index,
                load_corpus,
            )

            index = build_index(load_corpus("wiki-offline-en"))  # progress bar
            index.save("wiki-index")
            index = WikipediaIndex.load("wiki-index")
            for hit in index.search("Who painted the Mona Lisa?", k=3):
                print(f"{hit.score:.2f} {hit.passage.title}")

    ``default_index()`` builds the built-in corpus once into the cache folder and reuses it.
    ``index.as_retriever(k=4)`` and ``index.as_vectorstore()`` hand it to other LangChain chains.
    """

    def __init__(
        self,
        vectors: QuantizedVectors,
        passages: Sequence[Passage],
        metadata: IndexMetadata,
        embedder: Embedder | None = None,
    ) -> None:
        self.vectors = vectors
        self.passages = list(passages)
        self.metadata = metadata
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder:
        """The embedder for queries: the one given, or one made from the metadata on first use.

        The one made is :meth:`Embedder.for_queries`: NumPy for the default model (no PyTorch).
        """
        if self._embedder is None:
            m = self.metadata
            self._embedder = Embedder.for_queries(
                m.embedding_model,
                backend=m.embedding_backend,  # type: ignore[arg-type]
                max_seq_length=m.max_seq_length,
            )
        return self._embedder

    def __len__(self) -> int:
        return len(self.passages)

    def search(self, query: str, k: int = 5, *, candidates: int = 400) -> list[SearchHit]:
        """The ``k`` passages most similar to ``query``, best first."""
        vector = self.embedder.encode([query])
        scores, ids = self.vectors.search(vector, k, candidates=candidates)
        return [
            SearchHit(self.passages[i], float(s), int(i))
            for s, i in zip(scores[0], ids[0], strict=True)
            if i >= 0
        ]

    def as_retriever(
        self,
        k: int = 4,
        *,
        candidates: int = 400,
        min_score: float | None = None,
        score_margin: float | None = None,
        **kwargs: Any,
    ) -> WikipediaIndexRetriever:
        """This index as a LangChain retriever of ``k`` passages (``Document`` objects).

        Args:
            k: passages per query (``retriever.invoke(query, k=...)`` per call).
            candidates: binary candidates rescored with int8 vectors.
            min_score: leave out passages below this cosine similarity.
            score_margin: leave out passages this much below the best one.
            **kwargs: other ``BaseRetriever`` fields (``tags``, ``metadata``).
        """
        from langchain_gba.tools.search.wikipedia.vectorstore import WikipediaIndexRetriever

        return WikipediaIndexRetriever(
            index=self,
            k=k,
            candidates=candidates,
            min_score=min_score,
            score_margin=score_margin,
            **kwargs,
        )

    def as_vectorstore(self, *, candidates: int = 400) -> WikipediaVectorStore:
        """This index as a read-only LangChain ``VectorStore`` (search, MMR, ``get_by_ids``)."""
        from langchain_gba.tools.search.wikipedia.vectorstore import WikipediaVectorStore

        return WikipediaVectorStore(self, candidates=candidates)

    # -- persistence ---------------------------------------------------------------------------

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write the index into ``folder`` (created if needed); returns the folder."""
        import faiss

        root = Path(folder)
        root.mkdir(parents=True, exist_ok=True)
        (root / META).unlink(missing_ok=True)  # an interrupted save reads as "no index"
        v = self.vectors

        def write_binary(tmp: Path) -> None:
            faiss.write_index_binary(v.binary, str(tmp))

        writers = {
            BINARY: write_binary,
            INT8: lambda tmp: _save_npy(tmp, np.asarray(v.int8)),
            CALIBRATION: lambda tmp: _save_npy(tmp, np.vstack([v.ranges, v.center[None]])),
            PASSAGES: lambda tmp: write_passages(tmp, self.passages),
        }
        files = {}
        for name, write in writers.items():
            atomic_write(root / name, write)
            files[name] = {
                "bytes": (root / name).stat().st_size,
                "sha256": sha256_file(root / name),
            }
        quantization = dict(self.metadata.quantization)
        quantization["bytes_per_vector_in_memory"] = v.bytes_in_memory_per_vector
        quantization["bytes_per_vector_mapped"] = v.bytes_mapped_per_vector
        created = self.metadata.created or datetime.now(UTC).isoformat(timespec="seconds")
        meta = {
            **asdict(self.metadata),
            "files": files,
            "quantization": quantization,
            "created": created,
        }
        self.metadata = IndexMetadata(**meta)
        text = json.dumps(meta, indent=2, ensure_ascii=False)

        def write_meta(tmp: Path) -> None:
            tmp.write_text(text, encoding="utf-8")

        atomic_write(root / META, write_meta)
        return root

    @classmethod
    def load(
        cls,
        folder: str | os.PathLike[str],
        *,
        embedder: Embedder | None = None,
        mmap: bool = True,
        verify_checksums: bool = False,
    ) -> WikipediaIndex:
        """Open a saved index, checking it against its metadata.

        Args:
            folder: the folder :meth:`save` wrote.
            embedder: the query embedder; it must be the model the index was built with. By
                default one is made from the metadata when the first query comes.
            mmap: memory-map the int8 codes instead of reading them into memory.
            verify_checksums: also compare every file's SHA-256 (sizes are always checked).

        Raises:
            IndexCorruptedError: a file is missing, truncated or inconsistent with the metadata.
            IndexMismatchError: another format version, or ``embedder`` has another dimension.
            EmbeddingModelMismatchError: ``embedder`` is another model than the index's.
        """
        import faiss

        root = Path(folder)
        meta = IndexMetadata.read(root)
        if embedder is not None:
            _check_embedder(meta, embedder, root)
        for name in (BINARY, INT8, CALIBRATION, PASSAGES):
            _check_file(root, name, meta, verify_checksums)
        try:
            binary = faiss.read_index_binary(str(root / BINARY))
            int8 = np.load(root / INT8, mmap_mode="r" if mmap else None, allow_pickle=False)
            calibration = np.load(root / CALIBRATION, allow_pickle=False)
            with (root / PASSAGES).open(encoding="utf-8") as lines:
                records = [json.loads(line) for line in lines]
            passages = [Passage(r["doc"], r["title"], r["url"], r["text"]) for r in records]
        except (RuntimeError, ValueError, KeyError, OSError) as e:
            msg = f"The index at {root} cannot be read ({e}); rebuild it."
            raise IndexCorruptedError(msg) from e
        shapes = {
            "binary vectors": (binary.ntotal, binary.d),
            "int8 codes": int8.shape,
            "passages": (len(passages), meta.dimension),
        }
        for what, shape in shapes.items():
            if tuple(shape) != (meta.count, meta.dimension):
                msg = (
                    f"The index at {root} has {what} of shape {tuple(shape)}, but its metadata "
                    f"says {meta.count} vectors of dimension {meta.dimension}; rebuild it."
                )
                raise IndexCorruptedError(msg)
        vectors = QuantizedVectors(
            binary=binary, int8=int8, ranges=calibration[:2], center=calibration[2]
        )
        return cls(vectors, passages, meta, embedder)


def _check_embedder(meta: IndexMetadata, embedder: Embedder, root: Path) -> None:
    if embedder.model_id != meta.embedding_model:
        msg = (
            f"The index at {root} was built with the embedding model {meta.embedding_model!r}, "
            f"not {embedder.model_id!r}: its vectors cannot be compared. Search it with "
            f"{meta.embedding_model!r} or rebuild it with the new model."
        )
        raise EmbeddingModelMismatchError(msg)
    if embedder.dimension != meta.dimension:
        msg = (
            f"The index at {root} holds {meta.dimension}-dimensional vectors, but the embedder "
            f"makes {embedder.dimension}-dimensional ones. Rebuild the index with this embedder."
        )
        raise IndexMismatchError(msg)


def _check_file(root: Path, name: str, meta: IndexMetadata, verify_checksum: bool) -> None:
    path = root / name
    expected = meta.files.get(name)
    if expected is None or not path.is_file():
        msg = f"The index at {root} lacks {name}; rebuild it."
        raise IndexCorruptedError(msg)
    size = path.stat().st_size
    if size != expected["bytes"]:
        state = "truncated" if size < expected["bytes"] else "larger than recorded"
        msg = (
            f"{path} is {state}: {size} bytes, metadata says {expected['bytes']}. "
            "Rebuild the index."
        )
        raise IndexCorruptedError(msg)
    if verify_checksum and sha256_file(path) != expected["sha256"]:
        msg = f"{path} does not match the SHA-256 in {META}; rebuild the index."
        raise IndexCorruptedError(msg)


def write_passages(path: Path, passages: Sequence[Passage]) -> None:
    """Write ``passages.jsonl``: one ``{"doc", "title", "url", "text"}`` object per line."""
    with path.open("w", encoding="utf-8") as out:
        for p in passages:
            record = {"doc": p.doc_id, "title": p.title, "url": p.url, "text": p.text}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _save_npy(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as out:
        np.save(out, array, allow_pickle=False)
