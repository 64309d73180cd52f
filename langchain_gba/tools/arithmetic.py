"""A safe arithmetic evaluator: the security boundary of ``calculate_number``.

Nothing is ever handed to ``eval``/``exec``: the text is parsed with ``ast.parse(mode="eval")``
and the tree is walked against a whitelist (numbers, ``+ - * / // % **``, parentheses, a few
``math`` functions and constants), with bounds on the input size, the tree, the size of every
number and the time. No model, no LangChain: this module only computes.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from langchain_gba.exceptions import CalculationError

__all__ = [
    "ALLOWED",
    "CONSTANTS",
    "DEFAULT_LIMITS",
    "EXPRESSION_PATTERN",
    "FUNCTIONS",
    "GROUPED_THOUSANDS",
    "CalculatorLimits",
    "Number",
    "format_number",
    "normalize_expression",
    "safe_eval",
]

Number = int | float


@dataclass(frozen=True)
class CalculatorLimits:
    """Bounds that keep every evaluation small and fast, whatever the input."""

    max_length: int = 500
    """Characters of the expression."""
    max_nodes: int = 300
    """Numbers, names, operations and calls in the parsed expression."""
    max_depth: int = 100
    """Operations nested inside one another (a sum of n terms nests n - 1 deep)."""
    max_digits: int = 1000
    """Decimal digits of any integer, intermediate results included."""
    max_factorial: int = 1000
    """Largest argument of ``factorial`` (its result must also fit ``max_digits``)."""
    max_round_digits: int = 100
    """Largest ``|ndigits|`` of ``round(x, ndigits)``."""
    max_seconds: float = 1.0
    """Wall-clock bound on one evaluation (a backstop: the other bounds keep it far below)."""

    @property
    def max_bits(self) -> int:
        """Bits of the largest integer allowed."""
        return math.ceil(self.max_digits * math.log2(10))


DEFAULT_LIMITS = CalculatorLimits()


# -- the whitelist ------------------------------------------------------------------------------


def _round(x: Number, ndigits: Number | None = None) -> Number:
    """Round half away from zero, on the number as written: round(2.5) = 3, round(2.675, 2) = 2.68.

    Python's ``round`` rounds half to even on the binary value (round(2.5) = 2,
    round(2.675, 2) = 2.67); a calculator's user expects the school rule.
    """
    if ndigits is None:
        ndigits = 0
        whole = True
    else:
        if not _is_integral(ndigits):
            raise CalculationError("round's second argument (the digits) must be a whole number.")
        ndigits = int(ndigits)
        whole = False
    if isinstance(x, int):
        if ndigits >= 0:
            return x
        unit = 10**-ndigits
        quotient, remainder = divmod(abs(x), unit)
        quotient += 2 * remainder >= unit
        return (1 if x >= 0 else -1) * quotient * unit
    with localcontext() as context:
        context.prec = 1000  # a float has at most 309 integer digits; ndigits is bounded
        rounded = Decimal(repr(x)).quantize(Decimal(1).scaleb(-ndigits), rounding=ROUND_HALF_UP)
    return int(rounded) if whole else float(rounded)


def _factorial(x: Number) -> int:
    if not _is_integral(x) or x < 0:
        raise CalculationError(f"factorial needs a whole number of at least 0, not {x}.")
    return math.factorial(int(x))


def _log(x: Number, base: Number | None = None) -> float:
    return math.log(x) if base is None else math.log(x, base)


@dataclass(frozen=True)
class _Function:
    call: Callable[..., Number]
    min_args: int
    max_args: int | None  # None: any number
    usage: str


FUNCTIONS: dict[str, _Function] = {
    "sqrt": _Function(math.sqrt, 1, 1, "sqrt(x)"),
    "abs": _Function(abs, 1, 1, "abs(x)"),
    "round": _Function(_round, 1, 2, "round(x) or round(x, digits)"),
    "min": _Function(lambda *xs: min(xs), 1, None, "min(x, y, ...)"),
    "max": _Function(lambda *xs: max(xs), 1, None, "max(x, y, ...)"),
    "floor": _Function(math.floor, 1, 1, "floor(x)"),
    "ceil": _Function(math.ceil, 1, 1, "ceil(x)"),
    "log": _Function(_log, 1, 2, "log(x) (natural) or log(x, base)"),
    "log10": _Function(math.log10, 1, 1, "log10(x)"),
    "exp": _Function(math.exp, 1, 1, "exp(x)"),
    "sin": _Function(math.sin, 1, 1, "sin(x) (radians)"),
    "cos": _Function(math.cos, 1, 1, "cos(x) (radians)"),
    "tan": _Function(math.tan, 1, 1, "tan(x) (radians)"),
    "factorial": _Function(_factorial, 1, 1, "factorial(n)"),
}
"""The functions an expression may call."""

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
"""The names an expression may use as numbers."""

ALLOWED = (
    "Allowed: numbers, + - * / // % ** (or ^), parentheses, the functions "
    f"{', '.join(FUNCTIONS)} and the constants {', '.join(CONSTANTS)}."
)

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}

# What the refused constructs are called in messages.
_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access (a dot after a value)",
    ast.Subscript: "indexing and slicing",
    ast.Lambda: "lambda functions",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.Compare: "comparisons",
    ast.BoolOp: "and / or",
    ast.IfExp: "conditional expressions",
    ast.JoinedStr: "text (f-strings)",
    ast.List: "lists",
    ast.Tuple: "tuples (a comma outside a function's arguments)",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.NamedExpr: "assignments",
    ast.Starred: "unpacking (*)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}
_REFUSED_OPERATORS = {
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^ as bitwise xor",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
    ast.Not: "not",
    ast.Invert: "~",
}


def _expression_pattern(max_digits: int = 15) -> str:
    calls = "|".join(rf"{name}\(" for name in sorted(FUNCTIONS, key=len, reverse=True))
    constants = "|".join(sorted(CONSTANTS, key=len, reverse=True))
    between = rf"(?:[+\-*/^(), ]|{calls}|{constants})"
    number = rf"[0-9]{{1,{max_digits}}}(?:\.[0-9]{{1,{max_digits}}})?"
    return rf"^{between}*(?:{number}{between}+)*(?:{number})?$"


EXPRESSION_PATTERN = _expression_pattern()
"""What a model may write: numbers of at most 15 digits before and after the point, the
operators ``+ - * / ** ^``, parentheses, commas, spaces, the functions (each followed by ``(``)
and the constants. Decoding is constrained to it, so a small model cannot wander off into words
or repeat digits without end. ``%`` is left out: small models write ``15%`` for "15% of 80"."""


# -- from text to a tree ------------------------------------------------------------------------

_SYMBOLS = {"^": "**", "×": "*", "·": "*", "÷": "/", "−": "-"}
GROUPED_THOUSANDS = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?!\w|,\d)")
_TIMES = re.compile(r"(?<=\d)\s+[xX]\s+(?=[\d(])")
_PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?|\.\d+)\s*%(?=\s*(?:$|[)*/,]))")
_CALL_BEFORE = re.compile(r"[A-Za-z_]\w*\s*$")


def normalize_expression(text: str) -> str:
    """The expression as Python reads it, from the way people and small models write it.

    - ``^`` is a power, ``×``/``·`` multiply, ``÷`` divides, ``−`` is a minus, and ``x`` between
      numbers with spaces around it (``12 x 7``) multiplies.
    - ``15%`` is 15 / 100 where ``%`` cannot be the remainder: at the end, or before ``)``,
      ``,``, ``*`` or ``/``. Elsewhere (``10 % 3``, ``10 % -3``) it is the remainder.
    - Thousands separators (``1,000,000``, groups of exactly three digits) are removed, except
      inside a function's parentheses, where commas separate the arguments (``max(1,000)``
      is ``max(1, 0)``): write ``max(1000, 2)`` there.
    - Surrounding space and a trailing ``=`` or ``?`` are dropped.
    """
    text = text.strip().rstrip("=? \t\n").strip()
    for symbol, python in _SYMBOLS.items():
        text = text.replace(symbol, python)
    text = _TIMES.sub(" * ", text)
    text = _PERCENT.sub(r"(\1 / 100)", text)
    calls = _call_spans(text)
    return GROUPED_THOUSANDS.sub(
        lambda m: m.group() if _inside(m.start(), calls) else m.group().replace(",", ""), text
    )


def _call_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the parentheses that hold a call's arguments."""
    spans: list[tuple[int, int]] = []
    stack: list[tuple[int, bool]] = []
    for i, ch in enumerate(text):
        if ch == "(":
            stack.append((i, _CALL_BEFORE.search(text, 0, i) is not None))
        elif ch == ")" and stack:
            start, is_call = stack.pop()
            if is_call:
                spans.append((start, i))
    for start, is_call in stack:  # unclosed: the call runs to the end
        if is_call:
            spans.append((start, len(text)))
    return spans


