"""ChatLlamaServer and the prompted route against a real llama_cpp.server on loopback."""

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

from langchain_gba import StructuredOutputError
from langchain_gba.chat_models.llama_server import ChatLlamaServer
from langchain_gba.structured import structured_model, with_prompted_output


class City(BaseModel):
    name: str = Field(max_length=30)
    country: str = Field(max_length=30)


class CountCalls(BaseCallbackHandler):
    def __init__(self) -> None:
        self.calls = 0

    def on_chat_model_start(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.calls += 1


@pytest.fixture(scope="module")
def server_llm(llama_server: str) -> ChatLlamaServer:
    return ChatLlamaServer(base_url=llama_server, max_tokens=48)


def test_invoke_and_stream(server_llm: ChatLlamaServer) -> None:
    assert server_llm.invoke("Say hello.").text
    assert len(list(server_llm.stream("Say hello."))) > 2


@pytest.mark.parametrize("method", ["json_schema", "grammar"])
def test_server_side_constrained_output(server_llm: ChatLlamaServer, method: str) -> None:
    out = server_llm.with_structured_output(City, method=method).invoke("Name a city in Peru.")
    assert isinstance(out, City)


async def test_async_structured_output(server_llm: ChatLlamaServer) -> None:
    out = await server_llm.with_structured_output(City.model_json_schema()).ainvoke("A city?")
    assert set(out) == {"name", "country"}


def test_structured_model_picks_the_server_route(server_llm: ChatLlamaServer) -> None:
    assert isinstance(structured_model(server_llm, City).invoke("A city in Chile?"), City)


def test_cut_off_server_output_is_a_typed_error(llama_server: str) -> None:
    short = ChatLlamaServer(base_url=llama_server, max_tokens=3)
    with pytest.raises(StructuredOutputError) as info:
        short.with_structured_output(City).invoke("A city?")
    assert info.value.reason == "length"


def test_unconstrained_backend_retries_then_raises_typed_error(llama_server: str) -> None:
    # A plain OpenAI-compatible client: nothing constrains the output, so a 135M model answers
    # in prose; the prompted route feeds the error back a bounded number of times.
    plain = ChatOpenAI(
        base_url=llama_server, api_key="none", model="m", max_tokens=24, temperature=0
    )
    counter = CountCalls()
    runnable = with_prompted_output(plain, City, max_retries=2)
    try:
        out = runnable.invoke("Name the capital of France.", config={"callbacks": [counter]})
    except StructuredOutputError as e:
        assert counter.calls == 3
        assert e.raw and "3 attempts" in str(e)
    else:
        assert isinstance(out, City) and 1 <= counter.calls <= 3


def _book_table(restaurant: str, people: int) -> str:
    """Book a table at a restaurant for a number of people."""
    return f"Booked {restaurant} for {people}."


def test_bind_tools_calls_with_arguments_the_server_constrains(server_llm) -> None:
    import asyncio

    import jsonschema
    from langchain_core.messages import HumanMessage, ToolMessage
    from langchain_core.utils.function_calling import convert_to_openai_tool

    schema = convert_to_openai_tool(_book_table)["function"]["parameters"]
    bound = server_llm.bind_tools([_book_table], tool_choice="any")
    question = HumanMessage("Book a table for 4 at Luigi's.")
    for reply in (bound.invoke([question]), asyncio.run(bound.ainvoke([question]))):
        (call,) = reply.tool_calls
        assert call["name"] == "_book_table"
        jsonschema.validate(call["args"], schema)
    chunks = list(bound.stream([question]))
    assert chunks[0].tool_call_chunks[0]["name"] == "_book_table"
    # after the result, under "auto", the server's model writes its reply (no call again)
    result = ToolMessage("Booked Luigi's for 4.", tool_call_id=call["id"])
    answer = server_llm.bind_tools([_book_table]).invoke([question, reply, result])
    assert isinstance(answer.text, str) and not answer.tool_calls


def test_bind_tools_native_sends_the_tools_to_the_server(server_llm) -> None:
    bound = server_llm.bind_tools([_book_table], native=True)
    assert bound.kwargs["tools"][0]["function"]["name"] == "_book_table"
