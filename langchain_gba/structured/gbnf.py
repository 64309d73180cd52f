"""JSON schema → GBNF, the grammar format of llama.cpp servers (``grammar`` request field)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from langchain_gba.exceptions import UnsupportedSchemaError
from langchain_gba.structured._int_range import int_range
from langchain_gba.structured.schema import SchemaLike, to_json_schema

__all__ = ["expand_shorthands", "json_safe_gbnf", "to_gbnf"]

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


# llama-cpp-python's converter writes a string of at most N characters as N nested optional
# groups, "(char (char (char)?)?)?"; llama.cpp's parser counts a rule per group and refuses more
# than 2000 ("failed to parse grammar": the assistant's 2000-character email body), and
# llama-cpp-python's server dies on it. A bounded repetition says the same in one rule.
_NESTED_OPTIONAL = re.compile(r"\((?P<x>[A-Za-z0-9-]+) (?:\((?P=x) )*\((?P=x)\)\?(?:\)\?)+")
_MAX_REPETITION = 2000  # llama.cpp's MAX_REPETITION_THRESHOLD


def _flat_repetitions(grammar: str) -> str:
    """``(x (x (x)?)?)?`` as ``x{0,3}`` (``x*`` past llama.cpp's repetition limit)."""

    def flat(m: re.Match[str]) -> str:
        text, x = m.group(0), m.group("x")
        opened = text.count("(")
        closed = text.count(")?")
        if opened != closed:  # a tail that closes outer groups too: leave it
            return text
        return f"{x}{{0,{opened}}}" if opened <= _MAX_REPETITION else f"{x}*"

    return _NESTED_OPTIONAL.sub(flat, grammar)


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


# Regex shorthand classes as the characters they stand for (ASCII, as JSON schema's ECMA-262
# patterns mean them): llama-cpp-python's converter copies ``\d`` into the grammar as an escape
# and llama.cpp reads it as a plain "d" (a time pattern ``[01]\d:[0-5]\d`` wrote "1d:0d").
# ``\s`` is a space: a tab or a newline inside a JSON string must be written as an escape, which
# a character class cannot say; the negated ones also exclude what a JSON string cannot hold raw.
_SHORTHANDS = {"d": "0-9", "w": "A-Za-z0-9_", "s": " "}
_NOT_IN_JSON = '"\\\\\\x00-\\x1F\\x7F'


def expand_shorthands(pattern: str) -> str:
    r"""``pattern`` with its shorthand classes written as character classes.

    ``\d``, ``\w``, ``\s`` anywhere, ``\D``, ``\W``, ``\S`` outside brackets: every GBNF
    converter handles a character class.

    Raises:
        UnsupportedSchemaError: a negated shorthand inside brackets (``[^\D]``), which a
            character class cannot hold.
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            e = pattern[i + 1]
            i += 2
            if e.lower() in _SHORTHANDS:
                chars = _SHORTHANDS[e.lower()]
                if in_class and e.islower():
                    out.append(chars)
                elif in_class:
                    msg = f"pattern {pattern!r}: \\{e} inside brackets is not supported; "
                    msg += "write the characters it excludes instead."
                    raise UnsupportedSchemaError(msg)
                else:
                    out.append(f"[{chars}]" if e.islower() else f"[^{chars}{_NOT_IN_JSON}]")
            else:
                out.append(c + e)
            continue
        if c == "[" and not in_class:
            in_class = True
            out.append(c)
            if pattern[i + 1 : i + 2] == "^":  # a negation, then "]" first is a literal
                out.append("^")
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                out.append("\\]")
                i += 1
        elif c == "]" and in_class:
            in_class = False
            out.append(c)
        else:
            out.append(c)
        i += 1
    return "".join(out)


_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def _integer_bounds(node: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """The smallest and largest integer a bounded ``integer`` schema allows."""
    lo = hi = None
    if isinstance(node.get("minimum"), int | float):
        lo = math.ceil(node["minimum"])
    if isinstance(node.get("exclusiveMinimum"), int | float):
        lo = max(lo if lo is not None else -math.inf, math.floor(node["exclusiveMinimum"]) + 1)
    if isinstance(node.get("maximum"), int | float):
        hi = math.floor(node["maximum"])
    if isinstance(node.get("exclusiveMaximum"), int | float):
        hi = min(hi if hi is not None else math.inf, math.ceil(node["exclusiveMaximum"]) - 1)
    return (None if lo is None else int(lo)), (None if hi is None else int(hi))


def _prepared(node: Any, ranges: list[str]) -> Any:
    """The schema with shorthand-free patterns and placeholders for bounded integers.

    Each ``pattern`` goes through ``expand_shorthands``; each bounded integer becomes a
    placeholder ``const``, and ``ranges`` gets its GBNF (``int_range``), put in place of the
    placeholder after conversion (``_put_integer_ranges``).
    """
    if isinstance(node, Mapping):
        if node.get("type") == "integer" and any(b in node for b in _BOUNDS):
            lo, hi = _integer_bounds(node)
            if lo is not None or hi is not None:
                try:
                    ranges.append(int_range(lo, hi))
                except ValueError as e:
                    raise UnsupportedSchemaError(f"integer bounds {lo}..{hi}: {e}") from e
                return {"const": f"@gba-int-{len(ranges) - 1}@"}
        return {
            k: (
                expand_shorthands(v)
                if k == "pattern" and isinstance(v, str)
                else _prepared(v, ranges)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_prepared(v, ranges) for v in node]
    return node


def _put_integer_ranges(grammar: str, ranges: list[str]) -> str:
    """Each placeholder's literal replaced by its range (and the space after a value)."""
    for i, expression in enumerate(ranges):
        grammar = grammar.replace(f'"\\"@gba-int-{i}@\\""', f"({expression}) space")
    return grammar


def to_gbnf(schema: SchemaLike | Mapping[str, Any]) -> str:
    r"""Return a GBNF grammar for a pydantic model or JSON schema, using llama.cpp's converter.

    Send it as the ``grammar`` field of a llama.cpp server request (``ChatLlamaServer`` does for
    every schema it converts); llama.cpp servers also take a JSON schema directly
    (``response_format``), which llama-cpp-python's server converts with the same converter
    unmended. Five defects of that converter are fixed here: strings exclude control
    characters (as in llama.cpp's own converter), escapes llama.cpp's parser rejects become
    hex escapes, a
    pattern's ``\d``, ``\w``, ``\s`` become character classes (``expand_shorthands``), a
    string's nested optional characters become one bounded repetition (``char{0,2000}``), and
    an integer's ``minimum``/``maximum``, which that converter ignores, are written digit by
    digit as llama.cpp's own converter does (``int_range``).

    Raises:
        ImportError: llama-cpp-python (which ships the converter) is not installed.
        UnsupportedSchemaError: the converter rejected the schema.
    """
    try:
        from llama_cpp.llama_grammar import json_schema_to_gbnf
    except ImportError as e:
        msg = "to_gbnf needs llama-cpp-python: pip install 'langchain-gba[local]'"
        raise ImportError(msg) from e
    ranges: list[str] = []
    json_schema = _prepared(to_json_schema(schema), ranges)
    try:
        converted = json_schema_to_gbnf(json.dumps(json_schema))
        grammar = json_safe_gbnf(_parser_safe(_flat_repetitions(converted)))
        return _put_integer_ranges(grammar, ranges)
    except Exception as e:
        msg = f"llama.cpp's GBNF converter cannot handle this schema: {e}"
        raise UnsupportedSchemaError(msg) from e
