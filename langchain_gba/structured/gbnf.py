"""JSON schema → GBNF, the grammar format of llama.cpp servers (``grammar`` request field)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from langchain_gba.exceptions import UnsupportedSchemaError
from langchain_gba.structured.schema import SchemaLike, to_json_schema

__all__ = ["json_safe_gbnf", "to_gbnf"]

# The escapes llama.cpp's GBNF parser accepts in literals and character classes
# (llama-grammar.cpp, parse_char); it rejects any other with "unknown escape".
_GBNF_ESCAPES = frozenset('xuUtrn\\"[]')
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


# llama-cpp-python's converter lets raw control characters (newlines) into JSON strings, which
# JSON forbids; llama.cpp's own converter excludes them with this rule.
_LOOSE_CHAR = 'char ::= [^"\\\\]'
_STRICT_CHAR = 'char ::= [^"\\\\\\x7F\\x00-\\x1F]'


def json_safe_gbnf(grammar: str) -> str:
    """``grammar`` with JSON string characters that exclude control characters."""
    return grammar.replace(_LOOSE_CHAR, _STRICT_CHAR)


def _parser_safe(grammar: str) -> str:
    r"""Rewrite escapes llama.cpp's parser rejects (``\.`` from a regex ``pattern``) as ``\xHH``.

    llama-cpp-python's Python converter copies a pattern's ``\.`` into the grammar; llama.cpp
    then fails to parse it, and llama-cpp-python's server uses the missing grammar and dies
    with a segmentation fault. A hex escape means the same character in a literal and in a
    character class (where an unescaped ``-`` or ``^`` would change the meaning).
    """

    def fix(m: re.Match[str]) -> str:
        c = m.group(1)
        if c in _GBNF_ESCAPES:
            return m.group(0)
        code = ord(c)
        return f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}"

    return _ESCAPE.sub(fix, grammar)


def to_gbnf(schema: SchemaLike | Mapping[str, Any]) -> str:
    """Return a GBNF grammar for a pydantic model or JSON schema, using llama.cpp's converter.

    Send it as the ``grammar`` field of a llama.cpp server request; llama.cpp servers also take a
    JSON schema directly (``response_format``), which ``ChatLlamaServer`` uses by default. Two
    defects of that converter are fixed here: strings exclude control characters (as in
    llama.cpp's own converter), and escapes llama.cpp's parser rejects become hex escapes.

    Raises:
        ImportError: llama-cpp-python (which ships the converter) is not installed.
        UnsupportedSchemaError: the converter rejected the schema.
    """
    try:
        from llama_cpp.llama_grammar import json_schema_to_gbnf
    except ImportError as e:
        msg = "to_gbnf needs llama-cpp-python: pip install 'langchain-gba[local]'"
        raise ImportError(msg) from e
    json_schema = to_json_schema(schema)
    try:
        return json_safe_gbnf(_parser_safe(json_schema_to_gbnf(json.dumps(json_schema))))
    except Exception as e:
        msg = f"llama.cpp's GBNF converter cannot handle this schema: {e}"
        raise UnsupportedSchemaError(msg) from e
