"""A user who leaves while the search runs and comes back in another session (issue 15, section 3), played as whole
conversations: the skill's lambda_handler with its trip store (on the in-memory fake of S3, which
tests/contract/test_object_store.py holds to S3), its search client over HTTP to both search Lambdas.

Today is Monday 23 November 2026 (the `clock` fixture, which the skill and the search service both read): "next
weekend" is Saturday 28 to Monday 30 November.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from skill.builder import build_skill
from skill.config import SkillSettings
from skill.search_client import SearchClient
from skill.trip_store import S3PersistenceAdapter

from tests.builders.alexa import DEVICE_ID, USER_ID, Conversation
from tests.builders.http_api import ROLE, serve
from tests.builders.stack import Stack
from tests.builders.talk import FirstVariant, Talk
from tests.fakes.clock import FixedClock
from tests.fakes.objects import InMemoryObjects

OFFER = re.compile(r"^(OK, I found|Good news:)")
WELCOME = (
    "Welcome to Car Search. Where and when do you need a rental car? For example, say: a car in Chicago next weekend."
)
WELCOME_BACK = ("Welcome back. Shall I carry on with your search for a car in Denver from Saturday, November 28 to "
                "Monday, November 30?")  # fmt: skip
PREFIX = "results/trips/"


@pytest.fixture
def objects() -> InMemoryObjects:
    return InMemoryObjects()


@pytest.fixture
def url(stack: Stack) -> Iterator[str]:
    with serve(stack) as address:
        yield address


@pytest.fixture
def talk(url: str, objects: InMemoryObjects, clock: FixedClock) -> Talk:
    return Talk(returning_skill(url, objects, clock))


def returning_skill(url: str, objects: InMemoryObjects, clock: FixedClock) -> Any:
    """The skill as lambda_function.py builds it, its store on `objects`, on the tests' clock."""
    settings = SkillSettings(search_api_url=url, deadline_s=3.0, poll_interval_s=0.05, results_bucket="bucket")
    store = S3PersistenceAdapter(objects, PREFIX, clock.now)
    skill = build_skill(SearchClient(url, ROLE), settings, now=clock.now, rng=FirstVariant(), store=store)
    return skill.lambda_handler()


def left_at_the_company_question(talk: Talk) -> None:
    """Session one: a compact car in Denver next weekend, searched; the user leaves at "which company?"."""
    talk.say("find a car in Denver next weekend", "FindCarIntent", {"city": "Denver", "pickupDate": "2026-W48-WE"},
             state="STARTED")  # fmt: skip
    assert talk.say("a compact car", "FindCarIntent", {"carSize": "compact"}) == (
        "Is there a specific company you'd like to rent from?"
    )
    talk.leave()


def kept(objects: InMemoryObjects) -> list[dict[str, Any]]:
    return [json.loads(body) for body in objects.objects.values()]


# --- coming back -----------------------------------------------------------------------------------------------


def test_are_my_results_ready_in_a_new_session_gets_the_results(talk: Talk) -> None:
    left_at_the_company_question(talk)
    said = talk.say("ask car search are my results ready", "CheckResultsIntent", state="STARTED")
    assert OFFER.match(said) and "a compact car from" in said, said
    assert "Say next to hear another option" in said
    # and the conversation goes on from there
    assert talk.say("next", "AMAZON.NextIntent").startswith(("Here's another option:", "Next,"))


def test_opening_the_skill_again_offers_to_carry_on_and_yes_goes_on_where_it_was(talk: Talk) -> None:
    left_at_the_company_question(talk)
    assert talk.launch() == WELCOME_BACK
    assert talk.say("yes", "AMAZON.YesIntent") == "Is there a specific company you'd like to rent from?"
    assert talk.elicited == "company"
    said = talk.say("no", "AMAZON.NoIntent")
    assert said.startswith("OK, I found a compact car from"), said


def test_yes_after_an_offer_was_heard_says_the_best_offer_again(talk: Talk) -> None:
    first = talk.say("find a compact car in Denver next weekend from any company", "FindCarIntent",
                     {"city": "Denver", "pickupDate": "2026-W48-WE", "carSize": "compact", "company": "any"},
                     state="STARTED")  # fmt: skip
    talk.say("next", "AMAZON.NextIntent")
    talk.leave()
    assert talk.launch() == WELCOME_BACK
    assert talk.say("yes", "AMAZON.YesIntent") == first


