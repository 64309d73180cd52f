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
