"""bench/agents.py's answer check: the labelled answer in the model's answer."""

from __future__ import annotations

import pytest
from bench_modules import load_bench

agents = load_bench("agents.py")


@pytest.mark.parametrize(
    ("expected", "answer", "ok"),
    [
        ("1157.625", "After 3 years you will have $1,157.63.", True),  # cents
        ("1157.625", "After 3 years you will have $1,157.625.", True),
        ("1157.625", "About $1,158.", False),  # rounded to fewer than two decimals
        ("1157.625", "After 3 years you will have $1,157.60.", False),
        ("22.857142", "Your BMI is 22.86.", True),
        ("777.15", "Aconcagua is 777.15 m higher.", True),
        ("777.15", "Aconcagua is 777.2 m higher.", False),
        ("Paris", "It is in paris.", True),
        (["3.68", "3.7"], "About 3.7 times.", True),
    ],
)
def test_answer_matches(expected, answer, ok):
    assert agents.answer_matches(expected, answer) is ok


def test_a_number_only_repeated_from_the_request_does_not_count():
    request = "What is the average of 12, 15, 20 and 33?"
    assert agents.answer_matches("20", "The average of 12, 15, 20 and 33 is 13.8", request) is False
