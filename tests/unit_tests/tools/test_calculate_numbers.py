"""Where the calculator's numbers may come from (no model: tasks that already are expressions)."""

from __future__ import annotations

import json

import pytest
from scripted import ScriptedChatModel

from langchain_gba.exceptions import CalculationError
from langchain_gba.tools import CalculatorTool
from langchain_gba.tools.calculate import _as_expression, known_numbers


@pytest.fixture
def tool() -> CalculatorTool:
    return CalculatorTool(handle_tool_error=False)  # the model is never loaded here


_TITANIC = (
    "Request: How many years before 2026 did the Titanic sink?\n\n"
    "Task: When did the Titanic sink?\nResult: The Titanic sank on 15 April 1912."
)


def test_with_a_context_the_numbers_may_come_from_the_request_and_results(tool) -> None:
    assert tool.invoke({"task": "2026 - 1912", "context": _TITANIC}) == "2026 - 1912 = 114"
    assert tool._writer is None


def test_a_number_only_the_planner_wrote_is_refused(tool) -> None:
    """The task is the planner's: a year it wrote from memory is not a fact the run found."""
    with pytest.raises(CalculationError, match="^neither the task nor the results"):
        tool.invoke({"task": "2026 - 1911", "context": _TITANIC})


def test_numbers_in_the_planners_earlier_tasks_are_not_facts(tool) -> None:
    """A search task that named a remembered year does not make the year a result."""
    context = (
        "Request: How many years passed between Marie Curie's two Nobel Prizes?\n\n"
        "Task: Years between her Nobel Prizes (1911 and 1903)\nResult: No information found."
    )
    with pytest.raises(CalculationError, match="^neither the task nor the results"):
        tool.invoke({"task": "1911 - 1903", "context": context})


_COLOSSEUM = (
    "Request: How many years did it take to build the Colosseum?\n\n"
    "Task: When did construction of the Colosseum begin?\n"
    "Result: Construction of the Colosseum began in 72."
)


def test_a_number_taken_from_itself_is_a_missing_second_number(tool) -> None:
    """Only the start year was found: "72 - 72" is refused, so the end year is searched for."""
    with pytest.raises(CalculationError, match="takes 72 from itself.*needs a number"):
        tool.invoke({"task": "72 - 72", "context": _COLOSSEUM})
    with pytest.raises(CalculationError, match="takes 72 from itself"):
        tool.invoke({"task": "(72 + 1) * (72 / 72)", "context": _COLOSSEUM})


_CHURCHILL = (
    "Request: Adding up both of his terms, how many years was Winston Churchill Prime Minister?"
    "\n\nTask: When did Winston Churchill become Prime Minister?\n"
    "Result: Winston Churchill became Prime Minister in 1940."
)


def test_a_number_added_to_itself_is_a_missing_second_number(tool) -> None:
    """Only the first term's start was found: "1940 + 1940" is refused, the terms searched."""
    with pytest.raises(CalculationError, match="adds 1940 to itself.*needs a number"):
        tool.invoke({"task": "1940 + 1940", "context": _CHURCHILL})
    # a product of a number with itself is a square, not a copy (this one is a year, no count:
    # refused unless the year check is off, test_a_year_is_no_count)
    years = tool.model_copy(update={"year_check": False})
    assert years.invoke({"task": "1940 * 1940", "context": _CHURCHILL}).endswith("= 3763600")
    twice = _CHURCHILL + "\n\nTask: When did his second term begin?\nResult: In 1940 too."
    assert tool.invoke({"task": "1940 + 1940", "context": twice}) == "1940 + 1940 = 3880"


def test_a_citation_is_no_number_of_the_results(tool) -> None:
    """ "According to source [1]" gives no 1: "134 / 1" still changes nothing."""
    context = (
        "Request: How many people are there per square kilometre in Mexico?\n\n"
        "Task: What is the population of Mexico?\n"
        "Result: According to source [1], Mexico has over 134 million people."
    )
    with pytest.raises(CalculationError, match="works with 1, which changes nothing"):
        tool.invoke({"task": "134 / 1", "context": context})
    from langchain_gba.tools.calculate import known_numbers

    assert known_numbers(context) == "134"


