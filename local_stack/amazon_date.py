"""Spoken dates and durations as Alexa resolves them for the built-in slot types AMAZON.DATE and AMAZON.DURATION.

`parse_date(phrase, today)` gives the value Alexa would put in an AMAZON.DATE slot, resolved against the device's
`today` (slot type reference: developer.amazon.com/en-US/docs/alexa/custom-skills/slot-type-reference.html#date):

    today, tomorrow, the day after tomorrow, yesterday   2026-11-23 ...
    friday, on friday, this friday, next friday          the next future friday (on Monday, "next friday" is
                                                         this week's, as Alexa hears it)
    december fifth, the 5th of december, 5 december     the next future occurrence: this year unless past
    december 5th 2027, 2026-12-05                        that day
    this week, next week, the week after next            2026-W48
    this weekend, the weekend, next weekend              2026-W48-WE: on a weekday both are the coming weekend;
                                                         on Saturday or Sunday "next" is the week after's
    the weekend after next                               the weekend after "next weekend"
    thanksgiving, christmas, new year's eve, ...         the next future occurrence of the US holiday
    this month, next month, december, in december        2026-12: the next future occurrence of that month
    this year, next year, 2027                           2027
    this summer, next winter                             2026-SU, 2027-WI
    now, right now                                       PRESENT_REF
    in three days, in two weeks                          that day

`parse_duration(phrase)` gives an ISO-8601 duration: "three days" P3D, "for a week" P1W, "two weeks and a day"
P2W1D, "a fortnight" P2W, "five hours" PT5H, "a week and a half" P1.5W, "for the week" P1W. Both return None for
anything else. A date may follow "on" or "over" ("over thanksgiving"), a duration "for", as the slot then holds
it. Numbers may be digits or words up to ninety-nine, ordinals "5th", "fifth" or "twenty-eighth".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta

PRESENT_REF = "PRESENT_REF"

_WORD = re.compile(r"\d+(?:-\d+)+|[^\W_]+(?:'[^\W_]+)*")

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_SEASONS = {"winter": "WI", "spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA"}


def _numbered(names: str, first: int = 0, step: int = 1) -> dict[str, int]:
    return {name: (first + i) * step for i, name in enumerate(names.split())}


_CARDINALS = _numbered(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
)
_ORDINALS = _numbered(
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
)
_TENS = _numbered("twenty thirty forty fifty sixty seventy eighty ninety", first=2, step=10)
_TENTHS = _numbered("twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth", first=2, step=10)
_DIGITS = re.compile(r"[0-9]+")
_NUMERIC_ORDINAL = re.compile(r"([0-9]+)(?:st|nd|rd|th)")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

Words = Sequence[str]


def words(text: str) -> list[str]:
    """The words of a phrase as Alexa hears them: lower case, no punctuation, apostrophes inside words kept.

    "twenty-eighth" is two words and "S.U.V." three; "2026-12-05" stays one word.
    """
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def number(ws: Words) -> int | None:
    """A cardinal from 0 to 99, in digits or words: "28", "twenty eight", "twenty"."""
    match list(ws):
        case [word] if _DIGITS.fullmatch(word):
            return int(word)
        case [word] if word in _CARDINALS:
            return _CARDINALS[word]
        case [word] if word in _TENS:
            return _TENS[word]
        case [tens, unit] if tens in _TENS and 1 <= _CARDINALS.get(unit, 0) <= 9:
            return _TENS[tens] + _CARDINALS[unit]
    return None


def ordinal(ws: Words) -> int | None:
    """An ordinal from 1 to 99: "5th", "fifth", "twentieth", "twenty eighth"."""
    match list(ws):
        case [word] if match := _NUMERIC_ORDINAL.fullmatch(word):
            return int(match.group(1)) or None
        case [word] if word in _ORDINALS:
            return _ORDINALS[word] or None
        case [word] if word in _TENTHS:
            return _TENTHS[word]
        case [tens, unit] if tens in _TENS and 1 <= _ORDINALS.get(unit, 0) <= 9:
            return _TENS[tens] + _ORDINALS[unit]
    return None


def parse_date(phrase: str, today: date) -> str | None:
    """The AMAZON.DATE value of a spoken date, said on `today`; None when the phrase is not a date."""
    ws = words(phrase)
    if ws[:1] in (["on"], ["over"]) and len(ws) > 1:  # "on friday" is heard as a date too, the word inside the slot
        ws = ws[1:]
    if not ws:
        return None
    fixed = _FIXED.get(" ".join(ws))
    if fixed is not None:
        return fixed(today)
    # "saturday morning", "at noon tomorrow": the time of day is AMAZON.TIME's, the day is the date's
    if len(ws) > 1 and ws[-1] in _TIMES_OF_DAY:
        return parse_date(" ".join(ws[:-1]), today)
    if ws[:2] in (["at", "noon"], ["at", "night"]) and len(ws) > 2:
        return parse_date(" ".join(ws[2:]), today)
    for parser in _PARSERS:
        value = parser(ws, today)
        if value is not None:
            return value
    return None


def parse_duration(phrase: str) -> str | None:
    """The AMAZON.DURATION value of a spoken duration ("three days" -> "P3D"); None when it is not one."""
    ws = words(phrase)
    if ws[:1] == ["for"]:
        ws = ws[1:]
    if ws[:1] in (["about"], ["around"], ["roughly"], ["maybe"]) and len(ws) > 1:  # Alexa keeps the length said
        ws = ws[1:]
    if ws in (["the", "week"], ["the", "whole", "week"], ["a", "whole", "week"]):
        return "P1W"
    half = _and_a_half(ws)
    if half is not None:
        return half
    amounts: dict[str, int] = {}
    part: list[str] = []
    for word in [*ws, "and"]:
        if word != "and":
            part.append(word)
            continue
        parsed = _duration_part(part)
        if parsed is None or parsed[0] in amounts:
            return None
        amounts[parsed[0]] = parsed[1]
        part = []
    if not any(amounts.values()):
        return None
    day_part = "".join(f"{amounts[unit]}{unit}" for unit in "YMWD" if unit in amounts)
    time_part = "".join(f"{amounts[unit]}{unit[1]}" for unit in ("TH", "TM", "TS") if unit in amounts)
    return f"P{day_part}" + (f"T{time_part}" if time_part else "")


_DURATION_UNITS = {
    "year": "Y",
    "month": "M",
    "week": "W",
    "day": "D",
    "night": "D",  # "three nights": a car is rented by the day
    "hour": "TH",
    "minute": "TM",
    "second": "TS",
}


def _duration_part(ws: Words) -> tuple[str, int] | None:
    """("D", 3) for "three days"; "a fortnight" is two weeks."""
    if not ws:
        return None
    *amount, unit = ws
    if unit in ("fortnight", "fortnights"):
        weeks = _amount(amount)
        return ("W", 2 * weeks) if weeks is not None else None
    code = _DURATION_UNITS.get(unit.removesuffix("s"))  # "three day" is heard too
    count = _amount(amount)
    return (code, count) if code is not None and count is not None else None


def _and_a_half(ws: Words) -> str | None:
    """ "a week and a half", "two and a half days": a unit and a half, as a decimal ISO amount (P1.5W, P2.5D)."""
    said = list(ws)
    if said[-3:] == ["and", "a", "half"]:  # a week and a half
        parsed = _duration_part(said[:-3])
    elif len(said) >= 4 and said[-4:-1] == ["and", "a", "half"]:  # two and a half days
        parsed = _duration_part([*said[:-4], said[-1]])
    else:
        return None
    if parsed is None or parsed[0].startswith("T"):
        return None
    return f"P{parsed[1]}.5{parsed[0]}"


def _amount(ws: Words) -> int | None:
    if list(ws) in (["a"], ["an"]):
        return 1
    if list(ws) in (["a", "couple", "of"], ["couple", "of"], ["a", "couple"]):
        return 2
    return number(ws)


def _iso(day: date) -> str:
    return day.isoformat()


def _iso_week(day: date, suffix: str = "") -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}{suffix}"


def _offset(days: int) -> Callable[[date], str]:
    return lambda today: _iso(today + timedelta(days=days))


def _weekend(following: bool) -> Callable[[date], str]:
    # On a weekday "next weekend" is the coming one, as Alexa hears it; on Saturday or Sunday it is the week after's.
    def value(today: date) -> str:
        shift = 7 if following and today.weekday() >= 5 else 0
        return _iso_week(today + timedelta(days=shift), "-WE")

    return value


def _month_of(today: date, months_ahead: int) -> str:
    index = today.year * 12 + today.month - 1 + months_ahead
    return f"{index // 12}-{index % 12 + 1:02d}"


_FIXED: dict[str, Callable[[date], str]] = {
    "today": _offset(0),
    "tonight": _offset(0),
    "this morning": _offset(0),
    "this afternoon": _offset(0),
    "this evening": _offset(0),
    "tomorrow": _offset(1),
    "tomorrow morning": _offset(1),
    "day after tomorrow": _offset(2),
    "the day after tomorrow": _offset(2),
    "yesterday": _offset(-1),
    "now": lambda _: PRESENT_REF,
    "right now": lambda _: PRESENT_REF,
    "this week": lambda today: _iso_week(today),
    "next week": lambda today: _iso_week(today + timedelta(days=7)),
    "the week after next": lambda today: _iso_week(today + timedelta(days=14)),
    "weekend": _weekend(following=False),
    "the weekend": _weekend(following=False),
    "this weekend": _weekend(following=False),
    "over the weekend": _weekend(following=False),
    "this coming weekend": _weekend(following=False),
    "the long weekend": _weekend(following=False),
    "long weekend": _weekend(following=False),
    "next weekend": _weekend(following=True),
    "the weekend after next": lambda today: _weekend(following=True)(today + timedelta(days=7)),
    "weekend after next": lambda today: _weekend(following=True)(today + timedelta(days=7)),
    "this month": lambda today: _month_of(today, 0),
    "next month": lambda today: _month_of(today, 1),
    "this year": lambda today: str(today.year),
    "next year": lambda today: str(today.year + 1),
}

_TIMES_OF_DAY = frozenset({"morning", "afternoon", "evening", "night", "noon", "tonight"})

_WEEKDAY_MODIFIERS = ((), ("this",), ("next",), ("coming",), ("this", "coming"), ("the", "coming"))


def _weekday(ws: Words, today: date) -> str | None:
    *modifier, day = ws
    if day not in _WEEKDAYS or tuple(modifier) not in _WEEKDAY_MODIFIERS:
        return None
    ahead = (_WEEKDAYS.index(day) - today.weekday()) % 7 or 7  # a weekday is always a future one
    return _iso(today + timedelta(days=ahead))


def _year(ws: Words) -> int | None:
    """2027, "twenty twenty seven", "two thousand and twenty seven"."""
    match list(ws):
        case [digits] if re.fullmatch(r"[0-9]{4}", digits):
            return int(digits)
        case ["twenty", *rest] if rest and (tail := number(rest)) is not None and (len(rest) == 2 or tail >= 10):
            return 2000 + tail
        case ["two", "thousand", *rest]:
            rest = rest[1:] if rest[:1] == ["and"] else rest
            tail = number(rest) if rest else 0
            return None if tail is None else 2000 + tail
    return None


def _day_of_month(ws: Words) -> int | None:
    day = ordinal(ws)
    if day is None:
        day = number(ws)
    return day if day is not None and 1 <= day <= 31 else None


def _next_day(month: int, day: int, year: int | None, today: date) -> str | None:
    """That day in `year`, or its next occurrence from today (this year unless past, else the next one)."""
    if year is not None:
        try:
            return _iso(date(year, month, day))
        except ValueError:
            return None
    for candidate_year in range(today.year, today.year + 8):  # 29 February waits for a leap year
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return _iso(candidate)
    return None


def _month_day(ws: Words, today: date) -> str | None:
    """december fifth, december the 5th, the fifth of december, 5 december, december 5th 2027, december."""
    at = next((i for i, word in enumerate(ws) if word in _MONTHS), None)
    if at is None:
        return None
    month, before, after = _MONTHS[ws[at]], list(ws[:at]), list(ws[at + 1 :])
    if before[:1] == ["the"]:
        before = before[1:]
    if before and before[-1] == "of":
        before = before[:-1]
        if not before:
            return None
    if not before:
        if after[:1] == ["the"]:
            after = after[1:]
        # the day takes one or two words, the rest is the year: "december twenty eighth twenty twenty seven"
        for size in (2, 1):
            day, rest = _day_of_month(after[:size]), after[size:]
            if len(after) >= size and day is not None and (not rest or _year(rest) is not None):
                return _next_day(month, day, _year(rest) if rest else None, today)
        return None
    day = _day_of_month(before)
    if day is None or (after and _year(after) is None):
        return None
    return _next_day(month, day, _year(after) if after else None, today)


def _month(ws: Words, today: date) -> str | None:
    """december, in december, this december, december 2027: the month alone."""
    if ws[:1] in (["in"], ["this"]):
        ws = ws[1:]
    if not ws or ws[0] not in _MONTHS:
        return None
    month = _MONTHS[ws[0]]
    if len(ws) == 1:
        return f"{today.year if month >= today.month else today.year + 1}-{month:02d}"
    year = _year(ws[1:])
    return f"{year}-{month:02d}" if year is not None else None


def _iso_day(ws: Words, today: date) -> str | None:
    if len(ws) != 1 or not _ISO_DAY.fullmatch(ws[0]):
        return None
    try:
        return _iso(date.fromisoformat(ws[0]))
    except ValueError:
        return None


def _bare_year(ws: Words, today: date) -> str | None:
    return ws[0] if len(ws) == 1 and re.fullmatch(r"[0-9]{4}", ws[0]) else None


def _later(ws: Words, today: date) -> str | None:
    """in three days, in a week, in two weeks: that day."""
    if len(ws) < 3 or ws[0] != "in":
        return None
    parsed = _duration_part(ws[1:])
    if parsed is None or parsed[0] not in ("D", "W"):
        return None
    return _iso(today + timedelta(days=parsed[1] * (7 if parsed[0] == "W" else 1)))


def _season(ws: Words, today: date) -> str | None:
    match list(ws):
        case [season] | ["this", season] if season in _SEASONS:
            return f"{today.year}-{_SEASONS[season]}"
        case ["next", season] if season in _SEASONS:
            return f"{today.year + 1}-{_SEASONS[season]}"
    return None


def _the_day(ws: Words, today: date) -> str | None:
    """the fifth, on the 28th: that day of this month, or of the next if it is past."""
    if len(ws) < 2 or ws[0] != "the" or ordinal(ws[1:]) is None:
        return None
    day = _day_of_month(ws[1:])
    if day is None:
        return None
    for months_ahead in range(3):  # the 31st skips the months without one
        year, month = map(int, _month_of(today, months_ahead).split("-"))
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return _iso(candidate)
    return None


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The nth weekday of a month (nth -1: the last): the fourth Thursday of November is Thanksgiving."""
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


