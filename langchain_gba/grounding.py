"""Grounded answers: every number an answer states, and every action it claims, traced to a step.

An answer may state a number only if the request or a step's result gives it, as written or in
an equivalent form: with or without thousands separators, rounded (``22.8571428571`` → ``22.86``,
``23``; ``384,399`` → ``384,000``), scaled by a word (``8.1 million`` for ``8,100,000``), without
its sign (a difference written as a positive number), or as a percentage of a fraction. An
answer may say that a tool with side effects did something only if a step of that tool
succeeded. The agent checks its answer before returning it (``create_gba_agent(grounded=...)``);
an answer that fails goes back to the planner with a note naming what is unsupported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_gba.dates import (
    Day,
    dates_in,
    iso_date,
    iso_time,
    names_a_day,
    same_day,
    times_in,
    written_dates,
)

__all__ = [
    "Grounding",
    "action_claims",
    "check_answer",
    "compared_numbers",
    "grounded_text",
    "mislabelled_numbers",
    "numbers_in",
    "names_in",
    "sentences",
    "supported",
    "ungrounded_names",
    "ungrounded_numbers",
    "unacted_addresses",
    "unsourced_addresses",
    "unsourced_dates",
    "unused_targets",
    "worked_out_numbers",
]

FREE_NUMBERS = frozenset({0.0, 1.0})
"""Numbers an answer may state without a source ("one of them", "0 results")."""

SCALES = {
    "thousand": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "billion": 1e9,
    "billions": 1e9,
    "trillion": 1e12,
}

_NUMBER = re.compile(
    r"(?<![\w.])"  # not glued to a word or a decimal point before it ("H2O", "v1.5")
    r"(?P<num>\d{1,3}(?P<sep>[,\u202f\u00a0\u2009])\d{3}(?:(?P=sep)\d{3})*(?:\.\d+)?"
    r"|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<tail>\s*(?:%|percent\b)|\s+(?:thousand|millions?|billions?|trillion)\b)?",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"[,\u202f\u00a0\u2009]")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})\b")

NUMBER_WORDS = {
    w: float(i)
    for i, group in enumerate(
        [
            "zero", "one first once", "two second twice double", "three third triple",
            "four fourth quarter", "five fifth", "six sixth", "seven seventh", "eight eighth",
            "nine ninth", "ten tenth", "eleven eleventh", "twelve twelfth dozen",
        ]
    )
    for w in group.split()
}  # fmt: skip
"""Number words a source may give a number in (an answer writes "8th" for "eighth")."""


@dataclass(frozen=True)
class Number:
    """A number as written in a text (``text``) and its value (``value``, scale words applied)."""

    text: str
    value: float
    scale: float = 1.0
    """The scale word's factor (``8.1 million``: 1e6), else 1."""
    decimals: int = 0
    """Decimal places as written, before the scale (``22.86`` → 2)."""


def numbers_in(text: str, *, words: bool = False) -> list[Number]:
    """The numbers written in digits in ``text``, in order (``words``: number words too).

    Thousands separators (comma, thin or non-breaking space, the same one between groups of
    three) are read as such; ``%`` stays with its number; ``thousand``/``million``/``billion``
    scale it. ISO dates and clock times are read as their parts (``2026-12-24`` → 2026, 12, 24).
    Digits glued to a word before them (``H2O``) are skipped; suffixes (``19th``, ``1990s``,
    ``5km``) are not. Signs are not read: a number is its magnitude.
    """
    text = _TIME.sub(r"\1 \2", _ISO_DATE.sub(r"\1 \2 \3", text))
    found = []
    for m in _NUMBER.finditer(text):
        digits = _SEPARATORS.sub("", m.group("num"))
        tail = (m.group("tail") or "").strip().lower()
        scale = SCALES.get(tail, 1.0)
        decimals = len(digits.split(".", 1)[1]) if "." in digits else 0
        found.append(Number(m.group().strip(), float(digits) * scale, scale, decimals))
    if words:
        for w in re.findall(r"[a-z]+", text.lower()):
            if w in NUMBER_WORDS:
                found.append(Number(w, NUMBER_WORDS[w]))
    return found


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _rounded_from(shown: Number, source: float) -> bool:
    """Whether ``shown`` is ``source`` rounded as a person would write it.

    To the decimals shown (``22.86`` or ``23`` from ``22.857``; ``8.1 million`` from
    8,113,000), or to two or more significant digits (``384,000`` from ``384,399``).
    """
    half_unit = 0.5 * 10.0**-shown.decimals * shown.scale  # half up or half to even
    if abs(source - shown.value) <= half_unit * (1 + 1e-9) + 1e-12:
        return True
    if shown.value == 0 or source == 0:
        return False
    for digits in range(2, 16):
        rounded = float(f"{source:.{digits}g}")
        if _close(rounded, shown.value):
            return True
        if rounded == source:
            break
    return False


