"""The agent's steps around tools with side effects (actions): what they act on, and when.

Actions take arguments written by function calling, or wait for approval. Their arguments must
come from the run (an address, a date or a time nobody gave is not acted on, and the user is
asked), an action is taken once per target, a request is not answered while a target it names
is left, and a run of actions is answered with what the actions did. ``ActionSteps`` holds
these steps for :class:`~langchain_gba.agent.nodes.Nodes`, which mixes it in.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from langchain_core.tools import BaseTool

from langchain_gba.agent.state import AgentState, Step
from langchain_gba.agent.steps import argument_patterns, identifying, new_step, same_steps
from langchain_gba.dates import iso_date, written_dates
from langchain_gba.grounding import unsourced_addresses, unsourced_dates, unused_targets
from langchain_gba.prompts import (
    ACTION_DONE_NOTE,
    NOT_DONE,
    UNSOURCED_ADDRESS_NOTE,
    UNSOURCED_QUESTION,
    UNSOURCED_WHAT,
    UNUSED_TARGET_TASK,
    UNUSED_TARGETS_NOTE,
)
from langchain_gba.tools.ask_user import ASK_USER
from langchain_gba.tools.base import takes_task
from langchain_gba.tools.final_answer import FINAL_ANSWER

__all__ = ["ActionSteps", "action_tools", "took_effect"]

logger = logging.getLogger(__name__)


class ActionSteps:
    """The steps of a run around actions (mixed into ``Nodes``, whose settings they read)."""

    tools: dict[str, BaseTool]
    action_tools: list[str]
    grounded_addresses: bool
    grounded_dates: bool
    complete_actions: bool
    report_actions: bool

    if TYPE_CHECKING:

        def _sources(self, state: AgentState) -> tuple[list[str], set[str]]: ...

        def _looped(self, state: AgentState) -> tuple[int, dict[str, Any] | None]: ...

    def _ask_for_unsourced(self, state: AgentState) -> dict[str, Any] | None:
        """The question to the user for what an action lacked (``_unsourced``), if it was refused.

        After "Not called: create_event needs a date or time ...", the 1.5B planner planned the
        same entry again (the quarterly review, 2 of 3 times) or answered; the user is asked
        instead (``UNSOURCED_QUESTION``), once per question, and the planner goes on from the
        reply.
        """
        steps = state["steps"]
        last = steps[-1] if steps else None
        if last is None or not last["plan"].get("missing") or ASK_USER not in self.tools:
            return None
        kinds = last["plan"]["missing"]
        question = UNSOURCED_QUESTION.format(
            what=" and ".join(UNSOURCED_WHAT[k] for k in kinds),
            are_they="are they" if len(kinds) > 1 else "is it",
            request=state["request"],
        )
        if same_steps(steps, ASK_USER, "task", question):
            return None  # asked before: the planner goes on
        step = {"thoughts": "", "selected_tool": ASK_USER, "task": question, "unsourced_of": True}
        return {"plan": step}

    def _unsourced(
        self, state: AgentState, plan: dict[str, Any], args: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The step that refuses an action on an address, a date or a time nobody gave, or None.

        Each must be in the request or a result (the user's reply) in some form; else the call
        is neither made nor shown for approval, and the planner is told to ask
        (``UNSOURCED_ADDRESS_NOTE``; ``grounded_addresses=False``, ``grounded_dates=False``
        call it as written).
        """
        sources, _ = self._sources(state)
        made_up: dict[str, list[str]] = {}
        if self.grounded_addresses and (addresses := unsourced_addresses(args, sources)):
            made_up["address"] = addresses
        if self.grounded_dates and (dates := unsourced_dates(args, sources)):
            made_up["date"] = dates
        if not made_up:
            return None
        values = [v for found in made_up.values() for v in found]
        tool = plan["selected_tool"]
        logger.info("Action %s on %s, which no step gave: not called", tool, values)
        what = " and ".join(UNSOURCED_WHAT[kind] for kind in made_up)
        note = UNSOURCED_ADDRESS_NOTE.format(tool=tool, what=what)
        refused = {**plan, "unsourced": values, "missing": list(made_up)}
        return {"steps": [new_step(refused, args, note, error=True)], "plan": None, "call": None}

    def _unfinished(self, state: AgentState, step: dict[str, Any]) -> dict[str, Any] | None:
        """The step after a planned final answer while the request is not done, or None.

        The targets left: email addresses and dates that the request writes (after an action
        took effect) or the user gave in a reply, and that no action took effect with
        (``unused_targets``; a call the user rejected counts as used). For the first, the
        action it takes is taken, with the request's words (``UNUSED_TARGET_TASK``; function
        calling reads the request), once per target: the action the run already took on a
        target of its kind (an email for an address, an entry for a date), or, for an address
        or for a date the user gave, the one action whose arguments take it (``_taking``; a
        date the request writes may be an email's content, so it needs the first). Else the
        planner is told once (``UNUSED_TARGETS_NOTE``). The 1.5B planner answered "Email the
        caterer at food@catering.example.com that we will be 40 guests, and tell
        venue@hall.example.com the same." after the first email, and answered "... and email
        mum@example.net the landing time" after the entry, though told; it never emailed the
        manager whose address the user gave for "Put the quarterly review in my calendar and
        email my manager that it is scheduled.". None after the user edited a call (a person
        steers the run), or with ``complete_actions=False``.
        """
        if not self.complete_actions:
            return None
        steps = state["steps"]
        if any(s["plan"].get("edited") for s in steps):
            return None
        acted = [s for s in steps if s["tool"] in self.action_tools]
        took = [s for s in acted if took_effect(s)]
        done = [s["arguments"] for s in acted if took_effect(s) or s["plan"].get("rejected")]
        replies = [str(s["observation"]) for s in steps if s["tool"] == ASK_USER and took_effect(s)]
        tried = {t for s in steps for t in s["plan"].get("unused", ())}
        asked = unused_targets(state["request"], done) if took else []
        given = [t for reply in replies for t in unused_targets(reply, done, mentioned=False)]
        targets = [t for t in dict.fromkeys([*given, *asked]) if t not in tried]
        if not targets:
            return None
        target = targets[0]
        tools = {s["tool"] for s in took if _same_kind(target, s["arguments"])}
        if not tools and (target in given or "@" in target):
            tools = self._taking(target)
        if len(tools) == 1:
            logger.info("Final answer planned with %s unused: %s for it", target, *tools)
            task = UNUSED_TARGET_TASK.format(target=target)
            plan = {"thoughts": "", "selected_tool": tools.pop(), "task": task}
            return {"plan": {**plan, "unused": [target]}}
        if any(s["tool"] == FINAL_ANSWER and "unused" in s["plan"] for s in steps):
            return None
        logger.info("Final answer planned with %s unused: planned again", targets)
        them = "it" if len(targets) == 1 else "them"
        note = UNUSED_TARGETS_NOTE.format(targets=" and ".join(targets), them=them)
        refused = {**step, "selected_tool": FINAL_ANSWER, "unused": targets}
        return {"steps": [new_step(refused, {}, note, error=True)], "plan": None}

    def _taking(self, target: str) -> set[str]:
        """The action tools with an argument whose pattern accepts ``target`` (as ISO if a date)."""
        value = target if "@" in target else _as_iso(target)
        if value is None:
            return set()
        return {
            name
            for name in self.action_tools
            if any(re.fullmatch(p, value) for p in argument_patterns(self.tools[name]))
        }

    def _action_repeated(
        self, state: AgentState, plan: dict[str, Any], args: dict[str, Any], earlier: int
    ) -> dict[str, Any]:
        loops, stop = self._looped(state)
        shown = ", ".join(
            f"{k}={v}" for k, v in identifying(self.tools[plan["selected_tool"]], args).items()
        )
        note = ACTION_DONE_NOTE.format(
            tool=plan["selected_tool"], step=earlier + 1, arguments=shown
        )
        repeat = {**plan, "repeat_of": earlier + 1}
        update = {"steps": [new_step(repeat, args, note, error=False)], "plan": stop, "call": None}
        return {**update, "loops": loops}

    def _done_arguments(self, state: AgentState) -> list[dict[str, Any]] | None:
        """The arguments of the actions that took effect; None for an agent with no actions."""
        if not self.action_tools:
            return None
        return [
            s["arguments"]
            for s in state["steps"]
            if s["tool"] in self.action_tools and took_effect(s)
        ]

    def _action_report(self, state: AgentState) -> str | None:
        """The answer of a run of actions: what their tools said they did, or None.

        When every tool that ran is an action or ``ask_user`` and an action took effect
        (``report_actions``), the answer is the actions' results as the tools wrote them ("Sent
        'Sick' to paula.reyes@example.com."), each once, and ``NOT_DONE`` for an action tool
        none of whose steps took effect; no answer writer runs. The 1.5B writer wrote "Sent
        'Sick' to Paula Reyes@example.com." and "Sent 'Report' to tom@example.com and
        jane@example.com." after the email to Tom alone. The tools' own words need no grounding
        check (the entry "'Lunch with Ann'" is no claim of an email). None (the writer answers)
        where a result is not a short sentence (a tool that returns data).
        """
        if not self.report_actions or not self.action_tools:
            return None
        steps = [s for s in state["steps"] if s["tool"] != FINAL_ANSWER]
        if any(s["tool"] not in self.action_tools and s["tool"] != ASK_USER for s in steps):
            return None
        acted = [s for s in steps if s["tool"] in self.action_tools]
        done = [" ".join(str(s["observation"]).split()) for s in acted if took_effect(s)]
        if not done or any(len(d) > 300 or d[:1] in "{[" for d in done):
            return None
        undone = {s["tool"] for s in acted} - {s["tool"] for s in acted if took_effect(s)}
        report = list(dict.fromkeys(d if d[-1] in ".!" else f"{d}." for d in done))
        if undone:
            report.append(NOT_DONE.format(tools=" and ".join(sorted(undone))))
        return " ".join(report)


