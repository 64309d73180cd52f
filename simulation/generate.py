"""``requests``: diverse user requests over a topic list, written by an LLM, deduplicated.

Per batch the LLM gets a topic (the topics in turn, shuffled by the seed) and writes one request
of each kind in ``mix`` (the kinds of the labelled requests: direct, single and multi-step,
calculation, ask_user), each with the steps it needs. The schema has one key per request of the
mix, so the kinds come out in the proportions asked for (a free ``kind`` field let a small writer
skew them: 23 of 36 single-step, no direct one). Requests whose normalised text was already seen
are dropped; the id is a hash of that text, so ids are stable and unique. Several batches can be
in flight at once (a server with parallel slots).
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, NamedTuple

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable

from langchain_gba.exceptions import StructuredOutputError
from langchain_gba.prompts import (
    GENERATE_REQUESTS_STEPS,
    GENERATE_REQUESTS_STYLE,
    GENERATE_REQUESTS_SYSTEM,
    GENERATE_REQUESTS_USER,
    REQUEST_KINDS,
    format_passages,
    format_request_kinds,
    format_tools,
    request_slots,
)
from langchain_gba.structured.route import structured_model
from simulation.wording import vary

__all__ = [
    "DEFAULT_MIX",
    "DEFAULT_TOPICS",
    "KINDS",
    "generate_requests",
    "normalize",
    "request_id",
    "requests_schema",
    "usable",
    "word_overlap",
]

DEFAULT_TOPICS = (
    "advertising", "agriculture", "architecture", "art", "astronomy", "biology", "books",
    "business", "chemistry", "cooking", "economics", "education", "energy", "entertainment",
    "environment", "fashion", "finance", "fitness", "games", "geography", "health", "history",
    "home improvement", "law", "movies", "music", "personal finance", "pets", "politics",
    "real estate", "science", "shopping", "sports", "technology", "travel", "weather",
)  # fmt: skip
"""36 categories, as in the seed's simulation."""

KINDS = tuple(REQUEST_KINDS)
"""What a request needs: no tool (answered at once), one step, several, a calculation on the
numbers given, or a question back to the user (the kinds of the labelled requests in ``bench/data``,
``single_step`` being their ``lookup``)."""

DEFAULT_MIX = ("direct", "single_step", "single_step", "multi_step", "calculation", "ask_user")
"""The kinds of one batch, in order: close to the labelled test split's proportions."""


