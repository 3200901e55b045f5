"""Alexa's date and duration values turned into trips, and trips said back.

Unless a row says otherwise, today is Monday 23 November 2026, ISO week 2026-W48: "this weekend" is 2026-W48-WE
(Saturday 28 and Sunday 29 November) and "next weekend" is 2026-W49-WE. 2026 has 53 ISO weeks, so 2026-W53
runs from Monday 28 December 2026 to Sunday 3 January 2027; 2027 has 52.
"""

from __future__ import annotations

import functools
import random
import re
from datetime import date

import pytest
from skill.strings import Strings
from skill.trip_dates import DateWords, ProblemKind, TripDates, TripProblem, resolve_trip

MON = date(2026, 11, 23)
THU = date(2026, 11, 26)
SAT = date(2026, 11, 28)
SUN = date(2026, 11, 29)
NEXT_MON = date(2026, 11, 30)
WED_BEFORE_NEW_YEAR = date(2026, 12, 23)  # ISO week 2026-W52
WED_NEW_YEAR_WEEK = date(2026, 12, 30)  # ISO week 2026-W53


def d(text: str) -> date:
    return date.fromisoformat(text)


def trip(pickup: str | None, returns: str | None = None, duration: str | None = None, today: date = MON) -> TripDates:
    resolved = resolve_trip(pickup, returns, duration, today)
    assert isinstance(resolved, TripDates), resolved
    return resolved


def test_iso_calendar_fixture_dates_are_the_weeks_alexa_would_send() -> None:
    assert MON.isocalendar()[:2] == (2026, 48)
    assert (date.fromisocalendar(2026, 48, 6), date.fromisocalendar(2026, 48, 7)) == (SAT, SUN)
    assert WED_BEFORE_NEW_YEAR.isocalendar()[:2] == (2026, 52)
    assert WED_NEW_YEAR_WEEK.isocalendar()[:2] == (2026, 53)
    assert date.fromisocalendar(2026, 53, 7) == d("2027-01-03")
    assert date(2027, 12, 31).isocalendar()[:2] == (2027, 52)


@pytest.mark.parametrize(
    ("pickup", "today", "pickup_date", "return_date", "vague"),
    [
        ("2026-11-28", MON, "2026-11-28", "2026-12-01", False),  # a day: 3 days
        ("2026-11-23", MON, "2026-11-23", "2026-11-26", False),
        ("PRESENT_REF", MON, "2026-11-23", "2026-11-26", False),
        ("2026-W48-WE", MON, "2026-11-28", "2026-11-30", False),  # a weekend: Saturday to Monday
        ("2026-W49-WE", MON, "2026-12-05", "2026-12-07", False),
        ("2026-W48", MON, "2026-11-23", "2026-11-30", False),  # a week: Monday, 7 days
        ("2026-W49", MON, "2026-11-30", "2026-12-07", False),
        ("2026-12", MON, "2026-12-01", "2026-12-08", True),  # a month: the 1st, 7 days, confirm
        ("2026-12-XX", MON, "2026-12-01", "2026-12-08", True),
        ("2026-W53", MON, "2026-12-28", "2027-01-04", False),  # the week that spans new year
        ("2026-W53-WE", MON, "2027-01-02", "2027-01-04", False),
        ("2027-W01", MON, "2027-01-04", "2027-01-11", False),
        ("2027-01", WED_NEW_YEAR_WEEK, "2027-01-01", "2027-01-08", True),
    ],
)
def test_resolve_trip_pickup_alone_returns_after_the_kind_default(
    pickup: str, today: date, pickup_date: str, return_date: str, vague: bool
) -> None:
    assert resolve_trip(pickup, None, None, today) == TripDates(d(pickup_date), d(return_date), "default", vague)
    assert trip(pickup, today=today).return_assumed


