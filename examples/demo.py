"""`make demo`: structured output from the embedded model, enforced by constrained decoding."""

from pydantic import BaseModel, Field

from langchain_gba import ChatLlamaCpp


class City(BaseModel):
    """A city and facts about it."""

    name: str = Field(max_length=40, description="The city's name")
    country: str = Field(max_length=40)
    population_millions: float = Field(ge=0, le=50)


def main() -> None:
    llm = ChatLlamaCpp(model="smollm2-135m-instruct", max_tokens=64)
    structured = llm.with_structured_output(City)
    for question in ("Name the capital of France.", "Name a large city in Japan."):
        city = structured.invoke(question)
        print(f"{question}\n  -> {city!r}")


if __name__ == "__main__":
    main()