def supported(shown: Number, sources: Iterable[Number]) -> bool:
    """Whether a number ``shown`` in an answer is one of ``sources`` in an equivalent form.

    The same value, the value rounded (``_rounded_from``), or a fraction as a percentage
    (``0.17`` and ``17%``); a number with a scale word (``121.7 million``) also as its bare
    value (a calculation's ``121.7``) when a source uses the same scale word. ``FREE_NUMBERS``
    need no source.
    """
    if shown.value in FREE_NUMBERS:
        return True
    sources = list(sources)
    if shown.scale != 1.0 and any(s.scale == shown.scale for s in sources):
        # "121.7 million" from "54.2 + 67.5 = 121.7" when the facts were "54.2 million", ...
        # ... or rounded ("122 million" from 121.7)
        bare = Number(shown.text, shown.value / shown.scale, 1.0, shown.decimals)
        plain = [s.value for s in sources if s.scale == 1.0]
        if any(_close(v, bare.value) or _rounded_from(bare, v) for v in plain):
            return True
    percent = shown.text.endswith(("%", "percent"))
    for source in sources:
        if _close(source.value, shown.value) or _rounded_from(shown, source.value):
            return True
        if percent and (
            _close(source.value * 100, shown.value) or _rounded_from(shown, source.value * 100)
        ):
            return True
        if source.text.endswith(("%", "percent")) and _close(source.value / 100, shown.value):
            return True
    return False


def ungrounded_numbers(answer: str, sources: Sequence[str], *, units: bool = False) -> list[str]:
    """The numbers ``answer`` states that no text of ``sources`` gives (each as written, once).

    ``units``: also a number the sources give in another unit of the same kind only
    (:func:`mislabelled_numbers`).
    """
    known = [n for text in sources for n in numbers_in(text, words=True)]
    out: list[str] = []
    for shown in numbers_in(answer):
        if not supported(shown, known) and shown.text not in out:
            out.append(shown.text)
    if units:
        out += [n for n in mislabelled_numbers(answer, sources) if n not in out]
    return out


_UNIT_WORDS = {
    "length": {
        "m": "m metre metres meter meters",
        "km": "km kilometre kilometres kilometer kilometers",
        "mi": "mi mile miles",
        "ft": "ft foot feet",
        "cm": "cm centimetre centimetres centimeter centimeters",
        "mm": "mm millimetre millimetres millimeter millimeters",
        "yd": "yd yard yards",
    },
    "area": {
        "km2": "km² km2 sq_km square_kilometre square_kilometres square_kilometer "
        "square_kilometers",
        "mi2": "mi² sq_mi square_mile square_miles",
        "m2": "m² sq_m square_metre square_metres square_meter square_meters",
        "ha": "ha hectare hectares",
        "acre": "acre acres",
    },
    "mass": {
        "kg": "kg kilogram kilograms kilogramme kilogrammes",
        "g": "g gram grams gramme grammes",
        "lb": "lb lbs pound pounds",
    },
    "temperature": {"C": "°c celsius", "F": "°f fahrenheit"},
}
UNITS = {
    word.replace("_", " "): (kind, unit)
    for kind, table in _UNIT_WORDS.items()
    for unit, written in table.items()
    for word in written.split()
}
"""Unit words (lower case) to their kind and unit: "kilometres" → ("length", "km")."""

