"""tools.grammar: how one line of the grammar becomes sample utterances."""

from __future__ import annotations

import pytest

from tools.grammar import CHOICES, Line, expand, samples


def test_a_line_without_choices_is_one_sample() -> None:
    assert samples("find a car in {city}") == ["find a car in {city}"]


def test_choices_are_each_said_once_taking_turns() -> None:
    # GIVEN a line with a list of three choices and a list of two
    # WHEN it is expanded
    said = samples("(find|rent|book) a car (today|tomorrow)")
    # THEN it gives as many samples as its longest list, each list taking its choices in turn
    assert said == ["find a car today", "rent a car tomorrow", "book a car today"]


def test_an_empty_choice_makes_words_optional_and_spaces_stay_single() -> None:
    assert samples("(please |)find a car (please|)") == ["please find a car please", "find a car"]


def test_shared_choices_are_named_in_angle_brackets() -> None:
    assert samples("a car <please>") == [f"a car {said}".strip() for said in ("please", "")]
    assert CHOICES["please"] == "(please|)"


def test_choices_nest() -> None:
    assert samples("(a (small|big) car|a van)") == ["a small car", "a big car", "a van"]


def test_passes_bring_other_choices_together() -> None:
    # GIVEN two lists of two choices, which one pass pairs in the same order
    line = "(find|rent) a car (today|tomorrow)"
    assert samples(line) == ["find a car today", "rent a car tomorrow"]
    # WHEN the line is said in two passes
    # THEN the second list has moved on one place in the second pass: every pair is said
    assert samples(Line(line, passes=2)) == [
        "find a car today",
        "rent a car tomorrow",
        "find a car tomorrow",
        "rent a car today",
    ]


def test_a_sample_naming_a_slot_twice_is_dropped_and_duplicates_are_kept_once() -> None:
    assert samples("a car (from {company}|in {city}) (with {company}|)") == ["a car in {city}"]
    assert expand(["a car", "(a car|a van)"]) == ["a car", "a van"]


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("a car (in {city}", "without its '\\)'"),
        ("a car in {city})", "outside parentheses"),
        ("a car <nowhere>", "CHOICES does not define"),
        ("a car <please", "without its '>'"),
    ],
)
def test_a_line_that_cannot_be_read_is_an_error(line: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        samples(line)
