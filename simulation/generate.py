"""``requests``: diverse user requests over a topic list, written by an LLM, deduplicated.

Per batch the LLM gets a topic (the topics in turn, shuffled by the seed) and writes a few
requests with the steps each needs: single-step ones, several-step ones, calculations, and
ones that need a question back to the user. Requests whose normalised text was already seen
are dropped; the id is a hash of that text, so ids are stable and unique.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable

from langchain_gba.exceptions import StructuredOutputError
from langchain_gba.prompts import (
    GENERATE_REQUESTS_MIX,
    GENERATE_REQUESTS_SYSTEM,
    GENERATE_REQUESTS_USER,
    format_tools,
)
from langchain_gba.structured.route import structured_model

__all__ = [
    "DEFAULT_TOPICS",
    "KINDS",
    "generate_requests",
    "normalize",
    "request_id",
    "requests_schema",
]

DEFAULT_TOPICS = (
    "advertising", "agriculture", "architecture", "art", "astronomy", "biology", "books",
    "business", "chemistry", "cooking", "economics", "education", "energy", "entertainment",
    "environment", "fashion", "finance", "fitness", "games", "geography", "health", "history",
    "home improvement", "law", "movies", "music", "personal finance", "pets", "politics",
    "real estate", "science", "shopping", "sports", "technology", "travel", "weather",
)  # fmt: skip
"""36 categories, as in the seed's simulation."""

KINDS = ("direct", "single_step", "multi_step", "calculation", "ask_user")
"""What a request needs: no tool (answered at once), one step, several, a calculation, or a
question back to the user (the kinds of the labelled requests in ``bench/data``)."""


def normalize(text: str) -> str:
    """Text for deduplication: NFKC, lower case, letters and digits only, single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def request_id(text: str) -> str:
    """A stable id from the normalised text."""
    return "r-" + hashlib.sha1(normalize(text).encode()).hexdigest()[:12]


def requests_schema(
    n: int, *, max_length: int = 200, max_steps: int = 6, step_length: int = 80
) -> dict[str, Any]:
    """The JSON schema of a batch: ``n`` requests, each with its kind and steps."""
    item = {
        "type": "object",
        "properties": {
            "request": {"type": "string", "minLength": 8, "maxLength": max_length},
            "kind": {"enum": list(KINDS)},
            "steps": {
                "type": "array",
                "items": {"type": "string", "minLength": 3, "maxLength": step_length},
                "minItems": 1,
                "maxItems": max_steps,
            },
        },
        "required": ["request", "kind", "steps"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"requests": {"type": "array", "items": item, "minItems": n, "maxItems": n}},
        "required": ["requests"],
        "additionalProperties": False,
    }


def _messages(topic: str, n: int, tools: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [
        ("system", GENERATE_REQUESTS_SYSTEM.format(tools=format_tools(tools))),
        ("human", GENERATE_REQUESTS_USER.format(topic=topic, n=n, mix=GENERATE_REQUESTS_MIX)),
    ]


def generate_requests(
    llm: BaseChatModel,
    n: int,
    *,
    tools: Sequence[tuple[str, str]],
    topics: Sequence[str] = DEFAULT_TOPICS,
    batch_size: int = 6,
    seed: int = 0,
    seen: Iterable[str] = (),
    max_length: int = 200,
    max_steps: int = 6,
    step_length: int = 80,
    max_batches: int | None = None,
    on_record: Callable[[dict[str, Any]], None] | None = None,
    on_error: Callable[[str, StructuredOutputError], None] | None = None,
) -> list[dict[str, Any]]:
    """Generate up to ``n`` new requests; each is passed to ``on_record`` as soon as it is made.

    Args:
        llm: the writer (temperature > 0 gives variety between batches of one topic).
        n: new requests wanted.
        tools: (name, description) of the agent's tools, shown to the writer.
        topics: taken in turn (shuffled by ``seed``).
        batch_size: requests per LLM call.
        seed: shuffles the topics.
        seen: normalised texts to skip (the requests already in the output file).
        max_length: the most characters of a request.
        max_steps: the most steps listed per request.
        step_length: the most characters of a listed step.
        max_batches: stop after this many calls (default ``3 * ceil(n / batch_size) + 3``).
        on_record: called with each new record.
        on_error: called with (topic, error) when a batch's output is unusable (skipped).

    Returns:
        The new records: ``id``, ``request``, ``topic``, ``kind``, ``steps``.
    """
    if not topics:
        msg = "At least one topic is needed."
        raise ValueError(msg)
    order = list(topics)
    random.Random(seed).shuffle(order)
    known = set(seen)
    writer: Runnable[Any, Any] = structured_model(
        llm,
        requests_schema(
            batch_size, max_length=max_length, max_steps=max_steps, step_length=step_length
        ),
    )
    limit = max_batches if max_batches is not None else 3 * -(-n // batch_size) + 3
    made: list[dict[str, Any]] = []
    for batch in range(limit):
        if len(made) >= n:
            break
        topic = order[batch % len(order)]
        try:
            out = writer.invoke(_messages(topic, batch_size, tools))
        except StructuredOutputError as e:
            if on_error is not None:
                on_error(topic, e)
            continue
        for item in out["requests"]:
            text = " ".join(str(item["request"]).split())
            key = normalize(text)
            if len(made) >= n or not key or key in known:
                continue
            known.add(key)
            record = {
                "id": request_id(text),
                "request": text,
                "topic": topic,
                "kind": item["kind"],
                "steps": [" ".join(str(s).split()) for s in item["steps"]],
            }
            made.append(record)
            if on_record is not None:
                on_record(record)
    return made
