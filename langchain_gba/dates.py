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
    "times_in",
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