@pytest.mark.parametrize(
    ("pickup", "today", "pickup_date", "return_date"),
    [
        ("2026-W48-WE", SAT, "2026-11-28", "2026-11-30"),
        ("2026-W48-WE", SUN, "2026-11-29", "2026-11-30"),  # Sunday of "this weekend": one day, not refused
        ("2026-W48", THU, "2026-11-26", "2026-12-03"),
        ("2026-W48", SUN, "2026-11-29", "2026-12-06"),
        ("2026-11", NEXT_MON, "2026-11-30", "2026-12-07"),
        ("2026-W53", WED_NEW_YEAR_WEEK, "2026-12-30", "2027-01-06"),
        ("2026-12", WED_NEW_YEAR_WEEK, "2026-12-30", "2027-01-06"),
    ],
)
def test_resolve_trip_span_already_under_way_starts_today(
    pickup: str, today: date, pickup_date: str, return_date: str
) -> None:
    resolved = trip(pickup, today=today)
    assert (resolved.pickup_date, resolved.return_date) == (d(pickup_date), d(return_date))


@pytest.mark.parametrize(
    ("pickup", "today"),
    [
        ("2026-11-22", MON),
        ("2025-12-25", MON),
        ("2026-W47-WE", MON),
        ("2026-W47", MON),
        ("2026-10", MON),
        ("2026-10-XX", MON),
        ("2026-W48-WE", NEXT_MON),
        ("2026-W52", WED_NEW_YEAR_WEEK),
    ],
)
def test_resolve_trip_span_entirely_before_today_is_past(pickup: str, today: date) -> None:
    assert resolve_trip(pickup, None, None, today) == TripProblem("past", "pickupDate", pickup)


@pytest.mark.parametrize(
    "pickup",
    ["2027", "2027-XX", "2027-XX-XX", "2026-WI", "2027-SP", "2027-SU", "2027-FA", "202X", "201X", "2027-Q1"],
)
def test_resolve_trip_season_year_decade_or_quarter_is_too_vague(pickup: str) -> None:
    assert resolve_trip(pickup, None, None, MON) == TripProblem("too_vague", "pickupDate", pickup)


@pytest.mark.parametrize(
    "pickup",
    [
        "",
        "   ",
        "tomorrow",
        "next weekend",
        "2026-13-45",
        "2026-02-30",
        "2026-13",
        "2026-W60",
        "2026-W00",
        "2027-W53",  # 2027 has only 52 ISO weeks
        "2025-W53-WE",
        "2026-W48-SA",
        "2026-11-28T09:00",
        "XXXX-11-28",
        "2027-Q5",
        "PRESENT",
        "present_ref",
    ],
)
def test_resolve_trip_malformed_pickup_is_unparseable(pickup: str) -> None:
    assert resolve_trip(pickup, None, None, MON) == TripProblem("unparseable", "pickupDate", pickup)


def test_resolve_trip_no_pickup_is_missing() -> None:
    assert resolve_trip(None, "2026-12-01", "P3D", MON) == TripProblem("missing", "pickupDate")


@pytest.mark.parametrize(
    ("pickup", "returns", "duration", "pickup_date", "return_date", "vague"),
    [
        ("2026-11-28", "2026-11-30", None, "2026-11-28", "2026-11-30", False),
        ("2026-11-28", "2026-11-30", "P10D", "2026-11-28", "2026-11-30", False),  # the return date wins
        ("PRESENT_REF", "2026-11-24", None, "2026-11-23", "2026-11-24", False),
        ("2026-W48-WE", "2026-12-01", None, "2026-11-28", "2026-12-01", False),
        ("2026-11-25", "2026-W48-WE", None, "2026-11-25", "2026-11-29", False),  # back by the weekend's Sunday
        ("2026-W49", "2026-12-04", None, "2026-11-30", "2026-12-04", False),
        ("2026-12", "2026-12-20", None, "2026-12-01", "2026-12-20", True),
        ("2026-11-28", "2026-12-28", None, "2026-11-28", "2026-12-28", False),  # 30 days: the longest allowed
    ],
)
def test_resolve_trip_return_value_sets_return_date(
    pickup: str, returns: str, duration: str | None, pickup_date: str, return_date: str, vague: bool
) -> None:
    resolved = resolve_trip(pickup, returns, duration, MON)
    assert resolved == TripDates(d(pickup_date), d(return_date), "date", vague)
    assert not trip(pickup, returns, duration).return_assumed


