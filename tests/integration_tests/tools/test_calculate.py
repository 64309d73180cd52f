"""calculate_number: the model's constraint, the number checks, the tool with the embedded model."""

from __future__ import annotations

import re
from typing import Any

import pytest
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.tools import BaseTool, ToolException
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from langchain_gba.prompts import CALCULATOR_SYSTEM
from langchain_gba.tools import CalculationError, CalculatorTool, safe_eval
from langchain_gba.tools.base import TaskWithContextInput, reads_context, takes_task
from langchain_gba.tools.calculate import (
    EXPRESSION_PATTERN,
    FUNCTIONS,
    CalculatorExpression,
    format_number,
)

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


@pytest.mark.parametrize(
    ("written", "allowed"),
    [
        ('{"expression": "12 * 7"}', True),
        ('{"expression": "sqrt(144) + 2^10"}', True),
        ('{"expression": "x + 1"}', False),  # a name that is not a function or constant
        ('{"expression": "15%"}', False),
        ('{"expression": "__import__(1)"}', False),
        ('{"answer": "84"}', False),  # another key
    ],
)
def test_constraint_on_the_embedded_model_accepts_arithmetic_only(llm, written, allowed) -> None:  # type: ignore[no-untyped-def]
    """The token-level grammar the model decodes under, fed the tokens of ``written``."""
    loaded = llm.loaded
    matcher = loaded.compiler.matcher(CalculatorExpression.model_json_schema())
    for token in loaded.llama.tokenize(written.encode(), add_bos=False, special=False):
        if not matcher.consume_token(token):
            break
    assert (not matcher.is_error() and matcher.is_accepting()) is allowed


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


def test_tool_calling_models_see_only_the_task(tool: CalculatorTool) -> None:
    assert list(tool.tool_call_schema.model_json_schema()["properties"]) == ["task"]


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


_VOLGA = (
    "Request: If you laid the Volga next to the Danube, how many kilometres longer would the "
    "Volga be?\n\nTask: How long is the Volga?\nResult: The Volga is 3,531 kilometers (2,194 "
    "miles) long.\n\nTask: How long is the Danube?\nResult: The Danube is a river in Europe, the "
    "second-longest after the Volga."
)


def test_one_figure_in_two_units_is_refused_on_the_default_model(capable_llm) -> None:  # type: ignore[no-untyped-def]
    """The Danube's length was never found; the 1.5B wrote "3531 - 2194" (the Volga's
    kilometres minus its own miles) in 12 recorded runs. Refused, the run looks for it."""
    task = "If you laid the Volga next to the Danube, how many kilometres longer would it be?"
    checked = CalculatorTool(llm=capable_llm, handle_tool_error=False)
    with pytest.raises(CalculationError, match="3531 and 2194, one figure written in two units"):
        checked.invoke({"task": task, "context": _VOLGA})
    unchecked = CalculatorTool(llm=capable_llm, handle_tool_error=False, two_units_check=False)
    assert unchecked.invoke({"task": task, "context": _VOLGA}).startswith("3531 - 2194 = ")


_NILE = (
    "Request: In miles, how much longer is the Nile than the Mississippi?\n\n"
    "Task: How long is the Nile?\nResult: The Nile is 7,088 kilometers long, which is equivalent "
    "to 4,404 miles.\n\nTask: How long is the Mississippi?\nResult: From its traditional source "
    "of Lake Itasca in northern Minnesota, it flows generally south for 2,340 mi to the "
    "Mississippi River Delta in the Gulf of Mexico."
)


def test_a_refused_expression_is_written_again_on_the_default_model(capable_llm) -> None:  # type: ignore[no-untyped-def]
    """Recorded: "7088 - 4404" (the Nile's kilometres minus its own miles), refused, then written
    again in every later step until the run gave up. Told why, the 1.5B takes the Mississippi's
    2,340 miles (either way round: the agent gives a backwards difference as its size)."""
    task = "In miles, how much longer is the Nile than the Mississippi?"
    tool = CalculatorTool(llm=capable_llm, handle_tool_error=False)
    assert re.fullmatch(
        r"(4404 - 2340 = 2064|2340 - 4404 = -2064)", tool.invoke({"task": task, "context": _NILE})
    )
    once = tool.model_copy(update={"retry_refused": False})
    once._writer = None
    with pytest.raises(CalculationError, match="7088 and 4404, one figure written in two units"):
        once.invoke({"task": task, "context": _NILE})


def test_a_year_before_the_common_era_counts_back_on_the_default_model(capable_llm) -> None:  # type: ignore[no-untyped-def]
    """Recorded: "2026 - 2600 = -574" for the Great Pyramid's age ("c. 2600 BC")."""
    context = (
        "Request: Roughly how many years old is the Great Pyramid of Giza as of 2026?\n\n"
        "Task: When was the Great Pyramid of Giza built?\n"
        "Result: The Great Pyramid of Giza was built c. 2600 BC."
    )
    task = "Roughly how many years old is the Great Pyramid of Giza as of 2026?"
    observation = CalculatorTool(llm=capable_llm, handle_tool_error=False).invoke(
        {"task": task, "context": context}
    )
    assert observation.endswith("= 4626"), observation
