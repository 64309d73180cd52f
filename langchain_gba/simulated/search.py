"""``SimulatedSearchTool``: a twin of search_wikipedia / search_internet that sometimes fails.

Like the seed's simulation, a search finds nothing (10%), a partial answer (10%) or a full
answer (80%), drawn reproducibly from the seed, the run and the task, so that a planner trained
on the trajectories learns to cope with failed searches. The observation has the real tool's
format: the answer, then the numbered sources.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any, Literal

from pydantic import Field, field_validator

from langchain_gba.prompts import (
    NO_INFORMATION,
    SIMULATED_SEARCH_OUTCOMES,
    SIMULATED_SEARCH_SITES,
    SIMULATED_SEARCH_SYSTEM,
)
from langchain_gba.simulated.tool import SimulatedTool, _object, _text

__all__ = ["DEFAULT_OUTCOMES", "Outcome", "SimulatedSearchTool"]

Outcome = Literal["none", "partial", "full"]

DEFAULT_OUTCOMES: dict[str, float] = {"none": 0.1, "partial": 0.1, "full": 0.8}
"""The seed's mix: no information, a partial answer, a full answer."""

URL_PATTERN = r"^https://[a-z0-9-]{1,20}\.[a-z]{2,4}/[a-z0-9-]{0,20}$"
"""Invented page addresses: bounded, so that a constrained model finishes them."""


class SimulatedSearchTool(SimulatedTool):
    """A simulated search: no information, a partial or a full answer, with plausible sources.

    ``sources="wikipedia"`` gives article titles with their Wikipedia URLs (search_wikipedia's
    observation); ``sources="web"`` asks the model for page titles and addresses
    (search_internet's). "No information found." costs no model call.

    Example:
        .. code-block:: python

            twin = SimulatedSearchTool(
                name="search_wikipedia", description="Search Wikipedia ...", llm=llm, seed=1
            )
            twin.invoke({"task": "Find the height of the Eiffel Tower."})
            # The Eiffel Tower is 330 m tall. / Sources: / [1] Eiffel Tower <https://...>
    """

    outcomes: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_OUTCOMES))
    """Weights of ``none`` / ``partial`` / ``full`` (normalised)."""
    seed: int = 0
    """Seeds the outcome draws (the same seed, run and task give the same outcome)."""
    sources: Literal["wikipedia", "web"] = "wikipedia"
    """Wikipedia article titles and URLs, or web page titles and invented addresses."""
    max_sources: int = Field(default=2, ge=1, le=5)
    """The most sources listed."""
    max_title_length: int = Field(default=40, ge=4)
    """The most characters of a source title."""
    max_length: int = Field(default=240, ge=8)
    """The most characters of the answer."""

    @field_validator("outcomes")
    @classmethod
    def _check_outcomes(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = set(value) - set(DEFAULT_OUTCOMES)
        if unknown or not value or any(w < 0 for w in value.values()) or not sum(value.values()):
            msg = (
                f"outcomes must give non-negative weights, not all zero, to "
                f"{sorted(DEFAULT_OUTCOMES)}; got {value!r}."
            )
            raise ValueError(msg)
        return value

    def draw(self, task: str, key: str | None, call: int = 0) -> Outcome:
        """The outcome of a search: a function of the seed, the run, the task and the call."""
        digest = hashlib.sha256(f"{self.seed}\0{key}\0{task}\0{call}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:8], "big"))
        names = list(self.outcomes)
        return rng.choices(names, weights=[self.outcomes[n] for n in names])[0]  # type: ignore[return-value]

    def draw_outcome(self, arguments: dict[str, Any], key: str | None) -> Outcome:
        """``none``, ``partial`` or ``full``: ``draw`` for the call (a repeat draws anew)."""
        call = self.describe_call(arguments)
        repeats = sum(1 for c in self.history.get(key) if c["task"] == call)
        return self.draw(call, key, repeats)

    def shortcut(self, arguments: dict[str, Any], outcome: str | None) -> str | None:
        """Answer "No information found." for the ``none`` outcome."""
        return NO_INFORMATION if outcome == "none" else None

    def observation_schema(self) -> dict[str, Any]:
        """An answer and 1 to ``max_sources`` titled sources (with URLs for the web)."""
        source = {"title": _text(self.max_title_length)}
        if self.sources == "web":
            source["url"] = {"type": "string", "pattern": URL_PATTERN}
        return _object(
            answer=_text(self.max_length),
            sources={
                "type": "array",
                "items": _object(**source),
                "minItems": 1,
                "maxItems": self.max_sources,
            },
        )

    def system_prompt(self, arguments: dict[str, Any], outcome: str | None = None) -> str:
        """The search prompt for the drawn outcome (or ``prompt`` when given)."""
        if self.prompt:
            return super().system_prompt(arguments, outcome)
        return SIMULATED_SEARCH_SYSTEM.format(
            name=self.name,
            description=" ".join(self.description.split()),
            outcome=SIMULATED_SEARCH_OUTCOMES[outcome or "full"],
            sites=SIMULATED_SEARCH_SITES if self.sources == "web" else "",
        )

    def observation(self, output: dict[str, Any], arguments: dict[str, Any]) -> str:
        """The real tool's format: the answer, a blank line, ``Sources:`` and numbered titles."""
        from langchain_gba.tools.search.summarize import Source, format_observation

        answer = " ".join(str(output["answer"]).split()) or NO_INFORMATION
        sources = []
        for item in output.get("sources") or []:
            title = " ".join(str(item["title"]).split())
            if self.sources == "web":
                url = str(item.get("url") or "")
            else:
                from langchain_gba.tools.search.wikipedia.corpus import wikipedia_url

                url = wikipedia_url(title)
            sources.append(Source(title, url, ""))
        return format_observation(answer, sources)
