"""The product: the agent on the capable embedded model answers, and ends its runs.

Questions that are not in the benchmark's labelled requests (bench/data/requests.jsonl), with
answers stated in the bundled Wikipedia corpus or computed exactly.
"""

from __future__ import annotations

import pytest
from langchain_core.tools import tool

pytestmark = pytest.mark.slow


def _tools(state):  # type: ignore[no-untyped-def]
    return [s["tool"] for s in state["steps"]]


def test_a_lookup_is_answered_from_the_corpus(capable_agent):
    state = capable_agent.invoke(
        {"request": "On the bank of which river does the Taj Mahal stand?"}
    )
    assert state["status"] == "answered", state
    assert "Yamuna" in state["answer"]
    # a plan ahead may answer a bare name from memory (grounding reads no single word that
    # starts a sentence); any tool it runs is the search
    assert set(_tools(state)) <= {"search_wikipedia", "final_answer"}
    assert len(state["steps"]) <= 3


def test_a_lookup_answered_from_memory_is_searched_as_asked(capable_agent):
    """The planner plans no step; the answer is refused; the request itself is searched.

    No second plan and no answer writer: the search of the request as asked is the answer
    (``search_as_asked``, the default).
    """
    request = "Who wrote the novel Moby-Dick?"
    state = capable_agent.invoke({"request": request})
    assert state["status"] == "answered", state
    assert "Melville" in state["answer"]
    steps = state["steps"]
    assert _tools(state) == ["final_answer", "search_wikipedia", "final_answer"], steps
    assert steps[0]["error"] and steps[0]["plan"]["plan_ahead"] == []
    assert steps[1]["task"] == request and steps[1]["plan"]["planned"]
    assert steps[2]["plan"]["answered_by"] == 2
    assert state["answer"] == steps[1]["observation"].split("\n\nSources:")[0]


def test_a_calculation_is_answered(capable_agent):
    state = capable_agent.invoke({"request": "What is 15% of 640?"})
    assert state["status"] == "answered", state
    assert "96" in state["answer"]
    assert "calculate_number" in _tools(state)


def test_a_loop_is_cut_short_with_an_answer():
    """A tool that returns the same page whatever it is asked: the run ends, answered."""
    from langchain_gba import ChatLlamaCpp, ZeroShotPlanner, create_gba_agent

    @tool
    def search_archive(task: str) -> str:
        """Search the company archive for documents."""
        return "Archive index page: 0 documents match."

    llm = ChatLlamaCpp(model="qwen2.5-coder-1.5b-instruct", max_tokens=128)
    agent = create_gba_agent(
        [search_archive],
        planner=ZeroShotPlanner(llm),
        function_calling_model=llm,
        max_steps=8,
        max_loops=2,
        ask_user=False,
    )
    state = agent.invoke({"request": "Find our 1998 sales report in the archive."})
    assert state["status"] == "answered"
    assert len(state["steps"]) < 8  # the step budget was not burnt
    assert state["steps"][-1]["tool"] == "final_answer"


def test_the_search_can_answer_with_its_sources_own_sentence(capable_llm):
    """``summary="sentences"``: the result is the source's sentence as written, not a rewording."""
    from langchain_gba.tools.registry import load_tools
    from langchain_gba.tools.search.summarize import SOURCES_HEADING

    search = load_tools(["wikipedia"], llm=capable_llm)[0].model_copy(
        update={"summary": "sentences"}
    )
    observation = search.invoke({"task": "When was The Starry Night painted?"})
    found = observation.split(SOURCES_HEADING)[0].strip()
    assert "1889" in found, observation
    sources = search.retrieve("When was The Starry Night painted?")
    text = " ".join(s.text for s in sources)
    sentence = found.split(": ", 1)[-1] if found.startswith("The Starry Night: ") else found
    assert sentence.split(". ")[0] in text, (found, text)  # copied, not reworded