def normalize(text: str) -> str:
    """Text for deduplication: NFKC, lower case, letters and digits only, single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def request_id(text: str) -> str:
    """A stable id from the normalised text."""
    return "r-" + hashlib.sha1(normalize(text).encode()).hexdigest()[:12]


def word_overlap(a: str, b: str) -> float:
    """The share of words two texts have in common (Jaccard over their normalised words)."""
    left, right = set(normalize(a).split()), set(normalize(b).split())
    return len(left & right) / max(1, len(left | right))


_FIRST_PERSON = frozenset({"i", "my", "me", "mine", "we", "our", "us", "i'm", "i've"})
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def usable(kind: str, text: str) -> bool:
    """Whether a written request can stand as a request of ``kind``.

    A small writer sometimes names the prompt's passages ("in passage B"), copies an example
    with a word changed or the kind's description, writes a calculation without its numbers or
    a personal request without a person. Those are dropped.
    """
    words = set(normalize(text).split())
    if "passage" in words or "passages" in words:
        return False
    described = set(normalize(REQUEST_KINDS[kind].text).split())
    if len(words) >= 8 and len(words & described) >= 0.8 * len(words):
        return False  # the kind's description copied ("about something current or too ...")
    if any(word_overlap(text, example) >= 0.5 for example in REQUEST_KINDS[kind].examples):
        return False
    if kind == "calculation" and len(_NUMBER.findall(text)) < 2:
        return False
    if kind == "compare" and _NUMBER.search(text):
        return False  # a number given: its numbers are not both looked up
    if kind == "lookup_action" and "@" not in text:
        return False  # no address given: a question back, not a search then an email
    if kind == "action" and "@" not in text and not _NUMBER.search(text):
        return False  # neither an address nor a day: not every detail given
    if kind == "ask_action" and ("@" in text or not words & _FIRST_PERSON):
        return False  # the address given, or nobody of the user's life
    if kind == "everyday" and words & _FIRST_PERSON:
        return False  # about the user: a question back, not everyday knowledge
    return not (kind in ("ask_user", "ask_calculation") and not words & _FIRST_PERSON)


def requests_schema(
    mix: Sequence[str] = DEFAULT_MIX,
    *,
    max_length: int = 200,
    max_steps: int = 6,
    step_length: int = 80,
) -> dict[str, Any]:
    """The JSON schema of a batch: one key per request of ``mix``, each with its steps.

    ``max_steps=0``: the requests alone (strings), without steps.
    """
    unknown = sorted(set(mix) - set(KINDS))
    if unknown or not mix:
        msg = f"Unknown request kinds {unknown}; choose from: {', '.join(KINDS)}."
        raise ValueError(msg if mix else "The mix needs at least one kind.")
    text = {"type": "string", "minLength": 8, "maxLength": max_length}
    item: dict[str, Any] = {
        "type": "object",
        "properties": {
            "request": text,
            "steps": {
                "type": "array",
                "items": {"type": "string", "minLength": 3, "maxLength": step_length},
                "minItems": 1,
                "maxItems": max_steps,
            },
        },
        "required": ["request", "steps"],
        "additionalProperties": False,
    }
    if max_steps == 0:
        item = text
    keys = [key for key, _ in request_slots(mix)]
    return {
        "type": "object",
        "properties": {key: item for key in keys},
        "required": keys,
        "additionalProperties": False,
    }


def _messages(
    topic: str,
    mix: Sequence[str],
    tools: Sequence[tuple[str, str]],
    *,
    steps: bool,
    passages: Sequence[tuple[str, str, str]] = (),
    grounding: Mapping[str, Sequence[str]] | None = None,
    style: str | None = None,
    shift: int = 0,
) -> list[Any]:
    system = GENERATE_REQUESTS_SYSTEM.format(tools=format_tools(tools))
    user = GENERATE_REQUESTS_USER.format(
        topic=topic,
        passages=format_passages(passages),
        kinds=format_request_kinds(mix, grounding, shift=shift),
    )
    if style:  # last, where a small writer heeds it (in the system prompt the 1.5B did not)
        user += "\n" + GENERATE_REQUESTS_STYLE.format(style=style).strip()
    return [("system", system + GENERATE_REQUESTS_STEPS if steps else system), ("human", user)]


class _Batch(NamedTuple):
    topic: str
    messages: list[Any]
    sources: dict[str, list[str]]  # key -> titles of the passages its request is about
    style: str | None = None


def _batch(
    topic: str,
    mix: Sequence[str],
    tools: Sequence[tuple[str, str]],
    *,
    steps: bool,
    documents: Sequence[tuple[str, str]],
    rng: random.Random,
    chars: int,
    style: str | None = None,
    shift: int = 0,
) -> _Batch:
    """One call's messages; with ``documents``, random passages for its grounded requests."""
    passages: list[tuple[str, str, str]] = []
    grounding: dict[str, list[str]] = {}
    sources: dict[str, list[str]] = {}
    for key, kind in request_slots(mix) if documents else ():
        for _ in range(REQUEST_KINDS[kind].passages):
            title, text = documents[rng.randrange(len(documents))]
            label = chr(ord("A") + len(passages))
            cut = text if len(text) <= chars else text[:chars].rsplit(" ", 1)[0] + "..."
            passages.append((label, title, " ".join(cut.split())))
            grounding.setdefault(key, []).append(label)
            sources.setdefault(key, []).append(title)
    if passages:
        topic = ", ".join(dict.fromkeys(title for _, title, _ in passages))
    messages = _messages(
        topic, mix, tools, steps=steps, passages=passages, grounding=grounding, style=style,
        shift=shift,
    )  # fmt: skip
    return _Batch(topic, messages, sources, style)


