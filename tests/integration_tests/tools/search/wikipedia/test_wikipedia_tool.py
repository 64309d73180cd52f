from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.tools import BaseTool

from langchain_gba.grounding import sentences
from langchain_gba.prompts import NO_INFORMATION
from langchain_gba.tools.base import TaskWithRequestInput, reads_request, takes_task
from langchain_gba.tools.search import WikipediaIndex, WikipediaSearchTool
from langchain_gba.tools.search.exceptions import IndexCorruptedError
from langchain_gba.tools.search.summarize import finding, ranked, summary_of
from langchain_gba.tools.search.wikipedia import CrossEncoderReranker


@pytest.fixture(scope="module")
def tool(small_index: WikipediaIndex, llm) -> WikipediaSearchTool:  # type: ignore[no-untyped-def]
    return WikipediaSearchTool(index=small_index, llm=llm)


def test_is_a_task_taking_tool(tool: WikipediaSearchTool) -> None:
    assert isinstance(tool, BaseTool) and tool.name == "search_wikipedia"
    assert tool.args_schema is TaskWithRequestInput and takes_task(tool) and reads_request(tool)


def test_retrieve_groups_passages_by_article(tool: WikipediaSearchTool) -> None:
    sources = tool.retrieve("Who painted the Mona Lisa?")
    titles = [s.title for s in sources]
    assert titles[0] in {"Mona Lisa", "Leonardo da Vinci"}
    assert len(titles) == len(set(titles)) <= tool.max_articles
    assert all(s.url.startswith("https://en.wikipedia.org/wiki/") for s in sources)
    assert all(len(s.text) <= tool.max_chars_per_article + 2 for s in sources)


def test_the_request_is_searched_when_the_task_finds_nothing(tool: WikipediaSearchTool) -> None:
    request = "Who painted the Mona Lisa?"
    assert tool.retrieve("xqzv blorf wibble") == []
    titles = [s.title for s in tool.retrieve("xqzv blorf wibble", request=request)]
    assert titles and titles[0] in {"Mona Lisa", "Leonardo da Vinci"}
    # a task that finds its articles is searched alone
    task = "The Eiffel Tower in Paris"
    assert tool.retrieve(task, request=request) == tool.retrieve(task)


def test_end_to_end_with_the_embedded_model(tool: WikipediaSearchTool) -> None:
    observation = tool.invoke({"task": "Find out who painted the Mona Lisa."})
    assert isinstance(observation, str) and observation.strip()
    if observation != NO_INFORMATION:
        assert "Sources:" in observation
        assert "<https://en.wikipedia.org/wiki/Mona_Lisa>" in observation


async def test_async_end_to_end(tool: WikipediaSearchTool) -> None:
    observation = await tool.ainvoke({"task": "What is the highest mountain on Earth?"})
    assert observation == NO_INFORMATION or "/wiki/Mount_Everest>" in observation


async def test_unrelated_task_finds_nothing_without_calling_the_llm(
    small_index: WikipediaIndex,
) -> None:
    class Unused:
        def __getattr__(self, name: str) -> None:
            raise AssertionError("the LLM must not be called")

    tool = WikipediaSearchTool(index=small_index)
    tool._llm = Unused()  # type: ignore[assignment]
    assert tool.invoke({"task": "xqzv blorf wibble"}) == NO_INFORMATION
    assert await tool.ainvoke({"task": "xqzv blorf wibble"}) == NO_INFORMATION


def test_index_path_and_a_missing_index(index_dir: Path, tmp_path: Path, llm) -> None:  # type: ignore[no-untyped-def]
    by_path = WikipediaSearchTool(index_path=str(index_dir), llm=llm)
    assert by_path.retrieve("Eiffel Tower in Paris")[0].title in {"Eiffel Tower", "Paris"}
    broken = WikipediaSearchTool(index_path=str(tmp_path / "missing"), llm=llm)
    with pytest.raises(IndexCorruptedError, match="^No index at"):
        broken.invoke({"task": "Anything at all."})


