import pytest

from langchain_gba.dates import dates_in, iso_date, iso_time, names_a_day, times_in, written_dates


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
