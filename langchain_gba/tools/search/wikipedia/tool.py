"""``WikipediaSearchTool``: the agent's ``search_wikipedia`` over a local quantized index."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import ArgsSchema, BaseTool, ToolException
from pydantic import PrivateAttr

from langchain_gba.prompts import NO_INFORMATION
from langchain_gba.tools.base import TaskInput
from langchain_gba.tools.search.summarize import (
    Source,
    asummarize,
    focus,
    format_observation,
    summarize,
)
from langchain_gba.tools.search.wikipedia.index import SearchHit, WikipediaIndex
from langchain_gba.tools.search.wikipedia.rerank import Reranker, rerank

__all__ = ["WikipediaSearchTool"]


def default_summary_llm() -> BaseChatModel:
    """The embedded chat model, with a short answer budget."""
    from langchain_gba.chat_models.llama_cpp import ChatLlamaCpp

    return ChatLlamaCpp(max_tokens=128)


class WikipediaSearchTool(BaseTool):
    """Search a local Wikipedia index and answer the task from the best passages.

    Retrieval: the task is embedded, candidates come from a binary FAISS index (Hamming) and are
    rescored with int8 vectors; an optional cross-encoder reranks them; the passages are grouped
    by article and an LLM writes a short answer focused on the task, followed by the articles as
    sources. When no passage is similar enough, or the LLM finds no answer in them, the
    observation is "No information found."

    Setup:
        ``pip install 'langchain-gba[search,local]'``

    Instantiate:
        .. code-block:: python

            from langchain_gba.tools.search import WikipediaSearchTool

            # the built-in corpus (10,033 English lead sections), indexed once into the cache
            tool = WikipediaSearchTool()
            # or an index you built with `gba index build corpus.jsonl --out my-index`
            tool = WikipediaSearchTool(index_path="my-index", llm=my_chat_model)

    Invoke:
        .. code-block:: python

            tool.invoke({"task": "Find out who wrote the novel Nineteen Eighty-Four."})
            await tool.ainvoke({"task": "..."})

    Errors are raised (a missing or corrupted index, a model failure); the agent's tool node
    turns them into the step's observation, as LangChain's ``ToolNode`` does.
    """

    name: str = "search_wikipedia"
    description: str = (
        "Search Wikipedia for facts about people, places, organisations, events, history, "
        "science and culture. Give the task in plain words."
    )
    args_schema: ArgsSchema | None = TaskInput
    handle_tool_error: bool | str | Callable[[ToolException], str] | None = True
    """Failures (a ``ToolException``) are returned as the message, in a ``ToolMessage`` with
    ``status="error"`` when called with a tool call, as LangGraph's ``ToolNode`` expects;
    ``False`` raises them."""

    llm: BaseChatModel | None = None
    """The chat model that writes the answer (the embedded model when None)."""
    index: WikipediaIndex | None = None
    """A loaded index; when None, ``index_path`` or else the built-in demo index."""
    index_path: str | None = None
    """Folder of a saved index, loaded on first use."""
    k: int = 6
    """Passages retrieved."""
    candidates: int = 400
    """Binary candidates rescored with int8 vectors."""
    min_score: float = 0.35
    """Cosine similarity below which a passage counts as unrelated."""
    score_margin: float | None = 0.15
    """Drop passages that score this much below the best one (a small LLM reads less noise)."""
    max_articles: int = 3
    """Articles handed to the LLM."""
    max_chars_per_article: int = 1200
    """Characters of passages kept per article."""
    reranker: Reranker | None = None
    """Optional cross-encoder (see ``CrossEncoderReranker``)."""

    _index: WikipediaIndex | None = PrivateAttr(default=None)
    _llm: BaseChatModel | None = PrivateAttr(default=None)

    def get_index(self) -> WikipediaIndex:
        """The index searched: given, loaded from ``index_path``, or the demo index."""
        if self._index is None:
            if self.index is not None:
                self._index = self.index
            elif self.index_path is not None:
                self._index = WikipediaIndex.load(os.path.expanduser(self.index_path))
            else:
                from langchain_gba.tools.search.wikipedia.builder import default_index

                self._index = default_index()
        return self._index

    def get_llm(self) -> BaseChatModel:
        """The summarizing chat model."""
        if self._llm is None:
            self._llm = self.llm or default_summary_llm()
        return self._llm

    def retrieve(self, task: str) -> list[Source]:
        """The articles (as sources) whose passages best match ``task``."""
        hits = self.get_index().search(focus(task), self.k, candidates=self.candidates)
        floor = self.min_score
        if hits and self.score_margin is not None:
            floor = max(floor, hits[0].score - self.score_margin)
        hits = [h for h in hits if h.score >= floor]
        if self.reranker is not None and len(hits) > 1:
            hits = rerank(self.reranker, task, hits)
        return _group_by_article(hits, self.max_articles, self.max_chars_per_article)

    def _run(
        self, task: str, run_manager: CallbackManagerForToolRun | None = None, **_: Any
    ) -> str:
        sources = self.retrieve(task)
        if not sources:
            return NO_INFORMATION
        return format_observation(summarize(self.get_llm(), task, sources), sources)

    async def _arun(
        self, task: str, run_manager: AsyncCallbackManagerForToolRun | None = None, **_: Any
    ) -> str:
        sources = await asyncio.to_thread(self.retrieve, task)
        if not sources:
            return NO_INFORMATION
        return format_observation(await asummarize(self.get_llm(), task, sources), sources)


def _group_by_article(hits: Sequence[SearchHit], max_articles: int, max_chars: int) -> list[Source]:
    """Merge the hits of each article (best article first, its best passage first)."""
    grouped: dict[int, list[SearchHit]] = {}
    for hit in hits:
        if hit.passage.doc_id in grouped or len(grouped) < max_articles:
            grouped.setdefault(hit.passage.doc_id, []).append(hit)
    sources = []
    for article in grouped.values():
        texts = list(dict.fromkeys(h.passage.text for h in article))
        text = " … ".join(texts)
        if len(text) > max_chars:
            text = text[:max_chars].rsplit(" ", 1)[0] + " …"
        first = article[0].passage
        sources.append(Source(first.title, first.url, text))
    return sources