def _inside(position: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < position < end for start, end in spans)


def _parse(expression: str, limits: CalculatorLimits) -> ast.expr:
    if len(expression) > limits.max_length:
        msg = (
            f"The expression has {len(expression):,} characters; at most {limits.max_length} "
            "are allowed."
        )
        raise CalculationError(msg)
    text = normalize_expression(expression)
    if not text:
        raise CalculationError(f"The expression is empty. {ALLOWED}")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        msg = f"{text!r} is not a valid arithmetic expression ({e.msg}). {ALLOWED}"
        raise CalculationError(msg) from None
    except (ValueError, MemoryError, RecursionError) as e:
        msg = f"{text[:80]!r} cannot be read as an arithmetic expression ({e}). {ALLOWED}"
        raise CalculationError(msg) from None
    nodes = sum(isinstance(node, ast.expr) for node in ast.walk(tree))
    if nodes > limits.max_nodes:
        msg = (
            f"The expression has {nodes} numbers and operations; at most {limits.max_nodes} "
            "are allowed."
        )
        raise CalculationError(msg)
    _check(tree.body, limits, 1)
    return tree.body


def _check(node: ast.AST, limits: CalculatorLimits, depth: int) -> None:
    """Refuse anything outside the whitelist, before computing anything."""
    if depth > limits.max_depth:
        msg = (
            f"The expression nests more than {limits.max_depth} operations inside one another; "
            "split the calculation into steps."
        )
        raise CalculationError(msg)
    if isinstance(node, ast.Constant):
        _check_constant(node.value, limits)
    elif isinstance(node, ast.Name):
        if node.id not in CONSTANTS:
            if node.id in FUNCTIONS:
                usage = FUNCTIONS[node.id].usage
                raise CalculationError(f"{node.id} is a function: call it as {usage}.")
            raise CalculationError(f"Unknown name {node.id!r}. {ALLOWED}")
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise CalculationError(_refused_operator(node.op))
        _check(node.operand, limits, depth + 1)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise CalculationError(_refused_operator(node.op))
        _check(node.left, limits, depth + 1)
        _check(node.right, limits, depth + 1)
    elif isinstance(node, ast.Call):
        _check_call(node, limits, depth)
    else:
        what = _REFUSED.get(type(node), f"{type(node).__name__} expressions")
        raise CalculationError(f"Not allowed: {what}. {ALLOWED}")


