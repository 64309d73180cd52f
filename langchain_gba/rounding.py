"""How an answer rounds a calculated number: as the request asks, else as a person would.

The calculator keeps full precision (``85133000 / 14060000 = 6.05497866287``); the answer
writer was handed that number and rounded it itself, wrongly at times ("6.0 times" for "to one
decimal", "8.5" for 8.5714). The agent rounds it before the writer sees it.
"""

from __future__ import annotations

import math
import re

__all__ = ["requested_decimals", "rounded_for"]

_WORD_DIGITS = {"one": 1, "two": 2, "three": 3, "four": 4, "a single": 1}

_DECIMALS = re.compile(
    r"\b(one|two|three|four|a single|[1-4])\s+(?:decimal|digit)s?\b(?!\s+digits?\b)",
    re.IGNORECASE,
)
_FRACTION = re.compile(r"\bnearest\s+(tenth|hundredth|thousandth)\b", re.IGNORECASE)
_WHOLE = re.compile(
    r"\b(?:nearest\s+(?!tenth|hundredth|thousandth|ten\b|hundred|thousand|million|billion)\w+|"
    r"whole\s+(?:number|percent|\w+s)\b|"
    r"no\s+decimals?|without\s+decimals|round(?:ed)?\s+to\s+(?:an?\s+)?(?:integer|whole))",
    re.IGNORECASE,
)

MAX_SHORT_DECIMALS = 3
"""A result with this many decimals or fewer is not rounded unless the request asks."""

DEFAULT_DECIMALS = 2
"""Decimals of a long number of 1 or more when the request asks for none (trailing zeros
dropped)."""

DEFAULT_SIGNIFICANT = 3
"""Significant digits of a number below 1 when the request asks for none."""


def requested_decimals(request: str) -> int | None:
    """The decimals ``request`` asks for ("to one decimal": 1, "nearest metre": 0), or None."""
    if m := _DECIMALS.search(request):
        word = m.group(1).lower()
        return _WORD_DIGITS[word] if word in _WORD_DIGITS else int(word)
    if m := _FRACTION.search(request):
        return {"tenth": 1, "hundredth": 2, "thousandth": 3}[m.group(1).lower()]
    if _WHOLE.search(request):
        return 0
    return None


def rounded_for(result: str, request: str) -> str:
    """``result`` (a calculator's number) rounded as ``request`` asks, else as a person would.

    A whole number stays as it is. Asked for decimals, the number gets exactly those
    (``6.05497866287`` → ``6.1`` "to one decimal", ``3.70`` for two); otherwise a long decimal
    (more than ``MAX_SHORT_DECIMALS``) gets two decimals for a number of 1 or more
    (``1.17483074472`` → ``1.17``) and three significant digits below 1 (``0.00223768`` →
    ``0.00224``), trailing zeros dropped; a short one stays (``384.399``, ``1157.625``). Text
    that is no number is returned as it is.
    """
    try:
        value = float(result)
    except ValueError:
        return result
    if not math.isfinite(value) or value.is_integer():
        return result
    decimals = requested_decimals(request)
    if decimals is not None:
        return f"{value:.{decimals}f}"
    if len(result.partition(".")[2]) <= MAX_SHORT_DECIMALS:
        return result  # no long decimal: "384.399" (a distance / 1000) is the number asked
    if abs(value) >= 1:
        text = f"{value:.{DEFAULT_DECIMALS}f}"
    else:
        places = DEFAULT_SIGNIFICANT - 1 - math.floor(math.log10(abs(value)))
        text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
