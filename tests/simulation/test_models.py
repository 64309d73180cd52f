"""Model specs: the llama.cpp grammar fix, server probing."""

from __future__ import annotations

import pytest

from langchain_gba.structured.gbnf import to_gbnf
from simulation.models import ServerUnavailableError, json_safe_gbnf, wait_for_server


def test_json_strings_exclude_control_characters():
    grammar = to_gbnf({"type": "object", "properties": {"a": {"type": "string", "maxLength": 4}}})
    fixed = json_safe_gbnf(grammar)
    (char,) = [line for line in fixed.splitlines() if line.startswith("char ::=")]
    assert char.startswith('char ::= [^"\\\\\\x7F\\x00-\\x1F] |')
    others = [line for line in grammar.splitlines() if not line.startswith("char ::=")]
    assert [line for line in fixed.splitlines() if not line.startswith("char ::=")] == others


def test_a_server_that_never_answers_is_named():
    with pytest.raises(ServerUnavailableError, match="after 2 attempts"):
        wait_for_server("http://127.0.0.1:9/v1", attempts=2, backoff=0.01)
