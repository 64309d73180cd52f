"""Every prompt langchain-gba sends, in one place; agent, simulation and fine-tuning share them.

The planner's formats are the contract between the agent, the simulation that records
trajectories, and the fine-tuning that trains on them: change them here, and only here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

__all__ = [
    "CALCULATOR_SYSTEM",
    "CALCULATOR_NUMBERS_SYSTEM",
    "CALCULATOR_CONTEXT_USER",
    "CALCULATOR_REFUSED_USER",
    "CALCULATOR_USER",
    "ACTION_DONE_NOTE",
    "COPIED_QUESTION_NOTE",
    "WORLD_QUESTION_NOTE",
    "USERS_OWN_NOTE",
    "UNSOURCED_ADDRESS_NOTE",
    "UNSOURCED_QUESTION",
    "UNSOURCED_WHAT",
    "UNUSED_TARGET_TASK",
    "UNUSED_TARGETS_NOTE",
    "FINAL_ANSWER_SYSTEM",
    "FINAL_ANSWER_USER",
    "GROUNDED_ANSWER_TASK",
    "CALCULATED_ANSWER_TASK",
    "NOT_DONE",
    "NOT_DONE_FOR",
    "NOT_ANSWERED",
    "NOT_ESTABLISHED",
    "UNDONE_ACTIONS",
    "UNDONE_ADDRESSES",
    "UNGROUNDED_NOTE",
    "UNGROUNDED_NUMBERS",
    "UNGROUNDED_NAMES",
    "GROUNDING_HOW",
    "FINE_TUNED_PLANNER",
    "FINE_TUNED_PLAN_AHEAD",
    "FUNCTION_CALLING_SYSTEM",
    "FUNCTION_CALLING_USER",
    "FUNCTION_CALLING_REQUEST_USER",
    "REPLY_IN_REQUEST",
    "FUNCTION_DECISION_SYSTEM",
    "FUNCTION_FIT_QUESTIONS",
    "FUNCTION_CHOICE_SYSTEM",
    "TOOL_DECISION_SYSTEM",
    "TOOL_RESULTS_QUESTION",
    "TOOL_RESULTS_REPLY",
    "TOOL_RESULTS_SYSTEM",
    "RESULTS_ANSWER_QUESTION",
    "EARLY_ANSWER_THOUGHTS",
    "SEARCHED_REQUEST_THOUGHTS",
    "TOOL_TASK",
    "NO_PREVIOUS_STEPS",
    "LOOP_NOTE",
    "LOOP_STOP_TASK",
    "NO_INFORMATION",
    "SAME_RESULT_NOTE",
    "PLANNER_EXAMPLES",
    "PLAN_AHEAD_EXAMPLES",
    "SPAN_PLAN_EXAMPLE",
    "SPAN_PLAN_EXAMPLES",
    "REFERENCE_PLAN_EXAMPLES",
    "REFERENCES_RULE",
    "PLAN_AHEAD_FIELD_DESCRIPTIONS",
    "PLAN_AHEAD_SYSTEM",
    "PLAN_FIELD_DESCRIPTIONS",
    "PlanAheadExample",
    "format_plan_examples",
    "plan_ahead_messages",
    "PLAN_FIELDS",
    "PlannerExample",
    "STRUCTURED_OUTPUT_INSTRUCTION",
    "STRUCTURED_OUTPUT_RETRY",
    "SEARCH_SUMMARY_REQUEST_USER",
    "SEARCH_SUMMARY_SYSTEM",
    "SEARCH_SELECT_SYSTEM",
    "SEARCH_SELECT_USER",
    "SEARCH_SUMMARY_USER",
    "ZERO_SHOT_PLANNER_SYSTEM",
    "ZERO_SHOT_PLANNER_USER",
    "fine_tuned_plan_prompt",
    "fine_tuned_planner_prompt",
    "short_description",
    "format_context",
    "format_fields",
    "format_parameters",
    "format_examples",
    "format_tools",
    "zero_shot_planner_messages",
    # simulation
    "GENERATE_REQUESTS_STEPS",
    "GENERATE_REQUESTS_SYSTEM",
    "GENERATE_REQUESTS_STYLE",
    "GENERATE_REQUESTS_USER",
    "REQUEST_STYLES",
    "JUDGE_SYSTEM",
    "AHEAD_KIND_HINTS",
    "KIND_HINT",
    "KIND_HINTS",
    "REQUEST_KINDS",
    "RequestKind",
    "JUDGE_USER",
    "SIMULATED_CALCULATOR_SYSTEM",
    "SIMULATED_SEARCH_OUTCOMES",
    "SIMULATED_SEARCH_SITES",
    "SIMULATED_SEARCH_SYSTEM",
    "SIMULATED_TOOL_SYSTEM",
    "SIMULATED_TOOL_USER",
    "SIMULATED_USER_SYSTEM",
    "SIMULATED_USER_USER",
    "format_judged_steps",
    "format_passages",
    "format_request_kinds",
    "request_slots",
]

# -- structured output on backends that cannot constrain decoding --------------------------------

STRUCTURED_OUTPUT_INSTRUCTION = (
    "Reply with only one JSON object, no other text, that matches this JSON schema:\n{schema}"
)
STRUCTURED_OUTPUT_RETRY = (
    "Your reply was rejected: {reason}\nReply again with only the corrected JSON object."
)

# -- the planner's view of the trajectory ---------------------------------------------------------

NO_PREVIOUS_STEPS = "No previous steps."
"""The context when nothing has been done yet."""


def format_context(steps: Iterable[Mapping[str, Any]]) -> str:
    """The trajectory so far as ``Task: ... / Result: ...`` pairs separated by blank lines.

    Each step needs ``task`` and ``observation``. Used by every planner format, so a step costs
    the same tokens whichever planner reads it, and the text only ever grows at the end (the
    prompt prefix is reused between steps).
    """
    parts = [f"Task: {s['task']}\nResult: {s['observation']}" for s in steps]
    return "\n\n".join(parts) if parts else NO_PREVIOUS_STEPS


def format_tools(tools: Iterable[tuple[str, str]]) -> str:
    """``- name: description`` lines, in the order given.

    The agent lists the app's tools first, in the app's order, then ``ask_user`` and
    ``final_answer`` (the seed sorted them by name; ``bench/planner_format.py`` compares both).
    """
    return "\n".join(f"- {name}: {' '.join(desc.split())}" for name, desc in tools)


# -- zero-shot planner (instruct models; with a strong model, the teacher) -----------------------

PLAN_FIELDS = ("thoughts", "selected_tool", "task")
"""The step's fields in the order the planner writes them (the fine-tuning target)."""

PLAN_FIELD_DESCRIPTIONS = {
    "user_request": "The user's request, restated.",
    "missing_information_or_action": "What is still missing to answer the request.",
    "context_information_summary": "What the previous steps found, with their numbers.",
    "thoughts": (
        "One short sentence: what the results so far give (Known), then what is still missing "
        "to answer the request and the tool that gets it: a search for facts, the calculator for "
        "arithmetic on known numbers, ask_user for details about the user, or final_answer when "
        "nothing is missing."
    ),
    "selected_tool": (
        "The tool for the next step; final_answer once the results answer the request."
    ),
    "task": (
        "What the selected tool should do, in plain words, with every name and number it needs "
        "(a question for a search, the calculation for calculate_number, the question for the "
        "user); never a tool's name."
    ),
}
"""What each field of the planner's step means: the schema's descriptions and the prompt's."""

ZERO_SHOT_PLANNER_SYSTEM = """\
You are the planner of an assistant that answers the user's request step by step with tools. \
Facts and numbers come from the tools' results, never from memory; details about the user \
(their salary, city, age, plans) come from the user. Tools:
{tools}

Reply with JSON, one step:
{fields}
{examples}
Select final_answer as soon as the results answer the request, or when they show it cannot be \
answered. Do not repeat a task that is already done: its result is in the context."""
"""Formatted with ``tools`` (``format_tools``), ``fields`` (``format_fields``) and ``examples``
(``format_examples``: empty, or a blank line, ``Examples:`` and the examples)."""

