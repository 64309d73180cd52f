"""``CalculatorTool``: the agent's ``calculate_number``.

A model writes one arithmetic expression for the task (constrained decoding); the safe
evaluator of :mod:`langchain_gba.tools.arithmetic` computes it. The tool also refuses numbers
that nothing it was given states (:func:`invented_numbers`).
"""

from __future__ import annotations

import ast
import logging
import math
import re
from collections.abc import Callable
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.tools import ArgsSchema, BaseTool, ToolException
from pydantic import BaseModel, Field, PrivateAttr

from langchain_gba.dates import MONTHS, span_times, with_time_spans
from langchain_gba.exceptions import CalculationError, StructuredOutputError
from langchain_gba.grounding import numbers_in
from langchain_gba.prompts import (
    CALCULATOR_CONTEXT_USER,
    CALCULATOR_NUMBERS_SYSTEM,
    CALCULATOR_REFUSED_USER,
    CALCULATOR_SYSTEM,
    CALCULATOR_USER,
)
from langchain_gba.structured.route import structured_model
from langchain_gba.tools.arithmetic import (
    CONSTANTS,
    DEFAULT_LIMITS,
    EXPRESSION_PATTERN,
    FUNCTIONS,
    GROUPED_THOUSANDS,
    CalculatorLimits,
    format_number,
    normalize_expression,
    safe_eval,
)
from langchain_gba.tools.base import TaskWithContextInput

__all__ = [
    "CONSTANTS",
    "EXPRESSION_PATTERN",
    "FUNCTIONS",
    "CalculationError",
    "CalculatorExpression",
    "CalculatorWorkedExpression",
    "CalculatorLimits",
    "CalculatorTool",
    "format_number",
    "gives_numbers",
    "names_operation",
    "invented_numbers",
    "normalize_expression",
    "safe_eval",
]

logger = logging.getLogger(__name__)


def _as_expression(task: str) -> str | None:
    """The task's text when it already is an expression, else None.

    A question in words can parse as Python too ("What is 17 * 23" is the comparison
    ``What is (17 * 23)``): words other than the evaluator's functions and constants, with no
    call, attribute, subscript or lambda, make it a question for the model. Code goes to the
    evaluator, which refuses it with the reason.
    """
    text = normalize_expression(task)
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    nodes = list(ast.walk(tree))
    words = {n.id for n in nodes if isinstance(n, ast.Name)} - set(CONSTANTS) - set(FUNCTIONS)
    code = any(isinstance(n, ast.Call | ast.Attribute | ast.Subscript | ast.Lambda) for n in nodes)
    if words and not code:  # "What is 17 * 23?" parses as a comparison: a question in words
        return None
    return text  # the evaluator computes it, or refuses it with the reason (hostile code)


# -- the tool -----------------------------------------------------------------------------------


def _expression_field() -> Any:
    return Field(
        min_length=1,
        max_length=200,
        pattern=EXPRESSION_PATTERN,
        description="One arithmetic expression with the numbers of the task, e.g. (12 + 3) * 4",
    )


MISSING_FACT = "the missing fact"
"""Words in every refusal of a calculation for a number that no result gives ("Find the missing
facts first ..."): the agent then plans the next steps without the calculator
(``create_gba_agent(facts_before_calculation=...)``)."""


def lacks_a_fact(observation: str) -> bool:
    """Whether ``observation`` is the calculator's refusal for a number that no result gives."""
    return MISSING_FACT in observation


class CalculatorExpression(BaseModel):
    """What the model writes for a calculation task: one arithmetic expression."""

    expression: str = _expression_field()


class CalculatorWorkedExpression(BaseModel):
    """The numbers a calculation takes, each with what it is, then its expression."""

    numbers: str = Field(
        min_length=1,
        max_length=160,
        description="The numbers the calculation takes, each with what it is, as given",
    )
    expression: str = _expression_field()


def default_calculator_llm() -> BaseChatModel:
    """The embedded chat model, with room for a 200-character expression."""
    from langchain_gba.chat_models.llama_cpp import ChatLlamaCpp

    return ChatLlamaCpp(max_tokens=256)