@pytest.mark.parametrize(
    ("today", "pickup", "returns", "pickup_date", "return_date"),
    [
        # "from Monday to Thursday" on Wednesday 2 December: Alexa sends Monday 7 and Thursday 3
        (date(2026, 12, 2), "2026-12-07", "2026-12-03", "2026-12-07", "2026-12-10"),
        # "from Sunday to Friday" on Saturday 28 November: Sunday 29 and Friday 4 December are already in order
        (SAT, "2026-11-29", "2026-12-04", "2026-11-29", "2026-12-04"),
        # "from Saturday to Friday" on Monday: Friday 27 is before Saturday 28
        (MON, "2026-11-28", "2026-11-27", "2026-11-28", "2026-12-04"),
    ],
)
def test_resolve_trip_a_return_weekday_alexa_put_before_the_pickup_is_the_one_after_it(
    today: date, pickup: str, returns: str, pickup_date: str, return_date: str
) -> None:
    assert resolve_trip(pickup, returns, None, today) == TripDates(d(pickup_date), d(return_date), "date")


@pytest.mark.parametrize(
    ("pickup", "returns", "duration", "kind"),
    [
        ("2026-11-28", "2026-11-28", None, "return_before_pickup"),
        ("2026-12-05", "2026-11-27", None, "return_before_pickup"),  # more than a week before: no weekday slip
        ("2026-11-28", "PRESENT_REF", None, "return_before_pickup"),
        ("2026-11-28", "2026-12-29", None, "too_long"),
        ("2026-11-28", "2026-12", None, "too_vague"),
        ("2026-11-28", "2026-W49", None, "too_vague"),
        ("2026-11-28", "2027", None, "too_vague"),
        ("2026-11-28", "the day after", None, "unparseable"),
        ("2026-11-28", "2026-11-31", None, "unparseable"),
        ("2026-11-28", "next tuesday", "P3D", "unparseable"),  # what the user said is not quietly dropped
    ],
)
def test_resolve_trip_unusable_return_value_asks_for_the_return_date(
    pickup: str, returns: str, duration: str | None, kind: ProblemKind
) -> None:
    assert resolve_trip(pickup, returns, duration, MON) == TripProblem(kind, "returnDate", returns)


@pytest.mark.parametrize(
    ("pickup", "duration", "today", "pickup_date", "days"),
    [
        ("2026-12-04", "P3D", MON, "2026-12-04", 3),
        ("2026-12-04", "P1W", MON, "2026-12-04", 7),
        ("2026-12-04", "P2W", MON, "2026-12-04", 14),
        ("2026-12-04", "P1M", MON, "2026-12-04", 30),
        ("2026-12-04", "P4W2D", MON, "2026-12-04", 30),
        ("2026-12-04", "PT5H", MON, "2026-12-04", 1),  # part of a day is a day
        ("2026-12-04", "PT24H", MON, "2026-12-04", 1),
        ("2026-12-04", "PT25H", MON, "2026-12-04", 2),
        ("2026-12-04", "PT90M", MON, "2026-12-04", 1),
        ("2026-12-04", "P1DT5H", MON, "2026-12-04", 2),
        ("2026-12-04", "P1.5D", MON, "2026-12-04", 2),
        ("2026-W48-WE", "P1D", MON, "2026-11-28", 1),
        ("2026-W48", "P3D", THU, "2026-11-26", 3),
        ("2026-12", "P5D", MON, "2026-12-01", 5),
        ("2026-12-30", "P1W", MON, "2026-12-30", 7),  # into the new year
    ],
)
def test_resolve_trip_duration_counts_whole_days_from_pickup(
    pickup: str, duration: str, today: date, pickup_date: str, days: int
) -> None:
    resolved = trip(pickup, None, duration, today)
    assert (resolved.pickup_date, resolved.days, resolved.return_source) == (d(pickup_date), days, "duration")
    assert not resolved.return_assumed


