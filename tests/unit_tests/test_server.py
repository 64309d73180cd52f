from __future__ import annotations

import pytest

from langchain_gba.server import LlamaServer, LlamaServerError, find_llama_server


def test_parallel_slots_need_llama_server() -> None:
    with pytest.raises(ValueError, match="llama-server"):
        LlamaServer("model.gguf", parallel=4)


def test_a_missing_llama_server_says_how_to_build_it() -> None:
    with pytest.raises(LlamaServerError, match="scripts/build_llama_server.sh"):
        find_llama_server("no-such-llama-server-binary")
