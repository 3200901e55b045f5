"""POST /search refuses what it cannot search, saying per field what to change, and starts nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.builders.stack import Stack, build_stack
from tests.fakes.clock import FixedClock


def _problems(result) -> dict[str, dict]:
    return {problem["field"]: problem for problem in result.body["errors"]}


def _nothing_stored(stack: Stack) -> bool:
    s3 = stack.services.cache._s3  # the test looks into the bucket itself: nothing may have been written
    return s3.list_objects_v2(Bucket=stack.services.settings.results_bucket).get("KeyCount", 0) == 0


def test_start_unknown_city_close_spelling_suggests_the_city(stack: Stack) -> None:
    result = stack.start_search(city="Chicgo")
    assert result.status == 400
    problem = _problems(result)["city"]
    assert problem["code"] == "unknown_city"
    assert "Did you mean Chicago, IL?" in problem["message"]
    assert problem["details"]["suggestions"] == ["Chicago, IL"]
    assert _nothing_stored(stack)


def test_start_unserved_city_says_which_cities_are_served(stack: Stack) -> None:
    result = stack.start_search(city="Boise")
    problem = _problems(result)["city"]
    assert result.status == 400
    assert "We have no rental locations in 'Boise'" in problem["message"]
    assert "New York" in problem["message"]
    assert len(problem["details"]["served"]) >= 50
    assert "Seattle, WA" in problem["details"]["served"]


def test_start_ambiguous_city_lists_the_candidates_to_choose_from(stack: Stack) -> None:
    result = stack.start_search(city="Portland")
    problem = _problems(result)["city"]
    assert result.status == 400
    assert problem["code"] == "ambiguous_city"
    assert problem["details"]["candidates"] == ["Portland, OR", "Portland, ME"]
    assert "Portland, OR or Portland, ME" in problem["message"]


def test_start_city_with_its_state_is_accepted(stack: Stack) -> None:
    result = stack.start_search(city="Portland, Maine")
    assert result.status == 202
    assert result.body["search"]["city"] == "Portland, ME"


@pytest.mark.parametrize(
    ("pickup", "dropoff", "field", "code", "phrase"),
    [
        ("2026-11-20", "2026-11-25", "pickupDate", "past_date", "earliest pickup is today, 2026-11-23"),
        ("2026-11-28", "2026-11-28", "returnDate", "return_before_pickup", "must be after the pickup date"),
        ("2026-11-28", "2026-11-26", "returnDate", "return_before_pickup", "must be after the pickup date"),
        ("2026-12-01", "2027-01-15", "returnDate", "too_long", "at most 30 days; this one lasts 45"),
        ("2027-11-01", "2027-11-03", "pickupDate", "too_far_ahead", "too far ahead"),
        ("2026-02-30", "2026-03-02", "pickupDate", "value_error", "is not a real date"),
        ("28/11/2026", "2026-11-30", "pickupDate", "value_error", "form YYYY-MM-DD"),
        ("next weekend", "2026-11-30", "pickupDate", "value_error", "form YYYY-MM-DD"),
    ],
)
def test_start_bad_dates_are_refused_with_what_to_change(
    stack: Stack, pickup: str, dropoff: str, field: str, code: str, phrase: str
) -> None:
    result = stack.start_search("Denver", pickup, dropoff)
    assert result.status == 400
    problem = _problems(result)[field]
    assert problem["code"] == code
    assert phrase in problem["message"]
    assert _nothing_stored(stack)


def test_start_dates_as_numbers_are_not_taken_for_timestamps(stack: Stack) -> None:
    body = {"city": "Denver", "pickupDate": 1795000000, "returnDate": "2026-11-30", "user": "u"}
    result = stack.post(body)
    assert result.status == 400
    assert "form YYYY-MM-DD" in _problems(result)["pickupDate"]["message"]


def test_start_today_is_the_city_today_not_utc(s3, clock: FixedClock) -> None:
    # GIVEN 23:30 on 22 November in Los Angeles, already 23 November in UTC
    clock = FixedClock(datetime(2026, 11, 23, 7, 30, tzinfo=UTC))
    stack = build_stack(s3, clock)
    # THEN a pickup "today" in Los Angeles is 22 November, and New York's today is already the 23rd
    assert stack.start_search("Los Angeles", "2026-11-22", "2026-11-24").status == 202
    refused = stack.start_search("New York", "2026-11-22", "2026-11-24")
    assert refused.status == 400
    assert "earliest pickup is today, 2026-11-23" in _problems(refused)["pickupDate"]["message"]


def test_start_missing_fields_are_each_named(stack: Stack) -> None:
    result = stack.post({"city": "Denver"})
    assert result.status == 400
    problems = _problems(result)
    assert set(problems) == {"pickupDate", "returnDate", "user"}
    assert problems["user"]["message"] == "user is required."
    assert result.body["message"].startswith("The request has 3 problems")


def test_start_unknown_field_names_the_real_fields(stack: Stack) -> None:
    body = {"city": "Denver", "pickup_date": "2026-11-28", "pickupDate": "2026-11-28", "returnDate": "2026-11-30"}
    result = stack.post({**body, "user": "u"})
    assert result.status == 400
    assert "the fields are city, pickupDate, returnDate and user" in _problems(result)["pickup_date"]["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"city": "Denver", ', "The request body is not valid JSON."),
        ("[1, 2, 3]", "The request body must be a JSON object with city, pickupDate, returnDate and user."),
        (None, "A JSON body with city, pickupDate, returnDate and user is required."),
    ],
)
def test_start_malformed_body_is_a_clear_400(stack: Stack, body: str | None, message: str) -> None:
    result = stack.post(body)
    assert result.status == 400
    assert result.body["message"] == message


def test_start_oversized_user_is_refused(stack: Stack) -> None:
    result = stack.start_search(user="x" * 513)
    assert result.status == 400
    assert _problems(result)["user"]["message"] == "user must be at most 512 characters."


def test_start_blank_user_is_refused(stack: Stack) -> None:
    result = stack.start_search(user="   ")
    assert result.status == 400
    assert _problems(result)["user"]["code"] == "required"


def test_start_huge_body_is_refused_before_parsing(stack: Stack) -> None:
    result = stack.post('{"city": "' + "x" * 100_000 + '"}')
    assert result.status == 413
    assert "the limit is 16384" in result.body["message"]
    assert _nothing_stored(stack)


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data"])
def test_start_body_not_sent_as_json_is_a_415_that_says_to_send_json(stack: Stack, content_type: str) -> None:
    # Found by fuzzing: Powertools answered text/plain with a 415 without a message, and multipart/form-data
    # without a boundary raised ValueError out of the Lambda (a 502 from API Gateway).
    body = '{"city": "Denver", "pickupDate": "2026-11-28", "returnDate": "2026-11-30", "user": "u"}'
    result = stack.post(body, {"Content-Type": content_type})
    assert result.status == 415
    assert result.body["message"] == "The request body must be JSON, sent with Content-Type: application/json."
    assert _nothing_stored(stack)


@pytest.mark.parametrize("body", ["[" * 5_000, '{"city": ' + "[" * 2_000 + "]" * 2_000 + "}", '{"a": ' * 2_000])
def test_start_body_nested_too_deeply_to_parse_is_a_clear_400(stack: Stack, body: str) -> None:
    # Found by fuzzing: json.loads raises RecursionError past ~1000 levels, which the Lambda let out (a 502).
    result = stack.post(body)
    assert result.status == 400
    assert result.body["message"] == "The request body is not valid JSON: it nests too deeply."
    assert _problems(result)["body"]["code"] == "json_invalid"