@pytest.mark.parametrize(
    ("duration", "kind"),
    [
        ("P31D", "too_long"),
        ("P5W", "too_long"),
        ("P2M", "too_long"),
        ("P1Y", "too_long"),
        ("P4W2DT1H", "too_long"),  # 30 days and an hour is 31 rental days
        ("P0D", "unparseable"),
        ("PT0S", "unparseable"),
        ("", "unparseable"),
        ("P", "unparseable"),
        ("PT", "unparseable"),
        ("P3", "unparseable"),
        ("3D", "unparseable"),
        ("P3X", "unparseable"),
        ("three days", "unparseable"),
        ("P-3D", "unparseable"),
    ],
)
def test_resolve_trip_unusable_duration_asks_for_the_duration(duration: str, kind: ProblemKind) -> None:
    assert resolve_trip("2026-12-04", None, duration, MON) == TripProblem(kind, "duration", duration)


@pytest.mark.parametrize(
    ("pickup", "returns", "duration", "expected"),
    [
        ("2026-11-22", "2026-11-20", None, TripProblem("past", "pickupDate", "2026-11-22")),
        ("2027", "garbage", None, TripProblem("too_vague", "pickupDate", "2027")),
        ("garbage", None, "P90D", TripProblem("unparseable", "pickupDate", "garbage")),
        ("2026-11-28", "2026-11-20", "P90D", TripProblem("return_before_pickup", "returnDate", "2026-11-20")),
    ],
)
def test_resolve_trip_several_problems_reports_the_pickup_first(
    pickup: str, returns: str | None, duration: str | None, expected: TripProblem
) -> None:
    assert resolve_trip(pickup, returns, duration, MON) == expected


DESCRIPTIONS = [
    # "this weekend", "next weekend" and "the week of" are never said: the dates are, which no one hears two ways
    ("2026-W48-WE", None, None, SUN, "from today to tomorrow"),
    ("2026-W49-WE", None, None, MON, "from Saturday, December 5 to Monday, December 7"),
    ("2026-W49-WE", None, None, SUN, "from Saturday, December 5 to Monday, December 7"),
    ("2026-W50-WE", None, None, MON, "from Saturday, December 12 to Monday, December 14"),
    ("2026-W53-WE", None, None, WED_BEFORE_NEW_YEAR, "from Saturday, January 2 to Monday, January 4"),
    ("2026-W53-WE", None, None, WED_NEW_YEAR_WEEK, "from Saturday, January 2 to Monday, January 4"),
    ("2026-W49", None, None, MON, "from Monday, November 30 to Monday, December 7"),
    ("2026-W53", None, None, MON, "from Monday, December 28 to Monday, January 4"),
    ("2026-W48", None, None, MON, "from today to Monday, November 30"),
    ("2026-W48", None, None, THU, "from today to Thursday, December 3"),
    ("2026-W49", None, None, SUN, "from tomorrow to Monday, December 7"),
    ("PRESENT_REF", None, None, MON, "from today to Thursday, November 26"),
    ("2026-11-23", None, None, MON, "from today to Thursday, November 26"),
    ("2026-11-24", None, None, MON, "from tomorrow to Friday, November 27"),
    ("2026-11-28", None, None, MON, "from Saturday, November 28 to Tuesday, December 1"),
    ("2026-11-28", "2026-11-30", None, MON, "from Saturday, November 28 to Monday, November 30"),
    ("2026-11-24", "2026-11-26", None, MON, "from tomorrow to Thursday, November 26"),
    ("2026-W49-WE", "2026-12-07", None, MON, "from Saturday, December 5 to Monday, December 7"),
    ("2026-W48-WE", "2026-12-01", None, MON, "from Saturday, November 28 to Tuesday, December 1"),
    ("2026-12", None, None, MON, "from Tuesday, December 1 to Tuesday, December 8"),
    ("2026-12-04", None, "P3D", MON, "for 3 days starting Friday, December 4"),
    ("2026-12-04", None, "PT5H", MON, "for one day starting Friday, December 4"),
    ("2026-12-04", None, "P1W", MON, "for a week starting Friday, December 4"),
    ("2026-12-04", None, "P2W", MON, "for 2 weeks starting Friday, December 4"),
    ("2026-12-04", None, "P3W2D", MON, "for 23 days starting Friday, December 4"),
    ("2026-12-04", None, "P1M", MON, "for 30 days starting Friday, December 4"),
    ("PRESENT_REF", None, "P2D", MON, "for 2 days starting today"),
    ("2026-W48-WE", None, "P3D", MON, "for 3 days starting Saturday, November 28"),
    ("2026-12-30", None, "P1W", MON, "for a week starting Wednesday, December 30"),
    ("2027-05-24", None, None, MON, "from Monday, May 24 to Thursday, May 27"),  # pickup 182 days ahead
    # half a year ahead the year is said, once
    ("2027-05-25", None, None, MON, "from Tuesday, May 25, 2027 to Friday, May 28"),
    ("2027-11-20", None, None, MON, "from Saturday, November 20, 2027 to Tuesday, November 23"),
    ("2027-12-30", None, None, MON, "from Thursday, December 30, 2027 to Sunday, January 2, 2028"),  # two years
]