class CalculatorTool(BaseTool):
    """Calculate a number: a model writes the arithmetic, a safe evaluator computes it.

    The task comes in plain words (``"Multiply 12 by 7"``). The model writes one expression
    under constrained decoding (digits, operators, parentheses and the allowed function names
    only; with other chat models, validated structured output), and :func:`safe_eval` computes
    it: no ``eval``, a whitelist of operations, bounded sizes. A task that already is an
    expression (``"12 * 7"``) is computed without the model. The observation is
    ``"12 * 7 = 84"``. A failure (an expression that is not allowed, division by zero, a number
    nothing given states, a model that wrote no valid expression) raises
    :class:`~langchain_gba.exceptions.CalculationError`, a ``ToolException`` whose message says
    what to do; the tool handles it (``handle_tool_error``): the message is the result, with
    ``status="error"`` in a tool call's ``ToolMessage`` (the agent observes ``"Error: ..."``).

    Instantiate:
        .. code-block:: python

            from langchain_gba.tools import CalculatorTool

            tool = CalculatorTool()  # the embedded model, loaded on first use
            tool = CalculatorTool(llm=my_chat_model)

    Invoke:
        .. code-block:: python

            tool.invoke({"task": "Multiply 12 by 7"})  # '12 * 7 = 84'
            tool.invoke({"task": "2 ^ 10"})  # '2 ** 10 = 1024', no model call
            await tool.ainvoke({"task": "Divide 100 by 8"})  # '100 / 8 = 12.5'
            # the agent adds what the run knows; the numbers must then come from it
            tool.invoke({"task": "Calculate my body mass index",
                         "context": "Result: I weigh 81 kg. I am 1.80 m tall."})

    Evaluate without a model:
        .. code-block:: python

            from langchain_gba.tools import safe_eval

            safe_eval("sqrt(144) + 15%")  # 12.15
    """

    name: str = "calculate_number"
    description: str = (
        "Calculate a number from numbers given in the request or found in the results: "
        "arithmetic, percentages, powers, roots, rounding, logarithms. Give the calculation with "
        "every number it needs; search first for a number that is not known yet."
    )
    args_schema: ArgsSchema | None = TaskWithContextInput
    handle_tool_error: bool | str | Callable[[ToolException], str] | None = True
    """Failures (a ``ToolException``) are returned as the message, in a ``ToolMessage`` with
    ``status="error"`` when called with a tool call, as LangGraph's ``ToolNode`` expects;
    ``False`` raises them."""

    llm: BaseChatModel | None = None
    """The chat model that writes the expression (the embedded model when None)."""
    method: str = "auto"
    """The structured-output route (see ``structured_model``); ``"prompted"`` for any model."""
    limits: CalculatorLimits = DEFAULT_LIMITS
    """Bounds of the evaluator."""
    two_units_check: bool = True
    """Refuse an operation on one figure that a result gives in two units ("3531 - 2194" from
    "3,531 kilometers (2,194 miles)"; ``conversions``), as a missing number: the run looks for
    the figure it lacks."""
    copy_check: bool = False
    """Refuse an expression that is one number ("1626" for how long a building took: only
    its completion year was found), as a missing number. Off by default: not yet measured on
    lookups, where a step-by-step planner's copies ("1912 = 1912") sat in right runs."""
    year_check: bool = True
    """Refuse a product or a quotient with a number the request and the results give only as a
    year ("197790.33 / 2021" for km² per resident "going by the 2021 population count";
    ``only_a_year``), as a missing number: the run looks for the count it lacks."""
    show_numbers: bool = False
    """The model first names the numbers the calculation takes, each with what it is ("reign
    began 1837; Empress of India 1876"), then writes the expression
    (``CalculatorWorkedExpression``, ``CALCULATOR_NUMBERS_SYSTEM``)."""
    retry_refused: bool = True
    """When the agent's results are given and the expression is refused (a number no result
    gives, one figure in two units, a number taken from itself), the model writes once more,
    told which expression was refused and why; the second is refused in turn if it must be."""

    _llm: BaseChatModel | None = PrivateAttr(default=None)
    _writer: Runnable[Any, Any] | None = PrivateAttr(default=None)

    def get_llm(self) -> BaseChatModel:
        """The chat model that writes expressions."""
        if self._llm is None:
            self._llm = self.llm or default_calculator_llm()
        return self._llm

    def writer(self) -> Runnable[Any, CalculatorExpression]:
        """A runnable from a task, or ``{"task", "context"}``, to the model's expression."""
        if self._writer is None:
            schema = CalculatorWorkedExpression if self.show_numbers else CalculatorExpression
            structured = structured_model(self.get_llm(), schema, method=self.method)
            system = (CALCULATOR_NUMBERS_SYSTEM if self.show_numbers else CALCULATOR_SYSTEM).format(
                functions=", ".join(FUNCTIONS), constants=", ".join(CONSTANTS)
            )

            def messages(call: str | dict[str, str]) -> list[tuple[str, str]]:
                if isinstance(call, str):
                    call = {"task": call}
                task, context = call["task"], call.get("context", "")
                user = (
                    CALCULATOR_CONTEXT_USER.format(
                        task=task, context=signed_years(context), numbers=known_numbers(context)
                    )
                    if context
                    else CALCULATOR_USER.format(task=task)
                )
                if call.get("refused"):
                    user += CALCULATOR_REFUSED_USER.format(
                        expression=call["refused"], reason=call["reason"]
                    )
                return [("system", system), ("human", user)]

            self._writer = (messages | structured).with_config(run_name="calculator_expression")
        return self._writer

    def calculate(self, expression: str) -> str:
        """``"<expression> = <value>"`` for an expression (raises ``CalculationError``)."""
        value = safe_eval(expression, limits=self.limits)
        return f"{normalize_expression(expression)} = {format_number(value)}"

    def _run(
        self,
        task: str,
        context: str = "",
        run_manager: CallbackManagerForToolRun | None = None,
        **_: Any,
    ) -> str:
        direct = _as_expression(task)
        if direct is not None:
            return self._observe(task, direct, context) if context else self.calculate(direct)
        call = {"task": with_time_spans(task), "context": with_time_spans(context)}
        try:
            written = self.writer().invoke(call, _child_config(run_manager))
            again = self._first_try(call, written.expression)
            if isinstance(again, str):
                return again
            written = self.writer().invoke(again, _child_config(run_manager))
        except StructuredOutputError as e:
            raise _no_expression(e) from e
        return self._observe(call["task"], written.expression, call["context"])

    async def _arun(
        self,
        task: str,
        context: str = "",
        run_manager: AsyncCallbackManagerForToolRun | None = None,
        **_: Any,
    ) -> str:
        direct = _as_expression(task)
        if direct is not None:
            return self._observe(task, direct, context) if context else self.calculate(direct)
        call = {"task": with_time_spans(task), "context": with_time_spans(context)}
        try:
            written = await self.writer().ainvoke(call, _child_config(run_manager))
            again = self._first_try(call, written.expression)
            if isinstance(again, str):
                return again
            written = await self.writer().ainvoke(again, _child_config(run_manager))
        except StructuredOutputError as e:
            raise _no_expression(e) from e
        return self._observe(call["task"], written.expression, call["context"])

    def _first_try(self, call: dict[str, str], expression: str) -> str | dict[str, str]:
        """The first expression's result, or the call that writes it again once refused."""
        try:
            return self._observe(call["task"], expression, call["context"])
        except _Refused as e:
            if not (self.retry_refused and call["context"]):
                raise
            logger.info("Writing again after %r was refused", expression)
            return {**call, "refused": expression, "reason": e.reason}

    def _observe(self, task: str, expression: str, context: str = "") -> str:
        """Compute ``expression`` unless it uses a number that nothing it was given states.

        Without a context the numbers must come from the task. With one (the agent's request and
        results) they must come from the request and the results: the planner wrote the task,
        and a number it wrote from memory (a year, a length) is a guess, not a fact; so are the
        numbers in its earlier tasks (the context's ``Task:`` lines).
        """
        given = _facts(context) if context else task
        invented = invented_numbers(given, expression)
        if invented or not gives_numbers(given):
            msg = (
                "neither the task nor the results so far give every number this calculation "
                "needs, and the calculator does not guess numbers. Find the missing facts first "
                "(a search, or the user for details about them), then calculate with them."
                if context
                else "the task does not give every number this calculation needs, and the "
                "calculator does not guess numbers. Search for the missing facts first, then "
                "calculate with the numbers found."
            )
            logger.info("Refused %r for %r: invented %s", expression, task, invented)
            reason = (
                f"uses {', '.join(invented)}, which no result gives"
                if invented
                else "uses numbers no result gives"
            )
            raise _Refused(msg, reason=reason)
        checks = {
            "two_units": self.two_units_check,
            "copies": self.copy_check,
            "years": self.year_check,
        }
        lack = missing_operand(given, expression, **checks) if context else None
        if lack is not None:
            msg = (
                f"the expression {expression!r} {lack}: the calculation needs a number that "
                "no result gives yet. Find the missing fact first (a search, or the user for "
                "details about them), then calculate with it."
            )
            logger.info("Refused %r for %r: it %s", expression, task, lack)
            raise _Refused(msg, reason=lack)
        try:
            return self.calculate(expression)
        except CalculationError as e:
            msg = f"The expression {expression!r} written for the task cannot be calculated: {e}"
            raise CalculationError(msg) from e