_UNIT_AFTER = re.compile(
    r"\s*(?:degrees\s+)?((?:square|sq\.?)\s+[a-z]+|°\s?[cf]\b|[a-z]+[²2]?)", re.IGNORECASE
)


def _units_of(text: str) -> list[tuple[Number, tuple[str, str] | None]]:
    """The numbers of ``text`` (as :func:`numbers_in`) with the unit written after each."""
    text = _TIME.sub(r"\1 \2", _ISO_DATE.sub(r"\1 \2 \3", text))
    out = []
    for m, number in zip(_NUMBER.finditer(text), numbers_in(text), strict=True):
        after = _UNIT_AFTER.match(text, m.end())
        word = " ".join(after.group(1).lower().replace("sq.", "sq").split()) if after else ""
        out.append((number, UNITS.get(word.replace("° ", "°"))))
    return out


def mislabelled_numbers(answer: str, sources: Sequence[str]) -> list[str]:
    """The numbers ``answer`` writes with a unit that the sources give only in another unit.

    The 1.5B answer writer turned "299,792,458 metres per second" into "299,792,458
    kilometres per second" for "How many kilometres does light travel in one second?": the
    number is in a result, its unit is not, and no step converted it. A number counts when
    every source that gives it (as :func:`supported` reads it) writes a unit of the same kind
    (length, area, mass, temperature) and none the answer's; a source that gives it without a
    unit (a calculator's result) supports it. Each as written (without its unit), once.
    """
    given = [pair for text in sources for pair in _units_of(text)]
    out: list[str] = []
    for shown, unit in _units_of(answer):
        if unit is None or shown.value in FREE_NUMBERS:
            continue
        units = [u for n, u in given if supported(shown, [n])]
        if units and all(u is not None and u[0] == unit[0] and u != unit for u in units):
            if shown.text not in out:
                out.append(shown.text)
    return out


_COMPARED = re.compile(
    r"\s*(?:[^\W\d_]+\s+){0,2}?(?:longer|shorter|taller|higher|lower|more|fewer|less|larger|"
    r"smaller|bigger|older|younger|greater|deeper|shallower|farther|further|heavier|lighter|"
    r"wider|narrower|earlier|later|times)\b",
    re.IGNORECASE,
)
"""What follows a number that compares two quantities: "681 kilometres longer", "1.54 times"."""


def compared_numbers(answer: str, sources: Sequence[str], comparing: Sequence[str]) -> list[str]:
    """The numbers ``answer`` gives as a comparison that no calculation or source compares.

    "681 kilometres longer", "1.54 times": a difference or a ratio, which the calculator works
    out. The 1.5B answer writer, after two searches and no calculation, wrote "The Volga ... would
    be 3,531 kilometers longer" (the Volga's length as the difference) and "Mont Blanc is
    4,807.3 meters higher than Mount Fuji": each number is in a result, the comparison in none.
    Such a number is supported by a text of ``comparing`` (the request, the calculator's
    results: "multiplied by 2"), or by a text of ``sources`` that gives it as a comparison too.
    Each as written, once.
    """
    computed = [n for text in comparing for n in numbers_in(text)]
    compared = [n for text in sources for n in _compared_in(text)]
    out: list[str] = []
    for shown in _compared_in(answer):
        if shown.value in FREE_NUMBERS or supported(shown, computed + compared):
            continue
        if shown.text not in out:
            out.append(shown.text)
    return out


