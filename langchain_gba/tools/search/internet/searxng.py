"""A client for SearXNG's JSON search API (``/search?q=...&format=json``).

The instance must allow the JSON format (``search.formats: [html, json]`` in its ``settings.yml``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from langchain_gba.tools.search.exceptions import SearxngError

__all__ = ["SearchResult", "SearxngClient"]


@dataclass(frozen=True)
class SearchResult:
    """One result of a SearXNG search."""

    url: str
    title: str
    content: str = ""
    """The snippet the engines returned."""
    engines: tuple[str, ...] = ()


@dataclass
class SearxngClient:
    """Query a SearXNG instance, synchronously or asynchronously.

    Example:
        .. code-block:: python

            client = SearxngClient("http://localhost:8888", engines=["wikipedia", "duckduckgo"])
            for result in client.search("capital of Australia")[:3]:
                print(result.title, result.url)
    """

    base_url: str
    """The instance's address, e.g. ``http://localhost:8888``."""
    engines: Sequence[str] = ()
    """Engines to ask (the instance's defaults when empty)."""
    language: str | None = None
    """Search language, e.g. ``"en"`` or ``"en-US"`` (the instance's default when None)."""
    safesearch: Literal[0, 1, 2] | None = None
    """0 off, 1 moderate, 2 strict (the instance's default when None)."""
    categories: Sequence[str] = ()
    """Categories, e.g. ``["general"]``."""
    timeout: float = 10.0
    """Seconds to wait for the instance."""
    headers: dict[str, str] = field(default_factory=dict)
    """Extra headers (some instances want an API key or a browser-like ``User-Agent``)."""

    def params(self, query: str, page: int = 1) -> dict[str, Any]:
        """The query parameters of a search."""
        params: dict[str, Any] = {"q": query, "format": "json", "pageno": page}
        if self.engines:
            params["engines"] = ",".join(self.engines)
        if self.categories:
            params["categories"] = ",".join(self.categories)
        if self.language:
            params["language"] = self.language
        if self.safesearch is not None:
            params["safesearch"] = self.safesearch
        return params

    @property
    def _endpoint(self) -> str:
        return self.base_url.rstrip("/") + "/search"

    def search(self, query: str, *, page: int = 1) -> list[SearchResult]:
        """Search; results in the instance's order.

        Raises:
            SearxngError: unreachable instance, HTTP error, or an answer that is not SearXNG JSON.
        """
        try:
            with httpx.Client(timeout=self.timeout, headers=self.headers) as client:
                response = client.get(self._endpoint, params=self.params(query, page))
        except httpx.HTTPError as e:
            raise self._error(e) from e
        return self._parse(response)

    async def asearch(self, query: str, *, page: int = 1) -> list[SearchResult]:
        """Search asynchronously; see :meth:`search`."""
        try:
            async with httpx.AsyncClient(timeout=self.timeout, headers=self.headers) as client:
                response = await client.get(self._endpoint, params=self.params(query, page))
        except httpx.HTTPError as e:
            raise self._error(e) from e
        return self._parse(response)

    def _error(self, e: httpx.HTTPError) -> SearxngError:
        return SearxngError(f"SearXNG at {self.base_url} failed: {type(e).__name__}: {e}")

    def _parse(self, response: httpx.Response) -> list[SearchResult]:
        if response.status_code != 200:
            hint = ""
            if response.status_code == 403:
                hint = " (is the json format enabled in settings.yml?)"
            msg = f"SearXNG at {self.base_url} answered HTTP {response.status_code}{hint}"
            raise SearxngError(msg)
        try:
            data = response.json()
            raw = data["results"]
        except (ValueError, KeyError, TypeError) as e:
            msg = f"SearXNG at {self.base_url} did not answer with a JSON result list ({e})"
            raise SearxngError(msg) from e
        results = []
        for item in raw if isinstance(raw, list) else []:
            if not isinstance(item, dict) or not item.get("url"):
                continue
            engines = item.get("engines") or ([item["engine"]] if item.get("engine") else [])
            results.append(
                SearchResult(
                    url=str(item["url"]),
                    title=str(item.get("title") or item["url"]),
                    content=str(item.get("content") or ""),
                    engines=tuple(map(str, engines)),
                )
            )
        return results