def _check_constant(value: object, limits: CalculatorLimits) -> None:
    if isinstance(value, bool) or value is None or value is Ellipsis:
        raise CalculationError(f"{value!r} is not a number. {ALLOWED}")
    if isinstance(value, complex):
        raise CalculationError(f"Complex numbers ({value!r}) are not allowed. {ALLOWED}")
    if isinstance(value, str | bytes):
        raise CalculationError(f"Text ({value!r}) is not allowed in an expression. {ALLOWED}")
    if isinstance(value, float) and not math.isfinite(value):
        raise CalculationError("A number in the expression is too large for a float.")
    if isinstance(value, int) and _too_many_digits(value, limits):
        msg = f"A number in the expression has more than {limits.max_digits} digits."
        raise CalculationError(msg)
    if not isinstance(value, int | float):
        raise CalculationError(f"{value!r} is not a number. {ALLOWED}")


def _check_call(node: ast.Call, limits: CalculatorLimits, depth: int) -> None:
    if not isinstance(node.func, ast.Name):
        msg = f"Not allowed: calling {_show(node.func)}; only the listed functions can be called."
        raise CalculationError(f"{msg} {ALLOWED}")
    name = node.func.id
    function = FUNCTIONS.get(name)
    if function is None:
        raise CalculationError(f"{name!r} is not an allowed function. {ALLOWED}")
    if node.keywords:
        raise CalculationError(f"Keyword arguments are not allowed: call it as {function.usage}.")
    count = len(node.args)
    if count < function.min_args or (function.max_args is not None and count > function.max_args):
        msg = f"{name} got {count} argument{'s' * (count != 1)}: call it as {function.usage}."
        raise CalculationError(msg)
    for arg in node.args:
        _check(arg, limits, depth + 1)


