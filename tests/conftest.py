"""Shared fixtures: one real embedded model per test session (loading it is the slow part)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
if os.environ.get("PYTEST_XDIST_WORKER"):  # workers share the cores: no more threads than cores
    from langchain_gba.chat_models._llama import THREADS_ENV, physical_cores

    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    os.environ.setdefault(THREADS_ENV, str(max(physical_cores() // workers, 1)))


@pytest.fixture(scope="session")
def llm():  # type: ignore[no-untyped-def]
    """The embedded SmolLM2-135M-Instruct, greedy, short outputs."""
    from langchain_gba import ChatLlamaCpp

    return ChatLlamaCpp(model="smollm2-135m-instruct", max_tokens=64, n_ctx=4096)


@pytest.fixture(scope="session")
def planner_llm():  # type: ignore[no-untyped-def]
    """The same model in its own llama.cpp context (as the agent's planner runs it)."""
    from langchain_gba import ChatLlamaCpp

    return ChatLlamaCpp(
        model="smollm2-135m-instruct",
        max_tokens=256,
        n_ctx=4096,
        repeat_penalty=1.1,
        context="planner",
    )


@pytest.fixture(scope="session")
def llama_server():  # type: ignore[no-untyped-def]
    """A real ``python -m llama_cpp.server`` on 127.0.0.1 serving the embedded model.

    Yields its OpenAI-compatible base URL (``http://127.0.0.1:PORT/v1``).
    """
    from langchain_gba.server import LlamaServer

    with LlamaServer("smollm2-135m-instruct", n_ctx=2048) as server:
        yield server.base_url


CAPABLE_MODEL = "qwen2.5-coder-1.5b-instruct"
"""The embedded model the product tests judge answers with (the default planner model)."""


@pytest.fixture(scope="session")
def capable_llm():  # type: ignore[no-untyped-def]
    """The capable embedded model, as the agent's tools and function calling run it."""
    from langchain_gba import ChatLlamaCpp

    return ChatLlamaCpp(model=CAPABLE_MODEL, max_tokens=256)


@pytest.fixture(scope="session")
def capable_agent(capable_llm):  # type: ignore[no-untyped-def]
    """The default agent on the capable embedded model: calculator + the bundled Wikipedia."""
    from langchain_gba import ZeroShotPlanner, create_gba_agent
    from langchain_gba.tools.registry import load_tools

    llm = capable_llm
    tools = load_tools(["wikipedia", "calculator"], llm=llm)
    return create_gba_agent(
        tools,
        planner=ZeroShotPlanner(CAPABLE_MODEL),
        function_calling_model=llm,
        max_steps=6,
        ask_user=False,
    )
