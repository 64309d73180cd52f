"""Schema-constrained generation: schemas, compiled grammars, typed parsing."""

from langchain_gba.structured.gbnf import to_gbnf
from langchain_gba.structured.prompted import with_prompted_output
from langchain_gba.structured.route import structured_model
from langchain_gba.structured.schema import (
    SchemaLike,
    bound_numbers,
    bound_strings,
    parse_output,
    schema_key,
    to_json_schema,
)

__all__ = [
    "SchemaLike",
    "bound_numbers",
    "bound_strings",
    "parse_output",
    "schema_key",
    "structured_model",
    "to_gbnf",
    "to_json_schema",
    "with_prompted_output",
]