@pytest.mark.parametrize("expression", ["72 / 1", "72 - 0", "72 + 0", "72 * 1"])
def test_an_operation_that_changes_nothing_is_a_missing_number(tool, expression) -> None:
    """ "134 / 1" for "the population divided by the area": no area had been found."""
    with pytest.raises(CalculationError, match="which changes nothing"):
        tool.invoke({"task": expression, "context": _COLOSSEUM})


def test_a_number_the_results_give_twice_may_be_taken_from_itself(tool) -> None:
    context = _COLOSSEUM + "\n\nTask: When was it completed?\nResult: It was completed in 72."
    assert tool.invoke({"task": "72 - 72", "context": context}) == "72 - 72 = 0"
    assert tool.invoke({"task": "5 - 5"}) == "5 - 5 = 0"  # no context: the user's own sum
    given = _COLOSSEUM.replace("in 72", "in 72, 1 year after the fire")
    assert tool.invoke({"task": "72 * 1", "context": given}) == "72 * 1 = 72"
    assert tool.invoke({"task": "1 * 72", "context": _COLOSSEUM}) == "1 * 72 = 72"


_VOLGA = (
    "Request: How many kilometres longer is the Volga than the Danube?\n\n"
    "Task: How long is the Volga?\nResult: The Volga is 3,531 kilometers (2,194 miles) long.\n\n"
    "Task: How long is the Danube?\nResult: The Danube is the second-longest river in Europe."
)


@pytest.mark.parametrize("expression", ["3531 - 2194", "(3531 - 2194) * 1000", "2194 / 3531"])
def test_one_figure_in_two_units_is_a_missing_number(tool, expression) -> None:
    """The Danube's length was not found: the Volga's miles are not the Danube's kilometres."""
    with pytest.raises(CalculationError, match="takes .* one figure written in two units"):
        tool.invoke({"task": expression, "context": _VOLGA})
    assert tool.invoke({"task": "3531 - 2850", "context": _VOLGA + " It is 2,850 km long."})
    unchecked = tool.model_copy(update={"two_units_check": False})
    assert unchecked.invoke({"task": expression, "context": _VOLGA}).startswith(expression)


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("It is 3,531 kilometers (2,194 miles) long.", {(2194, 3531)}),
        ("The area is 2,780,085 km² (1,073,397 mi²).", {(1073397, 2780085)}),
        ("It is 7,088 kilometers long, which is equivalent to 4,404 miles.", {(4404, 7088)}),
        ("Its area is 1,564,116 square kilometres (603,909 sq mi).", {(603909, 1564116)}),
        ("It is 979 m (3,212 ft) high.", {(979, 3212)}),
        ("Built between 1922 and 1931; 3 or 4 people; 25 years (1990 to 2015).", set()),
        ("He died in 1912 (aged 50). 63 years and 216 days. Born 1881 (Málaga).", set()),
    ],
)
def test_figures_given_in_two_units_are_paired(text, pairs) -> None:
    from langchain_gba.tools.calculate import conversions

    assert conversions(text) == {frozenset(map(float, p)) for p in pairs}


def test_without_a_context_the_task_is_the_source(tool) -> None:
    assert tool.invoke({"task": "2026 - 1911"}) == "2026 - 1911 = 115"


async def test_async_reads_the_context(tool) -> None:
    with pytest.raises(CalculationError):
        await tool.ainvoke({"task": "2026 - 1911", "context": _TITANIC})


def test_the_prompt_lists_the_numbers_the_facts_state() -> None:
    """Listed as an expression writes them; the planner's tasks are left out."""
    context = _TITANIC + "\nTask: 1911?\nResult: 2,780,085 km² and 54.2 million."
    assert known_numbers(context) == "15, 54.2, 1912, 2026, 2780085"
    assert known_numbers("Request: Hello") == "none"
    sources = "Result: It is 193.3 km long.\nSources:\n[1] Suez Canal <https://x.org/1>"
    assert known_numbers(sources) == "193.3"


