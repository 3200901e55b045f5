"""Spoken dates and durations resolve to the values Alexa sends for AMAZON.DATE and AMAZON.DURATION."""

from __future__ import annotations

from datetime import date

import pytest

from local_stack.amazon_date import PRESENT_REF, number, ordinal, parse_date, parse_duration, words

MONDAY = date(2026, 11, 23)  # ISO week 48
SATURDAY = date(2026, 11, 28)
SUNDAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("today", "2026-11-23"),
        ("tomorrow", "2026-11-24"),
        ("the day after tomorrow", "2026-11-25"),
        ("yesterday", "2026-11-22"),
        ("friday", "2026-11-27"),
        ("on friday", "2026-11-27"),
        ("this friday", "2026-11-27"),
        ("next friday", "2026-11-27"),  # on a Monday, Alexa hears this week's Friday
        ("Friday", "2026-11-27"),
        ("monday", "2026-11-30"),  # a weekday is a future one, never today
        ("december fifth", "2026-12-05"),
        ("december 5th", "2026-12-05"),
        ("December 5", "2026-12-05"),
        ("december the fifth", "2026-12-05"),
        ("the fifth of december", "2026-12-05"),
        ("5th of december", "2026-12-05"),
        ("5 december", "2026-12-05"),
        ("on december fifth", "2026-12-05"),
        ("november 28", "2026-11-28"),
        ("november twenty eighth", "2026-11-28"),
        ("november twenty-eighth", "2026-11-28"),
        ("november 23", "2026-11-23"),  # today is not past
        ("november 22", "2027-11-22"),  # past this year: next year's
        ("january first", "2027-01-01"),
        ("first of january", "2027-01-01"),
        ("december thirty first", "2026-12-31"),
        ("december 5th 2027", "2027-12-05"),
        ("december fifth twenty twenty seven", "2027-12-05"),
        ("february 29", "2028-02-29"),  # the next leap year
        ("the twenty eighth", "2026-11-28"),
        ("the 5th", "2026-12-05"),
        ("2026-12-05", "2026-12-05"),
        ("this week", "2026-W48"),
        ("next week", "2026-W49"),
        ("the week after next", "2026-W50"),
        ("this weekend", "2026-W48-WE"),
        ("the weekend", "2026-W48-WE"),
        ("next weekend", "2026-W48-WE"),  # on a weekday, the coming weekend
        ("this month", "2026-11"),
        ("next month", "2026-12"),
        ("in december", "2026-12"),
        ("december", "2026-12"),
        ("october", "2027-10"),
        ("december 2027", "2027-12"),
        ("this year", "2026"),
        ("next year", "2027"),
        ("this summer", "2026-SU"),
        ("now", PRESENT_REF),
        ("right now", PRESENT_REF),
        ("in three days", "2026-11-26"),
        ("in two weeks", "2026-12-07"),
        ("the weekend after next", "2026-W49-WE"),
        ("the long weekend", "2026-W48-WE"),
        ("the week of the fifteenth", "2026-W51"),  # December 15's week
        ("the weekend of the twelfth", "2026-W50-WE"),  # a Saturday: its own weekend
        ("the weekend of december ninth", "2026-W50-WE"),  # a Wednesday: the weekend after it
        ("thanksgiving", "2026-11-26"),  # the fourth Thursday of November
        ("over thanksgiving", "2026-11-26"),
        ("christmas eve", "2026-12-24"),
        ("new year's eve", "2026-12-31"),
        ("labor day", "2027-09-06"),  # this year's is past: the next one
        ("memorial day", "2027-05-31"),  # the last Monday of May
        ("saturday morning", "2026-11-28"),  # the time of day is AMAZON.TIME's
        ("tomorrow night", "2026-11-24"),
        ("at noon tomorrow", "2026-11-24"),
    ],
)
def test_dates_on_a_monday(phrase: str, expected: str) -> None:
    assert parse_date(phrase, MONDAY) == expected


