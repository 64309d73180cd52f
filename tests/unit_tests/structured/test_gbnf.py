"""JSON schema → GBNF that llama.cpp's parser accepts (the server run: integration_tests)."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, Field

from langchain_gba.structured.gbnf import _parser_safe, json_safe_gbnf, to_gbnf

URL = r"^https://[a-z0-9-]{1,8}\.[a-z]{2,3}$"


class Page(BaseModel):
    title: str = Field(max_length=12)
    url: str = Field(pattern=URL)


@pytest.mark.parametrize(
    ("grammar", "expected"),
    [
        (r'a ::= "\." [a\-z]', r'a ::= "\x2E" [a\x2Dz]'),  # unknown escapes → hex
        (r'a ::= "\"" "\\" [\[\]] "\n\t\r" "\x41"', r'a ::= "\"" "\\" [\[\]] "\n\t\r" "\x41"'),
        (r'a ::= "\\."', r'a ::= "\\."'),  # an escaped backslash, then a plain dot
    ],
)
def test_escapes_llama_cpp_rejects_become_hex(grammar: str, expected: str) -> None:
    assert _parser_safe(grammar) == expected


def test_a_regex_pattern_leaves_no_unknown_escape() -> None:
    grammar = to_gbnf(Page)
    assert r"\x2E" in grammar  # the pattern's \.
    assert not re.search(r'\\[^xuUtrn\\"\[\]]', grammar.replace("\\\\", ""))


def test_json_strings_exclude_control_characters() -> None:
    grammar = to_gbnf({"type": "object", "properties": {"a": {"type": "string", "maxLength": 4}}})
    (char,) = [line for line in grammar.splitlines() if line.startswith("char ::=")]
    assert char.startswith('char ::= [^"\\\\\\x7F\\x00-\\x1F] |')
    assert json_safe_gbnf(grammar) == grammar
