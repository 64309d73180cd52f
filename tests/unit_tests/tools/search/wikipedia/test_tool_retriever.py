"""WikipediaSearchTool over any retriever: documents → sources, failing retrievers (no model)."""

from __future__ import annotations

import pytest
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.messages import ToolMessage
from langchain_core.retrievers import BaseRetriever
from pydantic import ValidationError

from langchain_gba.exceptions import ToolError
from langchain_gba.tools.search import RetrieverError, WikipediaSearchTool
from langchain_gba.tools.search.wikipedia import documents_to_sources


class _Unreachable(BaseRetriever):
    """A retriever whose backend is down (as a remote vector store can be)."""

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        raise ConnectionError("connection refused by 127.0.0.1:6333")


class _Refusing(BaseRetriever):
    """A retriever that fails with a message written for the agent already."""

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        raise ToolError("The handbook search is closed for maintenance.")


def test_wikipedia_documents_keep_title_and_url() -> None:
    docs = [
        Document("Lisa del Giocondo sat for it.", metadata={"title": "Mona Lisa", "url": "u1"}),
        Document("Leonardo painted it.", metadata={"title": "Leonardo", "url": "u2"}),
        Document("It hangs in the Louvre.", metadata={"title": "Mona Lisa", "url": "u1"}),
    ]
    sources = documents_to_sources(docs, max_articles=3, max_chars=1200)
    assert [(s.title, s.url) for s in sources] == [("Mona Lisa", "u1"), ("Leonardo", "u2")]
    assert sources[0].text == "Lisa del Giocondo sat for it. … It hangs in the Louvre."


def test_foreign_metadata_falls_back_to_source_then_text() -> None:
    docs = [
        Document("Opens at 7:30.", metadata={"source": "handbook/cafeteria.md"}),
        Document("Badge needed.", metadata={"title": "Parking", "source": "handbook/parking.md"}),
        Document("See https://x.", metadata={"url": "https://intranet/faq"}),
        Document("  An untitled note about the quarterly all-hands meeting in March  "),
        Document("Another untitled note."),
    ]
    sources = documents_to_sources(docs, max_articles=5, max_chars=1200)
    assert [(s.title, s.url) for s in sources] == [
        ("handbook/cafeteria.md", ""),
        ("Parking", "handbook/parking.md"),
        ("https://intranet/faq", ""),
        ("An untitled note about the quarterly all-hands meeting …", ""),
        ("Another untitled note.", ""),
    ]


def test_articles_and_characters_are_capped() -> None:
    long = " ".join(["word"] * 100)
    docs = [Document(long, metadata={"title": f"T{i}"}) for i in range(5)]
    sources = documents_to_sources(docs, max_articles=2, max_chars=50)
    assert [s.title for s in sources] == ["T0", "T1"]
    assert all(len(s.text) <= 52 and s.text.endswith(" …") for s in sources)
    assert documents_to_sources([], 3, 100) == []


def test_retriever_or_index_not_both() -> None:
    with pytest.raises(ValidationError, match="not both"):
        WikipediaSearchTool(retriever=_Unreachable(), index_path="some-index")


def test_a_failing_retriever_is_a_tool_error() -> None:
    tool = WikipediaSearchTool(retriever=_Unreachable())
    observation = tool.invoke({"task": "When does the cafeteria open?"})
    assert observation == (
        "Search failed: the retriever (_Unreachable) raised ConnectionError: "
        "connection refused by 127.0.0.1:6333"
    )
    call = {"name": tool.name, "args": {"task": "x"}, "id": "1", "type": "tool_call"}
    message = tool.invoke(call)
    assert isinstance(message, ToolMessage) and message.status == "error"
    raising = WikipediaSearchTool(retriever=_Unreachable(), handle_tool_error=False)
    with pytest.raises(RetrieverError) as info:
        raising.invoke({"task": "x"})
    assert isinstance(info.value, ToolError) and isinstance(info.value.__cause__, ConnectionError)


async def test_a_failing_retriever_is_a_tool_error_async() -> None:
    tool = WikipediaSearchTool(retriever=_Unreachable())
    observation = await tool.ainvoke({"task": "When does the cafeteria open?"})
    assert observation.startswith("Search failed: the retriever (_Unreachable) raised")


def test_a_retrievers_own_tool_error_is_kept() -> None:
    tool = WikipediaSearchTool(retriever=_Refusing())
    assert tool.invoke({"task": "x"}) == "The handbook search is closed for maintenance."