@pytest.mark.parametrize(
    ("task", "expression"),
    [
        ("2 ^ 10", "2 ** 10"),
        ("sqrt(144) + pi", "sqrt(144) + pi"),
        ("What is 17 * 23?", None),  # parses as the comparison `What is (17 * 23)`
        ("x * 2", None),
        ("pi", "pi"),
        ("Hamlet", None),
        ("__import__('os').system('ls')", "__import__('os').system('ls')"),  # the evaluator refuses
    ],
)
def test_a_task_is_taken_as_an_expression_only_when_it_is_one(task, expression):
    assert _as_expression(task) == expression


@pytest.mark.parametrize(
    ("task", "operation"),
    [
        ("The number of people living in Finland", False),
        ("How many days are there in a year on Jupiter?", False),
        ("The height of K2", False),  # a name's digit is no number
        ("What is the population of Canada?", False),
        ("The height of Mount Elbrus minus the height of Mont Blanc", True),
        ("The ratio of Saturn's year to Jupiter's", True),
        ("How many years between 1931 and 1970?", True),
        ("Convert the distance to miles", True),
        ("Half of the Volga's length", True),
    ],
)
def test_a_task_names_an_operation_or_asks_for_a_fact(task: str, operation: bool) -> None:
    from langchain_gba.tools.calculate import names_operation

    assert names_operation(task) is operation


@pytest.mark.parametrize("expression", ["1912", "-1912", "(1912)", "1912.000000000000"])
def test_one_number_is_no_calculation(tool, expression) -> None:
    """ "1626 = 1626" for how long St. Peter's took: only its completion year was found."""
    checked = tool.model_copy(update={"copy_check": True})
    with pytest.raises(CalculationError, match="does no calculation: it is one number"):
        checked.invoke({"task": expression, "context": _TITANIC})
    assert tool.invoke({"task": expression, "context": _TITANIC}).endswith("1912")  # default
    assert checked.invoke({"task": "round(1912.4)", "context": _TITANIC + " 1912.4"})
    assert checked.invoke({"task": "1912"}) == "1912 = 1912"  # no context: the user's number


def test_a_number_with_a_scale_word_may_be_written_in_full(tool) -> None:
    """ "134 million" in a result is 134000000 in an expression, not an invented number."""
    context = (
        "Request: How many people are there per square kilometre in Mexico?\n\n"
        "Task: What is the population of Mexico?\nResult: Mexico has 134 million people.\n\n"
        "Task: What is the area of Mexico?\nResult: The area of Mexico is 1,972,550 km²."
    )
    out = tool.invoke({"task": "134000000 / 1972550", "context": context})
    assert out.startswith("134000000 / 1972550 = 67.93")
    with pytest.raises(CalculationError, match="^neither the task nor the results"):
        tool.invoke({"task": "135000000 / 1972550", "context": context})


_NILE = (
    "Request: In miles, how much longer is the Nile than the Mississippi?\n\n"
    "Task: How long is the Nile?\n"
    "Result: The Nile is 7,088 kilometers long, which is equivalent to 4,404 miles.\n\n"
    "Task: How long is the Mississippi?\nResult: It flows south for 2,340 mi to the Gulf."
)


def _scripted_tool(*expressions: str, **fields) -> tuple[CalculatorTool, ScriptedChatModel]:
    llm = ScriptedChatModel(replies=[json.dumps({"expression": e}) for e in expressions])
    llm.calls = []
    return CalculatorTool(llm=llm, method="prompted", handle_tool_error=False, **fields), llm


def test_a_refused_expression_is_written_again_once_told_why() -> None:
    """The Nile's miles minus its own kilometres is refused; told so, the model writes again."""
    tool, llm = _scripted_tool("7088 - 4404", "4404 - 2340")
    task = "In miles, how much longer is the Nile than the Mississippi?"
    assert tool.invoke({"task": task, "context": _NILE}) == "4404 - 2340 = 2064"
    first, second = (call[-1].content for call in llm.calls)
    assert "Not 7088 - 4404: it takes 7088 and 4404, one figure written in two units" in second
    assert second.startswith(first)