ZERO_SHOT_PLANNER_USER = """\
Request: {request}

Results so far:
{context}"""


def format_fields(fields: Iterable[str], tool_names: Iterable[str]) -> str:
    """``"name": description`` lines for the step's fields, in writing order."""
    lines = []
    for name in fields:
        text = PLAN_FIELD_DESCRIPTIONS[name]
        if name == "selected_tool":
            text = f"one of {', '.join(tool_names)}. {text}"
        lines.append(f'"{name}": {text}')
    return "\n".join(lines)


class PlannerExample(NamedTuple):
    """One step of the zero-shot planner's examples: a request, earlier steps, the step to write.

    ``steps`` are ``(tool, task, result)`` triples; ``step`` maps the step's fields to their text
    (at least ``selected_tool``). An example is shown only when the planner has every tool it
    names and writes no field the example lacks.
    """

    request: str
    step: Mapping[str, str]
    steps: tuple[tuple[str, str, str], ...] = ()

    def tools(self) -> set[str]:
        """The tools the example names."""
        return {self.step["selected_tool"], *(tool for tool, _, _ in self.steps)}


_AMAZON_LENGTH = (
    "search_wikipedia",
    "How long is the Amazon River?",
    "The Amazon River is about 6,400 km long.",
)
_GOLDEN_GATE_OPENED = (
    "search_wikipedia",
    "When did the Golden Gate Bridge open?",
    "The Golden Gate Bridge opened to traffic on 27 May 1937.",
)
"""Earlier steps shared by the examples that continue a request."""

PLANNER_EXAMPLES: tuple[PlannerExample, ...] = (
    PlannerExample(
        "In which year did the Golden Gate Bridge open?",
        {
            "thoughts": "Known: nothing yet. Missing: the opening year, a fact: search_wikipedia.",
            "selected_tool": "search_wikipedia",
            "task": "When did the Golden Gate Bridge open?",
        },
    ),
    PlannerExample(
        "What is 18% of 250?",
        {
            "thoughts": "Known: both numbers. Missing: the result: calculate_number.",
            "selected_tool": "calculate_number",
            "task": "18% of 250",
        },
    ),
    PlannerExample(
        "How long is the Amazon River in miles?",
        {
            "thoughts": (
                "Known: nothing yet. Missing: the river's length, a fact: search_wikipedia."
            ),
            "selected_tool": "search_wikipedia",
            "task": "How long is the Amazon River?",
        },
    ),
    PlannerExample(
        "What is 10% of my rent?",
        {
            "thoughts": (
                "Known: nothing yet. Missing: the user's rent, which only the user knows: ask_user."
            ),
            "selected_tool": "ask_user",
            "task": "How much is your rent?",
        },
    ),
    PlannerExample(
        "How many hours do I sleep in a week?",
        {
            "thoughts": (
                "Known: nothing yet. Missing: the user's sleep each night, which only the user "
                "knows: ask_user."
            ),
            "selected_tool": "ask_user",
            "task": "How many hours do you sleep a night?",
        },
    ),
    PlannerExample(
        "Give me a synonym for 'happy'.",
        {
            "thoughts": "Known: a question about words. Missing: nothing: final_answer.",
            "selected_tool": "final_answer",
            "task": "Give a synonym for 'happy'.",
        },
    ),
    PlannerExample(
        "How do you say 'good luck' in Italian?",
        {
            "thoughts": "Known: a question about words. Missing: nothing: final_answer.",
            "selected_tool": "final_answer",
            "task": "Say 'good luck' in Italian.",
        },
    ),
    PlannerExample(
        "How long is the Amazon River in miles?",
        {
            "thoughts": (
                "Known: the Amazon is 6,400 km long. Missing: that length in miles: "
                "calculate_number."
            ),
            "selected_tool": "calculate_number",
            "task": "6400 km in miles: 6400 / 1.609",
        },
        steps=(_AMAZON_LENGTH,),
    ),
    PlannerExample(
        "How long is the Amazon River in miles?",
        {
            "thoughts": (
                "Known: the Amazon is about 3,978 miles long. Missing: nothing: final_answer."
            ),
            "selected_tool": "final_answer",
            "task": "Say how long the Amazon River is in miles.",
        },
        steps=(
            _AMAZON_LENGTH,
            ("calculate_number", "6400 km in miles: 6400 / 1.609", "6400 / 1.609 = 3977.63"),
        ),
    ),
    PlannerExample(
        "In which year did the Golden Gate Bridge open?",
        {
            "thoughts": "Known: it opened in 1937. Missing: nothing: final_answer.",
            "selected_tool": "final_answer",
            "task": "Say in which year the Golden Gate Bridge opened.",
        },
        steps=(_GOLDEN_GATE_OPENED,),
    ),
)
"""The zero-shot planner's examples: one request per kind of first step (written for the
labelled requests' kinds on their dev split; none repeats a labelled request). Measured with
``bench/planner_format.py``."""


def format_examples(
    examples: Iterable[PlannerExample], fields: Sequence[str], tool_names: Iterable[str]
) -> str:
    """The examples the planner can follow, each as its request, earlier results and step JSON.

    Empty when no example that uses a tool fits the tools and fields (an app with only its own
    tools gets none, not just the direct answers); otherwise a blank line, ``Examples:`` and the
    examples, ending with a newline (``ZERO_SHOT_PLANNER_SYSTEM``'s ``{examples}``).
    """
    names = set(tool_names)
    fitting = [e for e in examples if e.tools() <= names and set(fields) <= set(e.step)]
    if all(e.step["selected_tool"] == "final_answer" for e in fitting):
        return ""  # examples that only answer directly would teach the planner to skip tools
    blocks = [_example_block(e.request, e.steps, {f: e.step[f] for f in fields}) for e in fitting]
    return "\nExamples:\n" + "\n".join(blocks) + "\n"


def _example_block(
    request: str, steps: Sequence[tuple[str, str, str]], reply: Mapping[str, Any]
) -> str:
    """One example: its request, the earlier results (if any), the reply as JSON."""
    lines = [f"Request: {request}"]
    if steps:
        context = [{"task": task, "observation": result} for _, task, result in steps]
        lines += ["Results so far:", format_context(context)]
    lines.append(json.dumps(reply, ensure_ascii=False))
    return "\n".join(lines)


def zero_shot_planner_messages(
    request: str,
    steps: Sequence[Mapping[str, Any]],
    tools: Iterable[tuple[str, str]],
    fields: Sequence[str] = (),
    examples: Iterable[PlannerExample] | None = None,
) -> list[tuple[str, str]]:
    """System + user messages of the zero-shot planner; ``tools`` are (name, description).

    ``fields``: the step's fields in writing order (default: the planner step's ``PLAN_FIELDS``).
    ``examples``: shown in the system prompt where they fit the tools and fields (default:
    ``PLANNER_EXAMPLES``; ``()`` for none).
    """
    tools = list(tools)
    if not fields:
        fields = PLAN_FIELDS
    names = [name for name, _ in tools]
    system = ZERO_SHOT_PLANNER_SYSTEM.format(
        tools=format_tools(tools),
        fields=format_fields(fields, names),
        examples=format_examples(PLANNER_EXAMPLES if examples is None else examples, fields, names),
    )
    user = ZERO_SHOT_PLANNER_USER.format(request=request, context=format_context(steps))
    return [("system", system), ("human", user)]


# -- plan ahead: the steps still needed, written once --------------------------------------------

PLAN_AHEAD_FIELD_DESCRIPTIONS = {
    "thoughts": (
        "One short sentence: what the request asks for, and what that needs that the results "
        "so far do not give: which facts (one search each), which details from the user, and "
        "which calculation on them."
    ),
    "steps": (
        "The steps still needed, in order: one search per missing fact, the user for details "
        "only they know, then the calculation on the numbers found; empty when the results "
        "answer the request or it needs no tool."
    ),
    "tool": "The tool that does this step.",
    "task": (
        "What the tool should do, in plain words: a question for a search, the question for the "
        "user, or the calculation naming the earlier results it uses."
    ),
}
"""What each field of a plan ahead means: the schema's descriptions and the prompt's."""

