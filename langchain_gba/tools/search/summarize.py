"""Turn retrieved sources into a short observation focused on the task, with its sources listed."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from langchain_gba._text import words
from langchain_gba.dates import written_dates
from langchain_gba.grounding import grounded_text, numbers_in, sentences, worked_out_numbers
from langchain_gba.prompts import (
    NO_INFORMATION,
    SEARCH_SELECT_SYSTEM,
    SEARCH_SELECT_USER,
    SEARCH_SUMMARY_REQUEST_USER,
    SEARCH_SUMMARY_SYSTEM,
    SEARCH_SUMMARY_USER,
)
from langchain_gba.structured.route import structured_model

__all__ = [
    "MAX_SENTENCES",
    "QUOTED_HEADING",
    "SOURCES_HEADING",
    "Source",
    "AS_WRITTEN",
    "as_needed",
    "FOCUS_SENTENCES",
    "aselect_sentences",
    "asummarize",
    "focus",
    "focused",
    "format_observation",
    "quoted",
    "ranked",
    "select_sentences",
    "selection_messages",
    "source_sentences",
    "summarize",
    "summary_messages",
    "summary_of",
]

_SEARCH_PREFACE = re.compile(
    r"^\s*(?:please\s+)?(?:search|look\s+up|look|find\s+out|find|check)\s+"
    r"(?:(?:on|in)\s+)?(?:(?:wikipedia|the\s+internet|the\s+web|online)\s+)?"
    r"(?:for|about)?\s*",
    re.IGNORECASE,
)


def focus(task: str) -> str:
    """The task without an instruction to the tool itself ("Search Wikipedia for ...").

    A planner often writes a search task as an order to search; an LLM answering from sources
    then reads "Wikipedia" as a source it was not given and finds nothing. What is left is what
    to find: "Search Wikipedia for the year X was built." -> "The year X was built."
    """
    rest = _SEARCH_PREFACE.sub("", task, count=1).strip()
    if len(rest) < 3 or rest == task.strip():
        return task.strip()
    return rest[0].upper() + rest[1:]


@dataclass(frozen=True)
class Source:
    """A titled text that a summary may draw on."""

    title: str
    url: str
    text: str


def summary_messages(task: str, sources: Sequence[Source], request: str = "") -> list[BaseMessage]:
    """The chat messages that ask an LLM to answer ``task`` (for ``request``) from ``sources``."""
    numbered = "\n\n".join(f"[{i}] {s.title}\n{s.text}" for i, s in enumerate(sources, start=1))
    request = " ".join(request.split())
    if request and request != " ".join(task.split()):
        user = SEARCH_SUMMARY_REQUEST_USER.format(
            sources=numbered, request=request, task=focus(task)
        )
    else:
        user = SEARCH_SUMMARY_USER.format(sources=numbered, task=focus(task))
    return [SystemMessage(SEARCH_SUMMARY_SYSTEM), HumanMessage(user)]


# -- the sentences that matter, first ----------------------------------------------------------

FOCUS_SENTENCES = 5
"""Sentences of the sources a summary reads when they are ranked (:func:`focused`)."""

AS_WRITTEN = 2
"""Ranked sentences that stand in for a summary refused for a number no source gives."""


def ranked(
    task: str, sources: Sequence[Source], embed: Callable[[list[str]], Any]
) -> list[tuple[int, str]]:
    """The sentences of ``sources`` as ``(source number, sentence)``, most like ``task`` first.

    ``embed`` turns texts into unit vectors (an ``Embedder``'s ``encode``); each sentence is
    embedded after its article's title, so "It orbits the Sun ..." is Jupiter's.
    """
    listed = [
        (n, sentence)
        for n, source in enumerate(sources)
        for passage in source.text.split(" … ")
        for sentence in sentences(passage.strip(" …"))
    ]
    if not listed:
        return []
    vectors = embed([task, *(f"{sources[n].title}: {text}" for n, text in listed)])
    scores = vectors[1:] @ vectors[0]
    return [listed[i] for i in sorted(range(len(listed)), key=lambda i: -float(scores[i]))]


def focused(
    task: str,
    sources: Sequence[Source],
    embed: Callable[[list[str]], Any],
    k: int = FOCUS_SENTENCES,
) -> list[Source]:
    """The ``k`` sentences of ``sources`` most like ``task``, best first, under their sources.

    The 1.5B summary answered from a source's first sentences: Chile's population for its area
    (the area is two sentences on). Sources are ordered by their best sentence, those with none
    of the ``k`` left out; sources with ``k`` sentences or fewer come back as they are. On 33
    dev and hand-written search tasks (lookups and the facts of multi-step requests) the
    summary held the fact as often (24/33) from 0.74× the characters.
    """
    return _read(sources, ranked(task, sources, embed), k)


def _read(sources: Sequence[Source], best: Sequence[tuple[int, str]], k: int) -> list[Source]:
    """The ``k`` best sentences under their sources; all of them when there are no more."""
    if len(best) <= k:
        return list(sources)
    kept: dict[int, list[str]] = {}
    for n, text in best[:k]:
        kept.setdefault(n, []).append(text)
    return [Source(sources[n].title, sources[n].url, " ".join(texts)) for n, texts in kept.items()]


def _clean(
    text: str,
    task: str,
    sources: Sequence[Source] = (),
    request: str = "",
    as_written: Callable[[], str] | None = None,
    *,
    any_cut: bool = False,
) -> str:
    """The summary, or :data:`NO_INFORMATION` when it says so or only restates the task.

    A small model that finds nothing sometimes echoes the task ("The year 1906 of Pablo
    Picasso's work."); read as a result, the echo looks like an answer. What the summary
    computes itself is left out (``grounded_text``: every number must be in the sources, the
    task or the request): told not to, the 1.5B model still wrote "sank in 1912, which was 104
    years before 2026", and the answer took it. When that cuts a number and ``as_written`` is
    given (the sources' sentences most like the task), those sentences are the result: the
    cut left "It took 1626." of "It took 1626 - 1506 = 120 years to build ...", and nothing of
    an answer that added a height in feet from memory; told "For how many years did Shah Jahan
    rule", it wrote "for 29 years" where the source gives "from 1628 until his deposition in
    1658". ``as_written`` is called when nothing is left of the summary and what was cut is a
    quantity, not a year or a date (a birth date the sources do not give is a fact recalled,
    and "No information found." is the truth of it); with ``any_cut``, whenever a number is cut.
    """
    text = " ".join(str(text).split())
    if not text or text.lower().startswith(NO_INFORMATION.rstrip(".").lower()):
        return NO_INFORMATION
    if words(text) == words(focus(task)):
        return NO_INFORMATION
    if sources:
        given = [task, request, *(f"{s.title} {s.text}" for s in sources)]
        grounded = grounded_text(text, given)
        if as_written is not None and len(numbers_in(grounded)) < len(numbers_in(text)):
            if any_cut or (not grounded and worked_out_numbers(text, given)):
                written = as_written()
                if written:
                    return written
        text = grounded or NO_INFORMATION
    return text


def summarize(
    llm: BaseChatModel,
    task: str,
    sources: Sequence[Source],
    request: str = "",
    *,
    embed: Callable[[list[str]], Any] | None = None,
    k: int | None = FOCUS_SENTENCES,
) -> str:
    """Answer ``task`` (a step of ``request``, when given) from ``sources`` with ``llm``.

    :data:`NO_INFORMATION` when they cannot. With ``embed`` (texts to unit vectors), a summary
    that states a number the sources do not give is replaced by their two sentences most like
    the task, as written; with ``k`` too, the summary reads only the ``k`` sentences most like
    the task (:func:`focused`).
    """
    if not sources:
        return NO_INFORMATION
    sources, as_written, any_cut = _focus_on(task, sources, embed, k)
    out = llm.invoke(summary_messages(task, sources, request))
    return _clean(out.text, task, sources, request, as_written, any_cut=any_cut)


async def asummarize(
    llm: BaseChatModel,
    task: str,
    sources: Sequence[Source],
    request: str = "",
    *,
    embed: Callable[[list[str]], Any] | None = None,
    k: int | None = FOCUS_SENTENCES,
) -> str:
    """Async :func:`summarize`."""
    if not sources:
        return NO_INFORMATION
    sources, as_written, any_cut = _focus_on(task, sources, embed, k)
    out = await llm.ainvoke(summary_messages(task, sources, request))
    return _clean(out.text, task, sources, request, as_written, any_cut=any_cut)


def _focus_on(
    task: str, sources: Sequence[Source], embed: Callable[[list[str]], Any] | None, k: int | None
) -> tuple[list[Source], Callable[[], str] | None, bool]:
    """The sources a summary reads, what stands in for a refused one, and whether any cut does.

    With ``k`` None the summary reads every source, and the sentences are ranked only when a
    summary is refused (one embedding pass, not one per search).
    """
    if embed is None:
        return list(sources), None, False
    if k is None:
        return (
            list(sources),
            lambda: _best_as_written(sources, as_needed(_stating(ranked(task, sources, embed)))),
            False,
        )
    best = ranked(task, sources, embed)
    return _read(sources, best, k), lambda: _best_as_written(sources, best), True


def _stating(best: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    """The ranked sentences that state a number, each once (passages overlap).

    They stand in for a summary that worked a number out, so the task asks for one: ranked
    alone, "Further modifications were made during the reign of Domitian." came before the
    Colosseum's "Construction began ... in 72 and was completed in 80 AD".
    """
    seen: set[str] = set()
    kept = []
    for n, text in best:
        if numbers_in(text) and text not in seen:
            seen.add(text)
            kept.append((n, text))
    return kept


def as_needed(stating: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    """The first of ranked sentences that state numbers, and the next only if it states one.

    A first sentence with two numbers or more stands alone: Mandela "served as President of
    South Africa from 1994 to 1999", then "he served as President of the African National
    Congress from 1991 to 1997", and the 1.5B calculator took "1999 - 1991". A written date
    is one number: "built from 13 August 1961" keeps the next sentence's "until 1989".
    """
    if stating and _figures(stating[0][1]) >= 2:
        return list(stating[:1])
    return list(stating[:AS_WRITTEN])


def _figures(text: str) -> int:
    """How many figures ``text`` states, a written date one ("13 August 1961": its year)."""
    for written, (year, _, day) in written_dates(text):
        text = text.replace(written, str(year if year is not None else day))
    return len(numbers_in(text))


def _best_as_written(sources: Sequence[Source], best: Sequence[tuple[int, str]]) -> str:
    """The :data:`AS_WRITTEN` sentences ranked first, as a result."""
    return _as_written([(sources[n].title, text) for n, text in best[:AS_WRITTEN]])


def _as_written(listed: Sequence[tuple[str, str]]) -> str:
    """Sentences as a result, each after its article's title unless it names it."""
    return " ".join(
        text if title.lower() in text.lower() else f"{title}: {text}" for title, text in listed
    )


# -- the sources' own sentences, picked by number ----------------------------------------------

MAX_SENTENCES = 40
"""The most sentences offered to pick from (the sources' first ones)."""

MAX_PICKED = 2
"""The most sentences an answer picks."""


def source_sentences(sources: Sequence[Source]) -> list[tuple[str, str]]:
    """The sources' sentences as ``(title, sentence)``, in order, at most ``MAX_SENTENCES``.

    A source's passages (joined with " … ") are split first, so no sentence spans two.
    """
    found = [
        (source.title, sentence)
        for source in sources
        for passage in source.text.split(" … ")
        for sentence in sentences(passage.strip(" …"))
    ]
    return found[:MAX_SENTENCES]


def selection_messages(
    task: str, listed: Sequence[tuple[str, str]], request: str = ""
) -> list[BaseMessage]:
    """The chat messages that ask an LLM for the numbers of the sentences that answer ``task``."""
    lines = "\n".join(f"{i}. ({title}) {text}" for i, (title, text) in enumerate(listed, start=1))
    request = " ".join(request.split())
    asked = f"The user asked: {request}\n" if request and request != " ".join(task.split()) else ""
    user = SEARCH_SELECT_USER.format(sentences=lines, request=asked, task=focus(task))
    return [SystemMessage(SEARCH_SELECT_SYSTEM), HumanMessage(user)]


def _selection_schema(n: int) -> dict[str, object]:
    """``{"sentences": [...]}``: 1 to ``MAX_PICKED`` numbers from 0 (none) to ``n``."""
    number = {"type": "integer", "enum": list(range(n + 1))}
    picked = {"type": "array", "items": number, "minItems": 1, "maxItems": MAX_PICKED}
    return {
        "type": "object",
        "properties": {"sentences": picked},
        "required": ["sentences"],
        "additionalProperties": False,
    }


def _picked(out: object, listed: Sequence[tuple[str, str]]) -> str:
    """The picked sentences, each after its article's title unless it names it."""
    numbers = out.get("sentences", []) if isinstance(out, dict) else []
    chosen = dict.fromkeys(n for n in numbers if isinstance(n, int) and 0 < n <= len(listed))
    return _as_written([listed[n - 1] for n in chosen]) or NO_INFORMATION


def select_sentences(
    llm: BaseChatModel, task: str, sources: Sequence[Source], request: str = ""
) -> str:
    """The sources' sentences that answer ``task`` (for ``request``), as they are written.

    The LLM picks them by number (constrained decoding where ``llm`` supports it), so the
    result states the facts as the source does and calculates nothing; :data:`NO_INFORMATION`
    when it picks none.
    """
    listed = source_sentences(sources)
    if not listed:
        return NO_INFORMATION
    picker = structured_model(llm, _selection_schema(len(listed)))
    return _picked(picker.invoke(selection_messages(task, listed, request)), listed)


async def aselect_sentences(
    llm: BaseChatModel, task: str, sources: Sequence[Source], request: str = ""
) -> str:
    """Async :func:`select_sentences`."""
    listed = source_sentences(sources)
    if not listed:
        return NO_INFORMATION
    picker = structured_model(llm, _selection_schema(len(listed)))
    return _picked(await picker.ainvoke(selection_messages(task, listed, request)), listed)


SOURCES_HEADING = "Sources:"
"""The line after the summary that starts the list of sources (``format_observation``)."""

QUOTED_HEADING = "In the sources:"
"""The line after the summary that starts the sources' own sentences (``quoted``)."""


def quoted(
    task: str,
    sources: Sequence[Source],
    embed: Callable[[list[str]], Any],
    k: int = AS_WRITTEN,
) -> list[str]:
    """The ``k`` sentences of ``sources`` most like ``task``, as written, each after its title.

    Shown under the summary (:func:`format_observation`), they give the planner, the
    calculator and the answer writer the figures the source states beside the summary's
    reading of them: the 1.5B summary wrote Chile's population for its area, the Danube's rank
    for its length, Angel Falls' 979 m for its main plunge, while the sentence most like the
    task held the asked-for figure.
    """
    best = ranked(task, sources, embed)[:k]
    return [_as_written([(sources[n].title, text)]) for n, text in best]


def summary_of(observation: str) -> str:
    """A search observation's summary alone: without sources, quotes or what was skipped."""
    return finding(observation).split(f"\n\n{QUOTED_HEADING}\n", 1)[0]


def finding(observation: str) -> str:
    """A search observation without its lists of sources and of what was skipped.

    What the calculator and the answer writer read of a search: the list's titles and URLs cost
    ~20 prompt tokens a source (up to three a search, each step of each later call), and its
    ``[1]`` is a number no fact states. Other tools' results come back unchanged.
    """
    text = str(observation)
    for heading in (f"\n\n{SOURCES_HEADING}\n", "\n\nSkipped:\n"):
        text = text.split(heading, 1)[0]
    return text


def format_observation(
    summary: str,
    sources: Sequence[Source],
    skipped: Sequence[str] = (),
    quotes: Sequence[str] = (),
) -> str:
    """The observation the agent reads: the summary, then what failed.

    Between them, when the summary found something: the sources' own sentences (``quotes``,
    :func:`quoted`), then the list of sources.
    """
    lines = [summary]
    if quotes and summary != NO_INFORMATION:
        lines += ["", QUOTED_HEADING] + [f"- {q}" for q in quotes]
    if sources and summary != NO_INFORMATION:
        lines += ["", SOURCES_HEADING]
        lines += [
            f"[{i}] {s.title}" + (f" <{s.url}>" if s.url else "")
            for i, s in enumerate(sources, start=1)
        ]
    if skipped:
        lines += ["", "Skipped:"] + [f"- {reason}" for reason in skipped]
    return "\n".join(lines)
