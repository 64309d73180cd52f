import pytest

from langchain_gba.exceptions import UnsupportedSchemaError
from langchain_gba.structured import to_gbnf

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}


def test_compiled_schemas_are_cached_per_schema(llm) -> None:
    compiler = llm.loaded.compiler
    first = compiler.compile(SCHEMA)
    assert compiler.compile(dict(reversed(list(SCHEMA.items())))) is first
    assert compiler.matcher(SCHEMA) is not first  # a fresh copy per generation


@pytest.mark.parametrize(
    ("schema", "construct"),
    [
        ({"type": "object", "properties": {"a": {"not": {"type": "string"}}}}, "not"),
        ({"type": "object", "properties": {"a": {"type": "foo"}}}, "foo"),
    ],
)
def test_unsupported_schema_names_the_construct(llm, schema, construct) -> None:
    with pytest.raises(UnsupportedSchemaError, match=construct):
        llm.with_structured_output(schema)


@pytest.mark.parametrize("kind", ["integer", "number"])
def test_a_number_cannot_run_on(llm, kind) -> None:
    """llguidance alone would let ``2200000…`` run until max_tokens (16 digits, 10 decimals)."""
    schema = {"type": "object", "properties": {"a": {"type": kind}}, "required": ["a"]}
    tokenizer = llm.loaded.compiler.tokenizer

    def accepts(text: str) -> bool:
        matcher = llm.loaded.compiler.matcher(schema)
        return matcher.consume_tokens(tokenizer.tokenize_str(text)) and not matcher.is_error()

    assert accepts('{"a": -' + "9" * 16 + "}")
    assert not accepts('{"a": 22' + "0" * 15)
    if kind == "number":
        assert accepts('{"a": -37.8651}')
        assert not accepts('{"a": 0.' + "3" * 11)


def test_gbnf_for_llama_cpp_servers() -> None:
    grammar = to_gbnf(SCHEMA)
    assert "root ::=" in grammar and '"\\"a\\""' in grammar


def test_engine_limits_give_a_short_error(llm) -> None:
    schema = {"type": "number", "minimum": 2.2250738585072014e-308, "maximum": 1}
    with pytest.raises(UnsupportedSchemaError) as info:
        llm.with_structured_output(schema)
    assert len(str(info.value)) < 800
    assert "cannot be compiled" in str(info.value)
