"""Searching beyond the bundled index: the shipped index as a LangChain retriever and vector store,
and search_wikipedia over another real store (langchain-community's FAISS)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.messages import ToolMessage
from langchain_core.vectorstores import VectorStoreRetriever
from langchain_tests.integration_tests import RetrieversIntegrationTests

from langchain_gba.prompts import NO_INFORMATION
from langchain_gba.tools.search import WikipediaSearchTool
from langchain_gba.tools.search.wikipedia import (
    EmbedderEmbeddings,
    WikipediaIndex,
    WikipediaIndexRetriever,
    WikipediaVectorStore,
    default_index,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # "langchain-community is being sunset"
    from langchain_community.vectorstores import FAISS

HANDBOOK = [
    (
        "The staff cafeteria on the ground floor opens at 7:30 and closes at 15:00. "
        "Breakfast is served until 10:00; hot lunch from 11:30.",
        {"title": "Cafeteria", "source": "handbook/cafeteria.md"},
    ),
    (
        "Employees park in the underground garage on level -2. A parking badge from the "
        "front desk opens the gate; visitors use the spaces by the main entrance.",
        {"title": "Parking", "source": "handbook/parking.md"},
    ),
    (
        "Expense reports are filed in the finance portal within 30 days of the purchase, "
        "with a photo of every receipt.",
        {"source": "handbook/expenses.md"},
    ),
    (
        "The office is closed on public holidays and between Christmas and New Year.",
        {},
    ),
]


@pytest.fixture(scope="module")
def shipped() -> WikipediaIndex:
    """The built-in corpus's index as the package ships it."""
    return default_index(show_progress=False)


@pytest.fixture(scope="module")
def faiss_store(shipped: WikipediaIndex) -> FAISS:
    """A real FAISS store of a small handbook, embedded with the package's embedder."""
    texts = [text for text, _ in HANDBOOK]
    metadatas = [meta for _, meta in HANDBOOK]
    return FAISS.from_texts(texts, EmbedderEmbeddings(shipped.embedder), metadatas=metadatas)


# -- the shipped index as a retriever ------------------------------------------------------------


class TestWikipediaIndexRetrieverStandard(RetrieversIntegrationTests):
    """LangChain's standard retriever suite, on the shipped index."""

    params: dict[str, Any] = {}

    @pytest.fixture(autouse=True)
    def _shipped_index(self, shipped: WikipediaIndex) -> None:
        type(self).params = {"index": shipped}

    @property
    def retriever_constructor(self) -> type[WikipediaIndexRetriever]:
        return WikipediaIndexRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return self.params

    @property
    def retriever_query_example(self) -> str:
        return "Who painted the Mona Lisa?"


def test_index_retriever_documents_carry_title_url_score_and_ids(shipped: WikipediaIndex) -> None:
    retriever = shipped.as_retriever(k=4)
    docs = retriever.invoke("Who painted the Mona Lisa?")
    assert len(docs) == 4
    assert "Mona Lisa" in [d.metadata["title"] for d in docs]
    hits = shipped.search("Who painted the Mona Lisa?", 4)
    assert [d.metadata["passage_id"] for d in docs] == [h.passage_id for h in hits]
    for doc, hit in zip(docs, hits, strict=True):
        assert doc.page_content == hit.passage.text and doc.id == str(hit.passage_id)
        assert doc.metadata["url"] == doc.metadata["source"] == hit.passage.url
        assert doc.metadata["score"] == pytest.approx(hit.score)
        assert doc.metadata["doc_id"] == hit.passage.doc_id
    assert shipped.passages[docs[0].metadata["passage_id"]].text == docs[0].page_content


async def test_index_retriever_filters_by_score_and_runs_async(shipped: WikipediaIndex) -> None:
    strict = shipped.as_retriever(k=6, min_score=0.35, score_margin=0.05)
    docs = await strict.ainvoke("Mount Everest height")
    scores = [d.metadata["score"] for d in docs]
    assert docs and docs[0].metadata["title"] == "Mount Everest"
    assert all(s >= max(0.35, scores[0] - 0.05) for s in scores)
    assert await strict.ainvoke("xqzv blorf wibble") == []


def test_the_tool_over_the_index_retriever_matches_the_built_in_path(
    shipped: WikipediaIndex,
) -> None:
    task = "Find out who wrote the novel Nineteen Eighty-Four."
    built_in = WikipediaSearchTool(index=shipped)
    settings = {"candidates": 400, "min_score": 0.35, "score_margin": 0.15}
    given = WikipediaSearchTool(retriever=shipped.as_retriever(k=6, **settings))
    assert given.retrieve(task) == built_in.retrieve(task)
    assert built_in.retrieve(task)[0].title == "Nineteen Eighty-Four"


# -- the shipped index as a vector store ---------------------------------------------------------


def test_vector_store_search_scores_and_mmr(shipped: WikipediaIndex) -> None:
    store = shipped.as_vectorstore()
    pairs = store.similarity_search_with_score("Eiffel Tower height", k=3)
    assert pairs[0][0].metadata["title"] == "Eiffel Tower"
    assert [s for _, s in pairs] == [h.score for h in shipped.search("Eiffel Tower height", 3)]
    relevant = store.similarity_search_with_relevance_scores(
        "Eiffel Tower height", k=5, score_threshold=0.55
    )
    assert relevant and all(0.55 <= s <= 1 for _, s in relevant)
    mmr = store.as_retriever(search_type="mmr", search_kwargs={"k": 3, "fetch_k": 12})
    docs = mmr.invoke("Eiffel Tower height")
    assert len(docs) == 3 and docs[0].metadata["title"] == "Eiffel Tower"
    vector = store.embeddings.embed_query("Eiffel Tower height")
    assert store.similarity_search_by_vector(vector, k=1)[0].id == pairs[0][0].id