def test_a_second_refusal_is_the_result() -> None:
    """Written again with a number no result gives: refused, the run searches for the fact."""
    tool, llm = _scripted_tool("1940 + 1940", "1940 + 1955")
    task = "Adding up both of his terms, how many years was Churchill Prime Minister?"
    with pytest.raises(CalculationError, match="^neither the task nor the results"):
        tool.invoke({"task": task, "context": _CHURCHILL})
    assert "Not 1940 + 1940: it adds 1940 to itself" in llm.calls[1][-1].content
    assert len(llm.calls) == 2


async def test_without_retry_the_first_refusal_stands() -> None:
    tool, llm = _scripted_tool("7088 - 4404", retry_refused=False)
    with pytest.raises(CalculationError, match="one figure written in two units"):
        await tool.ainvoke({"task": "How much longer in miles?", "context": _NILE})
    assert len(llm.calls) == 1


async def test_async_writes_again_after_a_number_no_result_gives() -> None:
    tool, llm = _scripted_tool("2026 - 1911", "2026 - 1912")
    assert await tool.ainvoke({"task": "How long ago?", "context": _TITANIC}) == (
        "2026 - 1912 = 114"
    )
    assert "Not 2026 - 1911: it uses 1911, which no result gives" in llm.calls[1][-1].content


def test_an_expression_that_cannot_be_calculated_is_not_written_again() -> None:
    """Only refused numbers are retried: a division by zero is the result as it is."""
    tool, llm = _scripted_tool("2026 / (1912 - 1912)")
    with pytest.raises(CalculationError, match="cannot be calculated"):
        tool.invoke({"task": "How long ago?", "context": _TITANIC + " Again in 1912."})
    assert len(llm.calls) == 1


def test_show_numbers_names_the_numbers_before_the_expression() -> None:
    reply = json.dumps({"numbers": "sank in 1912", "expression": "2026 - 1912"})
    llm = ScriptedChatModel(replies=[reply])
    llm.calls = []
    tool = CalculatorTool(llm=llm, method="prompted", show_numbers=True, handle_tool_error=False)
    assert tool.invoke({"task": "How long ago?", "context": _TITANIC}) == "2026 - 1912 = 114"
    system = llm.calls[0][0].content
    assert '{"numbers": "...", "expression": "..."}' in system
    assert '"numbers": "50 °F", "expression": "(50 - 32) * 5 / 9"' in system


def test_a_year_before_the_common_era_is_a_negative_number_to_the_calculator() -> None:
    from langchain_gba.tools.calculate import signed_years

    context = (
        "Request: Roughly how many years old is the Great Pyramid of Giza as of 2026?\n\n"
        "Task: When was it built?\nResult: It was built c. 2600 BC; Caesar died in 44 BCE."
    )
    assert known_numbers(context) == "-44, 2026, -2600"
    assert "c. 2600 BC (the year -2600); Caesar died in 44 BCE (the year -44)" in signed_years(
        context
    )
    assert signed_years("Version 3.5 BC of it") == "Version 3.5 BC of it"  # no year
    tool = CalculatorTool(handle_tool_error=False)
    assert tool.invoke({"task": "2026 - (-2600)", "context": context}) == "2026 - (-2600) = 4626"


_ELLESMERE = (
    "Request: how many km2 of island are there per resident, going by the 2021 population "
    "count? round to a whole number\n\n"
    "Task: What is the area of Ellesmere Island?\n"
    "Result: Ellesmere Island is 197,790.33 km².\n"
)


