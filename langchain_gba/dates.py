"""Dates and times as people write them, read so that an action's arguments can be traced.

An action's ``date`` is written ``2026-10-08`` while the request said "October 8th 2026" or
"8 Oct 2026", its ``time`` ``19:00`` where the request said "7 pm": :func:`dates_in` and
:func:`times_in` read the forms people write into comparable values, so that a value nobody gave
(the 1.5B model put "Add my flight to Lisbon to my calendar." on 2026-05-10 at 14:00) can be told
from one the request gave in other words. Relative days ("tomorrow", "on Monday") name no date
by themselves: :func:`names_a_day` says a text has one, and a date then cannot be checked.
"""

from __future__ import annotations

import re
from datetime import date

__all__ = [
    "Day",
    "dates_in",
    "iso_date",
    "iso_time",
    "names_a_day",
    "same_day",
    "span_times",
    "times_in",
    "with_time_spans",
    "written_dates",
]

Day = tuple[int | None, int, int]
"""A date as ``(year, month, day)``; the year None where the text gives none ("March 14th")."""

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            "january jan", "february feb", "march mar", "april apr", "may", "june jun",
            "july jul", "august aug", "september sep sept", "october oct", "november nov",
            "december dec",
        ],
        start=1,
    )
    for name in names.split()
}  # fmt: skip
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>\d{4}))?"
_DATES = [
    re.compile(r"\b(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})\b"),
    re.compile(rf"\b(?P<day>\d{{1,2}}){_ORDINAL}(?:\s+of)?\s+{_MONTH}\b{_YEAR}", re.I),
    re.compile(rf"\b{_MONTH}\s+(?:the\s+)?(?P<day>\d{{1,2}}){_ORDINAL}\b{_YEAR}", re.I),
]
_NUMERIC = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})\b")
"""``08/10/2026``: day first or month first, both read."""

_MERIDIEM = r"\s*(?P<m>[ap])\.?\s?m\b\.?"
_TIMES = [
    re.compile(rf"\b(?P<h>\d{{1,2}})[:.](?P<min>\d{{2}})(?:{_MERIDIEM})?", re.I),
    re.compile(rf"\b(?P<h>\d{{1,2}}){_MERIDIEM}", re.I),
    re.compile(r"\b(?P<h>\d{1,2})\s*o'?clock\b", re.I),
    re.compile(r"\bat\s+(?P<h>\d{1,2})\b(?![:.,/]?\d|\s*(?:%|[a-z]))", re.I),
]
_NAMED_TIMES = {"noon": (12, 0), "midday": (12, 0), "midnight": (0, 0)}

_RELATIVE = re.compile(
    r"\b(?:today|tonight|tomorrow|yesterday|weekend"
    r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day(?!,?\s+(?:the\s+)?\d|,?\s+" + _MONTH + r")"
    r"|(?:next|this|coming)\s+(?:week|month|year)|in\s+(?:a|an|one|two|three|\d+)\s+"
    r"(?:days?|weeks?|months?))\b",
    re.I,
)
"""A day named from today; a weekday followed by its date ("Saturday 01 August 2026") is none."""
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::\d{2})?)?\s*$")
_ISO_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::\d{2})?\s*$")


def _valid(year: int | None, month: int, day: int) -> bool:
    try:
        date(year or 2000, month, day)  # 2000: a leap year, so 29 February is a date
    except ValueError:
        return False
    return True


def dates_in(text: str) -> set[Day]:
    """The dates ``text`` writes: ISO, "8 October 2026", "Oct 8th, 2026", "08/10/2026".

    A numeric date with slashes is read both ways (day first and month first), a two-digit
    year as 20xx.
    """
    return {day for _, day in written_dates(text)}


def written_dates(text: str) -> list[tuple[str, Day]]:
    """The dates ``text`` writes, each as written and as a :data:`Day` (see :func:`dates_in`)."""
    found: list[tuple[str, Day]] = []
    for pattern in _DATES:
        for m in pattern.finditer(text):
            month = m["month"]
            number = int(month) if month.isdigit() else MONTHS[month.lower().rstrip(".")]
            year = int(m["year"]) if m["year"] else None
            if month == "may" and year is None:  # "I may 5 times ask": the verb
                continue
            if _valid(year, number, int(m["day"])):
                found.append((m[0], (year, number, int(m["day"]))))
    for m in _NUMERIC.finditer(text):
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        year = y + 2000 if y < 100 else y
        for month, day in ((b, a), (a, b)):
            if _valid(year, month, day):
                found.append((m[0], (year, month, day)))
    return found


def same_day(a: Day, b: Day) -> bool:
    """Whether two dates are the same day; a missing year matches any ("March 14th")."""
    return a[1:] == b[1:] and (a[0] is None or b[0] is None or a[0] == b[0])


def times_in(text: str) -> set[tuple[int, int]]:
    """The times of day ``text`` writes, as ``(hour, minute)`` on a 24-hour clock.

    "7 pm" is ``(19, 0)``, "12 am" ``(0, 0)``; a time without am or pm before 12 ("at 7",
    "7:45") is read both ways, since the text may mean the evening; "noon" and "midnight" too.
    """
    found: set[tuple[int, int]] = set()
    for pattern in _TIMES:
        for m in pattern.finditer(text):
            hour, minute = int(m["h"]), int(m.groupdict().get("min") or 0)
            if hour > 23 or minute > 59:
                continue
            meridiem = (m.groupdict().get("m") or "").lower()
            if meridiem:
                if not 1 <= hour <= 12:
                    continue
                found.add((hour % 12 + (12 if meridiem == "p" else 0), minute))
            else:
                found.add((hour, minute))
                if 1 <= hour < 12:
                    found.add((hour + 12, minute))
    lowered = text.lower()
    found |= {t for name, t in _NAMED_TIMES.items() if re.search(rf"\b{name}\b", lowered)}
    return found


