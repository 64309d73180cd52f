"""The search summary's messages."""

from __future__ import annotations

from stand_ins import bag_of_words

from langchain_gba.grounding import sentences
from langchain_gba.tools.search.summarize import (
    Source,
    focus,
    focused,
    ranked,
    summary_messages,
)

SOURCES = [Source("Guernica", "https://en.wikipedia.org/wiki/Guernica", "Painted in 1937.")]


def test_the_summary_reads_the_request_beside_the_task():
    task = "Search Wikipedia for the year 1906 of Pablo Picasso's work."
    request = "In which year did Pablo Picasso paint Guernica?"
    _, human = summary_messages(task, SOURCES, request)
    assert "[1] Guernica\nPainted in 1937." in human.content
    assert f"The user asked: {request}" in human.content
    assert f"for that request: {focus(task)}" in human.content


def test_without_a_request_or_with_the_request_as_task_the_summary_is_the_plain_one():
    task = "Who painted Guernica?"
    plain = summary_messages(task, SOURCES)[1].content
    assert "The user asked" not in plain
    assert summary_messages(task, SOURCES, " Who painted  Guernica? ")[1].content == plain


def test_a_summary_that_only_restates_the_task_is_no_information():
    from scripted import ScriptedChatModel

    from langchain_gba.prompts import NO_INFORMATION
    from langchain_gba.tools.search.summarize import summarize

    task = "Search Wikipedia for the year 1906 of Pablo Picasso's work."
    echo = ScriptedChatModel(replies=["The year 1906 of Pablo Picasso's work."])
    assert summarize(echo, task, SOURCES) == NO_INFORMATION
    answer = ScriptedChatModel(replies=["Guernica was painted in 1937."])
    assert summarize(answer, task, SOURCES) == "Guernica was painted in 1937."


# -- the sources' own sentences ---------------------------------------------------------------

VENICE = Source(
    "Venice",
    "https://en.wikipedia.org/wiki/Venice",
    "Venice is a city in Italy. It is built on 126 islands; portions of the city are linked by "
    "472 bridges. … Venice was founded in the 5th century.",
)


def test_sentences_are_listed_by_passage_and_sentence():
    from langchain_gba.tools.search.summarize import selection_messages, source_sentences

    listed = source_sentences([VENICE])
    assert [text for _, text in listed] == [
        "Venice is a city in Italy.",
        "It is built on 126 islands; portions of the city are linked by 472 bridges.",
        "Venice was founded in the 5th century.",
    ]
    _, human = selection_messages("How many bridges?", listed, "Bridges per island in Venice?")
    assert "2. (Venice) It is built on 126 islands;" in human.content
    assert "The user asked: Bridges per island in Venice?\nTask: How many bridges?" in human.content


def test_the_picked_sentences_are_the_result_as_written():
    from scripted import ScriptedChatModel

    from langchain_gba.prompts import NO_INFORMATION
    from langchain_gba.tools.search.summarize import select_sentences

    picker = ScriptedChatModel(replies=['{"sentences": [2]}'])
    # a sentence that does not name its article gets the title in front
    assert select_sentences(picker, "How many bridges does Venice have?", [VENICE]) == (
        "Venice: It is built on 126 islands; portions of the city are linked by 472 bridges."
    )
    both = ScriptedChatModel(replies=['{"sentences": [1, 3]}'])
    assert select_sentences(both, "Where and when?", [VENICE]) == (
        "Venice is a city in Italy. Venice was founded in the 5th century."
    )
    none = ScriptedChatModel(replies=['{"sentences": [0]}'])
    assert select_sentences(none, "How tall is the Eiffel Tower?", [VENICE]) == NO_INFORMATION
    assert select_sentences(none, "Anything?", []) == NO_INFORMATION


def test_the_finding_of_an_observation_leaves_out_its_sources_and_what_was_skipped():
    from langchain_gba.tools.search.summarize import finding, format_observation

    observed = format_observation("Guernica was painted in 1937.", SOURCES, ["a page timed out"])
    assert "Sources:\n[1] Guernica <https://en.wikipedia.org/wiki/Guernica>" in observed
    assert finding(observed) == "Guernica was painted in 1937."
    assert finding("2026 - 1937 = 89") == "2026 - 1937 = 89"
    assert finding("Sources: a word, not the list.") == "Sources: a word, not the list."


# -- the sentences that matter, first ----------------------------------------------------------