@pytest.mark.parametrize("expression", ["197790.33 / 2021", "round(197790.33 / 2021)", "2021 * 3"])
def test_a_year_is_no_count(tool, expression) -> None:
    """The 1.5B divided the island's area by the year of the population count it was asked to
    go by: no population had been found."""
    with pytest.raises(
        CalculationError, match="2,?021, which the request and the results give only"
    ):
        tool.invoke({"task": expression, "context": _ELLESMERE})
    found = _ELLESMERE + "\nTask: What is its population?\nResult: It had 144 residents in 2021.\n"
    assert tool.invoke({"task": "197790.33 / 144", "context": found}).startswith("197790.33 / 144")
    unchecked = tool.model_copy(update={"year_check": False})
    assert unchecked.invoke({"task": expression, "context": _ELLESMERE}).startswith(expression)


@pytest.mark.parametrize(
    ("text", "value", "year"),
    [
        ("going by the 2021 population count", 2021, True),
        ("In 1500, the town grew.", 1500, True),
        ("It was built in 1889 and is 330 m tall.", 1889, True),
        ("the 2021 census gave 4,067 people", 2021, True),
        ("A village of 1500 people.", 1500, False),
        ("The army had 1500 soldiers in 1500.", 1500, False),  # also a count
        ("It has 1,500 rooms.", 1500, False),
        ("Is 2024 divisible by 4?", 2024, False),
        ("It is 12 km long.", 12, False),
        ("in 1889", 1890, False),  # not given at all: invented_numbers' business
    ],
)
def test_a_number_written_only_as_a_year(text: str, value: int, year: bool) -> None:
    from langchain_gba.tools.calculate import only_a_year

    assert only_a_year(text, float(value)) is year


def test_years_still_subtract(tool) -> None:
    context = "Request: How long did the Berlin Wall stand?\n\nResult: It stood from 1961 to 1989."
    assert tool.invoke({"task": "1989 - 1961", "context": context}) == "1989 - 1961 = 28"


_SLEEP = (
    "Request: I'm trying to sleep better. How many hours of sleep am I getting per week?\n\n"
    "Task: How many hours do you sleep a night?\n"
    "Result: I go to bed around 11:30 pm and get up at 6:30 am, every day."
)


def test_the_time_between_two_clock_times_is_a_number_the_calculator_is_given() -> None:
    """The reply gives bedtime and waking time; the span (7 hours) is a fact to calculate with."""
    tool, llm = _scripted_tool("7 * 7")
    assert tool.invoke({"task": "Hours of sleep a week", "context": _SLEEP}) == "7 * 7 = 49"
    prompt = llm.calls[0][-1].content
    assert "6:30 am [7 hours from 11:30 pm to 6:30 am]" in prompt
    assert "Numbers known: 7\n" in prompt  # the span; not the 11, 30 and 6 of the times
    assert len(llm.calls) == 1  # 7 was not refused as a number no result gives


async def test_async_the_time_between_two_clock_times_is_given_too() -> None:
    tool, llm = _scripted_tool("7 * 7")
    assert await tool.ainvoke({"task": "Hours of sleep a week", "context": _SLEEP}) == (
        "7 * 7 = 49"
    )
    assert "[7 hours from 11:30 pm to 6:30 am]" in llm.calls[0][-1].content


@pytest.mark.parametrize(
    ("expressions", "context"),
    [
        (("1940 + 1940", "1940 + 1940"), _CHURCHILL),  # a number no result gives, twice
        (("7088 - 4404", "7088 - 4404"), _NILE),  # an operand that is missing (two units)
        (("8849 - 8611",), ""),  # no context: the task gives no number
    ],
)
def test_every_refusal_for_a_missing_number_says_to_find_the_fact(expressions, context) -> None:
    """The agent reads these words to plan the search first (``facts_before_calculation``)."""
    from langchain_gba.tools.calculate import lacks_a_fact

    tool, _ = _scripted_tool(*expressions)
    with pytest.raises(CalculationError) as refused:
        tool.invoke({"task": "How much higher is it?", "context": context})
    assert lacks_a_fact(str(refused.value))
    assert not lacks_a_fact("The expression '1 / 0' written for the task cannot be calculated")
