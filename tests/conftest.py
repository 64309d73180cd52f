"""Shared fixtures: one real embedded model per test session (loading it is the slow part)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def llm():  # type: ignore[no-untyped-def]
    """The embedded SmolLM2-135M-Instruct, greedy, short outputs."""
    from langchain_gba import ChatLlamaCpp

    return ChatLlamaCpp(model="smollm2-135m-instruct", max_tokens=64, n_ctx=4096)