DANUBE = Source(
    "Danube",
    "https://en.wikipedia.org/wiki/Danube",
    "The Danube is a river in Europe, the second-longest after the Volga. It flows through "
    "Central Europe. It was once a frontier of the Roman Empire. … Originating in Germany, the "
    "Danube flows southeast for a length of 2,850 km.",
)
VOLGA = Source("Volga", "", "The Volga is the longest river in Europe. It flows into the Caspian.")


def test_the_sentences_most_like_the_task_come_first_under_their_sources():
    out = focused("What is the length of the Danube?", [VOLGA, DANUBE], bag_of_words, k=2)
    assert [s.title for s in out] == ["Danube"]
    assert out[0].text.startswith("Originating in Germany, the Danube flows southeast")
    assert out[0].url == DANUBE.url
    assert len(sentences(out[0].text)) == 2


def test_sources_with_few_sentences_come_back_as_they_are():
    assert focused("How long is the Volga?", [VOLGA], bag_of_words, k=5) == [VOLGA]


def test_every_kept_sentence_keeps_its_source():
    out = focused("Which river flows into the Caspian?", [DANUBE, VOLGA], bag_of_words, k=3)
    for source in out:
        original = {s.title: s.text for s in (DANUBE, VOLGA)}[source.title]
        assert all(sentence in original for sentence in sentences(source.text))
    assert sum(len(sentences(s.text)) for s in out) == 3


ST_PETERS = Source(
    "St. Peter's Basilica",
    "",
    "It is a church of the Italian Renaissance in Vatican City. It replaced the ageing Old "
    "St. Peter's Basilica. Construction of the present basilica began on 18 April 1506 and was "
    "completed on 18 November 1626. It is the largest church in the world by interior measure.",
)
BUILD = "How long did it take to build the present basilica?"


def test_a_summary_that_computes_gives_way_to_the_best_sentences_as_written():
    from scripted import ScriptedChatModel

    from langchain_gba.tools.search.summarize import summarize

    computed = "It took 1626 - 1506 = 120 years to build the present St. Peter's Basilica."
    out = summarize(
        ScriptedChatModel(replies=[computed]), BUILD, [ST_PETERS], embed=bag_of_words, k=2
    )
    best = ranked(BUILD, [ST_PETERS], bag_of_words)
    assert best[0][1].startswith("Construction of the present basilica began")
    assert best[1][1] == "It replaced the ageing Old St. Peter's Basilica."  # names its article
    assert out == f"St. Peter's Basilica: {best[0][1]} {best[1][1]}"
    # without ranking, what the check leaves of it, as before
    assert summarize(ScriptedChatModel(replies=[computed]), BUILD, [ST_PETERS]) == "It took 1626."


def test_a_summary_the_sources_support_is_kept_with_ranking():
    from scripted import ScriptedChatModel

    from langchain_gba.tools.search.summarize import summarize

    said = "Construction began in 1506 and was completed in 1626."
    out = summarize(ScriptedChatModel(replies=[said]), BUILD, [ST_PETERS], embed=bag_of_words)
    assert out == said


SHAH_JAHAN = Source(
    "Shah Jahan",
    "https://en.wikipedia.org/wiki/Shah_Jahan",
    "Shah Jahan I was the fifth Mughal Emperor from 1628 until his deposition in 1658. His "
    "reign marked the zenith of Mughal architectural and cultural achievements.",
)
RULE = "When did Shah Jahan rule the Mughal Empire?"


def test_without_focus_a_worked_out_number_gives_way_to_the_sentences_as_written():
    from scripted import ScriptedChatModel

    from langchain_gba.prompts import NO_INFORMATION
    from langchain_gba.tools.search.summarize import summarize

    computed = "Shah Jahan ruled the Mughal Empire for 29 years."  # the 1.5B's summary
    embedded: list[list[str]] = []

    def embed(texts: list[str]):
        embedded.append(texts)
        return bag_of_words(texts)

    model = ScriptedChatModel(replies=[computed])
    out = summarize(model, RULE, [SHAH_JAHAN], embed=embed, k=None)
    assert "zenith" in model.calls[0][-1].content  # every sentence read, none left out
    assert out.startswith("Shah Jahan I was the fifth Mughal Emperor from 1628")
    assert "1658" in out
    # without an embedder the check leaves nothing of it
    assert summarize(ScriptedChatModel(replies=[computed]), RULE, [SHAH_JAHAN]) == NO_INFORMATION
    # a summary the source supports is kept, and nothing is embedded for it
    embedded.clear()
    said = "Shah Jahan ruled from 1628 until 1658."
    kept = summarize(ScriptedChatModel(replies=[said]), RULE, [SHAH_JAHAN], embed=embed, k=None)
    assert kept == said
    assert embedded == []