def test_no_starts_afresh_and_the_kept_trip_is_forgotten(talk: Talk, objects: InMemoryObjects) -> None:
    left_at_the_company_question(talk)
    assert talk.launch() == WELCOME_BACK
    assert talk.say("no", "AMAZON.NoIntent") == "OK, let's start over. Which city do you need a car in?"
    assert talk.elicited == "city"
    assert not objects.objects
    talk.leave()
    assert talk.launch() == WELCOME


def test_a_new_city_and_dates_instead_of_yes_start_a_new_trip(talk: Talk) -> None:
    left_at_the_company_question(talk)
    talk.launch()
    said = talk.say("find a car in Boston tomorrow", "FindCarIntent", {"city": "Boston", "pickupDate": "2026-11-24"})
    assert said.startswith("I'll look in Boston from tomorrow to Friday, November 27;"), said
    assert said.endswith("What size car would you like?")  # the compact car was the other trip's
    talk.leave()
    assert talk.launch().startswith("Welcome back. Shall I carry on with your search for a car in Boston from")


def test_help_at_the_welcome_back_says_what_to_answer(talk: Talk) -> None:
    left_at_the_company_question(talk)
    talk.launch()
    assert talk.say("help", "AMAZON.HelpIntent") == (
        "I kept your last search for you. Say yes to carry on with it, or no to start a new one. You can also just "
        "tell me another city and dates."
    )
    assert talk.say("yes", "AMAZON.YesIntent").startswith("Is there a specific company")


def test_start_over_in_a_new_session_forgets_the_kept_trip(talk: Talk, objects: InMemoryObjects) -> None:
    left_at_the_company_question(talk)
    assert talk.say("start over", "AMAZON.StartOverIntent", state=None).endswith("Which city do you need a car in?")
    assert not objects.objects
    talk.leave()
    assert talk.launch() == WELCOME


def test_a_new_trip_overwrites_the_kept_one(talk: Talk, objects: InMemoryObjects) -> None:
    left_at_the_company_question(talk)
    offer = talk.say("find an SUV in Boston tomorrow from Hertz", "FindCarIntent",
                     {"city": "Boston", "pickupDate": "2026-11-24", "carSize": "SUV", "company": "Hertz"},
                     state="STARTED")  # fmt: skip
    assert offer.startswith("OK, I found an SUV from Hertz")
    talk.leave()
    assert [record["attributes"]["trip"]["city"] for record in kept(objects)] == ["Boston, MA"]
    said = talk.say("are my results ready", "CheckResultsIntent", state="STARTED")
    assert said.startswith("Yes, every company has answered. ") and offer_in(offer) in said


def test_a_search_gone_stale_is_searched_again_without_a_word(
    talk: Talk, clock: FixedClock, objects: InMemoryObjects
) -> None:
    left_at_the_company_question(talk)
    [before] = kept(objects)
    clock.advance(minutes=31)  # the API now answers the token with 410 Gone
    said = talk.say("are my results ready", "CheckResultsIntent", state="STARTED")
    assert OFFER.match(said) and "a compact car from" in said, said
    [after] = kept(objects)  # the same trip, with the new search's token
    assert after["attributes"]["trip"]["token"] != before["attributes"]["trip"]["token"]
    assert after["attributes"]["trip"]["searched"] == before["attributes"]["trip"]["searched"]


# --- what is not carried on ------------------------------------------------------------------------------------


def test_a_trip_kept_more_than_a_day_is_not_offered(talk: Talk, clock: FixedClock) -> None:
    left_at_the_company_question(talk)
    clock.advance(hours=24, seconds=1)
    assert talk.launch() == WELCOME


def test_a_trip_whose_pickup_day_has_passed_is_not_offered_and_is_forgotten(
    talk: Talk, clock: FixedClock, objects: InMemoryObjects
) -> None:
    talk.say("find a car in Denver today", "FindCarIntent", {"city": "Denver", "pickupDate": "2026-11-23"},
             state="STARTED")  # fmt: skip
    talk.leave()
    clock.advance(hours=20)  # Tuesday, even in Honolulu: the pickup was yesterday
    assert talk.launch() == WELCOME
    assert not objects.objects