def test_cross_encoder_reranker_reorders_by_its_scores(small_index, embedder) -> None:  # type: ignore[no-untyped-def]
    # No cross-encoder ships on PyPI: a MiniLM body with a fresh (seeded) head checks the plumbing.
    import torch

    torch.manual_seed(0)
    reranker = CrossEncoderReranker(embedder.location, max_length=128)
    task = "Leonardo da Vinci paintings"
    wide = {"index": small_index, "min_score": 0.0, "score_margin": None, "max_articles": 6}
    plain = WikipediaSearchTool(**wide, k=6)
    ranked = WikipediaSearchTool(**wide, k=6, reranker=reranker)
    before = plain.retrieve(task)
    after = ranked.retrieve(task)
    assert sorted(s.title for s in after) == sorted(s.title for s in before)
    hits = small_index.search(task, 6)
    scores = reranker.score(task, [h.passage.embedding_text() for h in hits])
    best = max(range(len(hits)), key=lambda i: scores[i])
    assert after[0].title == hits[best].passage.title


def test_score_margin_keeps_only_close_runners_up(small_index: WikipediaIndex) -> None:
    task = "Who wrote the dystopian novel Nineteen Eighty-Four?"
    hits = small_index.search(task, 6)
    tight = WikipediaSearchTool(index=small_index, score_margin=0.05, max_articles=6)
    loose = WikipediaSearchTool(index=small_index, score_margin=None, min_score=0.0, max_articles=6)
    kept = {h.passage.title for h in hits if h.score >= hits[0].score - 0.05}
    assert {s.title for s in tight.retrieve(task)} == kept
    assert len(loose.retrieve(task)) >= len(kept)


def test_a_focused_summary_reads_the_sentences_most_like_the_task(capable_llm) -> None:  # type: ignore[no-untyped-def]
    """``focus_sentences`` on the bundled index and the default model: Chile's area is two
    sentences into its passage; read whole, the 1.5B summary gave Chile's population for it."""
    tool = WikipediaSearchTool(llm=capable_llm, focus_sentences=5)
    task = "What is the area of Chile?"
    request = "Roughly how many times bigger than Chile is Argentina by area? Give two decimals."
    sources = tool.retrieve(task, request=request)
    best = ranked(task, sources, tool.get_index().embedder.encode)
    assert "756,102 square kilometers" in best[0][1]
    assert best[0][1] not in sources[0].text[:200]  # not the passage's first sentences
    observation = tool.invoke({"task": task, "request": request})
    assert "756,102" in finding(observation)


def test_quoted_sentences_give_the_figure_the_summary_left_out(capable_llm) -> None:  # type: ignore[no-untyped-def]
    """``quote_sentences`` on the bundled index and the default model: whatever the summary
    says of Chile's area, the sentence stating it is under the summary, as written, and an
    answer that is the summary leaves it out."""
    tool = WikipediaSearchTool(llm=capable_llm, quote_sentences=2)
    task = "What is the area of Chile?"
    observation = tool.invoke({"task": task})
    summary, rest = observation.split("\n\nIn the sources:\n", 1)
    quotes = rest.split("\n\nSources:\n", 1)[0].splitlines()
    assert len(quotes) == 2 and all(q.startswith("- ") for q in quotes)
    assert "756,102 square kilometers" in quotes[0]
    assert summary_of(observation) == summary and "In the sources" not in summary
    plain = WikipediaSearchTool(llm=capable_llm).invoke({"task": task})
    assert "In the sources:" not in plain  # off by default


_DANUBE_RANK = "The Danube is a river in Europe, the second-longest after the Volga."


def test_a_summary_without_the_asked_length_gives_way_to_the_sentence_stating_it() -> None:
    """The bundled index and its embedder, the 1.5B's summary of the Danube replayed: its rank
    for its length. The passage's sentence with the length is the result, as written."""
    from scripted import ScriptedChatModel

    tool = WikipediaSearchTool(llm=ScriptedChatModel(replies=[_DANUBE_RANK]))
    observation = tool.invoke({"task": "How long is the Danube?"})
    assert "the Danube flows southeast for 2,850" in finding(observation)
    assert _DANUBE_RANK not in observation
    unchecked = WikipediaSearchTool(
        llm=ScriptedChatModel(replies=[_DANUBE_RANK]), measure_check=False
    )
    assert finding(unchecked.invoke({"task": "How long is the Danube?"})) == _DANUBE_RANK
    # a task that asks no length keeps its summary
    kept = WikipediaSearchTool(llm=ScriptedChatModel(replies=[_DANUBE_RANK]))
    assert finding(kept.invoke({"task": "Where does the Danube flow?"})) == _DANUBE_RANK


