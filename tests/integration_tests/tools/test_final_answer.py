"""final_answer: the answer for the user, and what is kept when max_tokens cuts it off."""

from __future__ import annotations

import pytest

from langchain_gba.exceptions import StructuredOutputError
from langchain_gba.tools.final_answer import CUT_OFF_MARK, FinalAnswerTool, cut_off_answer


def cut(raw: str, reason: str = "length") -> StructuredOutputError:
    return StructuredOutputError("cut off", raw=raw, reason=reason)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"answer": "Paris has 2,102,650 inhab', f"Paris has 2,102,650 inhab{CUT_OFF_MARK}"),
        ('{"answer": "Paris has 2 million."', "Paris has 2 million."),  # only the } missing
        ('{ "answer" : "A \\"quoted\\" word and \\', f'A "quoted" word and{CUT_OFF_MARK}'),
        ('{"answer": "caf\\u00e', f"caf{CUT_OFF_MARK}"),  # a cut unicode escape
        ('{"answer": "', None),  # nothing written yet
        ('{"ans', None),
    ],
)
def test_cut_off_answer_keeps_what_was_written(raw: str, expected: str | None) -> None:
    assert cut_off_answer(cut(raw)) == expected


def test_only_a_cut_off_is_salvaged() -> None:
    assert cut_off_answer(cut('{"answer": "x', reason="validation: too long")) is None


def test_in_process_answers_are_never_cut_off_by_max_tokens(llm) -> None:  # type: ignore[no-untyped-def]
    """The answer's schema is bounded: the grammar ends it, whatever max_tokens says."""
    tool = FinalAnswerTool(llm=llm.model_copy(update={"max_tokens": 2}), max_length=120)
    answer = tool.invoke(
        {"request": "What is the population of Paris?",
         "context": "Task: Find the population of Paris.\nResult: Paris has 2,102,650 inhabitants."}
    )  # fmt: skip
    assert answer and not answer.endswith(CUT_OFF_MARK) and len(answer) <= 120


def test_a_server_cut_off_by_max_tokens_still_answers(llama_server) -> None:  # type: ignore[no-untyped-def]
    from langchain_gba.chat_models.llama_server import ChatLlamaServer

    tool = FinalAnswerTool(llm=ChatLlamaServer(base_url=llama_server, max_tokens=10))
    answer = tool.invoke(
        {"request": "What is the population of Paris?",
         "context": "Task: Find the population of Paris.\nResult: Paris has 2,102,650 inhabitants."}
    )  # fmt: skip
    assert answer.endswith(CUT_OFF_MARK) and len(answer) > len(CUT_OFF_MARK)


def test_nothing_written_is_still_an_error(llama_server) -> None:  # type: ignore[no-untyped-def]
    from langchain_gba.chat_models.llama_server import ChatLlamaServer

    tool = FinalAnswerTool(llm=ChatLlamaServer(base_url=llama_server, max_tokens=2))
    with pytest.raises(StructuredOutputError, match="max_tokens"):
        tool.invoke({"request": "Hi?", "context": "No previous steps."})
