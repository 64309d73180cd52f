"""``InternetSearchTool``: the agent's ``search_internet`` through SearXNG and safe page fetches."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import httpx
import numpy as np
from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import ArgsSchema, BaseTool, ToolException
from pydantic import Field, PrivateAttr

from langchain_gba.exceptions import GBAError
from langchain_gba.prompts import NO_INFORMATION
from langchain_gba.tools.base import TaskWithRequestInput
from langchain_gba.tools.search.internet.extract import extract_main_text, split_paragraphs
from langchain_gba.tools.search.internet.fetch import FetchPolicy, fetch_page
from langchain_gba.tools.search.internet.searxng import SearchResult, SearxngClient
from langchain_gba.tools.search.summarize import (
    Source,
    asummarize,
    format_observation,
    summarize,
)

__all__ = ["InternetSearchTool"]

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Findings:
    """What a search gathered before summarizing."""

    sources: list[Source] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class InternetSearchTool(BaseTool):
    """Search the web with SearXNG, read the top pages safely, and answer the task.

    The task goes to a SearXNG instance's JSON API; the top result pages are fetched
    concurrently under a :class:`FetchPolicy` (public http(s) hosts only, every redirect checked,
    timeout, byte cap, HTML/text only); trafilatura extracts each page's main text; the
    paragraphs most similar to the task (sentence embeddings) are kept; an LLM writes a short
    answer with the pages as sources. Pages that fail are skipped and named in the observation;
    if none loads, the result snippets are used. A failed SearXNG raises
    :class:`~langchain_gba.tools.search.exceptions.SearxngError`, a ``ToolException`` the tool
    handles (``handle_tool_error``): the agent observes its message as an error.

    Setup:
        ``pip install 'langchain-gba[search,local]'`` and a SearXNG instance with the JSON format
        enabled (``search: formats: [html, json]`` in its settings.yml).

    Instantiate:
        .. code-block:: python

            from langchain_gba.tools.search import InternetSearchTool

            tool = InternetSearchTool(searxng_url="http://localhost:8888", language="en")

    Invoke:
        .. code-block:: python

            tool.invoke({"task": "Find the current population of Lisbon."})
            await tool.ainvoke({"task": "..."})
    """

    name: str = "search_internet"
    description: str = (
        "Search the internet for current or specific information: news, prices, schedules, "
        "products, companies, recent events. Give the task in plain words."
    )
    args_schema: ArgsSchema | None = TaskWithRequestInput
    handle_tool_error: bool | str | Callable[[ToolException], str] | None = True
    """Failures (a ``ToolException``) are returned as the message, in a ``ToolMessage`` with
    ``status="error"`` when called with a tool call, as LangGraph's ``ToolNode`` expects;
    ``False`` raises them."""

    searxng_url: str = Field(
        default_factory=lambda: os.environ.get("GBA_SEARXNG_URL", "http://localhost:8888")
    )
    """The SearXNG instance (default ``$GBA_SEARXNG_URL`` or ``http://localhost:8888``)."""
    engines: list[str] = Field(default_factory=list)
    """SearXNG engines to use (the instance's defaults when empty)."""
    language: str | None = None
    """Search language, e.g. ``"en"``."""
    safesearch: Literal[0, 1, 2] | None = None
    """0 off, 1 moderate, 2 strict."""
    max_pages: int = 6
    """Result pages fetched concurrently."""
    max_sources: int = 3
    """Loaded pages handed to the LLM."""
    max_chars_per_source: int = 1200
    """Characters of each page's best paragraphs handed to the LLM."""
    fetch_timeout: float = 5.0
    """Seconds allowed for each page (all pages are fetched at once)."""
    max_bytes: int = 2_000_000
    """Largest page accepted."""
    max_redirects: int = 5
    """Redirects followed per page, each one checked."""
    allow_private: bool = False
    """Fetch loopback/private/link-local addresses too (tests, intranets)."""
    allowed_networks: list[str] = Field(default_factory=list)
    """CIDR networks fetched although not public, e.g. ``["10.1.0.0/16"]``."""
    rank_paragraphs: bool = True
    """Keep the paragraphs most similar to the task (else the leading ones)."""
    embedder: Any = None
    """An ``Embedder`` for ranking paragraphs (all-MiniLM-L6-v2 made on first use when None)."""
    llm: BaseChatModel | None = None
    """The chat model that writes the answer (the embedded model when None)."""

    _llm: BaseChatModel | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def client(self) -> SearxngClient:
        """The SearXNG client for the configured instance."""
        return SearxngClient(
            self.searxng_url,
            engines=self.engines,
            language=self.language,
            safesearch=self.safesearch,
        )

    @property
    def policy(self) -> FetchPolicy:
        """The fetch limits for each page."""
        return FetchPolicy(
            timeout=self.fetch_timeout,
            max_bytes=self.max_bytes,
            max_redirects=self.max_redirects,
            allow_private=self.allow_private,
            allowed_networks=tuple(self.allowed_networks),
        )

    def get_llm(self) -> BaseChatModel:
        """The summarizing chat model."""
        if self._llm is None:
            from langchain_gba.tools.search.wikipedia.tool import default_summary_llm

            self._llm = self.llm or default_summary_llm()
        return self._llm

    async def gather(self, task: str) -> Findings:
        """Search, fetch and extract: the sources for ``task`` and what was skipped.

        Raises:
            SearxngError: the search engine failed (the agent observes the message).
        """
        results = (await self.client.asearch(task))[: self.max_pages]
        async with httpx.AsyncClient(timeout=self.fetch_timeout, trust_env=False) as http:
            pages = await asyncio.gather(
                *(fetch_page(r.url, policy=self.policy, client=http) for r in results),
                return_exceptions=True,
            )
        findings = Findings()
        loaded: list[tuple[SearchResult, str]] = []
        for result, page in zip(results, pages, strict=True):
            if isinstance(page, BaseException):
                if not isinstance(page, GBAError):
                    logger.warning("Fetching %s failed", result.url, exc_info=page)
                findings.skipped.append(f"{result.url}: {page}")
                continue
            text = await asyncio.to_thread(extract_main_text, page)
            if not text:
                findings.skipped.append(f"{result.url}: no readable text")
            elif len(loaded) < self.max_sources:
                loaded.append((result, text))
        if not loaded:  # fall back to the engines' snippets
            snippets = [(r, r.content) for r in results if r.content][: self.max_sources]
            findings.sources = [Source(r.title, r.url, t) for r, t in snippets]
            return findings
        for result, text in loaded:
            best = await asyncio.to_thread(self._best_paragraphs, task, text)
            findings.sources.append(Source(result.title, result.url, best))
        return findings

    def _best_paragraphs(self, task: str, text: str) -> str:
        paragraphs = split_paragraphs(text)
        if self.rank_paragraphs and len(paragraphs) > 1:
            with self._lock:  # pages are ranked in parallel threads: make one embedder
                if self.embedder is None:
                    from langchain_gba.tools.search.wikipedia.embedding import Embedder

                    self.embedder = Embedder.for_queries()  # NumPy: no PyTorch needed
            vectors = self.embedder.encode([task, *paragraphs])
            order = np.argsort(-(vectors[1:] @ vectors[0]), kind="stable")
        else:
            order = np.arange(len(paragraphs))
        keep: list[int] = []
        used = 0
        for i in order:
            if used + len(paragraphs[i]) > self.max_chars_per_source and keep:
                break
            keep.append(int(i))
            used += len(paragraphs[i])
        text = " ".join(paragraphs[i] for i in sorted(keep))
        return text[: self.max_chars_per_source]

    def _observation(self, findings: Findings, summary: str) -> str:
        return format_observation(summary, findings.sources, findings.skipped)

    def _run(
        self,
        task: str,
        request: str = "",
        run_manager: CallbackManagerForToolRun | None = None,
        **_: Any,
    ) -> str:
        findings = _run_sync(self.gather(task))
        if not findings.sources:
            return format_observation(NO_INFORMATION, [], findings.skipped)
        summary = summarize(self.get_llm(), task, findings.sources, request)
        return self._observation(findings, summary)

    async def _arun(
        self,
        task: str,
        request: str = "",
        run_manager: AsyncCallbackManagerForToolRun | None = None,
        **_: Any,
    ) -> str:
        findings = await self.gather(task)
        if not findings.sources:
            return format_observation(NO_INFORMATION, [], findings.skipped)
        summary = await asummarize(self.get_llm(), task, findings.sources, request)
        return self._observation(findings, summary)


def _run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, also when the caller already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
