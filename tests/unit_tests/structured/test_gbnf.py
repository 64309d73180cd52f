"""JSON schema → GBNF that llama.cpp's parser accepts (the server run: integration_tests)."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, Field

from langchain_gba.exceptions import UnsupportedSchemaError
from langchain_gba.structured.gbnf import _parser_safe, expand_shorthands, json_safe_gbnf, to_gbnf

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


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"^([01]\d|2[0-3]):[0-5]\d$", r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
        (r"[\w.-]+@x", r"[A-Za-z0-9_.-]+@x"),  # inside brackets: the characters alone
        (r"a\sb", "a[ ]b"),
        (r"\D", r'[^0-9"\\\x00-\x1F\x7F]'),  # nor what a JSON string cannot hold raw
        (r"a\\d", r"a\\d"),  # an escaped backslash, then a plain d
        (r"[]\d]", r"[\]0-9]"),  # "]" first in brackets is a literal
        (r"\.\(", r"\.\("),
    ],
)
def test_shorthand_classes_become_character_classes(pattern: str, expected: str) -> None:
    assert expand_shorthands(pattern) == expected
    assert re.fullmatch(expected, "07:45") if "[01]" in pattern else True


def test_a_digit_pattern_is_digits_in_the_grammar_not_the_letter_d() -> None:
    class Slot(BaseModel):
        time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")

    (rule,) = [line for line in to_gbnf(Slot).splitlines() if line.startswith("time- ::=")]
    assert "[0-9]" in rule and "x64" not in rule and '"\\d"' not in rule
    with pytest.raises(UnsupportedSchemaError, match="inside brackets"):
        expand_shorthands(r"[^\D]")


def test_a_long_string_is_one_bounded_repetition_not_nested_groups() -> None:
    class Note(BaseModel):
        subject: str = Field(min_length=2, max_length=5)
        body: str = Field(max_length=2000)
        longer: str = Field(max_length=2500)

    rules = dict(line.split(" ::= ", 1) for line in to_gbnf(Note).splitlines())
    assert rules["subject"] == r'"\"" char char char{0,3} "\"" space'
    assert rules["body"] == r'"\"" char{0,2000} "\"" space'
    assert rules["longer"] == r'"\"" char* "\"" space'  # past llama.cpp's limit: checked after


def test_integer_bounds_are_in_the_grammar() -> None:
    class Event(BaseModel):
        minutes: int = Field(ge=5, le=1440)
        count: int | None = Field(default=None, gt=0)

    rules = dict(line.split(" ::= ", 1) for line in to_gbnf(Event).splitlines())
    assert rules["minutes"].startswith("([5-9] | ") and rules["minutes"].endswith(") space")
    assert "@gba-int" not in to_gbnf(Event)
    assert rules["count-0"] == "([1-9] [0-9]{0,15}) space"
    with pytest.raises(UnsupportedSchemaError, match="No integer"):
        to_gbnf(
            {"type": "object", "properties": {"n": {"type": "integer", "minimum": 3, "maximum": 1}}}
        )