PLAN_AHEAD_SYSTEM = """\
You are the planner of an assistant that answers the user's request with tools. Facts and \
numbers come from the tools' results, never from memory, even well-known ones: every fact the \
request asks about needs a search. Details about the user (their salary, city, age, plans) come \
from the user. Arithmetic is done by calculate_number only, never in the answer. Tools:
{tools}

Write the plan: the steps still needed to answer the request, in order. One search per fact \
(two facts, two searches), then one calculation when the request asks for a difference, a \
ratio, a total, a conversion or a number of years; its task names the earlier results it uses \
(the calculator sees them).{references} When the results so far answer the request, or it needs \
no tool (a greeting, thanks, a question about words), the steps are empty: the answer follows \
the plan. Reply with JSON:
{{"thoughts": "...", "steps": [{{"tool": "...", "task": "..."}}, ...]}}
{examples}"""
"""Formatted with ``tools`` (``format_tools``), ``references`` (``REFERENCES_RULE`` when an
example shown uses one, else empty) and ``examples`` (``format_plan_examples``)."""

REFERENCES_RULE = (
    " When a search needs a name that an earlier step finds (the person who invented something, "
    'the country that won something), write #1 for the name step 1 finds: "Where was #1 born?"; '
    "the name is filled in once that step has found it."
)
"""Told only with examples that write references (``REFERENCE_PLAN_EXAMPLES``): ReWOO's
variables, filled in by the agent with the name the step found."""


class PlanAheadExample(NamedTuple):
    """A plan ahead to show: a request, earlier steps (``(tool, task, result)``), the plan.

    ``plan`` is ``(thoughts, ((tool, task), ...))``. Shown only when the planner has every tool
    it names.
    """

    request: str
    plan: tuple[str, tuple[tuple[str, str], ...]]
    steps: tuple[tuple[str, str, str], ...] = ()

    def tools(self) -> set[str]:
        """The tools the example names."""
        return {*(t for t, _ in self.plan[1]), *(t for t, _, _ in self.steps)}


_SEARCH = "search_wikipedia"
_CALC = "calculate_number"

SPAN_PLAN_EXAMPLE = PlanAheadExample(
    "For how many years was Angela Merkel Chancellor of Germany?",
    (
        "Needs the year her time as Chancellor began and the year it ended (one search), then "
        "their difference: calculate_number.",
        (
            (_SEARCH, "From which year to which year was Angela Merkel Chancellor of Germany?"),
            (_CALC, "The year her time as Chancellor ended minus the year it began"),
        ),
    ),
)
"""How long one thing lasted: its first and last year from one search, then their difference.
Without it the 1.5B planner searched a birth year or an age for such requests ("How old was
Nelson Mandela when he became President"), or asked the user "How old are you?", and the dev
split's "For how many years was the Empire State Building the tallest building in the world?"
searched its height in every recorded run. Not shown by default (``SPAN_PLAN_EXAMPLES`` shows
it): held out, it won two such requests (Mandela's presidency, Napoleon's years as Emperor)
and lost two others whose plans it changed (the years Shah Jahan had reigned when he
commissioned the Taj Mahal became his whole reign; Shakespeare's plays plus sonnets lost its
sum), and it rewrote most plans of the 43 (``bench/agents.py --agents ahead_span``)."""

PLAN_AHEAD_EXAMPLES: tuple[PlanAheadExample, ...] = (
    PlanAheadExample(
        "How many years after the Golden Gate Bridge opened did Apollo 11 land on the Moon?",
        (
            "Needs two years (a search each), then their difference: calculate_number.",
            (
                (_SEARCH, "When did the Golden Gate Bridge open?"),
                (_SEARCH, "When did Apollo 11 land on the Moon?"),
                (_CALC, "The year Apollo 11 landed minus the year the Golden Gate Bridge opened"),
            ),
        ),
    ),
    PlanAheadExample(
        "How long is the Amazon River in miles?",
        (
            "Needs the length (a search), then a conversion to miles: calculate_number.",
            (
                (_SEARCH, "How long is the Amazon River?"),
                (_CALC, "The Amazon's length in km divided by 1.609"),
            ),
        ),
    ),
    PlanAheadExample(
        "Who designed the Sydney Opera House?",
        ("Needs one fact: a search.", ((_SEARCH, "Who designed the Sydney Opera House?"),)),
    ),
    PlanAheadExample(
        "What is 18% of 250?",
        (
            "Needs a percentage of numbers the request gives: calculate_number.",
            ((_CALC, "18% of 250"),),
        ),
    ),
    PlanAheadExample(
        "How many hours do I sleep in a week?",
        (
            "Needs the user's sleep a night (only they know it), then times 7: calculate_number.",
            (
                ("ask_user", "How many hours do you sleep a night?"),
                (_CALC, "The hours of sleep a night from the reply times 7"),
            ),
        ),
    ),
    PlanAheadExample(
        "Give me a synonym for 'happy'.",
        ("Needs no fact: a question about words, answered directly.", ()),
    ),
    PlanAheadExample(
        "How long is the Amazon River in miles?",
        ("Needs the length in miles: the results give it, nothing is missing.", ()),
        steps=(
            (_SEARCH, "How long is the Amazon River?", "The Amazon River is about 6,400 km long."),
            (_CALC, "The Amazon's length in km divided by 1.609", "6400 / 1.609 = 3977.63"),
        ),
    ),
    PlanAheadExample(
        "How much taller is the CN Tower than the Space Needle?",
        (
            "Needs both heights and their difference; the Space Needle's height was not found: "
            "search again, then calculate_number.",
            (
                (_SEARCH, "What is the height of the Space Needle in metres?"),
                (_CALC, "The CN Tower's height minus the Space Needle's height"),
            ),
        ),
        steps=(
            (_SEARCH, "How tall is the CN Tower?", "The CN Tower is 553 m tall."),
            (_SEARCH, "How tall is the Space Needle?", "No information found."),
        ),
    ),
)
"""The plan-ahead examples: a plan per kind of request (two facts and a sum, a fact and a
conversion, one fact, a calculation, a question back and a sum, a direct reply) and two
re-plans (after the last result answered; after a search found nothing). The direct reply's
thoughts are copied into the plans of most lookups (13 of the dev split's 14 plan no step, and are
answered, refused and searched); thoughts that name what it is about ("A synonym is about words,
not facts") made the lookups search first (11 of 14 dev, 22 of 28 test) but the planner then
answered multi-step requests in its own thoughts with no step (14 of the test split's 53 against
4; multi-step 25 -> 18 of 43), so they stay. None repeats a
labelled request, nor names what one does: with the Statue of Liberty here, the planner wrote
this example's calculation for "Which French sculptor designed the Statue of Liberty?"."""

SPAN_PLAN_EXAMPLES: tuple[PlanAheadExample, ...] = (
    PLAN_AHEAD_EXAMPLES[0],
    SPAN_PLAN_EXAMPLE,
    *PLAN_AHEAD_EXAMPLES[1:],
)
"""``PLAN_AHEAD_EXAMPLES`` with ``SPAN_PLAN_EXAMPLE`` second, as measured:
``ZeroShotPlanner(plan_examples=SPAN_PLAN_EXAMPLES)``."""


