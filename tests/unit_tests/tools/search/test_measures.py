"""A search task that asks for a length or an area, and a summary that gives none."""

from __future__ import annotations

import pytest
from stand_ins import bag_of_words

from langchain_gba.tools.search.measures import (
    as_found,
    asked_measure,
    asks_number,
    measured,
    misattributed,
    stated,
    states_measure,
)
from langchain_gba.tools.search.summarize import Source


@pytest.mark.parametrize(
    ("task", "measure"),
    [
        ("How long is the Danube?", "length"),
        ("What is the height of Christ the Redeemer in Rio?", "length"),
        ("how tall is the eiffel tower", "length"),
        ("What is the depth of Lake Baikal in metres?", "length"),
        ("How far is the Moon from the Earth?", "length"),
        ("What is the area of Chile?", "area"),
        ("How big is Lake Victoria in square kilometres?", "area"),
        ("How long did it take to build St. Peter's Basilica?", None),  # a time
        ("How long is a day on Mars in hours?", None),
        ("How many people live in the Greater Tokyo Area?", None),  # a name
        ("How many people are there per square kilometre in Mexico?", None),  # a density
        ("Who designed the Sydney Opera House?", None),
    ],
)
def test_the_measure_a_task_asks_for(task, measure) -> None:
    assert asked_measure(task) == measure


@pytest.mark.parametrize(
    ("text", "measure", "states"),
    [
        ("The Danube flows for 2,850 km (1,770 mi).", "length", True),
        ("The height of Denali in metres is 6,190.", "length", True),  # the unit named first
        ("4,807.3", "length", True),  # a bare figure answers
        ("It is 30-metre tall.", "length", True),
        ("The Danube is a river in Europe, the second-longest after the Volga.", "length", False),
        ("No information found.", "length", False),
        ("Chile covers 756,102 square kilometers.", "area", True),
        ("It covers 2,780,085 km2 (1,073,397 mi2).", "area", True),
        ("According to the 2024 census, Chile had a population of 18.5 million.", "area", False),
        ("The lake is 68,800 km² in area.", "area", True),
    ],
)
def test_a_text_states_a_measure_with_a_number(text, measure, states) -> None:
    assert states_measure(text, measure) is states


DANUBE = Source(
    "Danube",
    "",
    "The Danube is a river in Europe, the second-longest after the Volga. It was once a frontier "
    "of the Roman Empire. … Originating in Germany, the Danube flows southeast for 2,850 km "
    "(1,770 mi), passing through ten countries.",
)
MISSISSIPPI = Source(
    "Mississippi River",
    "",
    "The Mississippi River is the second-longest river in the United States. From Lake Itasca "
    "it flows generally south for 2,340 mi to the Gulf of Mexico.",
)
MISSOURI = Source(
    "Missouri River",
    "",
    "The Missouri River, the nation's longest, flows for 2,341 mi (3,767 km) before entering "
    "the Mississippi River north of St. Louis, the Mississippi's long course.",
)


def test_the_sentence_that_states_the_measure_is_the_result_as_written() -> None:
    task = "How long is the Danube?"
    out = measured(task, [DANUBE], bag_of_words, "length")
    assert out == "Originating in Germany, the Danube flows southeast for 2,850 km (1,770 mi), " + (
        "passing through ten countries."
    )


def test_the_article_the_task_names_comes_before_one_that_mentions_it() -> None:
    """The Missouri's sentence names the Mississippi too, and more alike in words: not it."""
    task = "How long is the Mississippi?"
    out = measured(task, [MISSOURI, MISSISSIPPI], bag_of_words, "length")
    assert (
        out
        == "Mississippi River: From Lake Itasca it flows generally south for 2,340 mi to "
        + ("the Gulf of Mexico.")
    )


def test_no_sentence_about_what_the_task_names_is_no_result() -> None:
    assert measured("How long is the Yangtze?", [DANUBE, MISSOURI], bag_of_words, "length") is None
    # a task with two names needs both in the sentence or its title
    two = "What are the lengths of the Volga and the Danube?"
    assert measured(two, [DANUBE], bag_of_words, "length") is None
    assert measured("What is the area of the Danube?", [DANUBE], bag_of_words, "area") is None


@pytest.mark.parametrize(
    ("task", "asks"),
    [
        ("When did Winston Churchill resign from Prime Minister?", True),
        ("How many plays did Shakespeare write?", True),
        ("What is the population of Mexico?", True),
        ("In what year was the Titanic launched?", True),
        ("Who wrote Moby-Dick?", False),
        ("Which river flows through Vienna?", False),
    ],
)
def test_a_task_that_asks_for_a_number(task, asks) -> None:
    assert asks_number(task) is asks


