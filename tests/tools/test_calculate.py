"""calculate_number: the safe evaluator, its bounds, and the tool with the embedded model."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.tools import BaseTool, ToolException
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from langchain_gba.exceptions import GBAError
from langchain_gba.prompts import CALCULATOR_SYSTEM
from langchain_gba.tools import CalculationError, CalculatorLimits, CalculatorTool, safe_eval
from langchain_gba.tools.base import TaskWithContextInput, reads_context, takes_task
from langchain_gba.tools.calculate import (
    EXPRESSION_PATTERN,
    FUNCTIONS,
    CalculatorExpression,
    format_number,
    normalize_expression,
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


# -- the model's constraint -----------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    ["12 * 7", "(12 + 3) * 4", "sqrt(144) + 2^10", "1.5e3 / 2", "max(3, 4) - log10(100)", "2 * pi"],
)
def test_expression_pattern_accepts_arithmetic(expression: str) -> None:
    assert re.fullmatch(EXPRESSION_PATTERN, expression)
    assert CalculatorExpression(expression=expression).expression == expression


@pytest.mark.parametrize(
    "expression",
    ["__import__('os')", "().__class__", "x + 1", "15%", "1234567890123456 + 1", "2 ** 'a'", ""],
)
def test_expression_pattern_refuses_the_rest(expression: str) -> None:
    with pytest.raises(ValueError):
        CalculatorExpression(expression=expression)


def test_constraint_compiles_for_the_embedded_model(llm) -> None:  # type: ignore[no-untyped-def]
    llm.with_structured_output(CalculatorExpression)  # raises UnsupportedSchemaError if not


def test_prompt_lists_the_functions() -> None:
    system = CALCULATOR_SYSTEM.format(functions=", ".join(FUNCTIONS), constants="pi, e")
    assert "factorial" in system and '{"expression": "..."}' in system


# -- the tool -------------------------------------------------------------------------------

_OBSERVATION = re.compile(r"(?P<expression>.+) = (?P<value>\S+)")


def observed(tool: BaseTool, args: dict[str, str]) -> str:
    """What the agent observes: the result, or ``Error: <message>`` of the ToolException."""
    try:
        return str(tool.invoke(args))
    except ToolException as e:
        return f"Error: {e}"


def assert_honest(observation: str) -> None:
    """An ``Error:`` observation, or ``expression = value`` where the value is right."""
    assert isinstance(observation, str)
    if observation.startswith("Error:"):
        return
    match = _OBSERVATION.fullmatch(observation)
    assert match, observation
    assert match["value"] == format_number(safe_eval(match["expression"]))


@pytest.fixture
def tool(llm) -> CalculatorTool:  # type: ignore[no-untyped-def]
    """The calculator, raising its failures (the agent's and LangChain's default handle them)."""
    return CalculatorTool(llm=llm, handle_tool_error=False)


def test_is_a_task_taking_tool(tool: CalculatorTool) -> None:
    assert isinstance(tool, BaseTool) and tool.name == "calculate_number"
    assert tool.args_schema is TaskWithContextInput and takes_task(tool) and reads_context(tool)
    assert "numbers" in tool.description


@pytest.mark.parametrize(
    ("task", "observation"),
    [
        ("12 * 7", "12 * 7 = 84"),
        ("2^10", "2**10 = 1024"),
        ("(1,250 + 750) / 8", "(1250 + 750) / 8 = 250"),
        ("sqrt(2)", "sqrt(2) = 1.41421356237"),
        ("pi", "pi = 3.14159265359"),
    ],
)
def test_a_task_that_is_an_expression_skips_the_model(
    tool: CalculatorTool, task: str, observation: str
) -> None:
    assert tool.invoke({"task": task}) == observation
    assert tool._writer is None  # the model was never asked


@pytest.mark.parametrize(
    "task",
    [
        "__import__('os').system('ls')",
        "().__class__.__bases__[0].__subclasses__()",
        "9**9**9",
        "10**100000",
        "factorial(100000)",
        "1/0",
        "lambda: 1",
    ],
)
def test_hostile_tasks_raise_calculation_errors(tool: CalculatorTool, task: str) -> None:
    with pytest.raises(CalculationError):
        tool.invoke({"task": task})
    assert tool._writer is None


def test_writes_the_expression_with_the_embedded_model(tool: CalculatorTool) -> None:
    observation = tool.invoke({"task": "Multiply 12 by 7"})
    assert_honest(observation)
    assert observation.endswith("= 84")  # greedy decoding: the 135M model gets this one right


@pytest.mark.parametrize(
    "task",
    ["What is 15% of 80?", "What is the capital of France?"],
)
def test_observations_are_honest(tool: CalculatorTool, task: str) -> None:
    assert_honest(observed(tool, {"task": task}))


async def test_async_with_the_embedded_model(tool: CalculatorTool) -> None:
    assert_honest(await tool.ainvoke({"task": "Divide 100 by 8"}))
    assert await tool.ainvoke({"task": "100 / 8"}) == "100 / 8 = 12.5"


def test_output_cut_off_is_a_calculation_error(llama_server) -> None:  # type: ignore[no-untyped-def]
    """A server's max_tokens can cut the expression off (in process, the grammar bounds it)."""
    from langchain_gba.chat_models.llama_server import ChatLlamaServer

    tool = CalculatorTool(
        llm=ChatLlamaServer(base_url=llama_server, max_tokens=3), handle_tool_error=False
    )
    with pytest.raises(CalculationError, match="^no valid expression was written .*cut off"):
        tool.invoke({"task": "Multiply 12 by 7"})


