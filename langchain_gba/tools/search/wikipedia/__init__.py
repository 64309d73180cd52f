"""``search_wikipedia``: a local Wikipedia index (quantized FAISS) and the tool that searches it."""

from langchain_gba.tools.search.wikipedia.builder import (
    build_index,
    default_index,
    default_index_path,
)
from langchain_gba.tools.search.wikipedia.chunking import Passage, chunk_documents
from langchain_gba.tools.search.wikipedia.corpus import (
    BUILTIN_CORPORA,
    DEFAULT_CORPUS,
    Document,
    corpus_checksum,
    load_corpus,
    load_jsonl,
    load_wiki_offline,
)
from langchain_gba.tools.search.wikipedia.embedding import (
    DEFAULT_EMBEDDING_MODEL,
    Embedder,
    EmbeddingBackend,
)
from langchain_gba.tools.search.wikipedia.index import IndexMetadata, SearchHit, WikipediaIndex
from langchain_gba.tools.search.wikipedia.quantized import QuantizedVectors
from langchain_gba.tools.search.wikipedia.rerank import CrossEncoderReranker, Reranker
from langchain_gba.tools.search.wikipedia.tool import WikipediaSearchTool

__all__ = [
    "BUILTIN_CORPORA",
    "CrossEncoderReranker",
    "DEFAULT_CORPUS",
    "DEFAULT_EMBEDDING_MODEL",
    "Document",
    "Embedder",
    "EmbeddingBackend",
    "IndexMetadata",
    "Passage",
    "QuantizedVectors",
    "Reranker",
    "SearchHit",
    "WikipediaIndex",
    "WikipediaSearchTool",
    "build_index",
    "chunk_documents",
    "corpus_checksum",
    "default_index",
    "default_index_path",
    "load_corpus",
    "load_jsonl",
    "load_wiki_offline",
]
