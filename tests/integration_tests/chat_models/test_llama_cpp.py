"""ChatLlamaCpp with the real embedded model: generation, streaming, structured output."""

from typing import Annotated, Literal

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from langchain_gba import ChatLlamaCpp, StructuredOutputError


class City(BaseModel):
    name: str = Field(max_length=30)
    country: str = Field(max_length=30)
    population: int = Field(ge=0, le=40_000_000)


class CityDict(TypedDict):
    name: Annotated[str, ..., "the city"]


def test_invoke_reports_usage_and_finish_reason(llm: ChatLlamaCpp) -> None:
    msg = llm.invoke("What is the capital of France?", max_tokens=8)
    assert isinstance(msg, AIMessage) and msg.content
    assert msg.response_metadata["finish_reason"] in {"stop", "length"}
    assert msg.usage_metadata and msg.usage_metadata["output_tokens"] <= 8


def test_max_tokens_cuts_generation(llm: ChatLlamaCpp) -> None:
    msg = llm.invoke("Write a long story about a dragon.", max_tokens=3)
    assert msg.response_metadata["finish_reason"] == "length"
    assert msg.usage_metadata["output_tokens"] == 3


def test_stop_sequence_ends_generation(llm: ChatLlamaCpp) -> None:
    free = llm.invoke("Count from 1 to 10, separated by commas.", max_tokens=30).text
    assert "3" in free, free
    cut = llm.invoke("Count from 1 to 10, separated by commas.", max_tokens=30, stop=["3"]).text
    assert "3" not in cut


def test_stream_yields_tokens_then_usage(llm: ChatLlamaCpp) -> None:
    chunks = list(llm.stream("Name three colours.", max_tokens=12))
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert len(chunks) > 3  # token by token, not one block
    text = "".join(c.text for c in chunks)
    last = chunks[-1]
    assert last.response_metadata["finish_reason"] == "length"
    assert 0 < last.usage_metadata["output_tokens"] <= 13
    assert text.strip()


async def test_async_invoke_and_stream(llm: ChatLlamaCpp) -> None:
    msg = await llm.ainvoke([SystemMessage("Be brief."), HumanMessage("Hi")], max_tokens=6)
    assert msg.text
    parts = [c.text async for c in llm.astream("Hi", max_tokens=6)]
    assert "".join(parts)


def test_instances_share_one_loaded_model(llm: ChatLlamaCpp) -> None:
    other = ChatLlamaCpp(model="smollm2-135m-instruct", max_tokens=5, n_ctx=llm.n_ctx)
    assert other.loaded is llm.loaded


def test_appending_to_a_prompt_reuses_the_evaluated_prefix(llm: ChatLlamaCpp) -> None:
    base = [SystemMessage("You are a planner. " * 40), HumanMessage("Step 1 done.")]
    first = llm.invoke(base, max_tokens=1)
    longer = [*base[:1], HumanMessage("Step 1 done. Step 2 done.")]
    second = llm.invoke(longer, max_tokens=1)
    assert first.usage_metadata["input_tokens"] > 200
    # only the tokens after the shared prefix are evaluated again
    assert second.response_metadata["prompt_eval_tokens"] < 20


@pytest.mark.parametrize("schema", [City, City.model_json_schema(), CityDict])
def test_structured_output_validates(llm: ChatLlamaCpp, schema) -> None:
    out = llm.with_structured_output(schema).invoke("Name a big city in Italy.")
    if schema is City:
        assert isinstance(out, City)
    else:
        assert isinstance(out, dict) and isinstance(out["name"], str)


def test_structured_stream_yields_parsed_objects(llm: ChatLlamaCpp) -> None:
    chunks = list(llm.with_structured_output(City).stream("Name a city in Spain."))
    assert chunks and all(isinstance(c, City) for c in chunks)


def test_json_mode_constrains_to_an_object_then_validates(llm: ChatLlamaCpp) -> None:
    class Answer(BaseModel):
        answer: str = ""

    out = llm.with_structured_output(Answer, method="json_mode").invoke(
        'Reply as JSON: {"answer": "..."}. What is 2+2?', max_tokens=40
    )
    assert isinstance(out, Answer)