@pytest.mark.parametrize(
    ("today", "phrase", "expected"),
    [
        (SATURDAY, "this weekend", "2026-W48-WE"),
        (SATURDAY, "the weekend", "2026-W48-WE"),
        (SATURDAY, "next weekend", "2026-W49-WE"),
        (SUNDAY, "this weekend", "2026-W48-WE"),
        (SUNDAY, "next weekend", "2026-W49-WE"),
        (SUNDAY, "this week", "2026-W48"),
        (SUNDAY, "next week", "2026-W49"),
        (SATURDAY, "saturday", "2026-12-05"),
        (SATURDAY, "sunday", "2026-11-29"),
        (date(2026, 11, 27), "next weekend", "2026-W48-WE"),  # Friday
        (date(2026, 12, 28), "next week", "2027-W01"),  # ISO years: 2026 has 53 weeks
        (date(2026, 12, 28), "this week", "2026-W53"),
        (date(2026, 12, 28), "next month", "2027-01"),
        (date(2026, 12, 28), "january fifth", "2027-01-05"),
        (date(2027, 1, 2), "this weekend", "2026-W53-WE"),  # a Saturday still in ISO week 2026-W53
    ],
)
def test_dates_relative_to_other_days(today: date, phrase: str, expected: str) -> None:
    assert parse_date(phrase, today) == expected


@pytest.mark.parametrize(
    "phrase",
    [
        "",
        "boston",
        "new york",
        "next",
        "a car",
        "three days",
        "december fortieth",
        "february 30 2027",
        "2026-02-30",
        "the",
        "tomorrow please",
        "friday boston",
        "morning",  # a time of day alone is no date
    ],
)
def test_not_dates(phrase: str) -> None:
    assert parse_date(phrase, MONDAY) is None


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("three days", "P3D"),
        ("for three days", "P3D"),
        ("3 days", "P3D"),
        ("a day", "P1D"),
        ("one day", "P1D"),
        ("ten days", "P10D"),
        ("twenty one days", "P21D"),
        ("twenty-one days", "P21D"),
        ("a week", "P1W"),
        ("one week", "P1W"),
        ("two weeks", "P2W"),
        ("a fortnight", "P2W"),
        ("a month", "P1M"),
        ("two months", "P2M"),
        ("a year", "P1Y"),
        ("a couple of days", "P2D"),
        ("two weeks and three days", "P2W3D"),
        ("five hours", "PT5H"),
        ("a day and six hours", "P1DT6H"),
        ("a week and a half", "P1.5W"),
        ("two and a half days", "P2.5D"),
        ("for the week", "P1W"),
        ("three nights", "P3D"),  # a car is rented by the day
        ("about a week", "P1W"),
    ],
)
def test_durations(phrase: str, expected: str) -> None:
    assert parse_duration(phrase) == expected


@pytest.mark.parametrize(
    "phrase", ["", "the weekend", "days", "tomorrow", "boston", "zero days", "three", "a day and a day", "for"]
)
def test_not_durations(phrase: str) -> None:
    assert parse_duration(phrase) is None


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [("0", 0), ("seven", 7), ("nineteen", 19), ("twenty", 20), ("twenty one", 21), ("ninety-nine", 99), ("42", 42)],
)
def test_numbers_in_words(phrase: str, expected: int) -> None:
    assert number(words(phrase)) == expected


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [("first", 1), ("5th", 5), ("twelfth", 12), ("twentieth", 20), ("twenty-eighth", 28), ("thirty first", 31)],
)
def test_ordinals(phrase: str, expected: int) -> None:
    assert ordinal(words(phrase)) == expected


@pytest.mark.parametrize("phrase", ["twenty twenty", "one two", "first", "eleventy", "a hundred"])
def test_not_numbers(phrase: str) -> None:
    assert number(words(phrase)) is None


@pytest.mark.parametrize("phrase", ["twenty twenty", "five", "zeroth", "first second", "0th"])
def test_not_ordinals(phrase: str) -> None:
    assert ordinal(words(phrase)) is None


def test_words_drop_punctuation_and_keep_iso_dates() -> None:
    assert words("Alexa, ask Car Search: find a S.U.V. on 2026-12-05!") == [
        "alexa", "ask", "car", "search", "find", "a", "s", "u", "v", "on", "2026-12-05",
    ]  # fmt: skip
    assert words("It doesn\u2019t matter, twenty-eighth") == ["it", "doesn't", "matter", "twenty", "eighth"]