def describe_trip(trip: TripDates, today: date, locale: str = "en-US") -> str:
    return DateWords(functools.partial(Strings(locale).say, rng=random.Random(0))).trip(trip, today)


@pytest.mark.parametrize(("pickup", "returns", "duration", "today", "spoken"), DESCRIPTIONS)
def test_date_words_say_the_trip_by_its_dates(
    pickup: str, returns: str | None, duration: str | None, today: date, spoken: str
) -> None:
    assert describe_trip(trip(pickup, returns, duration, today), today) == spoken


@pytest.mark.parametrize("locale", ["en-GB", "en-AU"])
def test_date_words_british_and_australian_put_the_day_before_the_month(locale: str) -> None:
    weekend = TripDates(SAT, NEXT_MON, "default")
    assert describe_trip(weekend, MON, locale) == "from Saturday 28 November to Monday 30 November"


def test_date_words_every_description_is_plain_text_safe_in_ssml() -> None:
    for pickup, returns, duration, today, _ in DESCRIPTIONS:
        spoken = describe_trip(trip(pickup, returns, duration, today), today)
        assert re.fullmatch(r"[A-Za-z0-9, ]+", spoken), spoken


@pytest.mark.parametrize(
    ("pickup", "returns", "duration", "expected"),
    [
        # Found by fuzzing: each of these raised OverflowError (the skill's catch-all apology) before.
        ("9999-12", None, None, TripDates(d("9999-12-01"), d("9999-12-08"), "default", vague=True)),
        ("2026-12-05", "9999-12", None, TripProblem("too_vague", "returnDate", "9999-12")),
        ("2026-12-05", None, "P99999999999D", TripProblem("too_long", "duration", "P99999999999D")),
        ("2026-12-05", None, "P1000000000Y", TripProblem("too_long", "duration", "P1000000000Y")),
        ("9999-12-31", None, None, TripProblem("unparseable", "pickupDate", "9999-12-31")),
        ("9999-12-30", None, "P3D", TripProblem("unparseable", "pickupDate", "9999-12-30")),
    ],
)
def test_resolve_trip_dates_at_the_end_of_the_calendar_are_answers_not_overflows(
    pickup: str, returns: str | None, duration: str | None, expected: TripDates | TripProblem
) -> None:
    assert resolve_trip(pickup, returns, duration, MON) == expected
