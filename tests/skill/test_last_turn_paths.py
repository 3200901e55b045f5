"""What a person says at the last turn and after it, as people trying the skill said it (on the fake clock and the
scripted API of tests/builders/slow_turn.py): "anything better?" after the best offer so far, the only offer, and
"next" when another car was suggested instead of the one asked for; a request the API refuses, and one it throttles."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from skill.speech import plain

from tests.builders.slow_turn import Turn
from tests.fakes.slow_api import Answer, accepted, offer, results

ANY_COMPANY = ("find a compact car in Denver on December fifth, any company", "FindCarIntent",
               {"city": "Denver", "pickupDate": "2026-12-05", "carSize": "compact", "company": "any"})  # fmt: skip
FROM_AVIS = ("find a compact car from Avis in Denver on December fifth", "FindCarIntent",
             {"city": "Denver", "pickupDate": "2026-12-05", "carSize": "compact", "company": "Avis"})  # fmt: skip


def test_anything_better_after_the_best_so_far_is_what_the_companies_still_searching_brought() -> None:
    # GIVEN the best so far from Alamo while Sixt, expected after the deadline, is still searching
    partial = results({"sixt": 9.0}, [offer("alamo", 90.0)])
    turn = Turn(lambda method, n: accepted() if method == "POST" else partial)
    assert turn.say(*ANY_COMPANY).startswith("So far, the best I've found is a compact car from Alamo")
    # WHEN Sixt answers cheaper and the person asks "anything better?" (which alone means "anything cheaper")
    turn.api.script = lambda method, n: results({}, [offer("sixt", 80.0), offer("alamo", 90.0)])
    said = turn.say("anything better?", "CheaperIntent")
    # THEN it is the news from Sixt, not "that's the cheapest I found" while Sixt was still searching
    assert said.startswith("Something better came in. OK, I found a compact car from Sixt"), said


def test_anything_better_while_the_others_are_still_searching_says_so() -> None:
    partial = results({"sixt": 9.0}, [offer("alamo", 90.0)])
    turn = Turn(lambda method, n: accepted() if method == "POST" else partial)
    turn.say(*ANY_COMPANY)
    said = turn.say("is there anything better", "CheaperIntent")
    assert said == "Nothing better yet. Still checking Sixt: ask me again in a moment.", said


def test_the_only_offer_found_is_not_said_to_be_the_last_of_several() -> None:
    turn = Turn(lambda method, n: accepted() if method == "POST" else results({}, [offer("avis", 100.0)], "avis"))
    said = turn.say(*FROM_AVIS)
    assert said.endswith("That's the only one I found. Say start over for a new search."), said
    assert "previous" not in said


def test_next_after_another_car_was_suggested_asks_about_that_car_without_saying_there_is_none() -> None:
    # GIVEN Avis has no compact car, and Budget's is suggested instead
    nothing = results({}, [], company="avis")
    nothing.body["alternatives"] = {"sameSize": offer("budget", 95.0)}
    turn = Turn(lambda method, n: accepted() if method == "POST" else Answer(200, nothing.body))
    suggested = turn.say(*FROM_AVIS)
    assert "Budget" in suggested and suggested.endswith("?"), suggested
    # WHEN the person says "next": THEN the question about Budget's car comes first, with why
    said = turn.say("next", "AMAZON.NextIntent")
    assert said == "That's the one I'd suggest instead. Would you like it? Please say yes or no."
    assert "haven't found" not in said


# --- the API refuses the skill's own request (a 400): never "can't reach the rental companies", never a retry loop --


def _refused(field: str) -> Answer:
    return Answer(400, {"message": "refused", "errors": [{"field": field, "code": "unknown_value", "message": "no"}]})


def _refuses_the_first_get(field: str) -> Callable[[str, int], Answer]:
    def api(method: str, n: int) -> Answer:
        if method == "POST":
            return accepted()
        return _refused(field) if n == 0 else results({}, [offer("avis", 100.0)], "avis")

    return api


def test_a_car_size_the_api_does_not_know_is_dropped_and_the_answer_says_so() -> None:
    # GIVEN an API that refuses the size the skill sends (the interaction model and the API disagree)
    turn = Turn(_refuses_the_first_get("CarSize"))
    said = turn.say(*FROM_AVIS)
    assert said.startswith("I couldn't search for that exact choice, so here's what I found without it."), said
    assert "can't reach" not in said and "Avis" in said
    gets = [target for target in turn.api.targets if target.startswith("GET")]
    assert "CarSize=compact" in gets[0] and "CarSize" not in gets[1] and "Supplier=avis" in gets[1]


def test_a_token_the_api_refuses_starts_the_same_search_again() -> None:
    # GIVEN session attributes whose token the API refuses (tampered, or from an older version)
    turn = Turn(_refuses_the_first_get("Search-Token"))
    said = turn.say(*FROM_AVIS)
    assert said.startswith("OK, I found a compact car from Avis"), said
    assert [target.split()[0] for target in turn.api.targets].count("POST") == 2  # searched again


def test_a_refusal_nothing_fixes_offers_a_fresh_start_not_a_retry() -> None:
    turn = Turn(lambda method, n: accepted() if method == "POST" else _refused("Limit"))
    said = turn.say(*FROM_AVIS)
    assert said == "Sorry, something went wrong with that search on my side. Say start over to search again.", said
    reprompt = plain(turn.talk.last["reprompt"]["outputSpeech"]["ssml"])
    assert "try again" not in reprompt.lower() and "yes or no" not in reprompt.lower(), reprompt


THROTTLED = Answer(429, {"message": "Too Many Requests"})  # API Gateway's own answer when a method's throttle is hit


@pytest.mark.parametrize("throttled", ["POST", "GET"])
def test_a_throttled_request_says_busy_and_try_again_in_a_moment_and_yes_tries_again(throttled: str) -> None:
    # GIVEN POST /search at its throttle (the searches' capacity; docs/deploy.md), or GET at the API's, once
    script = {"POST": [accepted()], "GET": [results({}, [offer("avis", 100.0)], "avis")]}
    script[throttled].insert(0, THROTTLED)
    turn = Turn(lambda method, n: script[method][min(n, len(script[method]) - 1)])

    # WHEN the person asks in one sentence
    said = turn.say(*FROM_AVIS)

    # THEN the skill says it is busy, to try again in a moment: not "can't reach the rental companies", which
    # sends a person away for a minute when the next second would do
    assert said == "Sorry, I'm busy with a lot of searches right now. Please try again in a moment.", said

    # AND "yes" tries again, with the trip kept
    assert turn.say("yes", "AMAZON.YesIntent").startswith("OK, I found a compact car from Avis")
    assert [method for method, *_ in turn.api.calls].count("POST") == (2 if throttled == "POST" else 1)