def _scripted(*replies: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(r) for r in replies]))


def test_other_chat_models_use_validated_prompted_output() -> None:
    tool = CalculatorTool(
        llm=_scripted('{"expression": "6 * 7"}'), method="prompted", handle_tool_error=False
    )
    assert tool.invoke({"task": "Multiply six by seven"}) == "6 * 7 = 42"


def test_an_expression_outside_the_pattern_is_retried_then_refused() -> None:
    bad = '{"expression": "__import__(\'os\')"}'
    tool = CalculatorTool(llm=_scripted(bad, bad, bad), method="prompted", handle_tool_error=False)
    with pytest.raises(CalculationError, match="^no valid expression was written for the task"):
        tool.invoke({"task": "Run a shell"})


def test_an_allowed_expression_that_fails_names_it() -> None:
    tool = CalculatorTool(
        llm=_scripted('{"expression": "1 / (2 - 2)"}'), method="prompted", handle_tool_error=False
    )
    with pytest.raises(CalculationError, match=r"^The expression '1 / \(2 - 2\)' written") as e:
        tool.invoke({"task": "Divide one by nothing"})
    assert "Division by zero" in str(e.value)


def test_handle_tool_error_returns_the_message_for_plain_langchain_use() -> None:
    tool = CalculatorTool(llm=_scripted("{}"))  # the default: the message is the result
    assert tool.invoke({"task": "1/0"}).startswith("Division by zero")
    call = {"type": "tool_call", "name": tool.name, "args": {"task": "1/0"}, "id": "1"}
    message = tool.invoke(call)
    assert message.status == "error" and message.content.startswith("Division by zero")


# -- LangChain's standard tool suites --------------------------------------------------------


class TestCalculatorToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[CalculatorTool]:
        return CalculatorTool

    @property
    def tool_invoke_params_example(self) -> dict:
        return {"task": "Multiply 12 by 7"}


class TestCalculatorToolIntegration(ToolsIntegrationTests):
    params: dict[str, Any] = {}

    @pytest.fixture(autouse=True)
    def _embedded_model(self, llm) -> None:  # type: ignore[no-untyped-def]
        type(self).params = {"llm": llm}

    @property
    def tool_constructor(self) -> type[CalculatorTool]:
        return CalculatorTool

    @property
    def tool_constructor_params(self) -> dict:
        return self.params

    @property
    def tool_invoke_params_example(self) -> dict:
        return {"task": "Multiply 12 by 7"}


