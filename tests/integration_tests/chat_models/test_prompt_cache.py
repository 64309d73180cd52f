"""The prompt cache with the real embedded model: same tokens warm or cold, prefixes not re-read."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from langchain_gba import ChatLlamaCpp
from langchain_gba.chat_models._prompt_cache import PromptCache

SYSTEM = (
    "You are a careful assistant for a travel agency. Answer in one short sentence, with the "
    "facts the question asks for and nothing else. Never invent a number. If you do not know, "
    "say so. Prefer plain words over lists. Name cities with their country."
)
OTHER_SYSTEM = (
    "You turn a request into arithmetic. Write the expression only, with the numbers the "
    "request gives, using + - * / and parentheses. Do not explain and do not compute it."
)


def ask(system: str, question: str) -> list[BaseMessage]:
    return [SystemMessage(system), HumanMessage(question)]


@pytest.fixture
def cache(llm: ChatLlamaCpp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PromptCache:
    """A fresh cache with its files in ``tmp_path``, used by the session's model for one test."""
    fresh = PromptCache(tmp_path)
    monkeypatch.setitem(llm.loaded.__dict__, "prompt_cache", fresh)
    llm.loaded.llama.reset()
    return fresh


def test_loaded_prefix_gives_the_tokens_of_a_cold_call(
    llm: ChatLlamaCpp, cache: PromptCache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = ask(SYSTEM, "Which city is the Eiffel Tower in?")
    cold = llm.invoke(question, max_tokens=16)
    assert cache.hits["evaluated"] == 1  # the system prompt evaluated once, then kept
    llm.invoke(ask(OTHER_SYSTEM, "Twelve eggs cost 3 euros; what does one cost?"), max_tokens=8)
    llm.loaded.llama.reset()  # nothing left in the context: the state comes from memory
    warm = llm.invoke(question, max_tokens=16)
    assert cache.hits["memory"] == 1
    assert warm.content == cold.content
    n_system = len(llm.get_token_ids(SYSTEM))
    assert (
        warm.response_metadata["prompt_eval_tokens"]
        < cold.usage_metadata["input_tokens"] - n_system
    )

    # A new process: nothing in memory, the state read from its file.
    monkeypatch.setitem(llm.loaded.__dict__, "prompt_cache", PromptCache(tmp_path))
    llm.loaded.llama.reset()
    again = llm.invoke(question, max_tokens=16)
    assert llm.loaded.prompt_cache.hits["disk"] == 1
    assert again.content == cold.content


def test_roles_sharing_a_context_keep_their_instructions(
    llm: ChatLlamaCpp, cache: PromptCache
) -> None:
    llm.invoke(ask(SYSTEM, "Where is the Colosseum?"), max_tokens=4)
    llm.invoke(ask(OTHER_SYSTEM, "Three boxes of 12 pens."), max_tokens=4)
    back = llm.invoke(ask(SYSTEM, "Where is Big Ben?"), max_tokens=4)
    n_question = len(llm.get_token_ids("Where is Big Ben?"))
    assert back.response_metadata["prompt_eval_tokens"] <= n_question + 10
    assert cache.hits["memory"] == 1


def test_off_keeps_nothing(llm: ChatLlamaCpp, cache: PromptCache) -> None:
    off = llm.model_copy(update={"prompt_cache": "off"})
    off.invoke(ask(SYSTEM, "Where is the Louvre?"), max_tokens=4)
    assert sum(cache.hits.values()) == 0
    assert not list(Path(cache.directory or ".").glob("*.kv"))


def test_memory_writes_no_file(llm: ChatLlamaCpp, cache: PromptCache) -> None:
    memory = llm.model_copy(update={"prompt_cache": "memory"})
    memory.invoke(ask(SYSTEM, "Where is the Prado?"), max_tokens=4)
    assert cache.hits["evaluated"] == 1
    assert not list(Path(cache.directory or ".").glob("*.kv"))


def test_a_damaged_file_is_evaluated_again(
    llm: ChatLlamaCpp, cache: PromptCache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = ask(SYSTEM, "Which country is Kyoto in?")
    cold = llm.invoke(question, max_tokens=12)
    (file,) = tmp_path.glob("*.kv")
    blob = file.read_bytes()
    file.write_bytes(blob[: len(blob) // 2])  # cut short, as a killed write would leave it
    fresh = PromptCache(tmp_path)
    monkeypatch.setitem(llm.loaded.__dict__, "prompt_cache", fresh)
    llm.loaded.llama.reset()
    again = llm.invoke(question, max_tokens=12)
    assert fresh.hits["disk"] == 0 and fresh.hits["evaluated"] == 1
    assert again.content == cold.content