def test_ranked_sentences_answer_without_a_model_call() -> None:
    """``summary="ranked"``: the bundled index's sentences as written, no chat model built."""
    tool = WikipediaSearchTool(summary="ranked")
    request = "How much longer is the Mississippi than the Danube?"
    found = finding(tool.invoke({"task": "How long is the Mississippi?", "request": request}))
    assert "2,340" in found and "2,341" not in found
    request = "How many years ago was the Colosseum completed?"
    task = "Find the year the Colosseum was completed"
    found = finding(tool.invoke({"task": task, "request": request}))
    assert "80" in found and found.count("Domitian") <= 1
    request = "Who painted the Mona Lisa, and when was the painter born?"
    found = finding(tool.invoke({"task": "Who painted the Mona Lisa?", "request": request}))
    assert "Leonardo da Vinci" in found
    assert tool._llm is None  # no summary model loaded


def test_a_question_on_its_own_still_gets_a_written_summary() -> None:
    """``summary="ranked"`` ranks only a step of a longer request: a task with no request, or
    the request itself, is answered by the summary model (here a scripted one)."""
    from scripted import ScriptedChatModel

    answer = "Leonardo da Vinci painted the Mona Lisa."
    tool = WikipediaSearchTool(summary="ranked", llm=ScriptedChatModel(replies=[answer] * 2))
    question = "Who painted the Mona Lisa?"
    assert finding(tool.invoke({"task": question})) == answer
    assert finding(tool.invoke({"task": question, "request": question})) == answer
    ranked_only = tool.model_copy(update={"written_for_request": False})
    assert finding(ranked_only.invoke({"task": question})) != answer
    with pytest.raises(ValueError, match='summary="ranked"'):
        WikipediaSearchTool(summary="ranked", retriever=tool.get_retriever())


def test_the_mississippis_length_is_found_on_the_real_model(capable_llm) -> None:  # type: ignore[no-untyped-def]
    """End to end with the default model: whatever its summary says of the Mississippi, the
    result gives the river's own length (2,340 mi), not the Missouri's (2,341 mi)."""
    tool = WikipediaSearchTool(llm=capable_llm)
    found = finding(tool.invoke({"task": "How long is the Mississippi?"}))
    assert "2,340" in found and "2,341" not in found


_SHAH_JAHAN_SUM = "Shah Jahan ruled the Mughal Empire for 29 years."
_RULE = "When did Shah Jahan rule the Mughal Empire?"
_RULE_REQUEST = "For how many years did Shah Jahan rule the Mughal Empire?"


def test_a_worked_out_summary_gives_way_to_the_sentences_as_written() -> None:
    """The bundled index and its embedder, the 1.5B's summary replayed: a number of years it
    worked out, which no passage gives. The passages' sentences with the years are the result;
    without the fallbacks, nothing is left of the summary (with the as-written one alone off,
    the summary that found nothing gives way to the sentence that states the years)."""
    from scripted import ScriptedChatModel

    tool = WikipediaSearchTool(llm=ScriptedChatModel(replies=[_SHAH_JAHAN_SUM]))
    found = finding(tool.invoke({"task": _RULE, "request": _RULE_REQUEST}))
    assert "from 1628 until his deposition in 1658" in found and "29" not in found
    cut = WikipediaSearchTool(
        llm=ScriptedChatModel(replies=[_SHAH_JAHAN_SUM]),
        as_written_fallback=False,
        unfound_fallback=False,
    )
    assert cut.invoke({"task": _RULE, "request": _RULE_REQUEST}) == NO_INFORMATION
    unfound = WikipediaSearchTool(
        llm=ScriptedChatModel(replies=[_SHAH_JAHAN_SUM]), as_written_fallback=False
    )
    found = finding(unfound.invoke({"task": _RULE, "request": _RULE_REQUEST}))
    assert "from 1628 until his deposition in 1658" in found