class _Refused(CalculationError):
    """An expression refused for its numbers; ``reason`` says why, for the model's retry."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:[eE][+-]?\d+)?")
KNOWN_CONSTANTS = frozenset({360.0, 365.0, 366.0, 1024.0, 3600.0, 86400.0})
"""Numbers of 100 or more that an expression may use without the task giving them (units)."""


def _numbers(text: str) -> set[float]:
    return set(_number_list(text))


NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty "
    "ninety hundred thousand million billion dozen half twice double triple quarter third "
    "percent pi".split()
)
"""Words that give a number (a task with neither these nor digits has nothing to calculate)."""

LARGEST_FREE_POWER_OF_TEN = 1e6
"""Powers of ten up to this may be used without the task giving them (unit prefixes)."""


def gives_numbers(task: str) -> bool:
    """Whether ``task`` gives any number, in digits or in words."""
    if re.search(r"\d", task):
        return True
    return bool(NUMBER_WORDS & set(re.findall(r"[a-z]+", task.lower())))


OPERATION_WORDS = frozenset(
    "add added adding plus sum total together combined subtract minus difference less fewer "
    "more than times multiply multiplied product divide divided ratio quotient per each share "
    "percent percentage average mean convert converted conversion between remain remaining left "
    "longer shorter taller higher older younger bigger smaller larger heavier faster slower "
    "increase decrease twice half double triple round rounded calculate compute".split()
)
"""Words that say what to do with numbers (a task with none of them asks for no operation)."""


def names_operation(task: str) -> bool:
    """Whether ``task`` gives a number or says what to do with numbers.

    "The number of people living in Finland" and "How many days are there in a year on
    Jupiter?" say neither: planned as calculations, they ask for a fact (the 1.5B calculator
    then copied Sweden's population, or multiplied Saturn's year by 365).
    """
    if re.search(r"(?<![A-Za-z])\d", task):  # a number, not a name's digit ("K2")
        return True
    return bool((NUMBER_WORDS | OPERATION_WORDS) & set(re.findall(r"[a-z]+", task.lower())))


def invented_numbers(task: str, expression: str) -> list[str]:
    """Numbers of 100 or more in ``expression`` that ``task`` does not give.

    A small model asked to calculate with a fact it was not given (a length, a year, a
    population) writes the number from memory, often wrongly; such a number must come from a
    search first. Small numbers (unit conversions, percentages, counts), powers of ten, a few
    unit constants (``KNOWN_CONSTANTS``) and a task number scaled by 100 are allowed, and so
    is a number written with a scale word, in full ("134 million" as 134000000: a density from
    a population in millions had been refused as invented).
    """
    given = _numbers(task) | {n.value for n in numbers_in(_CITATION.sub(" ", task))}
    scaled = given | {g * 100 for g in given} | {g / 100 for g in given}
    invented = []
    for value in sorted(_numbers(expression)):
        if value < 100 or value in scaled or value in KNOWN_CONSTANTS:
            continue
        if value <= LARGEST_FREE_POWER_OF_TEN and math.log10(value).is_integer():
            continue
        invented.append(format_number(value))
    return invented


def missing_operand(
    given: str,
    expression: str,
    *,
    two_units: bool = True,
    copies: bool = False,
    years: bool = True,
) -> str | None:
    """Why ``expression`` lacks a number, or None: an operation on a number ``given`` lacks.

    With one of two facts found, the 1.5B calculator wrote "72 - 72" for "the year of completion
    minus the year construction began" (the answer said it took 0 years), "1940 + 1940" for
    both of Churchill's terms (only the year he became Prime Minister was found), "134 / 1" for
    "the population divided by the area" and "2026 - 0" for "the current year minus your age"
    (no age was given): the missing number became the known one again, or a number that changes
    nothing. Such an operation counts only when ``given`` does not state its numbers so (a
    year given twice may be taken from itself). So does an operation on one figure given in two
    units (:func:`conversions`): "3531 - 2194" for the Volga's kilometres minus the Danube's,
    which no result gave, took the Volga's miles. And, with ``copies``, an expression that is
    one number: "1626" for how long St. Peter's took to build (only its completion year was
    found), "10.6" for the people of Sweden and Finland together. And, with ``years``, a
    product or a quotient with a number ``given`` writes only as a year (``only_a_year``).
    """
    try:
        tree = ast.parse(normalize_expression(expression), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if copies and _value(_unsigned(tree.body)) is not None:
        return "does no calculation: it is one number"
    stated = _number_list(given)
    converted = conversions(given) if two_units else set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.BinOp):
            continue
        left, right = (_value(node.left), _value(node.right))
        if left is not None and right is not None and frozenset((left, right)) in converted:
            pair = f"{format_number(left)} and {format_number(right)}"
            return f"takes {pair}, one figure written in two units"
        if isinstance(node.op, ast.Sub | ast.Div | ast.Add) and left is not None and left == right:
            if stated.count(left) < 2:
                verb = "adds" if isinstance(node.op, ast.Add) else "takes"
                joined = "to" if isinstance(node.op, ast.Add) else "from"
                return f"{verb} {format_number(left)} {joined} itself"
        if years and isinstance(node.op, ast.Mult | ast.Div):
            for value in (left, right):
                if value is not None and only_a_year(given, value):
                    if isinstance(node.op, ast.Mult):
                        verb = "multiplies by"
                    else:
                        verb = "divides by" if value == right else "divides"
                    return (
                        f"{verb} {format_number(value)}, which the request and the results give "
                        "only as a year, not as a count or an amount"
                    )
        identity = 0.0 if isinstance(node.op, ast.Add | ast.Sub) else None
        identity = 1.0 if isinstance(node.op, ast.Mult | ast.Div) else identity
        if identity is not None and right == identity and identity not in stated:
            return f"works with {format_number(identity)}, which changes nothing"
    return None


_CONVERSION = re.compile(
    r"(?<![\w.])(?P<a>\d+(?:\.\d+)?)\s*(?P<u1>(?:square |sq |cubic )?[^\W\d_]{1,12}[²³]?)"
    r"(?:\s+[^\W\d_]+)?\s*(?:\(\s*(?:about |approximately |c\. )?"
    r"|,?\s*(?:which is )?(?:equivalent to|or about|or roughly|or)\s+)"
    r"(?P<b>\d+(?:\.\d+)?)\s*(?P<u2>[^\W\d_]{1,12}[²³]?)",
    re.IGNORECASE,
)
"""A figure, its unit and the same figure in another unit: "3,531 kilometers (2,194 miles)",
"7,088 kilometers long, which is equivalent to 4,404 miles" (thousands separators removed)."""


def conversions(text: str) -> set[frozenset[float]]:
    """The pairs of numbers ``text`` gives as one figure in two units.

    The 1.5B calculator subtracted a river's length in miles from the same length in
    kilometres ("3531 - 2194" for the Volga minus the Danube, which no result gave) and divided
    an area in km² by itself in mi².
    """
    text = GROUPED_THOUSANDS.sub(lambda m: m.group().replace(",", ""), text)
    pairs = set()
    for m in _CONVERSION.finditer(text):
        u1, u2 = m.group("u1").lower(), m.group("u2").lower()
        if u1 == u2 or u1 in _NOT_UNITS or u2 in _NOT_UNITS:
            continue
        a, b = float(m.group("a")), float(m.group("b"))
        if a != b:
            pairs.add(frozenset((a, b)))
    return pairs


_NOT_UNITS = frozenset(
    "a an and are as at be but by for from in is it of on or than that the to was were with "
    "which".split()
)


_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_YEAR_BEFORE = re.compile(
    rf"\b(?:in|since|by|from|until|till|through|year|around|circa|c\.|before|after|during|the|"
    rf"early|late|mid|{_MONTH_NAMES})\s+$",
    re.IGNORECASE,
)
_YEAR_AFTER = re.compile(
    r"^(?:\s*(?:[^\w\s]|$)|\s+(?:census|population|count|estimate|figures?|data|season|"
    r"election|edition|report|and|or|to|when|while|was|were|is|it|as|at|with|for|of|in|on)\b)",
    re.IGNORECASE,
)
_YEAR_WORD = re.compile(
    r"^\s+(?:census|population|count|estimate|figures?|data|season|election|edition)\b",
    re.IGNORECASE,
)
_FOUR_DIGITS = re.compile(r"(?<![\w.,])(\d{4})(?![\w]|[.,]\d)")


def only_a_year(given: str, value: float) -> bool:
    """Whether ``given`` writes ``value`` only as a year ("the 2021 population count").

    A year is no count and no amount: for "km² per resident, going by the 2021 population
    count" the 1.5B calculator wrote "197790.33 / 2021" when no population had been found. A
    number written as a year (a year word before it and nothing that counts after it, or a
    word after it that dates a figure: census, population, estimate) never is a factor or a
    divisor. "1500 soldiers" or "1,500" are counts; so is any number ``given`` also writes
    otherwise.
    """
    if not (value.is_integer() and 1000 <= value <= 2100):
        return False
    seen = False
    for m in _FOUR_DIGITS.finditer(given):
        if float(m.group(1)) != value:
            continue
        before, after = given[max(0, m.start() - 20) : m.start()], given[m.end() : m.end() + 20]
        dated = bool(_YEAR_WORD.match(after)) or (
            bool(_YEAR_BEFORE.search(before)) and bool(_YEAR_AFTER.match(after))
        )
        if not dated:
            return False
        seen = True
    return seen


def _unsigned(node: ast.expr) -> ast.expr:
    """``node`` without a leading sign (``-295`` → ``295``)."""
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        node = node.operand
    return node


def _value(node: ast.expr) -> float | None:
    """A number literal's value, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    return None


