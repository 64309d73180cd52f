"""Turn retrieved sources into a short observation focused on the task, with its sources listed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from langchain_gba._text import words
from langchain_gba.grounding import grounded_text, sentences
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
    "SOURCES_HEADING",
    "Source",
    "aselect_sentences",
    "asummarize",
    "focus",
    "format_observation",
    "select_sentences",
    "selection_messages",
    "source_sentences",
    "summarize",
    "summary_messages",
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


def _clean(text: str, task: str, sources: Sequence[Source] = (), request: str = "") -> str:
    """The summary, or :data:`NO_INFORMATION` when it says so or only restates the task.

    A small model that finds nothing sometimes echoes the task ("The year 1906 of Pablo
    Picasso's work."); read as a result, the echo looks like an answer. What the summary
    computes itself is left out (``grounded_text``: every number must be in the sources, the
    task or the request): told not to, the 1.5B model still wrote "sank in 1912, which was 104
    years before 2026", and the answer took it.
    """
    text = " ".join(str(text).split())
    if not text or text.lower().startswith(NO_INFORMATION.rstrip(".").lower()):
        return NO_INFORMATION
    if words(text) == words(focus(task)):
        return NO_INFORMATION
    if sources:
        given = [task, request, *(f"{s.title} {s.text}" for s in sources)]
        text = grounded_text(text, given) or NO_INFORMATION
    return text


def summarize(llm: BaseChatModel, task: str, sources: Sequence[Source], request: str = "") -> str:
    """Answer ``task`` (a step of ``request``, when given) from ``sources`` with ``llm``.

    :data:`NO_INFORMATION` when they cannot.
    """
    if not sources:
        return NO_INFORMATION
    return _clean(llm.invoke(summary_messages(task, sources, request)).text, task, sources, request)


async def asummarize(
    llm: BaseChatModel, task: str, sources: Sequence[Source], request: str = ""
) -> str:
    """Async :func:`summarize`."""
    if not sources:
        return NO_INFORMATION
    out = await llm.ainvoke(summary_messages(task, sources, request))
    return _clean(out.text, task, sources, request)


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
    texts = []
    for n in chosen:
        title, text = listed[n - 1]
        texts.append(text if title.lower() in text.lower() else f"{title}: {text}")
    return " ".join(texts) or NO_INFORMATION


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


def format_observation(summary: str, sources: Sequence[Source], skipped: Sequence[str] = ()) -> str:
    """The observation the agent reads: the summary, then the sources, then what failed."""
    lines = [summary]
    if sources and summary != NO_INFORMATION:
        lines += ["", SOURCES_HEADING]
        lines += [
            f"[{i}] {s.title}" + (f" <{s.url}>" if s.url else "")
            for i, s in enumerate(sources, start=1)
        ]
    if skipped:
        lines += ["", "Skipped:"] + [f"- {reason}" for reason in skipped]
    return "\n".join(lines)
