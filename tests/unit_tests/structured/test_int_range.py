"""Integer ranges as GBNF, checked number by number through an equivalent regex."""

from __future__ import annotations

import re

import pytest

from langchain_gba.structured._int_range import int_range


def _as_regex(expression: str) -> re.Pattern[str]:
    """The GBNF expression (literals, classes, repetitions, groups) as a Python regex."""
    return re.compile(
        re.sub(r'"([^"]*)"', lambda m: re.escape(m.group(1)), expression).replace(" ", "")
    )


@pytest.mark.parametrize(
    ("lo", "hi"),
    [
        (5, 1440),
        (0, 100),
        (1, 9),
        (-50, 50),
        (-300, -20),
        (10, 10),
        (7, None),
        (0, None),
        (123, None),
        (-45, None),
        (None, 99),
        (None, -5),
        (99, 12345),
    ],
)
def test_exactly_the_integers_in_range_match(lo: int | None, hi: int | None) -> None:
    regex = _as_regex(int_range(lo, hi))
    for n in range(-2000, 16000):
        inside = (lo is None or n >= lo) and (hi is None or n <= hi)
        assert bool(regex.fullmatch(str(n))) == inside, (lo, hi, n)
    assert not regex.fullmatch("05")  # no leading zeros


def test_an_empty_or_unbounded_range_is_refused() -> None:
    with pytest.raises(ValueError, match="bounds"):
        int_range(None, None)
    with pytest.raises(ValueError, match="No integer"):
        int_range(5, 4)