REFERENCE_PLAN_EXAMPLES: tuple[PlanAheadExample, ...] = (
    PlanAheadExample(
        "In which country was the inventor of the telephone born?",
        (
            "Needs who invented the telephone (a search), then where #1, the person step 1 "
            "finds, was born: a search.",
            (
                (_SEARCH, "Who invented the telephone?"),
                (_SEARCH, "In which country was #1 born?"),
            ),
        ),
    ),
    PlanAheadExample(
        "Which language is spoken in the country that won the 2010 FIFA World Cup?",
        (
            "Needs the winner (a search), then the language of #1, the country step 1 finds: a "
            "search.",
            (
                (_SEARCH, "Which country won the 2010 FIFA World Cup?"),
                (_SEARCH, "Which language is spoken in #1?"),
            ),
        ),
    ),
    PlanAheadExample(
        "In which country was the inventor of the telephone born?",
        (
            "Needs where Alexander Graham Bell, found in step 1, was born: a search.",
            ((_SEARCH, "In which country was Alexander Graham Bell born?"),),
        ),
        steps=(
            (
                _SEARCH,
                "Who invented the telephone?",
                "Alexander Graham Bell is credited with inventing the telephone.",
            ),
        ),
    ),
)
"""Chained lookups written with references (``#1``), and the re-plan once the name is in. Not
shown by default: with them (and ``REFERENCES_RULE``) the 1.5B planner wrote ``#1`` in 2 of the
dev split's 5 chained lookups (one more answer right), but its other plans changed too, and the
held-out test split lost 6 of 43 multi-step answers (README). Show them with
``ZeroShotPlanner(plan_examples=PLAN_AHEAD_EXAMPLES + REFERENCE_PLAN_EXAMPLES)``; the agent
fills the references in whatever the examples."""


def format_plan_examples(examples: Iterable[PlanAheadExample], tool_names: Iterable[str]) -> str:
    """The examples that fit the tools, each as its request, earlier results and plan JSON."""
    names = set(tool_names)
    fitting = [e for e in examples if e.tools() <= names]
    if not any(e.plan[1] for e in fitting):
        return ""
    blocks = []
    for example in fitting:
        thoughts, planned = example.plan
        plan = {"thoughts": thoughts, "steps": [{"tool": t, "task": k} for t, k in planned]}
        blocks.append(_example_block(example.request, example.steps, plan))
    return "\nExamples:\n" + "\n\n".join(blocks) + "\n"


def plan_ahead_messages(
    request: str,
    steps: Sequence[Mapping[str, Any]],
    tools: Iterable[tuple[str, str]],
    examples: Iterable[PlanAheadExample] | None = None,
) -> list[tuple[str, str]]:
    """System + user messages of the plan-ahead planner; ``tools`` are (name, description).

    ``final_answer`` is left out of the tool list (the answer follows the plan).
    """
    tools = [(n, d) for n, d in tools if n != "final_answer"]
    shown = format_plan_examples(
        PLAN_AHEAD_EXAMPLES if examples is None else examples, [n for n, _ in tools]
    )
    system = PLAN_AHEAD_SYSTEM.format(
        tools=format_tools(tools),
        references=REFERENCES_RULE if re.search(r"#\d", shown) else "",  # an example refers
        examples=shown,
    )
    user = ZERO_SHOT_PLANNER_USER.format(request=request, context=format_context(steps))
    return [("system", system), ("human", user)]


# -- loops: the planner repeating itself -------------------------------------------------------

LOOP_NOTE = (
    "Not done again: this task was already done in step {step}, and its result is above. Select "
    "final_answer if the results answer the request, or write a different task."
)
"""The observation of a step that repeats an earlier step's tool and task (the tool does not
run again). Formatted with ``step`` (1-based)."""

ACTION_DONE_NOTE = (
    "Not done again: {tool} already did this in step {step} ({arguments}), and its result is "
    "above. Select final_answer if the request is done, or the next action it asks for."
)
"""The observation of an action that an earlier step of the same tool already took (the same
identifying arguments: the recipient, the date and time): an action tool runs once per target.
Formatted with ``tool``, ``step`` (1-based) and ``arguments``."""

UNSOURCED_ADDRESS_NOTE = (
    "Not called: {tool} needs {what} that neither the request nor a result gives; the one "
    "written was made up. Ask the user for it with ask_user, then {tool} with what they give."
)
"""The observation of an action whose arguments hold an email address, a date or a time that
nobody gave (``grounding.unsourced_addresses``, ``grounding.unsourced_dates``): not called, not
shown for approval. Formatted with ``tool`` and ``what`` (``UNSOURCED_WHAT``'s, joined with
" and "). The made-up value is not repeated: told "would write to accountant@example.com", the
1.5B planner wrote that address into its next task, and the task into the next call."""

UNSOURCED_WHAT = {"address": "an email address", "date": "a date or time"}

UNSOURCED_QUESTION = 'For "{request}" I need {what} that you have not given. What {are_they}?'
"""The question to the user after an action was refused for a made-up address, date or time
(the agent asks it without a planner call). Formatted with ``request``, ``what``
(``UNSOURCED_WHAT``'s, joined with " and ") and ``are_they`` ("is it" or "are they")."""

UNUSED_TARGET_TASK = "Do what the request asks for {target}."
"""The task of the action the agent takes for a target of the request that no action used
(``complete_actions``), read beside the request by function calling. Formatted with
``target`` (the request's words: an address, a date)."""

UNUSED_TARGETS_NOTE = (
    "Not done yet: the request also names {targets}, and no action used {them}. Select the "
    "tool that does what the request asks with {them}, one action per step; or final_answer "
    "if the request asks nothing more."
)
"""The observation of a final answer planned while the request writes an email address or a
date that no action took effect with (``grounding.unused_targets``), after an action: the
1.5B planner answered "Put 'Flight to Oslo' on 2026-08-01 ... and 'Return flight' on 2026-08-09
..." after the first entry. Formatted with ``targets`` (the request's words) and ``them``
("it" or "them"). Given once per run."""

COPIED_QUESTION_NOTE = (
    "Not asked: the question was not written (the task copied the planner's instructions). "
    "Write the question for the user itself, or select another tool."
)
"""The observation of an ``ask_user`` step whose task copies a field's description (the agent
asks the user nothing; another tool's copied task becomes the request)."""

WORLD_QUESTION_NOTE = (
    "Not asked: the request asks about the world, not about the user, so the user has nothing "
    "to add. Search for the facts it needs (then calculate with the numbers found), or select "
    "final_answer if the results answer it."
)
"""The observation of an ``ask_user`` step that asks the user about themselves in a request
about named things that never speaks of the user (``about_the_world``): not asked."""

USERS_OWN_NOTE = (
    "Not answered: the request speaks of the user's own {own}, which only the user knows. Ask "
    "the user with ask_user what the answer needs to know about it, then select final_answer."
)
"""The observation of a plan without steps for a request that speaks of the user's own things
(``users_own``: "my favourite restaurant"), before any step: no answer is written, and the
planner plans again (at least one step). Formatted with ``own`` (the request's words)."""

SAME_RESULT_NOTE = " (The same result as step {step}.)"
"""Appended to a result identical to an earlier step's result of the same tool."""

LOOP_STOP_TASK = "Answer the request."
"""The final task when the planner keeps repeating itself. Plain on purpose: "Answer the request
with the results so far" made the 1.5B model copy the first result instead of the calculation
that followed it (25/34 vs 29/34 right answers on the dev split's trajectories)."""

LOOP_ANSWER_THOUGHTS = "The results so far answer the request; nothing is missing."
"""The thoughts of the step a distilled planner learns where its teacher repeated itself until
the loop guard stopped it (``simulation.export``, ``answer_at_loops``)."""

# -- fine-tuned planner (the format finetune/ trains on and simulation/ exports) -----------------

FINE_TUNED_PLANNER = """\
Request: {request}

{context}

Plan the next step."""
"""No tool list: a fine-tuned planner learns its tools from the training data."""


def fine_tuned_planner_prompt(request: str, steps: Sequence[Mapping[str, Any]]) -> str:
    """The fine-tuned planner's prompt: the request, the ``Task/Result`` pairs, the instruction."""
    return FINE_TUNED_PLANNER.format(request=request, context=format_context(steps))


FINE_TUNED_PLAN_AHEAD = """\
Tools:
{tools}

Request: {request}

{context}

Plan the steps still needed."""
"""A plan-ahead fine-tuned planner's prompt (the completion is the plan's JSON, thoughts and
steps, as ``plan_model`` constrains it). The tools come first, each with the first sentence of
its description: the prefix is the same for every request of a tool set (llama.cpp reuses it),
and an app's own tools are named to the student as they are to the teacher."""


def short_description(description: str) -> str:
    """A tool description's first sentence (the fine-tuned planner's tool list)."""
    text = " ".join(description.split())
    match = re.search(r"(?<=[.!?])\s", text)
    return text[: match.start()] if match else text


