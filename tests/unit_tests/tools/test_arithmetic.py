"""The safe arithmetic evaluator (the calculator's security boundary): values, bounds, refusals."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_gba.exceptions import CalculationError, GBAError
from langchain_gba.tools.arithmetic import (
    CalculatorLimits,
    format_number,
    normalize_expression,
    safe_eval,
)

# -- the evaluator --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("2 ** 3 ** 2", 512),  # right-associative
        ("-2 ** 2", -4),  # the power binds tighter than the minus
        ("(-2) ** 2", 4),
        ("2 ** -1", 0.5),
        ("10 - 4 - 3", 3),  # left-associative
        ("100 / 10 / 5", 2.0),
        ("7 / 2", 3.5),
        ("6 / 3", 2.0),
        ("7 // 2", 3),
        ("-7 // 2", -4),
        ("7 % 3", 1),
        ("-7 % 3", 2),
        ("7.5 // 2", 3.0),
        ("+5", 5),
        ("--5", 5),
        ("0.1 + 0.2", 0.1 + 0.2),
        ("1.5e3 * 2", 3000.0),
        ("1_000 + 1", 1001),
        ("2 ** 100", 2**100),
        ("123456789 * 987654321", 121932631112635269),
        ("sqrt(16)", 4.0),
        ("sqrt(2) * sqrt(2)", math.sqrt(2) ** 2),
        ("abs(-3.5)", 3.5),
        ("round(2.5)", 3),  # half away from zero, unlike Python's round
        ("round(-2.5)", -3),
        ("round(2.675, 2)", 2.68),  # on the number as written
        ("round(1234, -2)", 1200),
        ("round(1250, -2)", 1300),
        ("round(3.14159, 3)", 3.142),
        ("min(3, 1, 2)", 1),
        ("max(3, 1.5)", 3),
        ("floor(-2.5)", -3),
        ("ceil(2.1)", 3),
        ("log(e)", 1.0),
        ("log(8, 2)", 3.0),
        ("log10(1000)", 3.0),
        ("exp(0)", 1.0),
        ("sin(0) + cos(0)", 1.0),
        ("tan(pi / 4)", math.tan(math.pi / 4)),
        ("factorial(10)", 3628800),
        ("factorial(5.0)", 120),
        ("2 * pi", 2 * math.pi),
        ("(12 + 3) * 4 / 5", 12.0),
        ("sqrt(3 ** 2 + 4 ** 2)", 5.0),
    ],
)
def test_evaluates_arithmetic(expression: str, value: float) -> None:
    result = safe_eval(expression)
    assert result == value
    assert type(result) is type(value)


@pytest.mark.parametrize(
    ("written", "python"),
    [
        ("2^10", "2**10"),
        ("12 × 7", "12 * 7"),
        ("10 ÷ 4", "10 / 4"),
        ("5 − 3", "5 - 3"),
        ("12 x 7", "12 * 7"),
        ("1,000,000 + 2,500.75", "1000000 + 2500.75"),
        ("(1,000) * 2", "(1000) * 2"),
        ("max(1,000)", "max(1,000)"),  # inside a call, commas separate the arguments
        ("1,00", "1,00"),  # not groups of three: left for the evaluator to refuse
        ("80 * 15%", "80 * (15 / 100)"),
        ("15% * 80", "(15 / 100) * 80"),
        ("10 % 3", "10 % 3"),  # remainder
        ("10 % -3", "10 % -3"),
        ("  12 * 7 = ", "12 * 7"),
        ("12 * 7?", "12 * 7"),
    ],
)
def test_normalizes_how_people_write(written: str, python: str) -> None:
    assert normalize_expression(written) == python


@pytest.mark.parametrize(
    ("expression", "value"),
    [("2^10", 1024), ("1,000 * 3", 3000), ("80 * 15%", 12.0), ("max(1,000, 2)", 2), ("12 x 7", 84)],
)
def test_evaluates_normalized_spellings(expression: str, value: float) -> None:
    assert safe_eval(expression) == value


HOSTILE = [
    ("().__class__.__bases__", "Not allowed: attribute access"),
    ("().__class__.__bases__[0].__subclasses__()", "only the listed functions can be called"),
    ("__import__('os')", "'__import__' is not an allowed function"),
    ("__import__('os').system('ls')", "Not allowed: calling __import__('os').system"),
    ("open('/etc/passwd')", "'open' is not an allowed function"),
    ("x + 1", "Unknown name 'x'"),
    ("__builtins__", "Unknown name '__builtins__'"),
    ("sqrt", "sqrt is a function: call it as sqrt(x)"),
    ("9**9**9", "more than 1000 digits"),
    ("10**100000", "more than 1000 digits"),
    ("2 ** 10 ** 10", "more than 1000 digits"),
    ("(10 ** 500) * (10 ** 600)", "more than 1000 digits"),
    ("factorial(100000)", "at most 1000"),
    ("factorial(500)", "more than 1000 digits"),
    ("factorial(-1)", "whole number"),
    ("factorial(2.5)", "whole number"),
    ("1" * 600, "at most 500 are allowed"),
    ("1+" * 200 + "1", "at most 300 are allowed"),
    ("-(" * 120 + "1" + ")" * 120, "more than 100 operations inside one another"),
    ("(" * 210 + "1" + ")" * 210, "too many nested parentheses"),
    ("lambda: 1", "Not allowed: lambda"),
    ("[x for x in range(10)]", "Not allowed: comprehensions"),
    ("(x for x in ())", "Not allowed: generator expressions"),
    ("'abc'", "Text ('abc') is not allowed"),
    ("'a' * 10", "Text ('a') is not allowed"),
    ("f'{1}'", "Not allowed: text (f-strings)"),
    ("[1, 2][0]", "Not allowed: indexing"),
    ("(1, 2)", "Not allowed: tuples"),
    ("1,00", "Not allowed: tuples"),
    ("{1: 2}", "Not allowed: dicts"),
    ("1 < 2", "Not allowed: comparisons"),
    ("1 and 2", "Not allowed: and / or"),
    ("1 if 2 else 3", "Not allowed: conditional"),
    ("(y := 2)", "Not allowed: assignments"),
    ("1 << 10000", "Not allowed: the operator <<"),
    ("~1", "Not allowed: the operator ~"),
    ("not 1", "Not allowed: the operator not"),
    ("True + 1", "True is not a number"),
    ("None", "None is not a number"),
    ("1j * 2", "Complex numbers"),
    ("abs(x=-1)", "Keyword arguments are not allowed"),
    ("abs(*[1])", "Not allowed: unpacking"),
    ("sqrt(1, 2)", "sqrt got 2 arguments: call it as sqrt(x)"),
    ("min()", "min got 0 arguments"),
    ("round(1.5, 10 ** 9)", "round's digits must be between -100 and 100"),
    ("1e999", "too large for a float"),
    ("import os", "not a valid arithmetic expression"),
    ("1 +", "not a valid arithmetic expression"),
    ("", "The expression is empty"),
    ("1\x00", "arithmetic expression"),
]


@pytest.mark.parametrize(("expression", "message"), HOSTILE)
def test_refuses_what_is_not_arithmetic(expression: str, message: str) -> None:
    with pytest.raises(CalculationError, match=re.escape(message)):
        safe_eval(expression)


@pytest.mark.parametrize(
    "expression",
    ["__import__('os')", "x", "lambda: 1", "'abc'", "1 < 2", "import os", "(1, 2)"],
)
def test_refusals_say_what_is_allowed(expression: str) -> None:
    with pytest.raises(CalculationError) as info:
        safe_eval(expression)
    assert "Allowed: numbers, + - * / // % ** (or ^), parentheses" in str(info.value)
    assert "sqrt" in str(info.value) and "pi" in str(info.value)


def test_refuses_before_computing_anything() -> None:
    with pytest.raises(CalculationError, match="'__import__' is not an allowed function"):
        safe_eval("1 / 0 + 9 ** 9 ** 9 + __import__('os')")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("1 / 0", "Division by zero in 1 / 0"),
        ("5 // (2 - 2)", "Division by zero in 5 // (2 - 2)"),
        ("5 % 0.0", "Division by zero"),
        ("0 ** -1", "Division by zero"),
        ("log(8, 1)", "Division by zero"),
        ("sqrt(-1)", "sqrt(-1) is undefined (math domain error)"),
        ("log(0)", "log(0) is undefined"),
        ("log10(-5)", "is undefined"),
        ("(-8) ** (1 / 3)", "not a real number"),
        ("exp(1000)", "too large for floating-point numbers"),
        ("2.0 ** 5000", "too large for floating-point numbers"),
        ("1e308 * 10", "too large for floating-point numbers"),
        ("10 ** 400 / 3.0", "too large for floating-point numbers"),
        ("sin(10 ** 500)", "too large for floating-point numbers"),
    ],
)
def test_math_errors_are_calculation_errors(expression: str, message: str) -> None:
    with pytest.raises(CalculationError, match=re.escape(message)):
        safe_eval(expression)


def test_calculation_error_is_a_value_error_of_the_package() -> None:
    assert issubclass(CalculationError, ValueError) and issubclass(CalculationError, GBAError)


def test_limits_are_configurable() -> None:
    small = CalculatorLimits(max_digits=10, max_length=20, max_factorial=5)
    assert safe_eval("10 ** 9", limits=small) == 10**9
    with pytest.raises(CalculationError, match="more than 10 digits"):
        safe_eval("10 ** 10", limits=small)
    with pytest.raises(CalculationError, match="at most 20 are allowed"):
        safe_eval("1 + " * 6 + "1", limits=small)
    with pytest.raises(CalculationError, match="at most 5, not 6"):
        safe_eval("factorial(6)", limits=small)
    with pytest.raises(CalculationError, match="more than 1000 digits"):
        safe_eval("10 ** 1000")  # 1001 digits
    assert len(str(safe_eval("10 ** 999 * 9"))) == 1000


def test_time_bound_stops_the_evaluation() -> None:
    expired = CalculatorLimits(max_seconds=-1.0)  # a deadline already past: no timing involved
    with pytest.raises(CalculationError, match="took longer than"):
        safe_eval("1 + 1", limits=expired)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (84, "84"),
        (-7, "-7"),
        (2**70, "1180591620717411303424"),
        (2.0, "2"),
        (-0.0, "0"),
        (12.5, "12.5"),
        (0.1 + 0.2, "0.3"),
        (1 / 3, "0.333333333333"),
        (2 / 3 * 1000, "666.666666667"),
        (1e15 - 1, "999999999999999"),
        (123456789.123456789, "123456789.123"),
        (1e16, "1e+16"),
        (1.5e20, "1.5e+20"),
        (0.000123, "0.000123"),
        (1.5e-8, "1.5e-08"),
        (-3.75, "-3.75"),
    ],
)
def test_formats_numbers_for_the_agent(value: float, text: str) -> None:
    assert format_number(value) == text


# -- the evaluator agrees with Python's own arithmetic -----------------------------------------

_numbers = st.integers(0, 100).map(str) | st.floats(0, 100).map(lambda f: repr(round(f, 3)))
_operators = st.sampled_from(["+", "-", "*", "/", "//", "%"])
# Powers of a number or of one operation, with a small exponent: the values stay far below the
# evaluator's bounds, and Python's own arithmetic (the oracle) stays fast.
_bases = _numbers | st.tuples(_numbers, _operators, _numbers).map(lambda t: f"({' '.join(t)})")
_powers = st.tuples(_bases, st.integers(0, 3)).map(lambda t: f"{t[0]} ** {t[1]}")


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, _operators, children, st.booleans()).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})" if t[3] else f"{t[0]} {t[1]} {t[2]}"
    )
    unary = st.tuples(st.sampled_from(["-", "+"]), children).map(lambda t: t[0] + t[1])
    return binary | unary


_expressions = st.recursive(_numbers | _powers, _extend, max_leaves=10)


def _python(expression: str) -> Any:
    """Python's own value of ``expression`` (digits and operators only), or the error type."""
    code = compile(expression, "<arithmetic>", "eval")
    try:
        return eval(code, {"__builtins__": {}}, {})  # noqa: S307 - the oracle, on generated arithmetic
    except (ZeroDivisionError, OverflowError) as e:
        return e


@settings(max_examples=300, deadline=None)
@given(_expressions)
def test_agrees_with_python_arithmetic(expression: str) -> None:
    expected = _python(expression)
    too_big = (isinstance(expected, float) and not math.isfinite(expected)) or (
        isinstance(expected, int) and len(str(abs(expected))) > 1000
    )
    if isinstance(expected, Exception) or too_big:
        with pytest.raises(CalculationError):
            safe_eval(expression)
        return
    result = safe_eval(expression)
    assert result == expected and type(result) is type(expected)