# The US holidays people rent cars for, each as the day it falls on in a year.
_HOLIDAYS: dict[str, Callable[[int], date]] = {
    "new year's day": lambda year: date(year, 1, 1),
    "new year's": lambda year: date(year, 1, 1),
    "new years": lambda year: date(year, 1, 1),
    "valentine's day": lambda year: date(year, 2, 14),
    "memorial day": lambda year: _nth_weekday(year, 5, 0, -1),
    "independence day": lambda year: date(year, 7, 4),
    "the fourth of july": lambda year: date(year, 7, 4),
    "july fourth": lambda year: date(year, 7, 4),
    "labor day": lambda year: _nth_weekday(year, 9, 0, 1),
    "halloween": lambda year: date(year, 10, 31),
    "thanksgiving": lambda year: _nth_weekday(year, 11, 3, 4),
    "thanksgiving day": lambda year: _nth_weekday(year, 11, 3, 4),
    "christmas eve": lambda year: date(year, 12, 24),
    "christmas": lambda year: date(year, 12, 25),
    "christmas day": lambda year: date(year, 12, 25),
    "new year's eve": lambda year: date(year, 12, 31),
    "new years eve": lambda year: date(year, 12, 31),
}


def _week_of(ws: Words, today: date) -> str | None:
    """the week of the fifteenth: that day's ISO week; the weekend of the twelfth: that day's weekend, or the next
    one after a weekday."""
    match list(ws):
        case ["the", "week", "of", *day] | ["week", "of", *day] if day:
            kind = "week"
        case ["the", "weekend", "of", *day] | ["weekend", "of", *day] if day:
            kind = "weekend"
        case _:
            return None
    said = parse_date(" ".join(day), today)
    if said is None or not _ISO_DAY.fullmatch(said):
        return None
    first = date.fromisoformat(said)
    if kind == "week":
        return _iso_week(first)
    return _iso_week(first + timedelta(days=max(0, 5 - first.weekday())), "-WE")


def _holiday(ws: Words, today: date) -> str | None:
    """thanksgiving, christmas eve: the next one that is not past."""
    said = " ".join(ws)
    for name in (said, said.removeprefix("the ")):
        day_in = _HOLIDAYS.get(name)
        if day_in is not None:
            day = day_in(today.year)
            return _iso(day if day >= today else day_in(today.year + 1))
    return None


_PARSERS: tuple[Callable[[Words, date], str | None], ...] = (
    _holiday,
    _week_of,
    _weekday,
    _month_day,
    _month,
    _iso_day,
    _bare_year,
    _later,
    _season,
    _the_day,
)