def action_tools(tools: Mapping[str, BaseTool], approved: Iterable[str] = ()) -> list[str]:
    """The tools with side effects: arguments written by function calling, or behind approval."""
    approved = set(approved)
    return [
        name
        for name, tool in tools.items()
        if name in approved or not (takes_task(tool) or name == ASK_USER)
    ]


def took_effect(step: Step) -> bool:
    """Whether a step's tool ran and did its work: not failed, rejected, or a repeat's note.

    A repeat's "Not done again" (no error) is no action taken: counted as one, it let "The
    email ... was sent" pass after every send had been refused.
    """
    return (
        not step["error"] and not step["plan"].get("rejected") and "repeat_of" not in step["plan"]
    )


def _as_iso(written: str) -> str | None:
    """A written date with its year as ``YYYY-MM-DD``; None without a year."""
    days = [day for _, day in written_dates(written) if day[0] is not None]
    if len(days) != 1:
        return None
    year, month, date = days[0]
    return f"{year:04d}-{month:02d}-{date:02d}"


def _same_kind(target: str, arguments: dict[str, Any]) -> bool:
    """Whether ``arguments`` hold a value of ``target``'s kind: an email address, or a date."""
    values = [v for v in arguments.values() if isinstance(v, str)]
    if "@" in target:
        return any("@" in v for v in values)
    return any(iso_date(v) is not None for v in values)