def _compared_in(text: str) -> list[Number]:
    """The numbers of ``text`` that a comparison word follows."""
    text = _TIME.sub(r"\1 \2", _ISO_DATE.sub(r"\1 \2 \3", text))
    return [
        number
        for m, number in zip(_NUMBER.finditer(text), numbers_in(text), strict=True)
        if _COMPARED.match(text, m.end())
    ]


COMPLETED = (
    "sent emailed e-mailed mailed messaged forwarded notified informed told created added "
    "scheduled booked reserved saved put placed set arranged posted published ordered paid "
    "deleted removed cancelled canceled updated changed moved submitted filed logged recorded "
    "done completed"
).split()
"""Verbs that say an action was done."""

NEGATIONS = re.compile(
    r"\b(not|no|never|couldn't|could not|can't|cannot|unable|failed|without|didn't|did not|"
    r"wasn't|was not|hasn't|has not|haven't|have not|yet to|still need|will|would|should|"
    r"shall|going to|want)\b",
    re.IGNORECASE,
)
"""Words that make a sentence not a claim of a completed action (negated, or not done yet)."""

GENERIC_VERBS = frozenset(
    "send create add make set book post put get do run write delete remove update schedule "
    "new save submit place order".split()
)
"""Words of a tool's name that are the action, not its object (``send_email`` → ``email``)."""

OBJECT_WORDS = {
    "email": ("email", "e-mail", "mail", "message"),
    "mail": ("email", "e-mail", "mail", "message"),
    "message": ("message", "email", "e-mail"),
    "event": ("event", "calendar", "meeting", "appointment", "entry", "lunch", "dinner"),
    "meeting": ("meeting", "calendar", "event", "appointment"),
    "appointment": ("appointment", "calendar", "event", "meeting"),
    "reminder": ("reminder", "calendar"),
}
"""Words an answer uses for a tool's object (beyond the object word itself)."""

IMPLIED_OBJECTS = {
    "scheduled": ("event", "meeting", "appointment"),
    "emailed": ("email",),
    "e-mailed": ("email",),
    "mailed": ("email", "mail"),
}
"""Completion verbs that name their object themselves: "The haircut is scheduled for March
14th" claims a calendar entry (the 1.5B planner answered so with no step)."""

_SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=[A-Z\d\"'(])|\n+")

