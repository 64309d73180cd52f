"""A search task that asks for a length or an area, and a summary that does not give one.

The 1.5B summary answered "How long is the Danube?" with "The Danube is a river in Europe, the
second-longest after the Volga." and "What is the area of Chile?" with Chile's population,
while a later sentence of the same passage gave the figure ("flows southeast for 2,850 km",
"covers a territorial area of 756,102 square kilometers"). Such a summary is no answer to its
task; the passage's own sentence that states the measure is (:func:`measured`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from langchain_gba._text import words
from langchain_gba.grounding import FREE_NUMBERS, numbers_in
from langchain_gba.tools.search.summarize import (
    AS_WRITTEN,
    Source,
    _as_written,
    _stating,
    as_needed,
    ranked,
)

__all__ = [
    "MEASURES",
    "asked_measure",
    "asks_number",
    "as_found",
    "measured",
    "misattributed",
    "stated",
    "states_measure",
]

_NUMBER = r"\d[\d,]*(?:\.\d+)?"

MEASURES: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "area": (
        # lower case only: "the Greater Tokyo Area" is a name
        re.compile(r"\barea\b|(?i:(?<!per )\bsquare (?:kilo)?met|\bhow (?:big|large) is\b)"),
        re.compile(
            rf"{_NUMBER}\s*(?:km²|km2|mi²|mi2|m²|sq\.?\s*(?:km|mi|m)\b|square\s+"
            r"(?:kilomet|met|mile)|hectares?\b|ha\b|acres?\b)",
            re.IGNORECASE,
        ),
    ),
    "length": (
        re.compile(
            r"\blength\b|\bhow long (?:is|are)\b|\btall\b|\bheight\b|\bhow high\b|\belevation\b"
            r"|\bhow deep\b|\bdepth\b|\bdistance\b|\bhow far\b",
            re.IGNORECASE,
        ),
        re.compile(
            rf"{_NUMBER}(?:\s|-)*(?:km|kilomet(?:re|er)s?|m|met(?:re|er)s?|mi|miles?|ft|feet|"
            r"foot|cm|centimet(?:re|er)s?|inch(?:es)?)\b",
            re.IGNORECASE,
        ),
    ),
}
"""Per measure: how a task asks for it, and how a text states one (a number and its unit)."""

_NOT_A_LENGTH = re.compile(
    r"\b(?:years?|months?|days?|hours?|minutes?|seconds?|take|took|time|ago|old|age)\b",
    re.IGNORECASE,
)
"""Words of a task whose "how long" asks for a time ("How long did it take to build it?")."""

_UNIT_WORDS = {
    "area": re.compile(r"km²|km2|mi²|square|sq\b|hectares?|acres?", re.IGNORECASE),
    "length": re.compile(
        r"\b(?:km|kilomet(?:re|er)s?|met(?:re|er)s?|miles?|feet|ft|foot)\b", re.IGNORECASE
    ),
}

_TASK_WORDS = frozenset(
    "a an the of in on at to for from by with and or is are was were be what which who how "
    "long tall high deep far big large height length area elevation depth distance surface "
    "square total its it does do did much many metres meters kilometres kilometers miles feet "
    "km mi m ft in".split()
)


def asked_measure(task: str) -> str | None:
    """The measure ``task`` asks for: ``"area"``, ``"length"`` (heights, depths, distances)."""
    if MEASURES["area"][0].search(task):
        return "area"
    if MEASURES["length"][0].search(task) and not _NOT_A_LENGTH.search(task):
        return "length"
    return None


def states_measure(text: str, measure: str) -> bool:
    """Whether ``text`` gives a figure of ``measure``.

    A number with its unit ("2,850 km"), or a number in a text that names the unit elsewhere
    ("The height of Denali in metres is 6,190."), or a bare number ("4,807.3"): the summary
    answered.
    """
    if MEASURES[measure][1].search(text):
        return True
    numbers = re.findall(rf"{_NUMBER}(?:\s+[^\W\d_]+)?", text)
    if not numbers:
        return False
    if _UNIT_WORDS[measure].search(text):
        return True
    # a bare figure ("4,807.3"), not a count ("18.5 million") nor a figure of another unit
    return any(len(n.split()) == 1 for n in numbers)


def measured(
    task: str,
    sources: Sequence[Source],
    embed: Callable[[list[str]], Any],
    measure: str,
) -> str | None:
    """The sentence of ``sources`` most like ``task`` that states its ``measure``, as written.

    Only a sentence about what the task names: the words it writes with a capital (not at a
    sentence's start) in the sentence or its article's title (all of one or two, all but one
    of more), else two of its other words; and a
    sentence of an article whose title holds them first ("How long is the Mississippi?": the
    Mississippi River's "flows generally south for 2,340 mi", not the Missouri River's "2,341
    mi ... before entering the Mississippi River"). None when no sentence qualifies.
    """
    found = _about(task, sources, embed, MEASURES[measure][1].search)
    return _as_written([(sources[n].title, s) for n, s in found[:1]]) if found else None


_ASKS_NAME = re.compile(r"^\W*(?:who|whom|whose|which|where)\b|\bwhat is the name\b", re.I)
"""A task that asks for a name or a place, not a number ("Who wrote Moby-Dick?")."""

_ASKS_NUMBER = re.compile(
    r"\b(?:when|what year|which year|how (?:many|much|long|old|far|high|tall|big|large|deep|"
    r"heavy)|population|area|height|length|distance|number of)\b",
    re.IGNORECASE,
)
"""How a task asks for a number: a year, a count, an amount, a measure."""


def asks_number(task: str, request: str = "") -> bool:
    """Whether ``task`` asks for a number ("When did ...", "How many ...", "the population").

    With ``request``, also a task that asks for no name or place ("What are Winston
    Churchill's terms as Prime Minister?") for a request that asks for a number ("how many
    years in total was Winston Churchill Prime Minister?").
    """
    if _ASKS_NUMBER.search(task):
        return True
    return bool(request) and not _ASKS_NAME.search(task) and bool(_ASKS_NUMBER.search(request))


def stated(
    task: str,
    sources: Sequence[Source],
    embed: Callable[[list[str]], Any],
    k: int = 2,
) -> str | None:
    """Up to ``k`` sentences of ``sources`` most like ``task`` that state a number, as written.

    Only sentences about what the task names, those of an article it names first (as
    :func:`measured`), each once; the second only when the first states one number
    (:func:`~langchain_gba.tools.search.summarize.as_needed`). The 1.5B summary found nothing
    for "When did Winston Churchill resign from Prime Minister?" and "Adding up both of his
    terms, how many years in total was Winston Churchill Prime Minister?" where the passage
    says "Prime Minister of the United Kingdom from 1940 to 1945, ... and again from 1951 to
    1955". None when no sentence qualifies.
    """
    return _stated(_about(task, sources, embed, numbers_in), sources, k)


def _stated(about: list[tuple[int, str]], sources: Sequence[Source], k: int) -> str | None:
    """:func:`stated`'s text from its ranked sentences about the task that state a number."""
    kept = as_needed(_stating(about))
    return _as_written([(sources[n].title, s) for n, s in kept[:k]]) if kept else None


def misattributed(
    task: str,
    found: str,
    sources: Sequence[Source],
    embed: Callable[[list[str]], Any],
) -> str | None:
    """The sentences :func:`stated` gives, where ``found`` took its numbers from other sentences.

    The 1.5B summary answered "What are Winston Churchill's terms as Prime Minister?" with
    "Winston Churchill's terms as Prime Minister were 62 years." from "For some 62 of the years
    between 1900 and 1964, he was a Member of Parliament", while the sentence about him as
    Prime Minister says "from 1940 to 1945, ... and again from 1951 to 1955"; the calculator
    then wrote "62 = 62". When no number ``found`` states (beyond the task's own and 0 or 1)
    is in a sentence about what the task names that states a number, those sentences, as
    written, replace it. None when ``found`` states no such number, when one of its numbers is
    in such a sentence, when no sentence is about what the task names, when the task names
    nothing with a capital, or when it asks for a length or an area (a sentence about "the
    Volga River" must hold both words: the Volga's "3,531 km" would have given way to its
    discharge). Replayed on the 283 distinct recorded search steps that ask for a number
    (``bench/replay_attribution.py``), it replaces 4 summaries of 3 requests, each wrong:
    Churchill's terms, Mexico's density ("775", for the sentence with its population), the
    Empire State Building's record ("10 years", twice, for the sentence with 1970).
    """
    if asked_measure(task) is not None:
        return None  # a length or an area: :func:`measured` (a river's "3,531 km" stays)
    given = {n.value for n in numbers_in(task)}
    shown = {n.value for n in numbers_in(found)} - given - FREE_NUMBERS
    if not shown or not _capitalized(task):
        return None  # only for a task that names something ("one mile" is no name)
    about = _about(task, sources, embed, numbers_in)  # ranked once: stated's sentences too
    if not about or shown & {n.value for _, s in about for n in numbers_in(s)}:
        return None
    return _stated(about, sources, k=2)


def _about(
    task: str,
    sources: Sequence[Source],
    embed: Callable[[list[str]], Any],
    states: Callable[[str], Any],
) -> list[tuple[int, str]]:
    """The ranked sentences that ``states`` accepts about what ``task`` names, titled first."""
    names, needed = _named(task)
    if not names:
        return []
    found = [
        (n, sentence)
        for n, sentence in ranked(task, sources, embed)
        if states(sentence) and len(names & set(words(f"{sources[n].title} {sentence}"))) >= needed
    ]
    titled = [(n, t) for n, t in found if len(names & set(words(sources[n].title))) >= needed]
    return titled + [(n, t) for n, t in found if (n, t) not in titled]


def _capitalized(task: str) -> set[str]:
    """The words of ``task`` written with a capital, not at a sentence's start, lower-cased."""
    # a capital after a space, not at a sentence's start ("... per foot. Use 0.3048 m")
    capitalized = {w.lower() for w in re.findall(r"(?<![.!?]\s)(?<=\s)[A-Z][\w'-]*", task)}
    return {w for n in capitalized for w in words(n)} - _TASK_WORDS - {"i"}


def _named(task: str) -> tuple[set[str], int]:
    """What ``task`` is about, and how many of those words a sentence must hold."""
    names = _capitalized(task)
    if names:  # all of one or two names; of more, all but one ("Christ the Redeemer in Rio")
        return names, len(names) if len(names) <= 2 else len(names) - 1
    content = set(words(task)) - _TASK_WORDS
    return content, min(2, len(content))


_ASKS_YEAR = re.compile(
    r"\b(?:year|date|century|born|died|founded|built|completed|opened|established)\b", re.I
)
"""A task that asks for a year or a date in words :func:`asks_number` leaves ("Find the year
the Colosseum was completed")."""


def as_found(
    task: str,
    sources: Sequence[Source],
    embed: Callable[[list[str]], Any],
    request: str = "",
) -> str:
    """The sentences of ``sources`` that answer ``task``, as written, with no model call.

    For a task that asks for a length or an area, the sentence about what it names that states
    one (:func:`measured`); for one that asks for another number or a year, those that state a
    number (:func:`stated`); else, or when none qualifies, the :data:`AS_WRITTEN` sentences
    most like the task (by ``embed``, the index's embedder), those about what it names first
    ("Who painted the Mona Lisa?": the Mona Lisa's sentences before a scroll called "China's
    Mona Lisa"). A result to read in place of a written summary: the sentence most like the
    task held the needed fact for 25 of 33 dev and hand-written search tasks, and was in the
    best five for all of them.
    """
    embed = _once(embed)  # each way below ranks the same sentences: one embedding pass
    if asks_number(task, request) or _ASKS_YEAR.search(task):
        measure = asked_measure(task)
        found = measured(task, sources, embed, measure) if measure else None
        if found := found or stated(task, sources, embed):
            return found
    best = _about(task, sources, embed, bool) or ranked(task, sources, embed)  # bool: any
    once = list(dict.fromkeys(best))  # passages overlap: a sentence may come twice
    return _as_written([(sources[n].title, s) for n, s in once[:AS_WRITTEN]])


def _once(embed: Callable[[list[str]], Any]) -> Callable[[list[str]], Any]:
    """``embed`` that computes the vectors of one list of texts once."""
    done: dict[tuple[str, ...], Any] = {}

    def embed_once(texts: list[str]) -> Any:
        key = tuple(texts)
        if key not in done:
            done[key] = embed(texts)
        return done[key]

    return embed_once
