"""Named errors of the search tools, each a :class:`~langchain_gba.exceptions.GBAError`."""

from __future__ import annotations

from langchain_gba.exceptions import GBAError, ToolError

__all__ = [
    "CorpusError",
    "EmbeddingModelMismatchError",
    "IndexCorruptedError",
    "IndexMismatchError",
    "RetrieverError",
    "SearchIndexError",
    "SearxngError",
    "UnsafeURLError",
    "FetchError",
]


class SearchIndexError(GBAError):
    """Base class of the errors about a Wikipedia index on disk."""


class IndexCorruptedError(SearchIndexError, ValueError):
    """An index file is missing, truncated or does not match the sizes its metadata records."""


class IndexMismatchError(SearchIndexError, ValueError):
    """An index was built differently from what the loader expects (format, dimension)."""


class EmbeddingModelMismatchError(IndexMismatchError):
    """The index was built with another embedding model than the one given to search it."""


class CorpusError(GBAError, ValueError):
    """A corpus file cannot be read (missing, bad JSON, missing fields)."""


class UnsafeURLError(GBAError, ValueError):
    """A URL was refused: not http(s), or it resolves to a private, loopback or reserved address."""


class FetchError(GBAError):
    """A page could not be fetched (timeout, too large, wrong content type, too many redirects)."""


class SearxngError(ToolError):
    """The SearXNG instance failed to answer with a JSON result list (the search tool fails)."""


class RetrieverError(ToolError):
    """A retriever given to a search tool failed (the tool fails with this message)."""