ABBREVIATIONS = frozenset(
    "st mt ft mr mrs ms dr prof sr jr no vs ca approx gen col lt capt sgt rev fr est inc ltd co "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
"""Words that end with a full stop inside a sentence ("St. Peter's Basilica", "Mt. Fuji")."""

_LAST_WORD = re.compile(r"(?:^|\s)\(?([A-Za-z]+)\.$")


def sentences(text: str) -> list[str]:
    """``text`` split into sentences (after ``.``, ``!``, ``?`` or ``;`` and a capital).

    Not after an abbreviation or an initial ("St. Peter's Basilica", "J. R. R. Tolkien"): the
    search summary's check then cut "It took 120 years to build St." from "Peter's Basilica".
    """
    out: list[str] = []
    for part in _SENTENCE.split(text):
        part = part.strip()
        if not part:
            continue
        last = _LAST_WORD.search(out[-1]) if out else None
        if last and (len(last.group(1)) == 1 or last.group(1).lower() in ABBREVIATIONS):
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out


def _objects(tool: str) -> tuple[str, ...]:
    words = [w for w in re.split(r"[_\W]+", tool.lower()) if w and w not in GENERIC_VERBS]
    out: list[str] = []
    for w in words:
        for o in (w, *OBJECT_WORDS.get(w, ())):
            if o not in out:
                out.append(o)
    return tuple(out)


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|\u2018[^\u2019]*\u2019|\u201c[^\u201d]*\u201d")


NAME_STOPWORDS = frozenset(
    "the a an in on at it he she they this that these those your you i my we our his her its "
    "their there here what which who when where how why yes no hello hi thanks thank dear good "
    "sorry please".split()
)
"""Capitalized words that start a sentence rather than a name."""

_NAME_TOKEN = r"[A-Z][\w'\u2019.-]*"
_NAME = re.compile(
    rf"{_NAME_TOKEN}(?:\s+(?:(?:de|da|di|del|van|von|der|la|le|of|the|du)\s+)*{_NAME_TOKEN})+"
)


def names_in(text: str, *, single: bool = False) -> list[str]:
    """Names of two or more capitalized words in ``text`` ("Leonardo da Vinci", "New York").

    A capitalized word that starts a sentence (``NAME_STOPWORDS``) is not part of a name; a
    single capitalized word is not read as a name ("Katze", "Paris" are left alone) unless
    ``single``: then a capitalized word inside a sentence and outside quotes is one too ("born
    in Florence, Italy"; "The German word is 'Katze'" names nothing). A word that starts a
    sentence is left alone, so an answer that is only a name ("Yamuna.") names nothing: it
    cannot be told from "Sunny." or "Done.".
    """
    found = []
    for m in (m for sentence in sentences(text) for m in _NAME.finditer(sentence)):
        words = m.group().split()
        while words and words[0].lower() in NAME_STOPWORDS:
            words = words[1:]
        if sum(w[:1].isupper() for w in words) >= 2:
            found.append(" ".join(words).rstrip(".,;:!?"))
    if single:
        for sentence in sentences(_QUOTED.sub(" ", text)):
            for word in re.findall(rf"(?<=[\s(]){_NAME_TOKEN}", sentence.strip()):
                word = word.rstrip(".,;:!?'\u2019")
                head = re.split(r"['\u2019]", word)[0]
                if head in ("I", "OK") or head.lower() in NAME_STOPWORDS:
                    continue
                if not any(word in n for n in found):
                    found.append(word)
    return found


def ungrounded_names(answer: str, sources: Sequence[str], *, single: bool = False) -> list[str]:
    """The names ``answer`` states of which some word is in no text of ``sources``."""
    known = " ".join(sources).lower()
    return [
        name
        for name in names_in(answer, single=single)
        if not all(re.search(rf"\b{re.escape(w.lower())}", known) for w in name.split())
    ]


_ACTION_CLAUSE = re.compile(r",?\s+and\s+(?:then\s+)?|,\s+then,?\s+|;\s+", re.IGNORECASE)
"""Where one sentence moves on to another action ("..., and the email was sent")."""


def _claimed(sentence: str, objects: Sequence[str]) -> bool:
    lower = _QUOTED.sub(" ", sentence.lower())  # a quoted subject or title names no action
    tokens = set(re.findall(r"[a-z][a-z-]*", lower))
    if NEGATIONS.search(lower) or not tokens & set(COMPLETED):
        return False
    if any(o in objects for verb in tokens & IMPLIED_OBJECTS.keys() for o in IMPLIED_OBJECTS[verb]):
        return True
    return any(re.search(rf"\b{re.escape(o)}", lower) for o in objects)


def action_claims(answer: str, tools: Iterable[str], done: Iterable[str] = ()) -> list[str]:
    """The tools of ``tools`` that ``answer`` says were done.

    A claim is a sentence with a completion verb (``COMPLETED``: sent, created, added, booked,
    ...) and a word for the tool's object (``send_email``: email, mail, message; ``create_event``:
    event, calendar, meeting, ...) outside quotes, and no negation or future (``NEGATIONS``:
    not, could not, will, ...). A sentence that names the object of a tool in ``done`` is read
    as that tool's claim ("Sent 'Meeting' to Bob", "Emailed Ann that lunch is booked" after an
    email). Lexical, so it has limits: "Your inbox now holds Ann's confirmation" is no claim to
    it, and a sentence that negates one action and claims another is read as no claim.
    """
    finished = [o for t in done for o in _objects(t)]
    clauses = [c for s in sentences(answer) for c in _ACTION_CLAUSE.split(s) if c.strip()]
    parts = [
        c
        for c in clauses
        if not (finished and _claimed(c, finished) and _first_object(c, finished))
    ]
    claimed: list[str] = []
    for tool in tools:
        objects = _objects(tool)
        if objects and any(_claimed(s, objects) for s in parts):
            claimed.append(tool)
    return claimed


def _first_object(sentence: str, objects: Sequence[str]) -> bool:
    """Whether the sentence's first action object is one of ``objects`` (its main claim)."""
    lower = _QUOTED.sub(" ", sentence.lower())
    found = [
        (m.start(), o in objects)
        for o in {*objects, *(w for ws in OBJECT_WORDS.values() for w in ws)}
        for m in re.finditer(rf"\b{re.escape(o)}", lower)
    ]
    return bool(found) and min(found)[1]


_CLAUSE = re.compile(r",\s+|;\s+|\s+\(|\s+[-\u2013\u2014]\s+")


_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = re.compile(
    rf"\b(?P<on>[Oo]n\s+)?(?:(?P<day>\d{{1,2}})\s+(?:{_MONTHS})|(?:{_MONTHS})\s+(?P<day2>\d{{1,2}}),?)"
    r"\s+(?P<year>\d{4})\b"
)
"""A date with its day: "15 May 1814", "May 15, 1814" (and "on" before it)."""


def worked_out_numbers(text: str, sources: Sequence[str]) -> list[Number]:
    """The numbers ``text`` states that no text of ``sources`` gives, years and dates left out.

    What a summary worked out (a count of years, an age, a ratio), or recalled as a quantity;
    a year or a date no source gives is a fact the model recalled ("born on 15 May 1769"), not
    a sum: the sources' sentences do not stand in for that.
    """
    known = [n for source in sources for n in numbers_in(source, words=True)]
    return [
        n
        for n in numbers_in(_DATE.sub(" ", text))
        if not supported(n, known)
        and not (n.decimals == 0 and n.scale == 1 and 1000 <= n.value <= 2100)
    ]


def _without_unknown_days(sentence: str, known: Sequence[Number]) -> str:
    """``sentence`` with a date's day and month left out where only its year is known.

    Asked when Napoleon abdicated, from "Emperor of the French from 18 May 1804 until his first
    abdication in 1814", the 1.5B summary wrote "Napoleon abdicated on 15 May 1814.": the year
    is the source's, the day the model's. "Napoleon abdicated in 1814." keeps the fact.
    """

    def year_only(m: re.Match[str]) -> str:
        day = numbers_in(m.group("day") or m.group("day2"))
        year = numbers_in(m.group("year"))
        if not day or not year or supported(day[0], known) or not supported(year[0], known):
            return m.group(0)
        on = m.group("on") or ""
        return ("In " if on.startswith("O") else "in " if on else "") + m.group("year")

    return _DATE.sub(year_only, sentence)


def grounded_text(text: str, sources: Sequence[str]) -> str:
    """``text`` without what states numbers no text of ``sources`` gives.

    Sentence by sentence: a date whose day no source gives keeps its year only, if a source
    gives that (``_without_unknown_days``); a sentence with an unsupported number keeps its
    clauses before the first clause that states one ("It sank in 1912, which was 114 years
    before 2026." → "It sank in 1912."); a sentence that starts with one is left out. Empty
    when nothing is left.
    """
    known = [n for source in sources for n in numbers_in(source, words=True)]
    kept = []
    for sentence in (_without_unknown_days(s, known) for s in sentences(text)):
        if all(supported(n, known) for n in numbers_in(sentence)):
            kept.append(sentence)
            continue
        clauses: list[str] = []
        for clause in _CLAUSE.split(sentence):
            if not all(supported(n, known) for n in numbers_in(clause)):
                break
            clauses.append(clause)
        if clauses and numbers_in(" ".join(clauses)):  # the supported fact, without the sum
            kept.append(", ".join(clauses).rstrip(".,;:") + ".")
    return " ".join(kept)


_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _strings(arguments: Mapping[str, Any]) -> list[str]:
    """The string values of ``arguments``, nested ones included."""
    values: list[Any] = list(arguments.values())
    found: list[str] = []
    while values:
        value = values.pop(0)
        if isinstance(value, Mapping):
            values.extend(value.values())
        elif isinstance(value, list | tuple):
            values.extend(value)
        elif isinstance(value, str):
            found.append(value)
    return found


def unsourced_addresses(arguments: Mapping[str, Any], sources: Sequence[str]) -> list[str]:
    """The email addresses among ``arguments``' values that no text of ``sources`` holds.

    The 1.5B function-calling step wrote "landlord@example.com" for "Tell my landlord by
    email that the heating is broken." and "sister@example.com" for "my sister", where only the
    user knows the address: an action on an address nobody gave reaches a stranger, or no one.
    Compared case-insensitively, as written (an address has no equivalent form).
    """
    known = " ".join(sources).lower()
    found: list[str] = []
    for value in _strings(arguments):
        for address in _ADDRESS.findall(value):
            if address.lower() not in known and address not in found:
                found.append(address)
    return found


def _day_given(day: Day, days: set[Day]) -> bool:
    return any(same_day(day, d) for d in days)


def unsourced_dates(arguments: Mapping[str, Any], sources: Sequence[str]) -> list[str]:
    """The dates and times among ``arguments``' values that no text of ``sources`` gives.

    A value is a date or a time when it is written as one (``2026-10-08``, ``19:00``, or an ISO
    date-time); it is given when a source writes it in any form people use ("October 8th
    2026", "8 Oct", "7 pm"; see :mod:`langchain_gba.dates`). A date cannot be checked where a
    source names a day relative to today ("tomorrow", "on Monday"): it then counts as given.
    The 1.5B planner put "Add my flight to Lisbon to my calendar." on 2026-05-10 at 14:00 and
    "the quarterly review" on 2026-10-01 at 10:00, dates nobody gave.
    """
    text = "\n".join(sources)
    days, times = dates_in(text), times_in(text)
    relative = names_a_day(text)
    found: list[str] = []
    for value in _strings(arguments):
        day, time = iso_date(value), iso_time(value)
        dated = day is not None and not relative and not _day_given(day, days)
        if (dated or (time is not None and time not in times)) and value not in found:
            found.append(value)
    return found


def unused_targets(
    request: str, done: Sequence[Mapping[str, Any]], *, mentioned: bool = True
) -> list[str]:
    """The email addresses and dates ``request`` writes that no arguments in ``done`` use.

    ``done`` holds the arguments of the actions that took effect. An address is used when an
    argument is that address (a body that names it sends nothing to it: "Email jen@example.net
    that the rent is going up, same to sam.k@example.net." had its body say "same to
    sam.k@example.net"); a date when an argument writes it in any form (an event's ``date``, an
    email's body), or, with ``mentioned=False``, when an argument is that date (what a user
    gave for an entry is not used by an email that mentions it). "Put 'Flight to Oslo' on
    2026-08-01 at 06:40 and 'Return flight' on 2026-08-09 at 18:20 in my calendar." was
    answered after the first entry: 2026-08-09 was unused.
    """
    strings = [s for args in done for s in _strings(args)]
    addresses = {
        a.lower()
        for value in strings
        if _ADDRESSES.fullmatch(value)
        for a in _ADDRESS.findall(value)
    }
    days: set[Day] = set()
    for value in strings:
        if mentioned:
            days |= dates_in(value)
        if (day := iso_date(value)) is not None:
            days.add(day)
    found: list[str] = []
    for address in _ADDRESS.findall(request):
        if address.lower() not in addresses and address not in found:
            found.append(address)
    dates: dict[str, bool] = {}
    for written, when in written_dates(request):
        hit = _day_given(when, days)
        dates[written] = dates.get(written, False) or hit
    found += [written for written, hit in dates.items() if not hit]
    return found


_ADDRESSES = re.compile(
    r"\s*[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?:\s*[,;]\s*[\w.+-]+@[\w-]+(?:\.[\w-]+)+)*\s*"
)
"""An argument that is an address, or a list of them."""


@dataclass(frozen=True)
class Grounding:
    """What an answer states that the run does not support."""

    numbers: list[str] = field(default_factory=list)
    """Numbers no source gives, as the answer writes them."""
    actions: list[str] = field(default_factory=list)
    """Tools the answer says were done, with no successful step."""
    names: list[str] = field(default_factory=list)
    """Names (two or more capitalized words) no source gives, in an answer no step informed."""
    addresses: list[str] = field(default_factory=list)
    """Email addresses the answer says an action went to, which no action that took effect used."""

    @property
    def ok(self) -> bool:
        """Whether everything the answer states is supported."""
        return not (self.numbers or self.actions or self.names or self.addresses)


def check_answer(
    answer: str,
    sources: Sequence[str],
    *,
    action_tools: Iterable[str] = (),
    done: Iterable[str] = (),
    done_arguments: Sequence[Mapping[str, Any]] | None = None,
    names: bool = False,
    units: bool = True,
    comparing: Sequence[str] | None = None,
) -> Grounding:
    """Check ``answer`` against ``sources`` (the request and the results of the steps).

    ``action_tools``: the tools with side effects; ``done``: those of them with a successful
    step. An answer claiming an action of ``action_tools`` that is not ``done`` is unsupported;
    given ``done_arguments`` (the arguments of the actions that took effect), so is one that
    says an action went to an address none of them used (:func:`unacted_addresses`).
    ``names``: names, single capitalized words included, must come from ``sources`` too (the
    agent asks it of an answer written before any tool ran, where a name can only come from the
    model's memory: "Galileo Galilei was born in Florence" for Pisa). ``units``: a number
    the sources give only in another unit of its kind is unsupported too
    (:func:`mislabelled_numbers`). ``comparing``: the texts whose numbers an answer may give as
    a difference or a ratio (the request, the calculator's results); given, one it gives so
    must come from them (:func:`compared_numbers`).
    """
    finished = set(done)
    pending = [t for t in action_tools if t not in finished]
    numbers = ungrounded_numbers(answer, sources, units=units)
    if comparing is not None:
        numbers += [n for n in compared_numbers(answer, sources, comparing) if n not in numbers]
    return Grounding(
        numbers=numbers,
        actions=action_claims(answer, pending, done=finished & set(action_tools)),
        names=ungrounded_names(answer, sources, single=True) if names else [],
        addresses=[] if done_arguments is None else unacted_addresses(answer, done_arguments),
    )


def unacted_addresses(answer: str, done_arguments: Sequence[Mapping[str, Any]]) -> list[str]:
    """The email addresses ``answer`` says an action went to that no ``done_arguments`` hold.

    A sentence with a completion verb (``COMPLETED``) and no negation that names an address:
    "Sent 'Report' to tom@example.com and jane@example.com." after the email to Tom alone.
    """
    used = {
        a.lower() for args in done_arguments for v in _strings(args) for a in _ADDRESS.findall(v)
    }
    found: list[str] = []
    for sentence in sentences(answer):
        lower = _QUOTED.sub(" ", sentence.lower())
        if NEGATIONS.search(lower) or not set(re.findall(r"[a-z][a-z-]*", lower)) & set(COMPLETED):
            continue
        for address in _ADDRESS.findall(sentence):
            if address.lower() not in used and address not in found:
                found.append(address)
    return found