def generate_requests(
    llm: BaseChatModel,
    n: int,
    *,
    tools: Sequence[tuple[str, str]],
    topics: Sequence[str] = DEFAULT_TOPICS,
    mix: Sequence[str] = DEFAULT_MIX,
    concurrency: int = 1,
    seed: int = 0,
    seen: Iterable[str] = (),
    max_length: int = 200,
    max_steps: int = 6,
    step_length: int = 80,
    max_batches: int | None = None,
    documents: Sequence[tuple[str, str]] = (),
    passage_length: int = 360,
    styles: Sequence[str] = (),
    rough_share: float = 0.0,
    on_record: Callable[[dict[str, Any]], None] | None = None,
    on_error: Callable[[str, StructuredOutputError], None] | None = None,
) -> list[dict[str, Any]]:
    """Generate up to ``n`` new requests; each is passed to ``on_record`` as soon as it is made.

    Args:
        llm: the writer (temperature > 0 gives variety between batches of one topic).
        n: new requests wanted.
        tools: (name, description) of the agent's tools, shown to the writer.
        topics: taken in turn (shuffled by ``seed``).
        mix: the kinds of one batch's requests, in order (see ``KINDS``).
        concurrency: batches in flight (a server's parallel slots); records are passed on in
            the order the batches finish.
        seed: shuffles the topics and draws the passages.
        seen: normalised texts to skip (the requests already in the output file).
        max_length: the most characters of a request.
        max_steps: the most steps listed per request (0: none, the requests alone).
        step_length: the most characters of a listed step.
        max_batches: stop after this many calls (default ``3 * ceil(n / len(mix)) + 3``).
        documents: (title, text) of a corpus: each single- and multi-step request is then
            written about random passages of it (one and two; the record's ``sources``), which
            keeps them specific and varied where a small writer repeats itself.
        passage_length: the most characters shown of a passage.
        styles: ways of writing (``REQUEST_STYLES``); each batch is written in one of them,
            drawn by ``seed`` (the record's ``style``).
        rough_share: the share of requests roughened as people type (``wording.vary``:
            lowercase, a typo, no question mark, a lead-in); the writer's text is kept in the
            record's ``written``.
        on_record: called with each new record.
        on_error: called with (topic, error) when a batch's output is unusable (skipped).

    Returns:
        The new records: ``id``, ``request``, ``topic``, ``kind``, ``steps`` (and ``sources``
        for a grounded request).
    """
    if not topics:
        msg = "At least one topic is needed."
        raise ValueError(msg)
    order = list(topics)
    rng = random.Random(seed)
    rng.shuffle(order)
    # the prompt's examples are never written as requests
    known = set(seen) | {normalize(e) for kind in REQUEST_KINDS.values() for e in kind.examples}
    schema = requests_schema(
        mix, max_length=max_length, max_steps=max_steps, step_length=step_length
    )
    writer: Runnable[Any, Any] = structured_model(llm, schema)
    slots = request_slots(mix)
    limit = max_batches if max_batches is not None else 3 * -(-n // len(mix)) + 3
    made: list[dict[str, Any]] = []

    def keep(batch: _Batch, out: dict[str, Any]) -> None:
        for key, kind in slots:
            item = out[key]
            text = " ".join(str(item if max_steps == 0 else item["request"]).split())
            norm = normalize(text)
            if len(made) >= n or not norm or norm in known or not usable(kind, text):
                continue
            known.add(norm)
            written = text
            if rough_share > 0:
                text = vary(text, rng, rough_share)
            steps = [] if max_steps == 0 else [" ".join(str(s).split()) for s in item["steps"]]
            record = {
                "id": request_id(text),
                "request": text,
                "topic": batch.topic,
                "kind": kind,
                "steps": steps,
                **({"sources": batch.sources[key]} if key in batch.sources else {}),
                **({"style": batch.style} if batch.style else {}),
                **({"written": written} if written != text else {}),
            }
            made.append(record)
            if on_record is not None:
                on_record(record)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        running: dict[Future[Any], _Batch] = {}
        started = 0
        while running or (started < limit and len(made) < n):
            while started < limit and len(running) < concurrency and len(made) < n:
                style = rng.choice(list(styles)) if styles else None
                batch = _batch(
                    order[started % len(order)], mix, tools, steps=max_steps > 0,
                    documents=documents, rng=rng, chars=passage_length, style=style,
                    shift=started,
                )  # fmt: skip
                running[pool.submit(writer.invoke, batch.messages)] = batch
                started += 1
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                batch = running.pop(future)
                try:
                    keep(batch, future.result())
                except StructuredOutputError as e:
                    if on_error is not None:
                        on_error(batch.topic, e)
    return made
