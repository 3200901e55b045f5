"""Turn the AMAZON.DATE and AMAZON.DURATION values Alexa sends into a trip, and say a trip back.

Alexa resolves what the user said ("next weekend", "December fourth") against the device's date before the
skill sees it, and sends one of these AMAZON.DATE shapes (slot type reference:
https://developer.amazon.com/en-US/docs/alexa/custom-skills/slot-type-reference.html#date):

    2026-11-28     a day              2026-W48-WE   a weekend       2026-12, 2026-12-XX   a month
    2026-W48       an ISO week        PRESENT_REF   "right now"     2027, 2027-XX, 2027-XX-XX   a year
    2026-WI/SP/SU/FA   a season       201X          a decade        2026-Q1   a quarter

The -XX and quarter forms are not in the reference but are reported from live traffic, so they are accepted.
A day said without a year is already the next future occurrence, so a past day comes from "yesterday" or an
explicit year. AMAZON.DURATION is ISO-8601 (PnYnMnWnDTnHnMnS): P3D, P1W, PT5H, P1M, P2YT3H10M.

Pickup (`pickupDate`):
    day, PRESENT_REF   that day (PRESENT_REF is today).
    weekend            its Saturday; today if the Saturday is past but the Sunday is not.
    week               its Monday; today if the Monday is past but the Sunday is not.
    month              its 1st; today if that is past but the month is not. `vague=True`: confirm first.
    season, year, decade, quarter   too vague to search: `too_vague`, ask for a day.
Return: a `returnDate` value wins (a day, PRESENT_REF, or the Sunday of a weekend; anything longer is
`too_vague`), else a `duration` (weeks are 7 days, months 30, years 365; any part of a day counts as a whole
day, as cars are rented by the day), else the pickup kind's default, with
`return_assumed=True` so the skill can say the return date and let the user change it:
    day, PRESENT_REF   3 days later.
    weekend            the Monday after the Saturday: two nights, with the car all through Sunday.
    week, month        7 days after pickup.
A return day within the coming week that falls before the pickup moves a week on: Alexa resolves "Thursday" in
"from Monday to Thursday" on its own, to the next Thursday, which is before the Monday when said on a Wednesday.
A `returnDate` that cannot be used is reported even when a `duration` was also given: the user said it, and
quietly ignoring it would search the wrong dates.

Problems, checked in this order: `missing` (no pickup), `unparseable`, `too_vague`, `past` (the whole span
is before `today`), `return_before_pickup` (return on or before pickup), `too_long` (more than `max_days`, the
search API's limit, which the skill's settings hold). `today` must be the date in the user's time zone, as the API
checks it there.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal, NamedTuple

MAX_RENTAL_DAYS = 30  # the search API's default limit (its MAX_RENTAL_DAYS); the skill reads the same variable
DEFAULT_DAYS_FOR_A_DAY = 3
DEFAULT_DAYS_FOR_A_WEEK_OR_MONTH = 7

PRESENT_REF = "PRESENT_REF"
Slot = Literal["pickupDate", "returnDate", "duration"]
ProblemKind = Literal["missing", "unparseable", "too_vague", "past", "return_before_pickup", "too_long"]
ReturnSource = Literal["date", "duration", "default"]
_Kind = Literal["day", "weekend", "week", "month"]


class TripDates(NamedTuple):  # not a dataclass: see search_client.Problem
    pickup_date: date
    return_date: date
    return_source: ReturnSource
    vague: bool = False  # the pickup came from a whole month: confirm the dates before searching

    @property
    def return_assumed(self) -> bool:
        return self.return_source == "default"

    @property
    def days(self) -> int:
        return (self.return_date - self.pickup_date).days


class TripProblem(NamedTuple):
    kind: ProblemKind
    slot: Slot  # the slot to ask for again
    value: str | None = None


class _Span(NamedTuple):
    """What an AMAZON.DATE value covers: a day is a span of one."""

    kind: _Kind
    first: date
    last: date


_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_WEEK = re.compile(r"(\d{4})-W(\d{1,2})")
_WEEKEND = re.compile(r"(\d{4})-W(\d{1,2})-WE")
_MONTH = re.compile(r"(\d{4})-(\d{2})(?:-XX)?")
_TOO_VAGUE = re.compile(r"\d{4}(?:-XX){0,2}|\d{4}-(?:WI|SP|SU|FA)|\d{3}X|\d{4}-Q[1-4]")
_NUMBER = r"(\d+(?:\.\d+)?)"
_DURATION = re.compile(
    rf"P(?!$)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?"
)
_WEEK_LATER = timedelta(days=7)
_DURATION_SECONDS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)


def _span(value: str, today: date) -> _Span | Literal["too_vague", "unparseable"]:
    try:
        if value == PRESENT_REF:
            return _Span("day", today, today)
        if match := _DAY.fullmatch(value):
            day = date(*map(int, match.groups()))
            return _Span("day", day, day)
        if match := _WEEKEND.fullmatch(value):
            year, week = map(int, match.groups())
            return _Span("weekend", date.fromisocalendar(year, week, 6), date.fromisocalendar(year, week, 7))
        if match := _WEEK.fullmatch(value):
            year, week = map(int, match.groups())
            return _Span("week", date.fromisocalendar(year, week, 1), date.fromisocalendar(year, week, 7))
        if match := _MONTH.fullmatch(value):
            year, month = map(int, match.groups())
            # The last day from the calendar, not from the next month's first: 9999-12 has no next month.
            return _Span("month", date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
    except ValueError:  # 2026-02-30, 2026-13, 2027-W53: the right shape, but no such date
        return "unparseable"
    return "too_vague" if _TOO_VAGUE.fullmatch(value) else "unparseable"


def _duration_days(value: str) -> int | None:
    match = _DURATION.fullmatch(value)
    if not match:
        return None
    seconds = sum(Decimal(part) * unit for part, unit in zip(match.groups(), _DURATION_SECONDS, strict=True) if part)
    return math.ceil(seconds / 86400) or None


def _return_date(value: str, today: date) -> date | TripProblem:
    span = _span(value.strip(), today)
    if isinstance(span, str):
        return TripProblem(span, "returnDate", value)
    if span.kind in ("day", "weekend"):
        return span.last  # back by Sunday when the user says "return next weekend"
    return TripProblem("too_vague", "returnDate", value)


def resolve_trip(
    pickup_value: str | None,
    return_value: str | None,
    duration_value: str | None,
    today: date,
    max_days: int = MAX_RENTAL_DAYS,
) -> TripDates | TripProblem:
    """The trip the user asked for, or the first problem with it; see the module docstring for the rules."""
    if pickup_value is None:
        return TripProblem("missing", "pickupDate")
    span = _span(pickup_value.strip(), today)
    if isinstance(span, str):
        return TripProblem(span, "pickupDate", pickup_value)
    if span.last < today:
        return TripProblem("past", "pickupDate", pickup_value)
    # a weekend, week or month already under way still has days left to rent: start today, don't refuse it
    pickup = max(span.first, today)

    slot: Slot = "returnDate"
    said = return_value
    if return_value is not None:
        returned = _return_date(return_value, today)
        if isinstance(returned, TripProblem):
            return returned
        source: ReturnSource = "date"
    elif duration_value is not None:
        days = _duration_days(duration_value.strip())
        if days is None:
            return TripProblem("unparseable", "duration", duration_value)
        if days > max_days:  # before adding it: P99999999999D is past the end of the calendar
            return TripProblem("too_long", "duration", duration_value)
        try:
            returned, source, slot, said = pickup + timedelta(days=days), "duration", "duration", duration_value
        except OverflowError:  # a pickup in the last days of 9999 leaves no room for a return
            return TripProblem("unparseable", "pickupDate", pickup_value)
    else:
        try:
            if span.kind == "weekend":
                returned = span.first + timedelta(days=2)
            elif span.kind == "day":
                returned = pickup + timedelta(days=DEFAULT_DAYS_FOR_A_DAY)
            else:
                returned = pickup + timedelta(days=DEFAULT_DAYS_FOR_A_WEEK_OR_MONTH)
        except OverflowError:  # as above
            return TripProblem("unparseable", "pickupDate", pickup_value)
        source = "default"

    said_as_a_weekday = returned < today + _WEEK_LATER and bool(_DAY.fullmatch((return_value or "").strip()))
    if source == "date" and said_as_a_weekday and returned < pickup < returned + _WEEK_LATER:
        # "From Monday to Thursday" said on a Wednesday: Alexa resolves each day on its own, so "Thursday" is
        # tomorrow, before the Monday. The traveller meant the Thursday after it; the dates are said back.
        returned += _WEEK_LATER
    if returned <= pickup:
        return TripProblem("return_before_pickup", slot, said)
    if (returned - pickup).days > max_days:
        return TripProblem("too_long", slot, said)
    return TripDates(pickup, returned, source, vague=span.kind == "month")


_SAY_THE_YEAR_FROM_DAYS = 183  # half a year out, "November 20" may be a day Alexa rolled over to next year
_WEEKDAYS = ("PART_MONDAY", "PART_TUESDAY", "PART_WEDNESDAY", "PART_THURSDAY", "PART_FRIDAY", "PART_SATURDAY",
             "PART_SUNDAY")  # fmt: skip
_MONTHS = ("PART_JANUARY", "PART_FEBRUARY", "PART_MARCH", "PART_APRIL", "PART_MAY", "PART_JUNE", "PART_JULY",
           "PART_AUGUST", "PART_SEPTEMBER", "PART_OCTOBER", "PART_NOVEMBER", "PART_DECEMBER")  # fmt: skip


def rental_days(duration_value: str) -> int | None:
    """How many days of rental an AMAZON.DURATION value asks for, None when it is not one."""
    return _duration_days(duration_value.strip())


class DateWords:
    """Days and trips as the skill says them, in the words of the strings files (`say`: `Strings.say`).

    The dates themselves are said ("from Saturday, December 5 to Monday, December 7"), never "this weekend" or
    "next weekend", which people resolve differently on different days of the week; only "today" and "tomorrow"
    are said as such. The year is said once, on the first date, and only half a year or more ahead; the return
    gets its own only when it falls in another year.
    """

    def __init__(self, say: Callable[..., str]) -> None:
        self._say = say

    def day(self, day: date, today: date, *, with_year: bool = False) -> str:
        ahead = (day - today).days
        if ahead == 0:
            return self._say("PART_TODAY")
        if ahead == 1:
            return self._say("PART_TOMORROW")
        weekday, month = self._say(_WEEKDAYS[day.weekday()]), self._say(_MONTHS[day.month - 1])
        if with_year:
            return self._say("PART_WEEKDAY_DATE_YEAR", weekday=weekday, month=month, day=day.day, year=day.year)
        return self._say("PART_WEEKDAY_DATE", weekday=weekday, month=month, day=day.day)

    def trip(self, trip: TripDates, today: date) -> str:
        """Plain words for the trip, to follow "for your trip in New York"; safe inside SSML."""
        with_year = (trip.pickup_date - today).days >= _SAY_THE_YEAR_FROM_DAYS
        start = self.day(trip.pickup_date, today, with_year=with_year)
        if trip.return_source == "duration":
            return self._say("PART_FOR_STARTING", length=self.length(trip.days), start=start)
        end_year = with_year and trip.return_date.year != trip.pickup_date.year
        return self._say("PART_FROM_TO", start=start, end=self.day(trip.return_date, today, with_year=end_year))

    def length(self, days: int) -> str:
        if days % 7 == 0:
            weeks = days // 7
            return self._say("PART_A_WEEK") if weeks == 1 else self._say("PART_WEEKS", count=weeks)
        return self._say("PART_ONE_DAY") if days == 1 else self._say("PART_DAYS", count=days)