def test_another_user_of_the_skill_is_not_offered_anyones_trip(url: str, objects: InMemoryObjects,
                                                                clock: FixedClock) -> None:  # fmt: skip
    handler = returning_skill(url, objects, clock)
    left_at_the_company_question(Talk(handler))
    other = Talk(handler, Conversation(user_id="amzn1.ask.account.SOMEONEELSE"))
    assert other.launch() == WELCOME
    assert other.say("are my results ready", "CheckResultsIntent", state="STARTED") == (
        "You haven't started a search yet. Which city do you need a car in, and when?"
    )


# --- what is kept, and when it is written ----------------------------------------------------------------------


def test_the_record_holds_the_trip_and_its_search_and_no_ids(talk: Talk, objects: InMemoryObjects) -> None:
    left_at_the_company_question(talk)
    [record] = kept(objects)
    trip = record["attributes"]["trip"]
    assert trip == {"city": "Denver, CO", "pickup_value": "2026-W48-WE", "size": "compact", "token": trip["token"],
                    "searched": "Denver, CO|2026-11-28|2026-11-30", "asked": "company_yes_no"}  # fmt: skip
    text = json.dumps(record)
    assert USER_ID not in text and DEVICE_ID not in text
    assert not [key for key in objects.objects if USER_ID in key]


def test_turns_that_change_nothing_kept_write_nothing(talk: Talk, objects: InMemoryObjects) -> None:
    left_at_the_company_question(talk)
    objects.calls.clear()
    talk.launch()
    talk.say("help", "AMAZON.HelpIntent")
    talk.say("repeat", "AMAZON.RepeatIntent")
    talk.say("stop", "AMAZON.StopIntent")
    assert [method for method, _ in objects.calls] == ["GET"]


def test_a_session_that_starts_a_search_at_once_reads_nothing_and_writes_it(
    talk: Talk, objects: InMemoryObjects
) -> None:
    talk.say("find a car in Denver next weekend", "FindCarIntent", {"city": "Denver", "pickupDate": "2026-W48-WE"},
             state="STARTED")  # fmt: skip
    assert [method for method, _ in objects.calls] == ["PUT"]


# --- a store that fails ----------------------------------------------------------------------------------------


def test_a_store_that_fails_never_fails_a_turn_and_is_never_mentioned(talk: Talk, objects: InMemoryObjects) -> None:
    objects.down = True
    assert talk.launch() == WELCOME
    talk.say("find a car in Denver next weekend", "FindCarIntent", {"city": "Denver", "pickupDate": "2026-W48-WE"})
    assert talk.say("a compact car", "FindCarIntent", {"carSize": "compact"}).startswith("Is there a specific company")
    assert talk.say("no", "AMAZON.NoIntent").startswith("OK, I found a compact car from")
    talk.leave()
    assert talk.launch() == WELCOME
    assert talk.say("are my results ready", "CheckResultsIntent") == (
        "You haven't started a search yet. Which city do you need a car in, and when?"
    )
    assert objects.calls and not objects.objects


def test_a_store_back_after_failing_keeps_the_trip_from_the_next_turn(talk: Talk, objects: InMemoryObjects) -> None:
    objects.down = True
    talk.say("find a car in Denver next weekend", "FindCarIntent", {"city": "Denver", "pickupDate": "2026-W48-WE"},
             state="STARTED")  # fmt: skip
    objects.down = False
    talk.say("a compact car", "FindCarIntent", {"carSize": "compact"})
    talk.leave()
    assert talk.launch() == WELCOME_BACK


def test_a_save_that_could_outlast_alexas_wait_is_left_to_the_next_turn(
    url: str, objects: InMemoryObjects, clock: FixedClock
) -> None:
    # GIVEN a skill whose turns may last 1.4 s, and whose store calls may take 0.5 s to connect and 1 s to answer
    settings = SkillSettings(search_api_url=url, deadline_s=1.4, poll_interval_s=0.05)
    store = S3PersistenceAdapter(objects, PREFIX, clock.now)
    handler = build_skill(SearchClient(url, ROLE), settings, now=clock.now, rng=FirstVariant(), store=store)
    talk = Talk(handler.lambda_handler())
    # WHEN a search starts: THEN it is not saved, as the save could end after the turn must have
    talk.say("find a car in Denver next weekend", "FindCarIntent", {"city": "Denver", "pickupDate": "2026-W48-WE"},
             state="STARTED")  # fmt: skip
    assert not objects.calls


def offer_in(said: str) -> str:
    return said.split(" You'd pick it up at ")[0]