CHURCHILL = Source(
    "Winston Churchill",
    "",
    "Sir Winston Churchill was a British statesman who was Prime Minister of the United Kingdom "
    "from 1940 to 1945, and again from 1951 to 1955. He was a writer and a painter. … For some "
    "62 of the years between 1900 and 1964, he was a Member of Parliament.",
)
ATTLEE = Source(
    "Clement Attlee",
    "",
    "Clement Attlee was Prime Minister from 1945 to 1951, after Winston Churchill.",
)


def test_the_sentences_that_state_a_number_about_what_the_task_names() -> None:
    """The article the task names first, its sentences with a number, most alike first."""
    task = "When was Winston Churchill Prime Minister?"
    out = stated(task, [ATTLEE, CHURCHILL], bag_of_words)
    assert out is not None
    assert out.startswith("Sir Winston Churchill was a British statesman who was Prime Minister")
    assert "He was a writer" not in out  # no number
    assert stated(task, [ATTLEE, CHURCHILL], bag_of_words, k=1).count("Churchill") == 1


def test_no_sentence_states_a_number_about_what_the_task_names() -> None:
    assert stated("When was Herman Melville born?", [CHURCHILL, ATTLEE], bag_of_words) is None
    assert stated("When did it rain?", [DANUBE], bag_of_words) is None  # names nothing it has


TERMS = "What are Winston Churchill's terms as Prime Minister?"


def test_a_summary_that_took_its_number_from_another_sentence_gives_way() -> None:
    """62 years as a Member of Parliament, given as his terms as Prime Minister."""
    summary = "Winston Churchill's terms as Prime Minister were 62 years."
    out = misattributed(TERMS, summary, [CHURCHILL, ATTLEE], bag_of_words)
    assert out is not None and "from 1940 to 1945, and again from 1951 to 1955" in out
    assert "62" not in out


@pytest.mark.parametrize(
    "summary",
    [
        "Churchill was Prime Minister from 1940 to 1945 and from 1951 to 1955.",
        "Churchill was Prime Minister from 1940.",  # one number about it is enough
        "Churchill was Prime Minister twice.",  # no number
        "No information found.",
    ],
)
def test_a_summary_with_a_number_about_what_the_task_names_stays(summary) -> None:
    assert misattributed(TERMS, summary, [CHURCHILL, ATTLEE], bag_of_words) is None


def test_a_summary_stays_where_no_sentence_is_about_what_the_task_names() -> None:
    summary = "Herman Melville was born in 1819."
    task = "When was Herman Melville born?"
    assert misattributed(task, summary, [CHURCHILL, ATTLEE], bag_of_words) is None


def test_a_length_or_area_summary_is_left_to_the_measure_check() -> None:
    """A lexical "about" is too coarse for measures: "the Volga River" in an article "Volga"."""
    summary = "Winston Churchill was 1.7 m tall."
    task = "How tall was Winston Churchill?"
    assert misattributed(task, summary, [CHURCHILL, ATTLEE], bag_of_words) is None


@pytest.mark.parametrize(
    ("task", "request_", "asks"),
    [
        (
            TERMS,
            "Adding up both of his terms, how many years in total was he Prime Minister?",
            True,
        ),
        (TERMS, "", False),
        ("Who wrote Moby-Dick?", "How old was the author of Moby-Dick when it came out?", False),
        ("Which river is longer?", "How many km longer is the Nile?", False),
    ],
)
def test_a_task_asks_for_a_number_for_a_request_that_does(task, request_, asks) -> None:
    assert asks_number(task, request_) is asks


def test_as_found_gives_the_sentence_stating_the_asked_measure() -> None:
    """No model: the Danube's length, not its rank, as written."""
    out = as_found("How long is the Danube?", [DANUBE], bag_of_words)
    assert "flows southeast for 2,850 km" in out and "second-longest" not in out


def test_as_found_gives_the_sentences_stating_a_year() -> None:
    """A task that asks for years in words ``asks_number`` leaves still prefers numbers."""
    out = as_found("Find the years Winston Churchill was Prime Minister", [CHURCHILL], bag_of_words)
    assert "from 1940 to 1945, and again from 1951 to 1955" in out
    assert "He was a writer" not in out


def test_as_found_gives_the_sentences_about_what_the_task_names_each_once() -> None:
    """A task that asks for no number: the named article's sentences before one that mentions
    it, none twice (overlapping passages give a sentence twice)."""
    twice = Source(CHURCHILL.title, "", f"{CHURCHILL.text} … He was a writer and a painter.")
    out = as_found("Who was Winston Churchill?", [ATTLEE, twice], bag_of_words)
    assert "Sir Winston Churchill was a British statesman" in out
    assert out.count("He was a writer") == 1 and "Clement Attlee" not in out


def test_as_found_falls_back_to_the_sentences_most_like_the_task() -> None:
    """Nothing about what the task names: the sentences most like it, best first."""
    out = as_found("Which river flows through ten countries?", [DANUBE, MISSOURI], bag_of_words)
    assert out.startswith("Originating in Germany, the Danube flows southeast")