_CLOCK_TIMES = [
    re.compile(rf"\b(?P<h>\d{{1,2}}):(?P<min>\d{{2}})(?!\d)(?:{_MERIDIEM})?", re.I),
    re.compile(rf"\b(?P<h>\d{{1,2}})\.(?P<min>\d{{2}}){_MERIDIEM}", re.I),
    re.compile(rf"\b(?P<h>\d{{1,2}}){_MERIDIEM}", re.I),
]
"""Clock times that can bound a span: "6:30", "11:30 pm", "9.30am", "7am" (not "at 7", or
"6.30": a number)."""
_SPAN_GAP = 120
"""The most characters between two clock times read as one span's ends."""


def _clock_times(text: str) -> list[tuple[int, int, int, bool]]:
    """``(start, end, minutes after midnight, read one way)`` of each clock time in ``text``.

    A time is read one way with am or pm, or on a 24-hour clock (an hour above 12, or written
    with a leading zero: "06:45"); "6:30" alone may be morning or evening.
    """
    found: dict[int, tuple[int, int, int, bool]] = {}
    for pattern in _CLOCK_TIMES:
        for m in pattern.finditer(text):
            hour, minute = int(m["h"]), int(m.groupdict().get("min") or 0)
            meridiem = (m.groupdict().get("m") or "").lower()
            if minute > 59 or (not 1 <= hour <= 12 if meridiem else hour > 23):
                continue
            end = m.end() - 1 if m[0].endswith("m.") and not m[0].endswith(".m.") else m.end()
            if meridiem:
                minutes = (hour % 12 + (12 if meridiem == "p" else 0)) * 60 + minute
                found.setdefault(m.start(), (m.start(), end, minutes, True))
            else:
                one_way = hour > 12 or m["h"].startswith("0")
                found.setdefault(m.start(), (m.start(), end, hour * 60 + minute, one_way))
    return [found[start] for start in sorted(found)]


def _spans(text: str) -> list[tuple[int, int, int, int, int]]:
    """``(start, end)`` of each of a span's two clock times and its minutes (see below)."""
    times = _clock_times(text)
    spans = []
    i = 0
    while i + 1 < len(times):
        (start_a, end_a, a, one_a), (start_b, end_b, b, one_b) = times[i], times[i + 1]
        if start_b - end_a > _SPAN_GAP or a == b or not (one_a and one_b):
            i += 1
            continue
        spans.append((start_a, end_a, start_b, end_b, (b - a) % (24 * 60)))
        i += 2
    return spans


def with_time_spans(text: str) -> str:
    """``text`` with the time between two clock times it gives written after the second.

    "I go to bed around 11:30 pm and get up at 6:30 am" reads "... 6:30 am [7 hours from 11:30 pm
    to 6:30 am]": the 1.5B calculator, given the two times, wrote "6 - 11 + 30 / 7" and
    "6 * 7 * 24" for the hours of sleep a week; the span is a number it copies. Times are paired
    in order (first and second, third and fourth) when at most a sentence apart; a span past
    midnight counts on into the next day. A pair with a time that may be read two ways is left
    as it is: "10:30 and 6:30" may be 8 or 20 hours apart. In brackets: "5 pm (8.5 hours ..."
    reads as one figure in two units to the calculator's check (``conversions``).
    """
    for start_a, end_a, start_b, end_b, span in reversed(_spans(text)):
        hours, minutes = divmod(span, 60)
        if not minutes:
            length = "1 hour" if hours == 1 else f"{hours} hours"
        elif not hours:
            length = f"{span} minutes"
        elif span * 100 % 60 == 0:  # 8.5 hours, 1.75 hours; not 3.4166… hours
            length = f"{span / 60:g} hours"
        else:
            length = f"{span} minutes ({hours} h {minutes} min)"
        first, second = text[start_a:end_a].strip(), text[start_b:end_b].strip()
        text = f"{text[:end_b]} [{length} from {first} to {second}]{text[end_b:]}"
    return text


def span_times(text: str) -> list[str]:
    """The clock times, as written, that bound a span :func:`with_time_spans` writes out."""
    return [text[a:b].strip() for s in _spans(text) for a, b in (s[0:2], s[2:4])]


def names_a_day(text: str) -> bool:
    """Whether ``text`` names a day relative to today ("tomorrow", "on Monday", "next week")."""
    return _RELATIVE.search(text) is not None


def iso_date(value: str) -> tuple[int, int, int] | None:
    """``value`` as ``(year, month, day)`` when it is an ISO date (or date-time), else None."""
    m = _ISO_DATE.match(value)
    if m is None or not _valid(int(m[1]), int(m[2]), int(m[3])):
        return None
    return int(m[1]), int(m[2]), int(m[3])


def iso_time(value: str) -> tuple[int, int] | None:
    """``value`` as ``(hour, minute)`` when it is a time (or an ISO date-time's), else None."""
    m = _ISO_DATE.match(value)
    if m is not None and m[4] is not None:
        return int(m[4]), int(m[5])
    m = _ISO_TIME.match(value)
    if m is None or int(m[1]) > 23 or int(m[2]) > 59:
        return None
    return int(m[1]), int(m[2])