def _refused_operator(op: ast.AST) -> str:
    symbol = _REFUSED_OPERATORS.get(type(op), type(op).__name__)
    return f"Not allowed: the operator {symbol}. {ALLOWED}"


# -- computing ----------------------------------------------------------------------------------


class _Evaluator:
    def __init__(self, limits: CalculatorLimits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_seconds

    def value(self, node: ast.expr) -> Number:
        if time.monotonic() > self.deadline:
            msg = f"The calculation took longer than {self.limits.max_seconds} s."
            raise CalculationError(msg)
        if isinstance(node, ast.Constant):
            return node.value  # type: ignore[return-value]  # checked: int or finite float
        if isinstance(node, ast.Name):
            return CONSTANTS[node.id]
        if isinstance(node, ast.UnaryOp):
            return self.checked(_UNARY[type(node.op)](self.value(node.operand)), node)
        if isinstance(node, ast.BinOp):
            left, right = self.value(node.left), self.value(node.right)
            if isinstance(node.op, ast.Pow):
                return self.checked(self.power(left, right, node), node)
            return self.checked(self.apply(_BINARY[type(node.op)], node, left, right), node)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)  # _check made sure
            args = [self.value(arg) for arg in node.args]
            return self.checked(self.call(node.func.id, args, node), node)
        raise AssertionError(f"unchecked node {type(node).__name__}")  # _check refuses it

    def apply(self, function: Callable[..., Any], node: ast.expr, *args: Number) -> Any:
        try:
            return function(*args)
        except CalculationError:
            raise
        except ZeroDivisionError:
            raise CalculationError(f"Division by zero in {_show(node)}.") from None
        except OverflowError:
            msg = f"{_show(node)} is too large for floating-point numbers (about 1.8e308 at most)."
            raise CalculationError(msg) from None
        except ValueError as e:
            raise CalculationError(f"{_show(node)} is undefined ({e}).") from None

    def power(self, base: Number, exponent: Number, node: ast.expr) -> Number:
        if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
            bits = self.limits.max_bits
            if exponent > bits or exponent * math.log2(abs(base)) > bits:
                msg = (
                    f"{_show(node)} would have more than {self.limits.max_digits} digits; "
                    "larger powers are not calculated."
                )
                raise CalculationError(msg)
        if base == 0 and exponent < 0:
            raise CalculationError(f"Division by zero in {_show(node)} (0 to a negative power).")
        if base < 0 and not _is_integral(exponent):
            msg = f"{_show(node)} is not a real number (a negative number to a fractional power)."
            raise CalculationError(msg)
        result = self.apply(operator.pow, node, base, exponent)
        if isinstance(result, complex):  # pragma: no cover - ruled out above
            raise CalculationError(f"{_show(node)} is not a real number.")
        return result  # type: ignore[no-any-return]

    def call(self, name: str, args: list[Number], node: ast.expr) -> Number:
        if name == "factorial" and args and _is_integral(args[0]) and args[0] >= 0:
            n = int(args[0])
            if n > self.limits.max_factorial:
                msg = f"factorial's argument must be at most {self.limits.max_factorial}, not {n}."
                raise CalculationError(msg)
            if n > 1 and math.lgamma(n + 1) / math.log(10) >= self.limits.max_digits:
                msg = f"factorial({n}) has more than {self.limits.max_digits} digits."
                raise CalculationError(msg)
        if name == "round" and len(args) == 2 and abs(args[1]) > self.limits.max_round_digits:
            msg = f"round's digits must be between -{self.limits.max_round_digits} and "
            msg += f"{self.limits.max_round_digits}."
            raise CalculationError(msg)
        return self.apply(FUNCTIONS[name].call, node, *args)  # type: ignore[no-any-return]

    def checked(self, value: Any, node: ast.expr) -> Number:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CalculationError(f"{_show(node)} is not a real number.")
        if isinstance(value, float) and not math.isfinite(value):
            msg = f"{_show(node)} is too large for floating-point numbers (about 1.8e308 at most)."
            raise CalculationError(msg)
        if isinstance(value, int) and _too_many_digits(value, self.limits):
            msg = f"{_show(node)} has more than {self.limits.max_digits} digits."
            raise CalculationError(msg)
        return value


