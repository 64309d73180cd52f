"""JSON schema → GBNF, the grammar format of llama.cpp servers (``grammar`` request field)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from langchain_gba.exceptions import UnsupportedSchemaError
from langchain_gba.structured.schema import SchemaLike, to_json_schema

__all__ = ["to_gbnf"]


def to_gbnf(schema: SchemaLike | Mapping[str, Any]) -> str:
    """Return a GBNF grammar for a pydantic model or JSON schema, using llama.cpp's converter.

    Send it as the ``grammar`` field of a llama.cpp server request; llama.cpp servers also take a
    JSON schema directly (``response_format``), which ``ChatLlamaServer`` uses by default.

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
        return json_schema_to_gbnf(json.dumps(json_schema))
    except Exception as e:
        msg = f"llama.cpp's GBNF converter cannot handle this schema: {e}"
        raise UnsupportedSchemaError(msg) from e