_CITATION = re.compile(r"\[\d+\]")
"""A summary's reference to its source ("According to source [1], ..."): no fact. Its ``1``
let "134 / 1" pass for Mexico's people per km² when the area had not been found."""


def _number_list(text: str) -> list[float]:
    """Every number ``text`` states, repeats included; citations (``[1]``) are none."""
    text = _CITATION.sub(" ", text)
    found = []
    for raw in _NUMBER.findall(GROUPED_THOUSANDS.sub(lambda m: m.group().replace(",", ""), text)):
        try:
            found.append(float(raw.replace(",", ".")))
        except ValueError:
            continue
    return found


def known_numbers(context: str) -> str:
    """The numbers the context's facts state, as an expression writes them (``"1961"``).

    Listed in the calculator's prompt: the 1.5B model miscopied "1961" from a search result
    as 2061 (and a shorter context as 418); with the list it copied it right. A year before
    the common era is listed as the negative number arithmetic needs ("c. 2600 BC": -2600).
    Two clock times with the time between them written out (``with_time_spans``) give that
    span, not the times' hours and minutes.
    """
    facts = "\n".join(line for line in _facts(context).splitlines() if not _SOURCE_LINE.match(line))
    for time in span_times(facts):  # the hours between them, not "11" and "30" of "11:30 pm"
        facts = facts.replace(time, " ")
    before = {float(m.group("year")) for m in _BC_YEAR.finditer(facts)}
    listed = [-v if v in before else v for v in sorted(_numbers(facts))]
    return ", ".join(format_number(v) for v in listed) or "none"


