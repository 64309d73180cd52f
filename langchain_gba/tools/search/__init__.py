"""The agent's knowledge tools: ``search_wikipedia`` (local) and ``search_internet`` (SearXNG).

Both need the ``search`` extra: ``pip install 'langchain-gba[search]'``.
"""

from langchain_gba.tools.search.exceptions import (
    CorpusError,
    EmbeddingModelMismatchError,
    FetchError,
    IndexCorruptedError,
    IndexMismatchError,
    RetrieverError,
    SearchIndexError,
    SearxngError,
    UnsafeURLError,
)
from langchain_gba.tools.search.internet import InternetSearchTool
from langchain_gba.tools.search.wikipedia import WikipediaIndex, WikipediaSearchTool

__all__ = [
    "CorpusError",
    "EmbeddingModelMismatchError",
    "FetchError",
    "IndexCorruptedError",
    "IndexMismatchError",
    "InternetSearchTool",
    "RetrieverError",
    "SearchIndexError",
    "SearxngError",
    "UnsafeURLError",
    "WikipediaIndex",
    "WikipediaSearchTool",
]
