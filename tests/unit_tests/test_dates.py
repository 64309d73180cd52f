import pytest

from langchain_gba.dates import (
    dates_in,
    iso_date,
    iso_time,
    names_a_day,
    span_times,
    times_in,
    with_time_spans,
    written_dates,
)


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("Lunch on 2026-12-24.", {(2026, 12, 24)}),
        ("a call on December 3rd 2026 at 15:00", {(2026, 12, 3)}),
        ("a haircut on March 14th, 2026", {(2026, 3, 14)}),
        ("on the 5th of May 2026", {(2026, 5, 5)}),
        ("Saturday 01 August 2026 at 06:40", {(2026, 8, 1)}),
        ("Oct. 8, 2026", {(2026, 10, 8)}),
        ("on March 14th", {(None, 3, 14)}),  # no year written
        ("08/10/2026", {(2026, 8, 10), (2026, 10, 8)}),  # day or month first
        ("31/12/26", {(2026, 12, 31)}),  # the other order is no date
        ("2026-02-30 or 4,471 guests", set()),  # no such day; a number is no date
        ("I may 5 times ask", set()),
    ],
)
def test_dates_as_people_write_them(text, dates):
    assert dates_in(text) == dates


def test_written_dates_keep_the_words():
    assert written_dates("on October 8th 2026 at 19:00") == [("October 8th 2026", (2026, 10, 8))]


@pytest.mark.parametrize(
    ("text", "times"),
    [
        ("at 19:00", {(19, 0)}),
        ("at 7 pm", {(19, 0)}),
        ("9.30am", {(9, 30)}),
        ("12 a.m.", {(0, 0)}),
        ("at 7:45", {(7, 45), (19, 45)}),  # morning or evening
        ("at 7, see you", {(7, 0), (19, 0)}),
        ("at noon", {(12, 0)}),
        ("3 o'clock", {(3, 0), (15, 0)}),
        ("we will be 40 guests at 3 locations", set()),
        ("at 25:00, 13 pm", set()),
    ],
)
def test_times_as_people_write_them(text, times):
    assert times_in(text) == times


@pytest.mark.parametrize(
    ("text", "relative"),
    [
        ("tomorrow at 9", True),
        ("the office is closed on Monday", True),
        ("in two weeks", True),
        ("Saturday 01 August 2026", False),  # a weekday with its date
        ("Thursday, October 8", False),
        ("on 2026-10-08", False),
    ],
)
def test_days_named_from_today(text, relative):
    assert names_a_day(text) is relative


def test_iso_values():
    assert iso_date("2026-10-08") == (2026, 10, 8) == iso_date("2026-10-08T19:00")
    assert iso_time("2026-10-08T19:00") == (19, 0) and iso_time("07:45") == (7, 45)
    assert iso_date("2026-13-01") is None and iso_date("Oct 8") is None
    assert iso_time("24:00") is None and iso_time("2026-10-08") is None


@pytest.mark.parametrize(
    ("text", "read"),
    [
        (
            "I go to bed around 11:30 pm and get up at 6:30 am, every day.",
            "I go to bed around 11:30 pm and get up at 6:30 am [7 hours from 11:30 pm to 6:30 am], "
            "every day.",
        ),
        (
            "I work 9 am to 5:30 pm.",  # the sentence's full stop stays after the span
            "I work 9 am to 5:30 pm [8.5 hours from 9 am to 5:30 pm].",
        ),
        ("from 22:15 to 06:45", "from 22:15 to 06:45 [8.5 hours from 22:15 to 06:45]"),
        (
            "Lands 1:40 pm, left 10:15 am",  # past midnight: the next day
            "Lands 1:40 pm, left 10:15 am [1235 minutes (20 h 35 min) from 1:40 pm to 10:15 am]",
        ),
        ("9.30am to 9.45am", "9.30am to 9.45am [15 minutes from 9.30am to 9.45am]"),
        (
            "work 9am-5pm, gym 6 p.m. to 7 p.m. daily",  # pairs in order
            "work 9am-5pm [8 hours from 9am to 5pm], gym 6 p.m. to 7 p.m. [1 hour from 6 p.m. to "
            "7 p.m.] daily",
        ),
    ],
)
def test_the_time_between_two_clock_times_is_written_out(text, read):
    assert with_time_spans(text) == read


def test_the_times_that_bound_a_span_as_written():
    text = "work 9am-5pm, gym 6 p.m. to 7 p.m. daily, lunch at 1 pm"
    assert span_times(text) == ["9am", "5pm", "6 p.m.", "7 p.m."]
    assert span_times("at 10:30 and 6:30") == []


@pytest.mark.parametrize(
    "text",
    [
        "at 10:30 and 6:30",  # 8 or 20 hours: morning or evening unknown
        "pi is 3.14 and the train leaves at 7:30 pm",  # one time; 3.14 is a number
        "the match at 7 pm, the final at 7 pm",  # no time between
        "at 7 pm. " + "Nothing happens for a long while in this text. " * 3 + "Then 9 pm.",
        "we will be 40 guests at 3 locations at 25:00",
    ],
)
def test_times_that_bound_no_span_are_left_as_they_are(text):
    assert with_time_spans(text) == text