def fine_tuned_plan_prompt(
    request: str, steps: Sequence[Mapping[str, Any]], tools: Iterable[tuple[str, str]]
) -> str:
    """A plan-ahead fine-tuned planner's prompt: tools, request, results, the instruction.

    ``final_answer`` is left out of the tools (the answer follows the plan).
    """
    listed = [(n, short_description(d)) for n, d in tools if n != "final_answer"]
    return FINE_TUNED_PLAN_AHEAD.format(
        tools=format_tools(listed), request=request, context=format_context(steps)
    )


# -- function calling -------------------------------------------------------------------------

FUNCTION_CALLING_SYSTEM = """\
You call the function {name}: {description}
Write its arguments as JSON. Take every value from the task; leave out optional arguments the \
task does not give."""

FUNCTION_CALLING_USER = "Task: {task}"

FUNCTION_CALLING_REQUEST_USER = "The user's request: {request}\n\nTask: {task}"

REPLY_IN_REQUEST = '(Asked "{question}", the user said: "{reply}")'
"""A reply of the user, after the request in ``FUNCTION_CALLING_REQUEST_USER``: glued to the
request, "I have nothing to add." became an email's body. Formatted with ``question`` and
``reply``."""
"""The arguments asked with the user's request beside the task (the agent's calls): the task
the planner wrote may leave out what the request says. For "Email the caterer at
food@catering.example.com that we will be 40 guests, and tell venue@hall.example.com the same."
the 1.5B planner wrote "Email food@catering.example.com and venue@hall.example.com with the
same message.", and the call from the task alone said "Please join us for a delicious food
event"; with the request beside it, a probe's calls took the message from it."""

FUNCTION_DECISION_SYSTEM = """\
You call the function {name}: {description}
Its arguments:
{parameters}
Write its arguments as JSON. Take every value from the task; leave out optional arguments the \
task does not give."""
"""The function-calling step that may decline (``FunctionCaller(check_fit=True)``), shared by its
two questions so the second reuses the first's prompt: the function's description and its
arguments' descriptions (:func:`format_parameters`); formatted with ``name``, ``description``,
``parameters``. The arguments are asked with ``FUNCTION_CALLING_USER``."""

FUNCTION_CHOICE_SYSTEM = """\
You choose the function that best matches the user's request. Functions:
{functions}

Reply with JSON: "function" (its name)."""
"""Step 1 of a call when several functions are offered: the closest one (whether it does the
request is the next step's decision, ``FunctionCaller(check_fit=True)``). Shared by ``bind_tools``
and ``bench/bfcl.py``. Formatted with ``functions`` (``format_tools``)."""

TOOL_DECISION_SYSTEM = """\
You decide how to answer the user's request. Call a tool when its result is needed: facts and \
numbers come from tools. Tools:
{tools}
- none: reply directly, with no tool (the request needs no tool, or the results so far answer \
it).

Reply with one name: the tool to call, or none."""
"""``bind_tools``: call a tool or reply, decided by the model's probability of each name as its
reply's first token (one forward pass). On the dev split's lookups, calculations and direct
requests (Qwen2.5-Coder-1.5B, Wikipedia and calculator) it chose right 26/30 (lookups 14/14,
calculations 7/7, direct 5/9), where BFCL's fit decision (the closest tool, then its "Yes" to
``FUNCTION_FIT_QUESTIONS`` against the tuned threshold) chose right 16/30 (0/14, 7/7, 9/9): for
tools that take a task in plain words its "Yes" barely depends on the request (search_wikipedia:
0.68-0.76 on lookups, 0.55-0.73 on direct requests). Formatted with ``tools`` (``format_tools``
lines)."""

TOOL_RESULTS_SYSTEM = "You check whether the results of tool calls answer a user's request."
TOOL_RESULTS_QUESTION = """\
Request: {request}

Results so far:
{results}

Do these results answer the request? Answer Yes or No."""
"""``bind_tools`` with ``tool_choice="auto"``, after tool results: reply (the probability of
"Yes" reaches one half) or decide on a call again. Formatted with ``request`` and ``results``."""

RESULTS_ANSWER_QUESTION = "\n\nDo these results answer the request? Answer Yes or No."
"""Appended to the planner's own prompt after a tool result: when the planner model's probability
of "Yes" reaches the agent's ``early_answer`` threshold, the answer is written without a planner
step (one forward pass over a few new tokens instead of a ~50-token step)."""

EARLY_ANSWER_THOUGHTS = "Known: the results answer the request. Missing: nothing: final_answer."
"""The ``thoughts`` recorded for a step that ``RESULTS_ANSWER_QUESTION`` ended (the planner's own
format, so recorded trajectories stay valid training data)."""

SEARCHED_REQUEST_THOUGHTS = "The answer from memory was refused: the request is searched as asked."
"""The ``thoughts`` recorded for the search of the request itself that follows a plan without
steps whose answer named what no result gives (``Nodes._searched_request``; no planner call)."""

TOOL_RESULTS_REPLY = """\
{request}

Results of the tools called for this request:
{results}

Answer the request from these results."""
"""``bind_tools``' text reply after tool results: the request and its results in one user
message. Qwen2.5-Coder-1.5B, shown its results in its template's own form (``<tool_response>``),
replied "Thank you for providing the answer." to a calculation and declined a lookup whose
result it had; from this message it answered both. Formatted with ``request`` and ``results``."""

TOOL_TASK = """\
{request}

Results so far:
{results}"""
"""The task a function's arguments are written for when a conversation already has tool results
(``bind_tools``). Formatted with ``request`` and ``results``."""

FUNCTION_FIT_QUESTIONS = (
    "Task: {task}\n\nDoes calling {name} do what this task asks for? Answer Yes or No.",
    "Task: {task}\n\nCan this task be done by calling {name}? Answer Yes or No.",
)
"""The decision's first question, in two wordings: the mean probability of "Yes" is the
evidence that the function fits. One wording alone is brittle: on BFCL items apart from the
reported ones, Qwen2.5-Coder-0.5B's "Yes" to the first barely depends on the fit (AUC 0.66
between fitting and irrelevant requests; 0.80 for the mean), while the 1.5B separates them well
with either (0.97). Formatted with ``task`` and ``name``."""


def format_parameters(parameters: Mapping[str, Any]) -> str:
    """``- name (type, required): description`` lines for a JSON schema's top-level properties."""
    properties = parameters.get("properties") or {}
    if not properties:
        return "(none)"
    required = set(parameters.get("required") or ())
    lines = []
    for name, spec in properties.items():
        spec = spec if isinstance(spec, Mapping) else {}
        kind = spec.get("type") or ("one of" if "enum" in spec else "any")
        if isinstance(kind, list):
            kind = " or ".join(map(str, kind))
        notes = [str(kind), "required" if name in required else "optional"]
        text = " ".join(str(spec.get("description", "")).split())
        if "enum" in spec:
            text = (
                (text + " " if text else "")
                + "One of: "
                + ", ".join(map(json.dumps, spec["enum"]))
                + "."
            )
        if "default" in spec:
            text = (text + " " if text else "") + f"Default: {json.dumps(spec['default'])}."
        lines.append(f"- {name} ({', '.join(notes)})" + (f": {text}" if text else ""))
    return "\n".join(lines)


# -- final answer -----------------------------------------------------------------------------

FINAL_ANSWER_SYSTEM = """\
You write the answer to the user's request from the results of the steps taken. Write one or two \
short sentences with the facts and numbers the user asked for, taken from the results only. \
Never calculate: give the numbers as the results state them (round long decimals to two places \
unless the request asks otherwise; a negative difference as a positive number with its \
direction: lower, shorter, fewer). If the results do not answer the request, say what they \
found and what could not be found. Say an action was done only if a result says so. A request \
that needs no facts (a greeting, thanks, a simple language task) you answer directly."""

FINAL_ANSWER_USER = """\
{context}

Request: {request}
Task: {task}"""
"""The results first, the request last: with the request before them, the embedded 1.5B model
answered from the latest result even where an earlier one answered the request ("Neptune is the
eighth planet" after "Jupiter is the largest planet", for the largest planet)."""