_BC_YEAR = re.compile(r"(?<![\d.,])(?P<year>\d{1,4})\s*(?:BC|BCE|B\.C\.)(?!\w)")
"""A year before the common era ("2600 BC", "44 BCE"): the 1.5B calculator took "c. 2600 BC"
for the year 2600 and wrote "2026 - 2600" for the Great Pyramid's age."""


def signed_years(context: str) -> str:
    """``context`` with each year before the common era also written as its negative number.

    "built c. 2600 BC" reads "built c. 2600 BC (the year -2600)", so an expression counts
    years across the era's start: 2026 - (-2600).
    """
    return _BC_YEAR.sub(lambda m: f"{m.group()} (the year -{m.group('year')})", context)


_SOURCE_LINE = re.compile(r"^\s*\[\d+\]\s|^\s*Sources:")
"""A search result's list of sources (``[1] Suez Canal <https://...>``): no facts (the 1.5B
took the ``1`` of ``[1]`` for the Panama Canal's length when it was listed)."""


def _facts(context: str) -> str:
    """The context without the planner's own words (``format_context``'s ``Task:`` lines)."""
    return "\n".join(line for line in context.splitlines() if not line.startswith("Task: "))


def _child_config(
    run_manager: CallbackManagerForToolRun | AsyncCallbackManagerForToolRun | None,
) -> RunnableConfig:
    return RunnableConfig(callbacks=run_manager.get_child()) if run_manager else RunnableConfig()


def _no_expression(error: StructuredOutputError) -> CalculationError:
    reason = "the model's output was cut off" if error.reason == "length" else error.reason
    return CalculationError(
        f"no valid expression was written for the task ({reason or error}). Give the numbers "
        "and the operation, or the expression itself (e.g. 90 / 4)."
    )
