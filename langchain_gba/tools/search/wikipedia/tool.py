"""``WikipediaSearchTool``: the agent's ``search_wikipedia`` over a local quantized index.

Or over any LangChain retriever (``retriever=``): an app's own vector store answers the same way.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any, Literal, Self

from langchain_core.callbacks import (
    AsyncCallbackManagerForToolRun,
    CallbackManagerForToolRun,
    Callbacks,
)
from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import ArgsSchema, BaseTool, ToolException
from langchain_core.vectorstores import VectorStoreRetriever
from pydantic import PrivateAttr, model_validator

from langchain_gba._text import words
from langchain_gba.prompts import NO_INFORMATION
from langchain_gba.tools.base import TaskWithRequestInput
from langchain_gba.tools.search.exceptions import RetrieverError
from langchain_gba.tools.search.measures import (
    as_found,
    asked_measure,
    asks_number,
    measured,
    misattributed,
    stated,
    states_measure,
)
from langchain_gba.tools.search.summarize import (
    Source,
    aselect_sentences,
    asummarize,
    focus,
    format_observation,
    quoted,
    select_sentences,
    summarize,
)
from langchain_gba.tools.search.wikipedia.index import WikipediaIndex
from langchain_gba.tools.search.wikipedia.rerank import Reranker
from langchain_gba.tools.search.wikipedia.vectorstore import WikipediaIndexRetriever

__all__ = ["WikipediaSearchTool", "documents_to_sources"]

logger = logging.getLogger(__name__)


def default_summary_llm() -> BaseChatModel:
    """The embedded chat model, with a short answer budget."""
    from langchain_gba.chat_models.llama_cpp import ChatLlamaCpp

    return ChatLlamaCpp(max_tokens=128)


class WikipediaSearchTool(BaseTool):
    """Search a local Wikipedia index and answer the task from the best passages.

    Retrieval: the task is embedded, candidates come from a binary FAISS index (Hamming) and are
    rescored with int8 vectors; an optional cross-encoder reranks them; the passages are grouped
    by article and an LLM writes a short answer focused on the task (or picks the sources'
    sentences that answer it: ``summary="sentences"``), followed by the articles as sources.
    When no passage is similar enough, or the LLM finds no answer in them, the observation is
    "No information found."

    Setup:
        ``pip install 'langchain-gba[search,local]'``

    Instantiate:
        .. code-block:: python

            from langchain_gba.tools.search import WikipediaSearchTool

            # the built-in corpus (10,033 English lead sections), indexed once into the cache
            tool = WikipediaSearchTool()
            # or an index you built with `gba index build corpus.jsonl --out my-index`
            tool = WikipediaSearchTool(index_path="my-index", llm=my_chat_model)
            # or any LangChain retriever, e.g. your own vector store
            tool = WikipediaSearchTool(
                retriever=my_store.as_retriever(search_kwargs={"k": 6}),
                name="search_docs",
                description="Search the company handbook. Give the task in plain words.",
            )

    Invoke:
        .. code-block:: python

            tool.invoke({"task": "Find out who wrote the novel Nineteen Eighty-Four."})
            await tool.ainvoke({"task": "..."})

    With ``retriever``, its documents are the passages: ``metadata["title"]`` (else
    ``source``, else the text's start) names the article and ``url`` (else ``source``) links it;
    documents of one title and url are merged. ``k``, ``candidates``, ``min_score`` and
    ``score_margin`` are then the retriever's business.

    Errors are raised (a missing or corrupted index, a model failure); the agent's tool node
    turns them into the step's observation, as LangChain's ``ToolNode`` does. A failing
    ``retriever`` raises a :class:`~langchain_gba.tools.search.exceptions.RetrieverError`
    (a ``ToolError``), returned as the tool's error message.
    """

    name: str = "search_wikipedia"
    description: str = (
        "Search Wikipedia for facts about people, places, organisations, events, history, "
        "science and culture. Give the task in plain words."
    )
    args_schema: ArgsSchema | None = TaskWithRequestInput
    handle_tool_error: bool | str | Callable[[ToolException], str] | None = True
    """Failures (a ``ToolException``) are returned as the message, in a ``ToolMessage`` with
    ``status="error"`` when called with a tool call, as LangGraph's ``ToolNode`` expects;
    ``False`` raises them."""

    llm: BaseChatModel | None = None
    """The chat model that writes the answer (the embedded model when None)."""
    summary: Literal["written", "sentences", "ranked"] = "written"
    """How the answer is made from the passages: a short summary ``llm`` writes
    (``"written"``); or the sentences that answer the task, as the sources write them, picked
    by ``llm`` by number (``"sentences"``: no fact reworded, none computed, but long sentences
    for the steps after it to read). On the dev split with the 1.5B model both answered 34-35
    of 47 right, the sentences 1.9 s slower per request (``bench/agents.py --agents
    ahead,ahead_written``). Or, with no model call, the sentences the index's embedder ranks
    closest to the task, those stating the number it asks for first (``"ranked"``,
    ``measures.as_found``); not with ``retriever`` (no embedder). With the 1.5B,
    ``"ranked"`` took held-out multi-step requests from 18.7 to 11.1 s (median) but answered 24
    of 43 against 37: the calculator took the wrong figure of a sentence that gives several
    ("1,454 feet (443.2 m)"), which the written summary had picked out (``bench/agents.py
    --agents ahead,ahead_ranked``)."""
    written_for_request: bool = True
    """With ``summary="ranked"``, a task that is a question on its own (no ``request``) or the
    request as the user wrote it (a lookup searched as asked, whose result is the answer)
    still gets a written summary: a sentence that answers, not the sources' sentences. Only
    the steps of a longer request get the sentences."""
    index: WikipediaIndex | None = None
    """A loaded index; when None, ``index_path`` or else the built-in demo index."""
    index_path: str | None = None
    """Folder of a saved index, loaded on first use."""
    retriever: BaseRetriever | None = None
    """Any LangChain retriever to search instead of an index (not with ``index``/``index_path``)."""
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
    focus_sentences: int | None = None
    """When set (e.g. ``FOCUS_SENTENCES``, 5), the written summary reads only this many
    sentences of the passages, those most like the task by the index's embedder
    (``summarize.focused``), and a summary refused for a number no passage gives is replaced by
    the best two as written. Not with ``retriever`` (no embedder). Off by default: with the
    1.5B, 24/33 dev and hand-written search tasks either way (Chile's area gained); held out,
    lookups 28/28 either way, multi-step 15/18 against 16/18 (the Yangtze's "third-longest
    river" for its length), no faster (``bench/agents.py --agents ahead,ahead_focused``). With
    3, on a faster machine: held-out multi-step median 16.1 s against 18.9 s, but 34 of 43
    answered against 37 (``--agents ahead,ahead_focused3``)."""
    quote_sentences: int = 0
    """When set (e.g. 2), the result shows, under the written summary, this many sentences of
    the passages as written, those most like the task by the index's embedder
    (``summarize.quoted``, "In the sources:"), when the summary found something. The planner,
    calculator and answer writer read them; an answer that is the summary itself leaves them
    out. Not with ``retriever`` (no embedder). Off by default: with the 1.5B, the asked-for
    figure was in the result for 28 of 33 dev and hand-written search tasks against 24, but
    held out the agent answered 9 of 13 multi-step requests against 10 (the answer writer took
    a quoted lake for the request's) and took ~1.3× the time (``bench/agents.py --agents
    ahead,ahead_quoted``)."""

    as_written_fallback: bool = True
    """When nothing is left of the written summary once the numbers the passages do not give
    are cut, and one of them is a quantity it worked out ("ruled the Mughal Empire for 29
    years" from "from 1628 until his deposition in 1658"), the result is the passages' two
    sentences most like the task, as written, not "No information found.". A year or a date
    no passage gives (a birth date recalled) still finds nothing. Ranked by the index's
    embedder only then. Not with ``retriever`` (no embedder)."""

    unfound_fallback: bool = True
    """When the written summary finds nothing ("No information found.") for a task that asks
    for a number (a year, a count, an amount: ``measures.asks_number``), the result is the
    passages' two sentences most like the task that state a number, about what the task names,
    as written (``measures.stated``): the 1.5B summary found nothing for "When did Winston
    Churchill resign from Prime Minister?" where the passage says "from 1940 to 1945, ... and
    again from 1951 to 1955". Not with ``retriever`` (no embedder)."""

    attribution_check: bool = True
    """When the task asks for a number and no number of the written summary is in a sentence
    about what the task names, the result is the sentences about it that state a number, as
    written (``measures.misattributed``): the 1.5B summary gave Churchill's 62 years as a
    Member of Parliament as his terms as Prime Minister. Not with ``retriever`` (no
    embedder)."""

    measure_check: bool = True
    """When the task asks for a length or an area (a height, a depth, a distance) and the
    written summary gives none, the result is instead the passages' sentence most like the task
    that states one, as written, about what the task names (``measures.measured``): the 1.5B
    summary answered "How long is the Danube?" with its rank ("the second-longest after the
    Volga") where the passage goes on "flows southeast for 2,850 km". Not with ``retriever``
    (no embedder)."""

    _index: WikipediaIndex | None = PrivateAttr(default=None)
    _llm: BaseChatModel | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if self.retriever is not None and (self.index is not None or self.index_path is not None):
            msg = "Give WikipediaSearchTool a retriever or an index (index, index_path), not both."
            raise ValueError(msg)
        if self.retriever is not None and self.summary == "ranked":
            msg = (
                'summary="ranked" ranks sentences with the index\'s embedder, and a retriever '
                'has none: give an index (index, index_path) or use summary="written".'
            )
            raise ValueError(msg)
        return self

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

    def get_retriever(self) -> BaseRetriever:
        """The retriever searched: the one given, or one over :meth:`get_index`."""
        if self.retriever is not None:
            return self.retriever
        return WikipediaIndexRetriever(
            index=self.get_index(),
            k=self.k,
            candidates=self.candidates,
            min_score=self.min_score,
            score_margin=self.score_margin,
        )

    def retrieve(
        self, task: str, *, request: str = "", callbacks: Callbacks = None
    ) -> list[Source]:
        """The articles (as sources) whose passages best match ``task``.

        With ``request`` (the user's request the task serves): when nothing matches the task,
        the articles that match the request (a small planner's task may name what the request
        needs in words no passage uses).
        """
        retriever = self.get_retriever()
        sources: list[Source] = []
        for query in _queries(task, request):
            try:
                docs = retriever.invoke(query, RunnableConfig(callbacks=callbacks))
            except Exception as e:
                if self.retriever is None or isinstance(e, ToolException):
                    raise  # the own index's failures as before; a tool's message as it is
                raise _retriever_error(retriever, e) from e
            sources = self._to_sources(task, docs)
            if sources:
                break
        return sources

    async def aretrieve(
        self, task: str, *, request: str = "", callbacks: Callbacks = None
    ) -> list[Source]:
        """Async :meth:`retrieve` (the retriever's own ``ainvoke``)."""
        retriever = (
            self.retriever
            if self.retriever is not None
            else await asyncio.to_thread(self.get_retriever)  # loads the index on first use
        )
        sources: list[Source] = []
        for query in _queries(task, request):
            try:
                docs = await retriever.ainvoke(query, RunnableConfig(callbacks=callbacks))
            except Exception as e:
                if self.retriever is None or isinstance(e, ToolException):
                    raise  # the own index's failures as before; a tool's message as it is
                raise _retriever_error(retriever, e) from e
            if self.reranker is not None and len(docs) > 1:
                sources = await asyncio.to_thread(self._to_sources, task, docs)
            else:
                sources = self._to_sources(task, docs)
            if sources:
                break
        return sources

    def _to_sources(self, task: str, docs: Sequence[Document]) -> list[Source]:
        docs = list(docs)
        if self.reranker is not None and len(docs) > 1:
            docs = _rerank(self.reranker, task, docs)
        return documents_to_sources(docs, self.max_articles, self.max_chars_per_article)

    def _run(
        self,
        task: str,
        request: str = "",
        run_manager: CallbackManagerForToolRun | None = None,
        **_: Any,
    ) -> str:
        callbacks = run_manager.get_child() if run_manager is not None else None
        sources = self.retrieve(task, request=request, callbacks=callbacks)
        if not sources:
            return NO_INFORMATION
        if self.summary == "sentences":
            found = select_sentences(self.get_llm(), task, sources, request)
        elif self._ranks(task, request):
            found = as_found(task, sources, self.get_index().embedder.encode, request)
        else:
            found = summarize(self.get_llm(), task, sources, request, **self._focus())
            found = self._checked(task, sources, found, request)
        return format_observation(found, sources, quotes=self._quotes(task, sources, found))

    async def _arun(
        self,
        task: str,
        request: str = "",
        run_manager: AsyncCallbackManagerForToolRun | None = None,
        **_: Any,
    ) -> str:
        callbacks = run_manager.get_child() if run_manager is not None else None
        sources = await self.aretrieve(task, request=request, callbacks=callbacks)
        if not sources:
            return NO_INFORMATION
        if self.summary == "sentences":
            found = await aselect_sentences(self.get_llm(), task, sources, request)
        elif self._ranks(task, request):
            found = as_found(task, sources, self.get_index().embedder.encode, request)
        else:
            found = await asummarize(self.get_llm(), task, sources, request, **self._focus())
            found = self._checked(task, sources, found, request)
        return format_observation(found, sources, quotes=self._quotes(task, sources, found))

    def _ranks(self, task: str, request: str) -> bool:
        """Whether the result is ranked sentences, not a written summary (``summary``)."""
        if self.summary != "ranked":
            return False
        on_its_own = not request or words(task) == words(request)
        return not (self.written_for_request and on_its_own)

    def _checked(self, task: str, sources: Sequence[Source], found: str, request: str = "") -> str:
        """``found`` after the checks of a summary against its task (and request), in turn."""
        found = self._measured(task, sources, found)
        return self._unfound(task, sources, self._attributed(task, sources, found, request))

    def _focus(self) -> dict[str, Any]:
        """``summarize``'s ranking arguments: the index's embedder, or none."""
        if self.retriever is not None or not (self.focus_sentences or self.as_written_fallback):
            return {}
        return {"embed": self.get_index().embedder.encode, "k": self.focus_sentences}

    def _measured(self, task: str, sources: Sequence[Source], found: str) -> str:
        """``found``, or the sentence stating the length or area it lacks (``measure_check``)."""
        if not self.measure_check or self.retriever is not None:
            return found
        measure = asked_measure(task)
        if measure is None or states_measure(found, measure):
            return found
        embed = self.get_index().embedder.encode
        sentence = measured(task, sources, embed, measure)
        if sentence is None:
            return found
        logger.info("Summary %r gives no %s for %r: %r instead", found, measure, task, sentence)
        return sentence

    def _attributed(
        self, task: str, sources: Sequence[Source], found: str, request: str = ""
    ) -> str:
        """``found``, or the sentences about what the task names (``attribution_check``)."""
        if not self.attribution_check or self.retriever is not None:
            return found
        if not asks_number(task, request):
            return found
        written = misattributed(task, found, sources, self.get_index().embedder.encode)
        if written is None:
            return found
        logger.info("Summary %r took no number about %r: %r instead", found, task, written)
        return written

    def _unfound(self, task: str, sources: Sequence[Source], found: str) -> str:
        """``found``, or sentences that state a number where it found none (the fallback)."""
        if found != NO_INFORMATION or not self.unfound_fallback or self.retriever is not None:
            return found
        if not asks_number(task):
            return found
        written = stated(task, sources, self.get_index().embedder.encode)
        if written is None:
            return found
        logger.info("Summary found nothing for %r: %r instead", task, written)
        return written

    def _quotes(self, task: str, sources: Sequence[Source], found: str) -> list[str]:
        """The sentences shown under the summary (``quote_sentences``), or none."""
        if not self.quote_sentences or self.retriever is not None or found == NO_INFORMATION:
            return []
        return quoted(task, sources, self.get_index().embedder.encode, self.quote_sentences)


def _queries(task: str, request: str) -> list[str]:
    """What to search for: the task's subject, then the request when it says something else."""
    first = focus(task)
    request = " ".join(request.split())
    if request and request.lower() not in {first.lower(), " ".join(task.split()).lower()}:
        return [first, request]
    return [first]


def documents_to_sources(
    docs: Sequence[Document], max_articles: int = 3, max_chars: int = 1200
) -> list[Source]:
    """Merge retrieved documents into sources, one per article (in the order first retrieved).

    An article is a title and url: ``metadata["title"]`` (else ``source`` or ``url``, else the
    start of the text) and ``metadata["url"]`` (else ``source``). Its texts (duplicates dropped)
    are joined with " … " and cut to ``max_chars`` at a word; at most ``max_articles`` are kept.
    """
    grouped: dict[tuple[str, str, int], list[str]] = {}
    for position, doc in enumerate(docs):
        title, url = _title_and_url(doc)
        # a document without title, source or url is an article of its own
        key = (title, url, -1) if title or url else (_snippet(doc.page_content), "", position)
        if key in grouped or len(grouped) < max_articles:
            grouped.setdefault(key, []).append(doc.page_content.strip())
    sources = []
    for (title, url, _), texts in grouped.items():
        text = " … ".join(dict.fromkeys(t for t in texts if t))
        if len(text) > max_chars:
            text = text[:max_chars].rsplit(" ", 1)[0] + " …"
        sources.append(Source(title, url, text))
    return sources


def _retriever_error(retriever: BaseRetriever, e: Exception) -> RetrieverError:
    """A given retriever's failure, written for the agent."""
    name = type(retriever).__name__
    if isinstance(retriever, VectorStoreRetriever):
        name = f"{name} over {type(retriever.vectorstore).__name__}"
    detail = " ".join(str(e).split()) or "no details"
    return RetrieverError(
        f"Search failed: the retriever ({name}) raised {type(e).__name__}: {detail}"
    )


def _title_and_url(doc: Document) -> tuple[str, str]:
    """The article's title and url from a document's metadata ("" when absent)."""
    meta = doc.metadata or {}

    def text(key: str) -> str:
        value = meta.get(key)
        return " ".join(str(value).split()) if value is not None else ""

    title, url, source = text("title"), text("url"), text("source")
    if not title:
        title = source or url
    if not url and source != title:
        url = source
    return title, ("" if url == title else url)


def _snippet(text: str, words: int = 8) -> str:
    """A stand-in title: the first words of a text."""
    first = text.split()
    return " ".join(first[:words]) + (" …" if len(first) > words else "") if first else "Untitled"


def _rerank(reranker: Reranker, task: str, docs: list[Document]) -> list[Document]:
    """``docs`` reordered by ``reranker`` on title and text (stable for ties)."""
    texts = [f"{_title_and_url(d)[0]}\n{d.page_content}" for d in docs]
    scores = reranker.score(task, texts)
    return [docs[i] for i in sorted(range(len(docs)), key=lambda i: -scores[i])]