UNGROUNDED_NOTE = "Not answered: {problems}. {how}Then select final_answer."
"""The observation of a final answer that states what no step produced (``grounded``): the run
goes back to the planner. Formatted with ``problems`` (``UNGROUNDED_NUMBERS`` and
``UNDONE_ACTIONS``, joined with "; and ") and ``how`` (``GROUNDING_HOW`` lines of the tools the
agent has). The refused answer and its numbers are not quoted: the 1.5B planner copied them
into its next calculation ("8,848 + the height of Mount Kilimanjaro")."""

UNGROUNDED_NUMBERS = "the answer needs a number that no result gives yet"
UNGROUNDED_NAMES = "the answer names what no result gives yet: facts come from the tools"
UNDONE_ACTIONS = "the answer says {tools} was done, but no step of it succeeded"
UNDONE_ADDRESSES = "the answer says an action went to {addresses}, but no step did that"

GROUNDING_HOW = {
    "calculate_number": (
        "A difference, a ratio, a total, a conversion or a number of years is calculated with "
        "calculate_number from the numbers in the results. "
    ),
    "search": "A fact that no result gives is searched for. ",
    "action": "An action is done with its tool. ",
}
"""What the planner is told to do about an answer that was refused, per kind of tool it has."""

CALCULATED_ANSWER_TASK = (
    "Answer the request in a sentence that gives {result}, the calculation's result."
)
"""The answer's task when a plan ahead ended with its calculation: the 1.5B writer repeated the
search result before it ("about 35% of Iceland's roughly 395,000 residents live in Reykjavík")
instead of the calculation that followed ("395000 * 35 / 100 = 138250"). Formatted with
``result`` (the number after "=", rounded as the request asks or a person would:
``rounding.rounded_for``; handed every digit, it wrote "6.0" for 6.05 "to one decimal"). Told
"the last step's result: 395000 * 35 / 100 = 138250", it wrote "According to the last step's
result, 395000 * 35 / 100 = 138250 people live in ..."."""

GROUNDED_ANSWER_TASK = (
    "{task} Use only numbers the results give; do not state {numbers}. If the results do not "
    "answer the request, say what they found and what could not be found."
)
"""The answer writer's task after an answer was refused for a number no step produced."""

NOT_ESTABLISHED = "I could not establish the rest: no step found or calculated it."
NOT_ANSWERED = "I could not answer this: no step found what it needs."
"""The answer when the writer only copied a tool's failure ("Error: ...", "No information
found.")."""
"""Ends an answer whose unsupported sentences were left out (the step budget was spent)."""

NOT_DONE = "I did not do this: {tools} did not run."
"""Ends an answer whose claims of an action no step took were left out."""
NOT_DONE_FOR = "Nothing was done for {addresses}."
"""Ends an answer whose claims of an action on an address no step used were left out."""

# -- search tools -----------------------------------------------------------------------------

NO_INFORMATION = "No information found."
"""What a search tool answers when its sources say nothing about the task."""

SEARCH_SUMMARY_SYSTEM = (
    "You answer a task using only the numbered sources you are given. Write one or two short "
    "sentences that answer it, with the facts and numbers it needs, as the sources state them. "
    "Do not calculate anything: a calculator does that later. "
    "The sources may say it in other words than the task. Only if they say nothing that "
    f"answers it, write exactly: {NO_INFORMATION}"
)
""""Do not calculate": told the user's request, the 1.5B summary did its arithmetic, sometimes
wrongly ("sank in 1912, which was 104 years before 2026"), and the answer took it. The sentence
has not stopped that one (held-out test, session 13) and changed no answer on dev or test: the
fix is still to be found (the answer writer checking sums through the calculator?)."""

SEARCH_SUMMARY_USER = "Sources:\n\n{sources}\n\nFrom these sources: {task}\nAnswer:"
"""Formatted with ``sources`` (numbered, ``[1] Title\\ntext``) and ``task``."""

SEARCH_SUMMARY_REQUEST_USER = """\
Sources:

{sources}

The user asked: {request}
From these sources, for that request: {task}
Answer:"""
"""The summary's message when the tool knows the user's request (the agent passes it): a small
planner's task may misname what the request needs, and the request names it."""

SEARCH_SELECT_SYSTEM = (
    "You pick the sentences of the numbered sources that answer a task. Reply with the numbers "
    "of the one or two sentences that state what the task asks for, or 0 if no sentence does."
)
"""The search tool's other answer (``summary="sentences"``): the sources' own sentences, picked
by number with a constrained decoder, so that the result states the facts as the source does and
computes nothing. On 15 search tasks of the dev split's failures the picked sentences held the
fact 12 times, the written summary 8 ("No information found." for Venice's 472 bridges; Chile's
population for its area; "A year on Saturn lasts about 29.45 Jupiter years"); but end to end the
picks that missed (a sentence about the Wright brothers without a year) and the longer results
left the dev split's answers where they were (34 vs 35 of 47), 1.9 s slower per request: not the
default."""

SEARCH_SELECT_USER = """\
Sentences:
{sentences}

{request}Task: {task}
The numbers of the sentences that answer the task:"""
"""Formatted with ``sentences`` (``1. (Title) text`` lines), ``request`` (``The user asked: ...``
and a newline, or empty) and ``task``."""

# -- calculate_number -------------------------------------------------------------------------

CALCULATOR_EXAMPLES: tuple[tuple[str, str, str], ...] = (
    (
        "How many times as big is Lake A (82,100 km²) as Lake B (31,500 km²)?",
        "Lake A 82,100 km²; Lake B 31,500 km²",
        "82100 / 31500",
    ),
    (
        "How many minutes are there in 2 weeks?",
        "2 weeks; 7 days a week, 24 hours a day, 60 minutes an hour",
        "2 * 7 * 24 * 60",
    ),
    ("50 °F in Celsius", "50 °F", "(50 - 32) * 5 / 9"),
    ("25 °C in Fahrenheit", "25 °C", "25 * 9 / 5 + 32"),
    ("10 km in miles, 1.609 km per mile", "10 km; 1.609 km per mile", "10 / 1.609"),
    ("30% of a population of 2.1 million", "30%; 2.1 million people", "2.1 * 1000000 * 30 / 100"),
    (
        "2 cakes of 12 pieces shared by 8 people: pieces each?",
        "2 cakes; 12 pieces each; 8 people",
        "2 * 12 / 8",
    ),
)
"""The calculator's worked examples: task, the numbers it takes (``CALCULATOR_NUMBERS_SYSTEM``
only) and the expression."""


def _calculator_examples(numbers: bool) -> str:
    """The examples as the calculator's prompt shows them (braces doubled for ``format``)."""
    lines = []
    for task, given, expression in CALCULATOR_EXAMPLES:
        reply = (
            {"numbers": given, "expression": expression} if numbers else {"expression": expression}
        )
        lines += [f"Task: {task}", json.dumps(reply, ensure_ascii=False)]
    return "\n".join(lines).replace("{", "{{").replace("}", "}}")


_CALCULATOR_RULES = """\
You turn a calculation task into one arithmetic expression. Use only the numbers in the task, \
the operators + - * / ** and parentheses, and these functions: {functions}; constants: \
{constants}. """

CALCULATOR_SYSTEM = (
    _CALCULATOR_RULES
    + 'Reply with JSON: {{"expression": "..."}}\n\nExamples:\n'
    + _calculator_examples(numbers=False)
)
"""Formatted with ``functions`` and ``constants`` (comma-separated names). The examples are the
operations the 1.5B model wrote wrong on the dev and hand-written requests (a ratio written as
a relative difference, a conversion multiplied the wrong way, a share of millions); with them it
wrote 56 of 78 recorded calculations right against 52 (tasks as the user asked them). Earlier,
with the 135M model as the default, examples made its expressions worse."""