def test_a_recalled_date_stays_no_information_and_a_supported_part_stays():
    from scripted import ScriptedChatModel

    from langchain_gba.prompts import NO_INFORMATION
    from langchain_gba.tools.search.summarize import summarize

    def ask(reply: str, task: str = "When was Shah Jahan born?") -> str:
        model = ScriptedChatModel(replies=[reply])
        return summarize(model, task, [SHAH_JAHAN], embed=bag_of_words, k=None)

    # a birth date no source gives is recalled, not worked out: nothing stands in for it
    assert ask("Shah Jahan was born on 5 January 1592.") == NO_INFORMATION
    assert ask("Shah Jahan was born in 1592.") == NO_INFORMATION
    # what the check leaves of a sum is kept ("It sank in 1912." of "..., 104 years before")
    out = ask("He became emperor in 1628, which was 398 years before 2026.", RULE)
    assert out == "He became emperor in 1628."


def test_the_summary_reads_only_the_ranked_sentences():
    from scripted import ScriptedChatModel

    from langchain_gba.tools.search.summarize import summarize

    model = ScriptedChatModel(replies=["It was completed in 1626."])
    summarize(model, BUILD, [ST_PETERS], embed=bag_of_words, k=1)
    read = model.calls[0][-1].content
    assert "Construction of the present basilica began" in read
    assert "largest church" not in read


# -- the sources' own sentences under the summary -----------------------------------------------


def test_the_sentences_most_like_the_task_are_quoted_as_written_after_their_titles():
    from langchain_gba.tools.search.summarize import quoted

    out = quoted("What is the length of the Danube?", [VOLGA, DANUBE], bag_of_words, k=2)
    assert out[0] == "Originating in Germany, the Danube flows southeast for a length of 2,850 km."
    assert len(out) == 2
    assert out[1].removeprefix("Danube: ").removeprefix("Volga: ") in DANUBE.text + VOLGA.text
    volga = quoted("Where does the river flow into?", [VOLGA], bag_of_words, k=1)
    assert volga == ["Volga: It flows into the Caspian."]  # a sentence that does not name it


def test_quotes_stand_between_the_summary_and_the_sources_and_answers_leave_them_out():
    from langchain_gba.prompts import NO_INFORMATION
    from langchain_gba.tools.search.summarize import finding, format_observation, summary_of

    quotes = ["Danube: Originating in Germany, the Danube flows southeast for 2,850 km."]
    said = "The Danube is the second-longest river in Europe."
    observed = format_observation(said, [DANUBE], quotes=quotes)
    assert observed.startswith(f"{said}\n\nIn the sources:\n- {quotes[0]}\n\nSources:\n[1] Danube")
    assert finding(observed) == f"{said}\n\nIn the sources:\n- {quotes[0]}"  # what steps read
    assert summary_of(observed) == said  # what an answer that is the summary says
    assert summary_of("2026 - 1937 = 89") == "2026 - 1937 = 89"
    # nothing found: nothing quoted, and the result still reads as nothing found
    assert format_observation(NO_INFORMATION, [DANUBE], quotes=quotes) == NO_INFORMATION


def test_a_first_sentence_with_two_numbers_stands_alone() -> None:
    from langchain_gba.tools.search.summarize import as_needed

    both = [(0, "He was President from 1994 to 1999."), (0, "He led the ANC from 1991 to 1997.")]
    assert as_needed(both) == both[:1]
    one = [(0, "It has 3.5 million people."), (0, "It covers 1,564,116 km2."), (0, "In 1990.")]
    assert as_needed(one) == one[:2]
    assert as_needed([]) == []


def test_a_written_date_is_one_number() -> None:
    from langchain_gba.tools.search.summarize import as_needed

    wall = [(0, "Construction began on 13 August 1961."), (0, "It stood from 1961 to 1989.")]
    assert as_needed(wall) == wall
    dated = [(0, "It was dedicated on October 28, 1886."), (0, "It is 93 m tall.")]
    assert as_needed(dated) == dated
    both = [(0, "It opened on 4 July 1990 with 300 rooms."), (0, "It has 12 floors.")]
    assert as_needed(both) == both[:1]
