"""The step schema's helpers."""

from __future__ import annotations

import pytest

from langchain_gba.planner import copies_descriptions


@pytest.mark.parametrize(
    "task",
    [
        "What is still missing to answer the request and the tool that gets it: a search for "
        "facts, the search_w",
        "What the selected tool should do, in plain words, with every name and number it needs",
    ],
)
def test_a_copied_description_is_no_task(task):
    assert copies_descriptions(task)


@pytest.mark.parametrize(
    "task",
    [
        "Calculate 24 multiplied by 12 using the calculator for arithmetic on known numbers.",
        "What is still missing in the museum's collection?",
        "Search Wikipedia for the year the Wright brothers made their first powered flight.",
    ],
)
def test_an_honest_task_is_not_a_copy(task):
    assert not copies_descriptions(task)


def test_fewer_words_in_a_row_flag_more():
    task = "Calculate 24 multiplied by 12 using the calculator for arithmetic on known numbers."
    assert copies_descriptions(task, words=7)