CALCULATOR_NUMBERS_SYSTEM = (
    _CALCULATOR_RULES
    + 'Reply with JSON: {{"numbers": "...", "expression": "..."}}: first the numbers the '
    "calculation takes, each with what it is, as the task or the results give them; then the "
    "expression.\n\nExamples:\n" + _calculator_examples(numbers=True)
)
"""``CALCULATOR_SYSTEM`` for ``CalculatorTool(show_numbers=True)``: the model names the numbers
it takes before it writes the expression."""

CALCULATOR_USER = "Task: {task}"

CALCULATOR_REFUSED_USER = """

Not {expression}: it {reason}. Write the expression with the numbers the task needs, as the \
results give them."""
"""Appended to the calculator's message when its first expression was refused
(``CalculatorTool(retry_refused=True)``): formatted with ``expression`` and ``reason`` ("takes
7088 and 4404, one figure written in two units", "uses 126014024, which no result gives")."""

CALCULATOR_CONTEXT_USER = """\
Known so far (take numbers the task leaves out from here):
{context}

Numbers known: {numbers}

Task: {task}"""
"""The calculator's message when the agent passes what the run knows (the request and earlier
results): the planner often writes "Calculate my body mass index" after the user gave weight and
height, or "How many years ago was it?" after a search found the year. Formatted with ``task``,
``context`` and ``numbers`` (``known_numbers``: the numbers the facts state, listed)."""

# -- simulation ---------------------------------------------------------------------------------
# The simulated environment (langchain_gba.simulated) and the pipeline (simulation/): tool twins,
# the simulated user, request generation and the judge.

SIMULATED_TOOL_SYSTEM = """\
You are the tool {name}: {description}
You receive a call with its arguments and write what the tool returns: a short, specific and \
plausible result (invent realistic names, dates and numbers). Write only the result, never \
mention that it is simulated."""
"""Formatted with ``name`` and ``description``. A twin of any tool."""

SIMULATED_TOOL_USER = """\
Previous results:
{context}

Call: {call}"""
"""Formatted with ``context`` (``format_context`` of the earlier calls) and ``call``."""

SIMULATED_SEARCH_SYSTEM = """\
You are the search tool {name}: {description}
You receive a task and write what the search found: {outcome} Then name the sources, as short \
titles{sites}. Write only the result, never mention that it is simulated."""
"""Formatted with ``name``, ``description``, ``outcome`` (one of ``SIMULATED_SEARCH_OUTCOMES``)
and ``sites`` (an extra instruction about URLs, or nothing)."""

SIMULATED_SEARCH_OUTCOMES = {
    "full": (
        "one or two sentences that fully answer the task, with specific facts and numbers "
        "(invent plausible ones)."
    ),
    "partial": (
        "one sentence with a related fact only: it does not fully answer the task (a number or "
        "a detail the task asks for is missing)."
    ),
}
"""What a simulated search answers; the third outcome, nothing found, needs no model call."""

SIMULATED_SEARCH_SITES = " and the address of each page (https://...)"
"""Added to ``SIMULATED_SEARCH_SYSTEM`` for search_internet, whose sources have URLs."""

SIMULATED_CALCULATOR_SYSTEM = """\
You are the tool calculate_number: you calculate a number from the numbers in the task. \
Reply with the calculation and its result as one number, e.g. "12 * 7 = 84". If the task is \
not a calculation with numbers, reply "Error: not a calculation"."""

SIMULATED_USER_SYSTEM = """\
You are the user of an assistant. The assistant asks you a question about yourself or the \
people and things in your life. Reply in one short sentence with the plausible detail it asks \
for (invent it if needed: a name, an email address like sam.lee@example.com, a city, a date \
and time, a budget, a preference). Never reply that you have not given it or do not have \
it.{persona}"""
"""Formatted with ``persona`` (``" You are: ..."`` or nothing). Asked for an address the request
left out, the earlier prompt (about "yourself") answered "I don't have an email address that
you haven't given" or "I have not given a date or time yet" (``bench/data/teacher-plans-8``)."""

SIMULATED_USER_USER = """\
Your earlier replies and what the assistant found:
{context}

Question: {question}"""

GENERATE_REQUESTS_SYSTEM = """\
You write requests that users send to an assistant. The assistant has these tools:
{tools}
Each request is one or two sentences in the user's own words, about the topic, specific \
(names, places, numbers), and different from the examples."""
"""Formatted with ``tools`` (``format_tools`` lines)."""

GENERATE_REQUESTS_STYLE = "Write every request the way this user types: {style}."
"""Appended to the user message with a writing style (``REQUEST_STYLES``), one per batch."""

REQUEST_STYLES: tuple[str, ...] = (
    "short and plain, a few words, no greeting",
    "all in lowercase, with little or no punctuation",
    "in a hurry, with a typo or two and a missing word",
    "politely and at length, with a sentence of context about why they ask",
    'as an indirect question ("I was wondering...", "do you know...")',
    'as an instruction ("tell me...", "find out...", "work out...")',
    "casually, like a text message to a friend",
    "like a non-native speaker, simple words and slightly odd grammar",
)
"""How people write (the generator's personas): a student trained on one register alone
generalised poorly to requests written apart (issue "A student that holds up")."""

GENERATE_REQUESTS_STEPS = """ For each request, list the steps the assistant needs, one short \
sentence each, the last one being the final answer."""
"""Appended to the system prompt when the requests come with their steps."""

GENERATE_REQUESTS_USER = """\
Topic: {topic}
{passages}Write one request for each key, in this order:
{kinds}"""
"""Formatted with ``topic``, ``passages`` (``format_passages``: empty, or the passages and a
blank line) and ``kinds`` (``format_request_kinds``)."""


class RequestKind(NamedTuple):
    """A kind of generated request.

    Its key in a batch, what it needs, examples (never written as requests) and, for a request
    grounded in passages, what it asks of them and how many it takes.
    """

    key: str
    text: str
    examples: tuple[str, ...]
    grounded: str = ""
    passages: int = 0