class Essay(BaseModel):
    text: str  # unbounded: only max_tokens ends it


def test_cut_off_output_raises_a_typed_error_with_the_raw_text() -> None:
    short = ChatLlamaCpp(model="smollm2-135m-instruct", max_tokens=4)
    with pytest.raises(StructuredOutputError) as info:
        short.with_structured_output(Essay).invoke("Write an essay about Italy.")
    assert info.value.reason == "length"
    assert info.value.raw.startswith('{"text": ')


def test_a_bounded_schema_is_never_cut_off_by_max_tokens() -> None:
    """The grammar ends a bounded output: its token budget follows from the schema."""
    short = ChatLlamaCpp(model="smollm2-135m-instruct", max_tokens=4)
    city = short.with_structured_output(City).invoke("Name a city in Italy.")
    assert isinstance(city, City)


def test_include_raw_returns_the_error_instead_of_raising() -> None:
    short = ChatLlamaCpp(model="smollm2-135m-instruct", max_tokens=4)
    out = short.with_structured_output(Essay, include_raw=True).invoke("An essay, please.")
    assert out["parsed"] is None
    assert isinstance(out["parsing_error"], StructuredOutputError)
    assert isinstance(out["raw"], AIMessage)


def test_max_string_length_bounds_free_strings(llm: ChatLlamaCpp) -> None:
    class Story(BaseModel):
        story: str

    out = llm.with_structured_output(Story, max_string_length=12).invoke(
        "Tell a long story about a dragon."
    )
    assert len(out.story) <= 12


def test_base_model_without_chat_template_uses_the_plain_format() -> None:
    gemma = ChatLlamaCpp(model="gemma-3-270m", max_tokens=8, n_ctx=512)
    assert gemma.loaded.chat_template is None
    assert "### Response:" in gemma.render_prompt([HumanMessage("Hi")])
    out = gemma.with_structured_output(Literal["yes", "no"]).invoke("Is the sky blue?")
    assert out in ("yes", "no")


def test_abandoned_stream_releases_the_model(llm: ChatLlamaCpp) -> None:
    stream = llm.stream("Write a long story.", max_tokens=200)
    next(stream)
    stream.close()  # the consumer stops early
    assert llm.invoke("Hi", max_tokens=2).text is not None  # would deadlock if still locked


def test_json_mode_with_bounded_strings(llm: ChatLlamaCpp) -> None:
    out = llm.with_structured_output({"type": "object"}, method="json_mode", max_string_length=8)
    result = out.invoke("Describe a cat as JSON with long sentences.", max_tokens=300)

    def strings(v):  # type: ignore[no-untyped-def]
        if isinstance(v, str):
            yield v
        elif isinstance(v, dict):
            for x in v.values():
                yield from strings(x)
        elif isinstance(v, list):
            for x in v:
                yield from strings(x)

    assert isinstance(result, dict)
    assert all(len(s) <= 8 for s in strings(result))


def test_a_process_that_loaded_a_model_exits_clean() -> None:
    """No "Exception ignored in Llama.__del__" at interpreter exit: models are closed first."""
    import subprocess
    import sys

    code = (
        "from langchain_gba import ChatLlamaCpp\n"
        "ChatLlamaCpp(model='smollm2-135m-instruct', max_tokens=2).invoke('Hi')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_a_grammar_matcher_error_is_a_structured_output_error(llm: ChatLlamaCpp) -> None:
    """A token outside the grammar (the matcher's error) is reported, never passed on silently."""
    from langchain_gba.chat_models._constraint import GrammarLogitsProcessor

    loaded = llm.loaded
    matcher = loaded.compiler.matcher({"type": "integer"})
    processor = GrammarLogitsProcessor(loaded.llama, matcher)
    assert processor.error is None
    ChatLlamaCpp._check_constraint(processor, "")  # no error: nothing raised
    matcher.consume_tokens(loaded.llama.tokenize(b"abc", add_bos=False))
    assert processor.error
    with pytest.raises(StructuredOutputError, match="left the JSON schema's grammar") as e:
        ChatLlamaCpp._check_constraint(processor, "abc")
    assert e.value.raw == "abc" and e.value.reason == "grammar"
