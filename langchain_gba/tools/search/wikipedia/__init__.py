"""``search_wikipedia``: a local Wikipedia index (quantized FAISS) and the tool that searches it.

The index is also a LangChain retriever and vector store (``WikipediaIndexRetriever``,
``WikipediaVectorStore``), and the tool searches any LangChain retriever (``retriever=``).
"""

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
from langchain_gba.tools.search.wikipedia.tool import WikipediaSearchTool, documents_to_sources
from langchain_gba.tools.search.wikipedia.vectorstore import (
    EmbedderEmbeddings,
    WikipediaIndexRetriever,
    WikipediaVectorStore,
)

__all__ = [
    "BUILTIN_CORPORA",
    "CrossEncoderReranker",
    "DEFAULT_CORPUS",
    "DEFAULT_EMBEDDING_MODEL",
    "Document",
    "Embedder",
    "EmbedderEmbeddings",
    "EmbeddingBackend",
    "IndexMetadata",
    "Passage",
    "QuantizedVectors",
    "Reranker",
    "SearchHit",
    "WikipediaIndex",
    "WikipediaIndexRetriever",
    "WikipediaSearchTool",
    "WikipediaVectorStore",
    "build_index",
    "chunk_documents",
    "corpus_checksum",
    "default_index",
    "default_index_path",
    "documents_to_sources",
    "load_corpus",
    "load_jsonl",
    "load_wiki_offline",
]