def _show(node: ast.expr, limit: int = 60) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _too_many_digits(value: int, limits: CalculatorLimits) -> bool:
    bits = value.bit_length()
    if bits < limits.max_bits - 4:  # then abs(value) < 2**bits < 10**(max_digits - 1)
        return False
    return bits > limits.max_bits or len(str(abs(value))) > limits.max_digits


def _is_integral(x: Number) -> bool:
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


def safe_eval(expression: str, *, limits: CalculatorLimits = DEFAULT_LIMITS) -> Number:
    """The value of an arithmetic expression, computed without ``eval``.

    Accepts numbers (int and float), unary ``+``/``-``, ``+ - * / // % **`` with Python's
    precedence, parentheses, the :data:`FUNCTIONS` and :data:`CONSTANTS`, and the spellings
    :func:`normalize_expression` understands (``^``, ``×``, ``÷``, ``15%``, ``1,000``).
    Integers stay exact; ``/`` gives a float, as in Python; ``round`` rounds half away from zero.

    Example:
        .. code-block:: python

            safe_eval("(12 + 3) * 2 ^ 3")  # 120
            safe_eval("sqrt(2) * 1,000")  # 1414.213562373095

    Raises:
        CalculationError: the expression uses anything else (names, attributes, strings,
            calls of other functions, ...), exceeds a bound of ``limits`` (length, size,
            nesting, digits, factorial, time), or has no value (division by zero, a math
            domain error). The message says what is wrong and what is allowed.
    """
    tree = _parse(expression, limits)
    return _Evaluator(limits).value(tree)


def format_number(value: Number, significant: int = 12) -> str:
    """A result as the agent reads it: integers exact, floats with ``significant`` digits.

    Whole floats below 1e15 print as integers, every digit (``6 / 3`` → ``2``); other floats
    in fixed notation from 1e-6 to 1e15, with trailing zeros dropped (``0.1 + 0.2`` → ``0.3``),
    and in scientific notation outside that range. No thousands separators: a result is often copied
    into the next expression, where a comma would separate function arguments.
    """
    if isinstance(value, int):
        return str(value)
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e15 or magnitude < 1e-6:
        return f"{value:.{significant}g}"
    if value.is_integer():  # exact below 1e15
        return str(int(value))
    rounded = float(f"{value:.{significant}g}")
    if rounded.is_integer():
        return str(int(rounded))
    decimals = max(0, significant - 1 - math.floor(math.log10(magnitude)))
    return f"{rounded:.{decimals}f}".rstrip("0").rstrip(".")
