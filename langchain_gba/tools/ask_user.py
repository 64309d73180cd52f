"""``ask_user``: a question back to the user, through LangGraph's ``interrupt``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from langchain_core.callbacks import CallbackManagerForToolRun
from langchain_core.tools import ArgsSchema, BaseTool, ToolException

from langchain_gba.exceptions import ToolError
from langchain_gba.tools.base import TaskInput

__all__ = [
    "ASK_USER",
    "AskUserTool",
    "about_the_world",
    "addresses_user",
    "speaks_to_user",
    "users_own",
]

ASK_USER = "ask_user"

_THE_USER = re.compile(r"\b(?:you|your|yours|yourself|yourselves|me|my|mine|myself)\b", re.I)
_WORD = re.compile(r"[\w']+")


def addresses_user(question: str) -> bool:
    """Whether ``question`` asks the user about themselves: it says "you", "your", "I", "my".

    "I" and "my" come from a question copied from the request ("What is the capital of the
    country where I was born?"). The 1.5B planner asks the user for facts about the world ("How
    long is the Nile in kilometers?", "When did Beethoven's Ninth Symphony first perform?"); the
    agent sends a question that speaks of no user to a search instead (``create_gba_agent``).
    "I" after a capitalized word is a numeral ("World War I").
    """
    if _THE_USER.search(question):
        return True
    words = [w.split("'")[0] for w in _WORD.findall(question)]
    return any(w == "I" and not _after_a_name(words, k) for k, w in enumerate(words))


def _after_a_name(words: list[str], k: int) -> bool:
    """Whether ``words[k]`` follows a capitalized word ("I" there is a numeral: "World War I")."""
    return k > 0 and words[k - 1][:1].isupper()


_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|yourself|yourselves)\b", re.I)
_QUOTED = re.compile(r"(?<!\w)['\"\u2018\u201c][^'\"\u2019\u201d]*['\"\u2019\u201d](?!\w)")


_TO_THE_ASSISTANT = re.compile(
    r"^\W*(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:tell|give|show|find)|"
    r"do\s+you\s+know)\b",
    re.IGNORECASE,
)
"""A request's polite frame, said to the assistant ("Can you tell me how many ...")."""


def speaks_to_user(task: str) -> bool:
    """Whether ``task`` is about the user: "you"/"your", or "I"/"my" copied from the request.

    The 1.5B planner sent questions for the user to the search ("What is your hourly wage?",
    "What is the title and author of your current book?", and, copied from the request, "What
    is the weather like where I live?", "What is the capital of the country where I was
    born?"), and a summary answered them from whatever it found; the agent asks the user
    instead. Outside quotes ("What is the German word for 'thank you'?" names a word), and
    not a polite frame to the assistant ("Can you tell me how many ..."), nor an "I" that
    starts the sentence ("I was wondering who ...") or follows a capitalized word ("World War
    I").
    """
    text = _TO_THE_ASSISTANT.sub(" ", _QUOTED.sub(" ", task))
    if _SECOND_PERSON.search(text):
        return True
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        words = [w.split("'")[0] for w in _WORD.findall(sentence)]
        for k, word in enumerate(words):
            if word.lower() in ("my", "mine", "myself"):
                return True
            if word in ("I", "i") and k > 0 and not _after_a_name(words, k):
                return True  # not the sentence's frame ("I was wondering who ...")
    return False


_US = re.compile(r"\b(?:we|us|our|ours|ourselves)\b", re.I)


def about_the_world(request: str) -> bool:
    """Whether ``request`` is a question about named things that never speaks of the user.

    "Roughly how many years old is the Great Pyramid of Giza as of 2026?": the 1.5B planner
    asked the user "How old are you?" in every recorded run of it (and in runs of Napoleon's
    and Queen Victoria's years), and the user had nothing to add. Such a request asks a
    question ("?"), names something (a capitalized word inside a sentence) and says neither
    "you", "I", "my", "me" nor "we"/"us"/"our". "What is the weather like today?" names
    nothing (the user may be asked where they are); an instruction is no question.
    """
    if "?" not in request or speaks_to_user(request) or _THE_USER.search(request):
        return False
    if _US.search(_QUOTED.sub(" ", request)):
        return False
    named = False
    for sentence in re.split(r"(?<=[.!?])\s+", request.strip()):
        words = [w.split("'")[0] for w in _WORD.findall(_QUOTED.sub(" ", sentence))]
        for k, word in enumerate(words):
            if word == "I" and (k < 2 or not _after_a_name(words, k)):
                return False  # "Am I older than ...?" ("World War I" is a name)
            named = named or (k > 0 and word[:1].isupper() and word != "I")
    return named


_SOCIAL = re.compile(
    r"^\W*(?:thanks?|thank\s+you|cheers|hello|hi|hey|good\s+(?:morning|afternoon|evening|night)|"
    r"(?:good)?bye|nice\s+to\s+meet)\b",
    re.IGNORECASE,
)
"""A thanks, a greeting or a goodbye ("Thank you so much, that answers my question.")."""

_OWN = re.compile(r"\b(?:my|our)\s+([\w'\u2019-]+(?:\s+[\w'\u2019-]+){0,2})", re.IGNORECASE)
_PHRASE_END = frozenset(
    "a an and are at back be but by can could did do does for from had has have in into is "
    "need needs of on or should the to was were will with would".split()
)


def users_own(request: str) -> str | None:
    """What ``request`` calls the user's own ("my favourite restaurant"), or None.

    "Book a table for me at my favourite restaurant." and "in which language should i say
    hello to my new neighbours?": the 1.5B planner took both for requests it could answer
    directly ("a question about words") and answered without asking which restaurant or where
    the neighbours are from, in every recorded run (19 runs). The phrase is "my" or "our" and
    the words after it, up to three, outside quotes, and not in a thanks, a greeting or a
    goodbye ("that answers my question").
    """
    text = _QUOTED.sub(" ", request)
    if _SOCIAL.match(text):
        return None
    m = _OWN.search(text)
    if m is None:
        return None
    kept = []
    for w in m.group(1).split():
        if w.lower() in _PHRASE_END:
            break
        kept.append(w)
    return " ".join([m.group(0).split()[0], *kept]) if kept else None


class AskUserTool(BaseTool):
    """Ask the user the task's question and return the reply.

    In an agent graph the run pauses with a LangGraph interrupt whose value is
    ``{"type": "ask_user", "question": ...}``; resume it with
    ``agent.invoke(Command(resume="the reply"), config)`` (the graph needs a checkpointer). With
    ``ask`` set (e.g. ``input``) the tool calls it instead; the simulation swaps in a simulated
    user: any tool named ``ask_user`` replaces this one.
    """

    name: str = ASK_USER
    description: str = (
        "Ask the user a question about themselves, when the request needs a personal detail "
        "only the user knows (their city, age, dates, budget, preferences, choices). Never for "
        "general facts: search for those. Give the question in plain words."
    )
    args_schema: ArgsSchema | None = TaskInput
    handle_tool_error: bool | str | Callable[[ToolException], str] | None = True
    """Failures (a ``ToolException``) are returned as the message, in a ``ToolMessage`` with
    ``status="error"`` when called with a tool call, as LangGraph's ``ToolNode`` expects;
    ``False`` raises them."""

    ask: Callable[[str], str] | None = None
    """Called with the question instead of interrupting the graph (e.g. ``input``)."""

    def _run(
        self, task: str, run_manager: CallbackManagerForToolRun | None = None, **_: Any
    ) -> str:
        if self.ask is not None:
            return str(self.ask(task))
        from langgraph.config import get_config
        from langgraph.types import interrupt

        try:
            configurable = get_config().get("configurable") or {}
        except RuntimeError as e:  # not inside a graph run
            msg = (
                "ask_user interrupts a LangGraph run; outside one, pass ask=... "
                "(e.g. AskUserTool(ask=input))."
            )
            raise ToolError(msg) from e
        if not configurable.get("thread_id"):  # a checkpointed run always has one
            msg = (
                "ask_user cannot wait for the user's reply: the run has no thread to resume. "
                "Build the agent with checkpointer=InMemorySaver() (or a SqliteSaver) and run "
                "it with config={'configurable': {'thread_id': ...}}, or use AskUserTool(ask=...)."
            )
            raise ToolError(msg)
        reply = interrupt({"type": ASK_USER, "question": task})
        return reply if isinstance(reply, str) else str(reply)