@pytest.mark.parametrize(
    ("task", "expression", "invented"),
    [
        ("Calculate 17% of 2,340.", "2340 * 17 / 100", []),
        ("Multiply the length of the Nile in kilometres by 2.", "6650 * 2", ["6650"]),
        ("How many years passed between 1949 and 1989?", "1989 - 1949", []),
        ("How old will I be in 2030?", "2030 - 1995", ["1995"]),
        ("Convert 37 degrees Celsius to Fahrenheit.", "37 * 9 / 5 + 32", []),
        ("How many seconds are in 3 hours?", "3 * 3600", []),
        ("Convert 5 km to metres.", "5 * 1000", []),
        ("What is 12.5% of 840?", "840 * 0.125", []),
        ("Find the depth from the results.", "sqrt(100000000000000)", ["100000000000000"]),
    ],
)
def test_numbers_the_task_does_not_give_are_refused(task, expression, invented):
    from langchain_gba.tools.calculate import invented_numbers

    assert invented_numbers(task, expression) == invented


@pytest.mark.parametrize(
    ("task", "gives"),
    [
        ("Multiply 12 by 7.", True),
        ("What is half of twelve?", True),
        ("Calculate the number of islands Venice is built on.", False),
        ("Calculate the depth of the lake from the results.", False),
    ],
)
def test_a_task_without_numbers_has_nothing_to_calculate(task, gives):
    from langchain_gba.tools.calculate import gives_numbers

    assert gives_numbers(task) is gives


_TITANIC = (
    "Request: How many years before 2026 did the Titanic sink?\n\n"
    "Task: When did the Titanic sink?\nResult: The Titanic sank on 15 April 1912."
)


def test_with_a_context_the_numbers_may_come_from_the_results(tool: CalculatorTool) -> None:
    assert tool.invoke({"task": "2026 - 1912", "context": _TITANIC}) == "2026 - 1912 = 114"
    assert tool._writer is None


def test_with_a_context_a_number_only_the_planner_wrote_is_refused(tool: CalculatorTool) -> None:
    """The task is the planner's: a year it wrote from memory is not a fact the run found."""
    with pytest.raises(CalculationError, match="^neither the task nor the results"):
        tool.invoke({"task": "2026 - 1911", "context": _TITANIC})


def test_tool_calling_models_see_only_the_task(tool: CalculatorTool) -> None:
    assert list(tool.tool_call_schema.model_json_schema()["properties"]) == ["task"]


def test_without_a_context_the_task_is_the_source(tool: CalculatorTool) -> None:
    assert tool.invoke({"task": "2026 - 1911"}) == "2026 - 1911 = 115"


async def test_async_reads_the_context(tool: CalculatorTool) -> None:
    with pytest.raises(CalculationError):
        await tool.ainvoke({"task": "2026 - 1911", "context": _TITANIC})


@pytest.mark.slow
def test_the_model_takes_missing_numbers_from_the_context(capable_llm) -> None:  # type: ignore[no-untyped-def]
    """The planner's task names no number; the user's reply has them: the expression uses them."""
    observation = CalculatorTool(llm=capable_llm, handle_tool_error=False).invoke(
        {
            "task": "Calculate my body mass index.",
            "context": "Request: What is my body mass index?\n\nTask: What are your weight and "
            "height?\nResult: I weigh 81 kg. I am 1.80 m tall.",
        }
    )
    assert observation.endswith("= 25"), observation


def test_in_langgraphs_tool_node_a_failure_is_an_error_message_not_a_crash() -> None:
    from langgraph.graph import END, START, MessagesState, StateGraph
    from langgraph.prebuilt import ToolNode

    graph = StateGraph(MessagesState)
    graph.add_node("tools", ToolNode([CalculatorTool(llm=_scripted("{}"))]))
    graph.add_edge(START, "tools")
    graph.add_edge("tools", END)
    call = {"name": "calculate_number", "args": {"task": "1/0"}, "id": "c1", "type": "tool_call"}
    out = graph.compile().invoke({"messages": [AIMessage("", tool_calls=[call])]})
    message = out["messages"][-1]
    assert message.status == "error" and "Division by zero" in message.content