def test_shah_jahans_reign_is_found_on_the_real_model(capable_llm) -> None:  # type: ignore[no-untyped-def]
    """End to end with the default model, told the request: the result gives the first and the
    last year of the reign as the source does, whatever the summary worked out."""
    tool = WikipediaSearchTool(llm=capable_llm)
    found = finding(tool.invoke({"task": _RULE, "request": _RULE_REQUEST}))
    assert "1628" in found and "1658" in found


def test_the_sentences_that_stand_in_state_a_number_each_once() -> None:
    """The 1.5B's "took 18 years" for the Colosseum, replayed: ranked alone, a sentence on
    Domitian's modifications came first, twice (the passages overlap); the years it was built
    in are the result."""
    from scripted import ScriptedChatModel

    worked_out = "The construction of the Colosseum took 18 years."
    tool = WikipediaSearchTool(llm=ScriptedChatModel(replies=[worked_out]))
    found = finding(tool.invoke({"task": "When did the construction of the Colosseum complete?"}))
    assert "Vespasian in 72" in found and "18" not in found
    assert len(set(sentences(found))) == len(sentences(found))


_RESIGN = "When did Winston Churchill resign from Prime Minister?"


def test_a_summary_that_found_nothing_gives_way_to_the_sentence_that_states_it() -> None:
    """A summary of "No information found." for a task that asks for a year: the bundled
    article's sentence with both terms is the result; with the fallback off, nothing."""
    from scripted import ScriptedChatModel

    tool = WikipediaSearchTool(llm=ScriptedChatModel(replies=[NO_INFORMATION]))
    found = finding(tool.invoke({"task": _RESIGN}))
    assert "from 1940 to 1945" in found and "1951 to 1955" in found
    assert len(sentences(found)) == 1  # it states the years: no second sentence
    off = WikipediaSearchTool(
        llm=ScriptedChatModel(replies=[NO_INFORMATION]), unfound_fallback=False
    )
    assert off.invoke({"task": _RESIGN}) == NO_INFORMATION
    who = WikipediaSearchTool(llm=ScriptedChatModel(replies=[NO_INFORMATION]))
    assert who.invoke({"task": "Who was Winston Churchill's tailor?"}) == NO_INFORMATION


def test_churchills_terms_are_found_on_the_real_model(capable_llm) -> None:  # type: ignore[no-untyped-def]
    """Recorded: told the request, the 1.5B summary found nothing for this task in every run."""
    request = "Adding up both of his terms, how many years in total was Winston Churchill Prime "
    request += "Minister?"
    tool = WikipediaSearchTool(llm=capable_llm)
    found = finding(tool.invoke({"task": _RESIGN, "request": request}))
    assert "1945" in found and "1955" in found, found


_TERMS = "What are Winston Churchill's terms as Prime Minister?"
_TERMS_SUMMARY = "Winston Churchill's terms as Prime Minister were 62 years."
_TERMS_REQUEST = "Adding up both of his terms, how many years in total was Winston Churchill Prime "
_TERMS_REQUEST += "Minister?"


def test_a_summary_that_took_its_number_from_another_sentence_gives_way() -> None:
    """The 1.5B's summary replayed (recorded on the faster machine): 62, his years as a Member
    of Parliament, as his terms. The bundled article's sentence about him as Prime Minister is
    the result; with the check off, or told no request that asks for a number, the summary
    stays."""
    from scripted import ScriptedChatModel

    asked = {"task": _TERMS, "request": _TERMS_REQUEST}
    tool = WikipediaSearchTool(llm=ScriptedChatModel(replies=[_TERMS_SUMMARY]))
    found = finding(tool.invoke(asked))
    assert "from 1940 to 1945" in found and "1951 to 1955" in found and "62" not in found
    off = WikipediaSearchTool(
        llm=ScriptedChatModel(replies=[_TERMS_SUMMARY]), attribution_check=False
    )
    assert finding(off.invoke(asked)) == _TERMS_SUMMARY
    alone = WikipediaSearchTool(llm=ScriptedChatModel(replies=[_TERMS_SUMMARY]))
    assert finding(alone.invoke({"task": _TERMS})) == _TERMS_SUMMARY  # no number asked