def test_from_texts_builds_a_new_index(shipped: WikipediaIndex, tmp_path: Path) -> None:
    texts = [text for text, _ in HANDBOOK]
    metadatas = [meta for _, meta in HANDBOOK]
    embeddings = EmbedderEmbeddings(shipped.embedder)
    store = WikipediaVectorStore.from_texts(texts, embeddings, metadatas=metadatas)
    assert len(store.index) == len(texts)
    best = store.similarity_search("Where do I park my car?", k=1)[0]
    assert (best.metadata["title"], best.metadata["url"]) == ("Parking", "handbook/parking.md")
    expenses = store.similarity_search("How do I get my receipts refunded?", k=1)[0]
    assert expenses.metadata["url"] == "handbook/expenses.md"
    with pytest.raises(ValueError, match="ids=None"):
        WikipediaVectorStore.from_texts(texts, embeddings, ids=["a", "b", "c", "d"])
    # from_documents drops the ids other stores gave their documents
    again = WikipediaVectorStore.from_documents(
        [Document(t, metadata=m, id=f"doc-{i}") for i, (t, m) in enumerate(HANDBOOK)], embeddings
    )
    assert again.get_by_ids(["1"])[0].metadata["title"] == "Parking"
    loaded = WikipediaIndex.load(store.index.save(tmp_path / "handbook"), verify_checksums=True)
    found = loaded.as_vectorstore().similarity_search("When is lunch served?", k=1)
    assert found[0].metadata["title"] == "Cafeteria"


# -- search_wikipedia over another real store ----------------------------------------------------


def test_faiss_store_sources_use_metadata_or_fall_back(faiss_store: FAISS) -> None:
    retriever = faiss_store.as_retriever(search_kwargs={"k": 2})
    tool = WikipediaSearchTool(retriever=retriever, max_articles=2)
    sources = tool.retrieve("When does the cafeteria open in the morning?")
    assert (sources[0].title, sources[0].url) == ("Cafeteria", "handbook/cafeteria.md")
    assert sources[0].text.startswith("The staff cafeteria")
    expenses = tool.retrieve("How long do I have to file an expense report?")
    assert (expenses[0].title, expenses[0].url) == ("handbook/expenses.md", "")
    holidays = tool.retrieve("Is the office closed between Christmas and New Year?")
    assert holidays[0].title == "The office is closed on public holidays and …"


def test_tool_over_faiss_answers_with_sources(faiss_store: FAISS, llm) -> None:  # type: ignore[no-untyped-def]
    tool = WikipediaSearchTool(
        retriever=faiss_store.as_retriever(search_kwargs={"k": 2}),
        llm=llm,
        name="search_handbook",
        description="Search the staff handbook. Give the task in plain words.",
    )
    observation = tool.invoke({"task": "Find out when the staff cafeteria opens."})
    assert isinstance(observation, str) and observation.strip()
    if observation != NO_INFORMATION:
        assert "\nSources:\n[1] Cafeteria <handbook/cafeteria.md>" in observation
    call = {"name": tool.name, "args": {"task": "Where do employees park?"}, "id": "1"}
    message = tool.invoke({**call, "type": "tool_call"})
    assert isinstance(message, ToolMessage) and message.status == "success"
    assert message.content == NO_INFORMATION or "Parking <handbook/parking.md>" in message.content


async def test_tool_over_faiss_async(faiss_store: FAISS, llm) -> None:  # type: ignore[no-untyped-def]
    retriever = faiss_store.as_retriever(search_type="mmr", search_kwargs={"k": 2, "fetch_k": 4})
    assert isinstance(retriever, VectorStoreRetriever)
    tool = WikipediaSearchTool(retriever=retriever, llm=llm)
    observation = await tool.ainvoke({"task": "When is breakfast served in the cafeteria?"})
    assert observation == NO_INFORMATION or "[1] Cafeteria <handbook/cafeteria.md>" in observation


async def test_nothing_retrieved_is_no_information_without_the_llm(faiss_store: FAISS) -> None:
    class Unused:
        def __getattr__(self, name: str) -> None:
            raise AssertionError("the LLM must not be called")

    retriever = faiss_store.as_retriever(
        search_type="similarity_score_threshold", search_kwargs={"k": 2, "score_threshold": 0.9}
    )
    tool = WikipediaSearchTool(retriever=retriever)
    tool._llm = Unused()  # type: ignore[assignment]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "No relevant docs were retrieved"
        assert tool.invoke({"task": "Who won the football world cup in 1954?"}) == NO_INFORMATION
        assert await tool.ainvoke({"task": "Who won the 1954 world cup?"}) == NO_INFORMATION


def test_a_failing_store_is_the_tools_error_message(shipped: WikipediaIndex) -> None:
    """A real failure: the quantized store has no metadata filters."""
    retriever = shipped.as_vectorstore().as_retriever(search_kwargs={"filter": {"title": "Paris"}})
    tool = WikipediaSearchTool(retriever=retriever)
    observation = tool.invoke({"task": "Find out how many people live in Paris."})
    assert observation.startswith(
        "Search failed: the retriever (VectorStoreRetriever over WikipediaVectorStore) raised "
        "TypeError: WikipediaVectorStore does not support 'filter'"
    )
