"""The public API: each package's ``__all__`` is pinned, and every name in it imports.

A change here is a change of the public API: update the list on purpose, and say so in the
changelog of the pull request.
"""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "langchain_gba": [
        "AgentConfigError",
        "AgentInputError",
        "ChatLlamaCpp",
        "ContextWindowError",
        "DEFAULT_MODEL",
        "EMBEDDED_MODELS",
        "FineTunedPlanner",
        "GBAError",
        "ModelNotFoundError",
        "Planner",
        "StructuredOutputError",
        "ToolError",
        "UnsupportedSchemaError",
        "ZeroShotPlanner",
        "__version__",
        "create_gba_agent",
        "resolve_model_path",
    ],
    "langchain_gba.agent": [
        "AgentInput",
        "AgentOutput",
        "AgentState",
        "Status",
        "Step",
        "create_gba_agent",
    ],
    "langchain_gba.chat_models": [
        "ChatLlamaCpp",
        "ChatLlamaServer",
    ],
    "langchain_gba.exceptions": [
        "AgentConfigError",
        "AgentInputError",
        "CalculationError",
        "ContextWindowError",
        "GBAError",
        "ModelNotFoundError",
        "StructuredOutputError",
        "ToolError",
        "UnsupportedSchemaError",
    ],
    "langchain_gba.planner": [
        "FineTunedPlanner",
        "PLAN_FIELDS",
        "PlanStep",
        "Planner",
        "SEED_PLAN_FIELDS",
        "TEACHER_FIELDS",
        "ToolLike",
        "ZeroShotPlanner",
        "copies_descriptions",
        "plan_step_model",
        "tool_descriptions",
    ],
    "langchain_gba.simulated": [
        "DEFAULT_OUTCOMES",
        "KEEP_REAL",
        "Outcome",
        "SimulatedSearchTool",
        "SimulatedTool",
        "SimulatedUser",
        "SimulationHistory",
        "run_key",
        "simulate_tool",
        "simulated_environment",
    ],
    "langchain_gba.structured": [
        "SchemaLike",
        "bound_numbers",
        "bound_strings",
        "parse_output",
        "schema_key",
        "structured_model",
        "to_gbnf",
        "to_json_schema",
        "with_prompted_output",
    ],
    "langchain_gba.tools": [
        "CalculationError",
        "CalculatorLimits",
        "CalculatorTool",
        "FunctionCaller",
        "InternetSearchTool",
        "TaskInput",
        "TaskWithContextInput",
        "TaskWithRequestInput",
        "WikipediaSearchTool",
        "function_spec",
        "reads_context",
        "reads_request",
        "safe_eval",
        "takes_task",
    ],
    "langchain_gba.tools.search": [
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
    ],
    "langchain_gba.tools.search.exceptions": [
        "CorpusError",
        "EmbeddingModelMismatchError",
        "FetchError",
        "IndexCorruptedError",
        "IndexMismatchError",
        "RetrieverError",
        "SearchIndexError",
        "SearxngError",
        "UnsafeURLError",
    ],
    "langchain_gba.tools.search.wikipedia": [
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
    ],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_all_is_pinned_and_every_name_imports(module: str) -> None:
    imported = importlib.import_module(module)
    assert sorted(imported.__all__) == PUBLIC[module]
    for name in imported.__all__:
        assert getattr(imported, name) is not None, name