REQUEST_KINDS: dict[str, RequestKind] = {
    "direct": RequestKind(
        "request_answered_without_tools",
        "a greeting, thanks or goodbye, or a small language task the assistant does at once: "
        "translating a word or phrase, a plural, an opposite, a grammar or spelling question, "
        "rewording a sentence, writing a number in words",
        (
            "Good morning! Hope you're well.",
            "How do you say 'apple' in Portuguese?",
            "What is the opposite of 'narrow'?",
        ),
    ),
    "single_step": RequestKind(
        "request_for_one_fact",
        "a question about one fact (a date, a place, a person, a size) that one search finds",
        ("Which river flows through Vienna?", "Who painted The Night Watch?"),
        grounded="a question about one fact in passage {0}, naming its subject",
        passages=1,
    ),
    "multi_step": RequestKind(
        "request_combining_facts",
        "a question that combines two facts found by two separate searches, maybe with a "
        "calculation on them",
        ("How many years older is the Louvre than the Guggenheim Museum in New York?",),
        grounded="a question combining a fact in passage {0} with a fact in passage {1} (two "
        "searches), maybe with a calculation on them",
        passages=2,
    ),
    "compare": RequestKind(
        "request_comparing_two_numbers_to_look_up",
        "a question calculated from two numbers that the request does not give, each one fact "
        "to look up (two searches, then a calculation): how many years apart, how much longer, "
        "higher or heavier, how many times bigger, their total; naming both things, no number",
        (
            "How much longer is the Danube than the Rhine?",
            "How many years passed between the fall of the Berlin Wall and the founding of Google?",
        ),
        grounded="a question calculated from a number in passage {0} and the same kind of "
        "number about another well-known thing (how many years apart, how much longer, higher "
        "or heavier, how many times bigger), naming both but neither number",
        passages=1,  # two random articles made "how many years apart is indium and Taipei?"
    ),
    "calculation": RequestKind(
        "request_with_numbers_to_compute",
        "arithmetic on numbers that the request itself gives (a total, a price after a "
        "discount or with a tip, an average, a share, a conversion), often about the user's "
        "own plans, written with 'I' or 'my' but giving every number",
        (
            "I cycle 14 km a day, 5 days a week. How far is that over 46 weeks?",
            "A lamp costs 80 pounds and is 25% off this week. What would I pay?",
            "My quiz scores were 7, 9, 6 and 10. What's my average?",
        ),
    ),
    "internet": RequestKind(
        "request_for_current_information",
        "about something current or too specific for an encyclopedia, that only a web search "
        "finds: today's weather or news, a price, a score, opening hours, a product's reviews, "
        "a timetable",
        (
            "What's the weather going to be like in Porto this weekend?",
            "How much does a monthly train pass in Zurich cost now?",
            "Who won the Celtics game last night?",
            "Is the big Tesco in Bristol open on Sunday evening?",
        ),
    ),
    "ask_user": RequestKind(
        "request_needing_a_personal_detail",
        "about the user's own life (their age, salary, rent, home town, tastes), written with "
        "'I' or 'my', leaving out the detail the assistant must ask them for",
        (
            "How many days are left until my birthday?",
            "Suggest a film I would enjoy.",
            "Recommend a day trip from where I live.",
        ),
    ),
    "ask_calculation": RequestKind(
        "request_computing_on_a_personal_number",
        "a calculation on a number from the user's own life (their age, pay, rent, hours, "
        "distances, savings) that the request leaves out, written with 'I' or 'my': the "
        "assistant must ask for that number before it can calculate",
        (
            "How many hours do I spend at work in a year?",
            "How much would I save in a year if my electricity bill dropped by a fifth?",
            "My phone plan goes up 15 percent next month. What will I pay?",
        ),
    ),
    "everyday": RequestKind(
        "request_of_everyday_knowledge",
        "a question about everyday things every child knows, answered at once without a "
        "search: hours in a day, months in a year, the colour two paints make, a word's "
        "plural or spelling, the sound an animal makes",
        ("How many legs does a spider have?", "What colour is a ripe banana?"),
    ),
    "language": RequestKind(
        "request_for_a_language_task",
        "a small task on words that the assistant does at once, without a search: the plural "
        "or past tense of a word, a short phrase translated, an opposite or a synonym, which "
        "of two spellings or phrasings is right, a sentence reworded (more polite, shorter, "
        "simpler)",
        (
            "What's the past tense of 'swim'?",
            "Make this sound friendlier: 'Reply by Friday.'",
            "How do you say 'good night' in Italian?",
        ),
    ),
    "action": RequestKind(
        "request_for_an_action",
        "an instruction to add an event to the user's calendar or to send an email, giving "
        "every detail it needs: the day with its year and the time, or the email address "
        "(name@example.com) and what to say",
        (
            "Put dinner with Maya on 14 March 2027 at 19:30 in my calendar.",
            "Email jo@example.com that the meeting moved to Thursday.",
        ),
    ),
    "ask_action": RequestKind(
        "request_for_an_action_missing_a_detail",
        "an instruction to email someone of the user's life (their landlord, boss, sister) or "
        "to add an event to their calendar, written with 'my', leaving out the detail only "
        "the user knows (the person's email address, or the day): the assistant must ask "
        "for it first",
        (
            "Email my landlord that the heating is broken.",
            "Add my dentist appointment to my calendar.",
        ),
    ),
    "lookup_action": RequestKind(
        "request_to_send_a_fact_to_look_up",
        "an instruction to email someone at a given address (name@example.com) a fact the "
        "assistant must look up first (a date, a height, a capital), naming the fact but not "
        "giving it",
        ("Email li@example.com the year the Eiffel Tower was finished.",),
        grounded="an instruction to email a given address (name@example.com) one fact in "
        "passage {0}, naming its subject but not giving the fact",
        passages=1,
    ),
}
"""The kinds of generated requests (see ``RequestKind``)."""


KIND_HINTS: dict[str, str] = {
    "direct": "it needs no tool: select final_answer and answer it now",
    "single_step": "one search finds the fact it asks for",
    "multi_step": "it needs several searches, one fact each, then maybe a calculation",
    "compare": "it needs two searches, one number each, then calculate_number on them",
    "calculation": "its numbers are all in the request: calculate_number",
    "ask_user": "a personal detail only the user knows is missing: ask_user for it first",
    "internet": "it needs current information from the web: search_internet",
    "ask_calculation": "a number only the user knows is missing: ask_user for it first, then "
    "calculate_number",
    "action": "every detail is given: do what it asks with the tool that does it",
    "ask_action": "a detail only the user knows is missing (an address, a day): ask_user for it "
    "first",
    "lookup_action": "search for the fact first, then send it",
}
"""The teacher's privileged hint on its first step, from a generated request's kind (the student
never sees it: it learns the choice from the request alone)."""
KIND_HINTS["everyday"] = KIND_HINTS["language"] = KIND_HINTS["direct"]

AHEAD_KIND_HINTS: dict[str, str] = {
    **KIND_HINTS,
    **dict.fromkeys(
        ("direct", "everyday", "language"),
        "it needs no tool: no steps, the answer follows the plan",
    ),
}
"""``KIND_HINTS`` for a teacher that plans ahead (``final_answer`` is no step of a plan)."""

KIND_HINT = "(Note for the planner, not from the user: {hint}.)"
"""Appended to the request the hinted teacher plans its first step for."""


def format_request_kinds(
    kinds: Sequence[str], passages: Mapping[str, Sequence[str]] | None = None, *, shift: int = 0
) -> str:
    """Numbered lines: each request's key, what its kind needs, and examples of the kind.

    ``passages``: key → the labels of the passages a request is grounded in (its kind's
    ``grounded`` text is shown instead of the examples). ``shift``: the examples of each kind
    rotated by it (the batch's number) and by the kind's earlier slots: the 1.5B writer copies
    the first example's shape (every ``action`` request a calendar entry when it came first).
    """
    lines = []
    seen: dict[str, int] = {}
    for i, (key, kind) in enumerate(request_slots(kinds), start=1):
        spec = REQUEST_KINDS[kind]
        labels = (passages or {}).get(key)
        if labels:
            lines.append(f'{i}. "{key}": {spec.grounded.format(*labels)}.')
            continue
        turn = (shift + seen.get(kind, 0)) % len(spec.examples)
        seen[kind] = seen.get(kind, 0) + 1
        shown = spec.examples[turn:] + spec.examples[:turn]
        like = " or ".join(f'"{e}"' for e in shown)
        apart = " (not about the passages)" if passages else ""
        lines.append(f'{i}. "{key}": {spec.text}{apart}. Like: {like}')
    return "\n".join(lines)


def format_passages(passages: Sequence[tuple[str, str, str]]) -> str:
    """``[label] title: text`` lines and a blank line, or nothing without passages."""
    if not passages:
        return ""
    return "Passages:\n" + "\n".join(f"[{k}] {t}: {x}" for k, t, x in passages) + "\n\n"


def request_slots(kinds: Sequence[str]) -> list[tuple[str, str]]:
    """(key, kind) per request of a batch; a kind repeated gets numbered keys (``..._2``)."""
    seen: dict[str, int] = {}
    slots = []
    for kind in kinds:
        seen[kind] = seen.get(kind, 0) + 1
        key = REQUEST_KINDS[kind].key
        slots.append((key if seen[kind] == 1 else f"{key}_{seen[kind]}", kind))
    return slots


JUDGE_SYSTEM = """\
You rate the work of an assistant that answers a user's request step by step. For each step, \
rate its task: 5 = a clear, necessary next step with every value it needs; 3 = vague, \
redundant or missing values; 1 = useless or wrong. Rate the final answer: 5 = correct and \
complete given the results of the steps; 3 = partly answers; 1 = wrong, missing or invented. \
Explain each rating in a few words first."""

JUDGE_USER = """\
Request: {request}

Steps:
{steps}

Final answer: {answer}"""
"""Formatted with ``request``, ``steps`` (``format_judged_steps``) and ``answer``."""


def format_judged_steps(steps: Sequence[Mapping[str, Any]]) -> str:
    """The steps as the judge reads them: numbered task, tool and result."""
    if not steps:
        return NO_PREVIOUS_STEPS
    return "\n\n".join(
        f"{i}. Task: {s['task']}\n   Tool: {s['tool']}\n   Result: {s['observation']}"
        for i, s in enumerate(steps, start=1)
    )
