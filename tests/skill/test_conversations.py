"""Whole conversations: the skill's lambda_handler, its search client over HTTP, both search Lambdas,
moto S3. What is asserted is what Alexa would say and do."""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

import pytest
from skill.builder import build_skill
from skill.config import SkillSettings
from skill.interceptors import LOGGER_NAME
from skill.search_client import SearchClient
from skill.speech import plain

from search_service.domain.cities import CityCatalog
from search_service.providers.simulated import simulated_providers
from tests.builders.alexa import DEVICE_ID, USER_ID, Conversation
from tests.builders.http_api import ROLE, serve
from tests.builders.stack import Stack, build_stack
from tests.builders.talk import FirstVariant, Talk, skill
from tests.builders.waiting import PATIENCE_S
from tests.fakes.clock import FixedClock
from tests.fakes.suppliers import BrokenSupplier, GatedSupplier, OnlyClassesSupplier


def test_the_workshop_conversation(talk: Talk) -> None:
    asked = talk.say("ask car search to find a car in New York next weekend", "FindCarIntent",
                     {"city": "New York", "pickupDate": "2026-W48-WE"}, state="STARTED")  # fmt: skip
    assert asked == (
        "I'll look in New York from Saturday, November 28 to Monday, November 30; if you'll return the car another "
        "day, just say when. What size car would you like?"
    )
    assert talk.elicited == "carSize"

    assert talk.say("a small car", "FindCarIntent", {"carSize": "small"}) == (
        "Is there a specific company you'd like to rent from?"
    )
    offer = talk.say("Enterprise", "FindCarIntent", {"company": "Enterprise"})
    assert offer.startswith("OK, I found a compact car from Enterprise")
    assert re.search(r"for \d+ dollars in total for 2 days", offer), offer
    assert "Say next to hear another option" in offer
    assert talk.last["card"]["content"].startswith("Enterprise: compact car, $")
    assert not talk.ended
    print("\n".join(talk.transcript))


def test_everything_at_once(talk: Talk) -> None:
    offer = talk.say("ask car search for an SUV from Hertz in Denver tomorrow", "FindCarIntent",
                     {"carSize": "SUV", "company": "Hertz", "city": "Denver", "pickupDate": "2026-11-24"},
                     state="STARTED")  # fmt: skip
    assert offer.startswith("OK, I found an SUV from Hertz")
    assert "for 3 days" in offer


def test_opening_the_skill_first_and_no_preferences(talk: Talk) -> None:
    assert talk.launch().startswith("Welcome to Car Search.")
    assert talk.say("I need a car in Chicago", "FindCarIntent", {"city": "Chicago"}, state="STARTED") == (
        "When do you need the car in Chicago?"
    )
    assert talk.elicited == "pickupDate"
    assert talk.say("December fifth", "FindCarIntent", {"pickupDate": "2026-12-05"}).startswith(
        "I'll look in Chicago from Saturday, December 5 to Tuesday, December 8;"
    )
    assert talk.say("it doesn't matter", "FindCarIntent", {"carSize": "it doesn't matter"}).startswith(
        "Is there a specific company"
    )
    offer = talk.say("no preference", "FindCarIntent", {"company": "no preference"})
    assert offer.startswith("OK, I found")


def test_no_to_the_company_question_means_any_company(talk: Talk) -> None:
    talk.say("find a compact car in Miami on Friday", "FindCarIntent",
             {"city": "Miami", "pickupDate": "2026-11-27", "carSize": "compact"}, state="STARTED")  # fmt: skip
    assert talk.say("no", "AMAZON.NoIntent").startswith("OK, I found a compact car from")


def test_yes_to_the_company_question_asks_which(talk: Talk) -> None:
    talk.say("find a compact car in Miami on Friday", "FindCarIntent",
             {"city": "Miami", "pickupDate": "2026-11-27", "carSize": "compact"}, state="STARTED")  # fmt: skip
    assert talk.say("yes", "AMAZON.YesIntent") in ("Which company would you like?", "Sure. Which company?")
    assert talk.elicited == "company"
    assert talk.say("Avis", "FindCarIntent", {"company": "Avis"}).startswith("OK, I found a compact car from Avis")


def test_changing_the_city_starts_a_new_search(talk: Talk) -> None:
    talk.say("find a car in Seattle next weekend", "FindCarIntent",
             {"city": "Seattle", "pickupDate": "2026-W48-WE"}, state="STARTED")  # fmt: skip
    first_token = talk.conversation.session.attributes["trip"]["token"]
    asked = talk.say("actually make it Portland", "FindCarIntent", {"city": "Portland"})
    assert asked == "Did you mean Portland, Oregon or Portland, Maine?"
    assert talk.elicited == "state"  # "Oregon" answers it
    asked = talk.say("Portland Oregon", "FindCarIntent", {"city": "Portland, Oregon"})
    assert asked.startswith("I'll look in Portland from Saturday, November 28")
    trip = talk.conversation.session.attributes["trip"]
    assert trip["token"] != first_token and trip["city"] == "Portland, OR"


def test_changing_only_the_size_keeps_the_search(talk: Talk) -> None:
    talk.say("find a compact car from Hertz in Boston next weekend", "FindCarIntent",
             {"city": "Boston", "pickupDate": "2026-W48-WE", "carSize": "compact", "company": "Hertz"},
             state="STARTED")  # fmt: skip
    token = talk.conversation.session.attributes["trip"]["token"]
    offer = talk.say("make it an SUV", "FindCarIntent", {"carSize": "SUV"})
    assert offer.startswith("OK, I found an SUV from Hertz")
    assert talk.conversation.session.attributes["trip"]["token"] == token


def test_help_in_the_middle_then_stop(talk: Talk) -> None:
    talk.say("find a car in Miami next friday", "FindCarIntent",
             {"city": "Miami", "pickupDate": "2026-12-04"}, state="STARTED")  # fmt: skip
    help_text = talk.say("help", "AMAZON.HelpIntent")
    assert "economy, compact, midsize, full-size, SUV, minivan, premium or luxury" in help_text
    assert talk.elicited == "carSize"
    assert talk.say("stop", "AMAZON.StopIntent") == "Goodbye, and have a great trip!"
    assert talk.ended


def test_next_offer_and_repeat(talk: Talk) -> None:
    first = talk.say("find a compact car in Denver on December fifth from any company", "FindCarIntent",
                     {"city": "Denver", "pickupDate": "2026-12-05", "carSize": "compact", "company": "any"},
                     state="STARTED")  # fmt: skip
    second = talk.say("next", "AMAZON.NextIntent")
    assert second.startswith("Here's another option: a compact car from")
    assert second != first
    assert talk.say("repeat", "AMAZON.RepeatIntent") == second


def test_past_date_is_refused_with_a_reprompt(talk: Talk) -> None:
    asked = talk.say("find a car in Denver last friday", "FindCarIntent",
                     {"city": "Denver", "pickupDate": "2026-11-20"}, state="STARTED")  # fmt: skip
    assert asked == "That date has already passed. When would you like to pick up the car?"
    assert talk.elicited == "pickupDate"


def test_unknown_city_suggests_the_closest(talk: Talk) -> None:
    asked = talk.say("find a car in Chicgo tomorrow", "FindCarIntent",
                     {"city": "Chicgo", "pickupDate": "2026-11-24"}, state="STARTED")  # fmt: skip
    assert "Did you mean Chicago, Illinois?" in asked
    assert talk.elicited == "city"


@pytest.mark.parametrize(
    ("hertz", "answer"),
    [
        # Hertz has no SUV: it says so, and offers what another company has
        (lambda hertz: OnlyClassesSupplier(hertz, {"economy"}), r"Hertz doesn't have an SUV for your trip, but (\w+) "),
        # Hertz failed to answer: never "doesn't have", and the same offer from another company
        (BrokenSupplier, r"Hertz didn't answer this time, but (\w+) has an SUV for \d+ dollars in total\. "),
    ],
    ids=["no match", "company failed"],
)
def test_when_the_company_asked_for_has_no_such_car_the_skill_says_who_does(
    s3, clock: FixedClock, hertz: Any, answer: str
) -> None:
    providers = dict(simulated_providers(CityCatalog(), 0))
    providers["hertz"] = hertz(providers["hertz"])
    stack = build_stack(s3, clock, providers=providers)
    with serve(stack) as url:
        talk = Talk(skill(url))
        said = talk.say("find an SUV from Hertz in Denver on December fifth", "FindCarIntent",
                        {"city": "Denver", "pickupDate": "2026-12-05", "carSize": "SUV", "company": "Hertz"},
                        state="STARTED")  # fmt: skip
        found = re.match(answer, said)
        assert found and said.endswith("Would you like that one?"), said
        assert talk.say("yes", "AMAZON.YesIntent").startswith(f"OK, I found an SUV from {found.group(1)}")


def test_results_not_ready_keeps_the_session_then_answers(s3, clock: FixedClock) -> None:
    providers = {code: GatedSupplier(p) for code, p in simulated_providers(CityCatalog(), 0).items()}
    stack = build_stack(s3, clock, providers=providers)
    try:
        with serve(stack) as url:
            talk = Talk(skill(url, deadline_s=1.5))
            said = talk.say("find a compact car from Avis in Denver on December fifth", "FindCarIntent",
                            {"city": "Denver", "pickupDate": "2026-12-05", "carSize": "compact", "company": "Avis"},
                            state="STARTED")  # fmt: skip
            assert said.startswith("Still checking Avis.")
            assert not talk.ended
            providers["avis"].gate.set()
            deadline = time.monotonic() + PATIENCE_S
            while "OK, I found" not in (
                said := talk.say("are my results ready", "CheckResultsIntent", state="STARTED")
            ):
                assert time.monotonic() < deadline, said
            assert said.startswith("OK, I found a compact car from Avis")
    finally:
        for supplier in providers.values():
            supplier.gate.set()
        stack.settle()


def test_search_api_down_apologises_and_keeps_the_session(stack: Stack) -> None:
    talk = Talk(skill("http://127.0.0.1:9/beta"))
    said = talk.say("find a car in Denver tomorrow", "FindCarIntent",
                    {"city": "Denver", "pickupDate": "2026-11-24"}, state="STARTED")  # fmt: skip
    assert said == "Sorry, I can't reach the rental companies right now. Please try again in a minute."
    assert not talk.ended
    assert plain(talk.last["reprompt"]["outputSpeech"]["ssml"]) == "Shall I try again now? Please say yes or no."
    assert talk.say("yes", "AMAZON.YesIntent").startswith("Sorry, I can't reach the rental companies")
    assert talk.say("no", "AMAZON.NoIntent") == "Goodbye, and have a great trip!" and talk.ended


def test_fallback_reprompts_with_an_example(talk: Talk) -> None:
    talk.say("find a car in Miami next friday", "FindCarIntent",
             {"city": "Miami", "pickupDate": "2026-12-04"}, state="STARTED")  # fmt: skip
    said = talk.say("purple monkey dishwasher", "AMAZON.FallbackIntent", state=None)
    assert said == "Sorry, I didn't get that. You can say something like: a compact car."


def test_start_over_forgets_the_trip(talk: Talk) -> None:
    talk.say("find a car in Miami next friday", "FindCarIntent",
             {"city": "Miami", "pickupDate": "2026-12-04"}, state="STARTED")  # fmt: skip
    said = talk.say("start over", "AMAZON.StartOverIntent", state=None)
    assert said == "OK, let's start over. Which city do you need a car in?"
    assert "token" not in talk.conversation.session.attributes["trip"]


def test_session_ended_is_answered_with_no_speech(talk: Talk) -> None:
    talk.launch()
    response = talk.handler(talk.conversation.session_ended("ERROR", ("INVALID_RESPONSE", "bad ssml")), None)
    assert "outputSpeech" not in response["response"]


def test_each_request_is_logged_without_user_or_device(talk: Talk, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        talk.say("find a car in Denver tomorrow", "FindCarIntent",
                 {"city": "Denver", "pickupDate": "2026-11-24"}, state="STARTED")  # fmt: skip
    [record] = [r for r in caplog.records if r.name == LOGGER_NAME]
    assert record.getMessage() == "request"
    assert (record.type, record.intent, record.locale) == ("IntentRequest", "FindCarIntent", "en-US")  # type: ignore[attr-defined]
    assert record.alexa_request_id.startswith("amzn1.echo-api.request.")  # type: ignore[attr-defined]
    logged = json.dumps(vars(record), default=str)
    assert USER_ID not in logged and DEVICE_ID not in logged


def test_session_attributes_stay_small(talk: Talk) -> None:
    talk.say("find a compact car in Denver on December fifth from any company", "FindCarIntent",
             {"city": "Denver", "pickupDate": "2026-12-05", "carSize": "compact", "company": "any"},
             state="STARTED")  # fmt: skip
    import json

    assert len(json.dumps(talk.conversation.session.attributes)) < 2000


def test_waiting_plays_a_progressive_response_on_the_requests_own_endpoint(s3, clock: FixedClock) -> None:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    heard: list[tuple[str, str, dict[str, Any]]] = []

    class AlexaApi(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            heard.append((self.path, self.headers["Authorization"], body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    alexa = HTTPServer(("127.0.0.1", 0), AlexaApi)
    threading.Thread(target=alexa.serve_forever, daemon=True).start()
    providers = {code: GatedSupplier(p) for code, p in simulated_providers(CityCatalog(), 0).items()}
    stack = build_stack(s3, clock, providers=providers)
    try:
        with serve(stack) as url:
            endpoint = f"http://127.0.0.1:{alexa.server_address[1]}"
            talk = Talk(skill(url, deadline_s=1.5), Conversation(api_access_token="local-token", api_endpoint=endpoint))
            said = talk.say("find a compact car from Avis in Denver on December fifth", "FindCarIntent",
                            {"city": "Denver", "pickupDate": "2026-12-05", "carSize": "compact", "company": "Avis"},
                            state="STARTED")  # fmt: skip
        assert said.startswith("Still checking Avis.")
        path, authorization, body = heard[0]
        assert (path, authorization) == ("/v1/directives", "Bearer local-token")
        assert body["directive"] == {"type": "VoicePlayer.Speak",
                                     "speech": "<speak>Still checking the rental companies...</speak>"}  # fmt: skip
        assert body["header"]["requestId"]
    finally:
        alexa.shutdown()
        for supplier in providers.values():
            supplier.gate.set()
        stack.settle()


def test_a_failing_progressive_response_never_costs_the_answer(s3, clock: FixedClock) -> None:
    providers = {code: GatedSupplier(p) for code, p in simulated_providers(CityCatalog(), 0).items()}
    stack = build_stack(s3, clock, providers=providers)
    try:
        with serve(stack) as url:
            conversation = Conversation(api_access_token="local-token", api_endpoint="http://127.0.0.1:9")
            talk = Talk(skill(url, deadline_s=1.5), conversation)
            said = talk.say("find a compact car from Avis in Denver on December fifth", "FindCarIntent",
                            {"city": "Denver", "pickupDate": "2026-12-05", "carSize": "compact", "company": "Avis"},
                            state="STARTED")  # fmt: skip
        assert said.startswith("Still checking Avis.")
    finally:
        for supplier in providers.values():
            supplier.gate.set()
        stack.settle()


def test_requests_for_another_skill_are_refused(stack: Stack) -> None:
    from ask_sdk_core.exceptions import AskSdkException

    with serve(stack) as url:
        settings = SkillSettings(search_api_url=url, skill_id="amzn1.ask.skill.the-real-one")
        handler = build_skill(SearchClient(url, ROLE), settings, rng=FirstVariant()).lambda_handler()
        with pytest.raises(AskSdkException, match="Skill ID Verification failed"):
            handler(Conversation().launch(), None)


def test_ssml_in_a_slot_value_is_spoken_as_text_never_as_markup(talk: Talk) -> None:
    import xml.etree.ElementTree as ET

    hostile = "<audio src='https://example.invalid/x.mp3'/> & Co"
    talk.say("find a car in ...", "FindCarIntent", {"city": hostile, "pickupDate": "2026-11-24"}, state="STARTED")
    ssml = talk.last["outputSpeech"]["ssml"]
    root = ET.fromstring(ssml)  # well-formed, or this raises
    assert [element.tag for element in root.iter()] == ["speak"]  # no <audio> or any other element
    assert "&lt;audio" in ssml and "&amp; Co" in ssml
    assert talk.elicited == "city"


def test_a_huge_slot_value_gets_a_reprompt_not_a_crash(talk: Talk) -> None:
    said = talk.say("find a car in ...", "FindCarIntent", {"city": "x" * 10_000, "pickupDate": "2026-11-24"},
                    state="STARTED")  # fmt: skip
    assert said.startswith("Sorry, I can't find rental cars in " + "x" * 100 + ".")
    assert talk.elicited == "city" and not talk.ended


@pytest.mark.parametrize(
    ("trip", "intent", "expected"),
    [
        # Found by fuzzing. A trip that is not an object made Trip.load raise, in the catch-all too: the
        # Lambda failed and Alexa said "There was a problem with the requested skill's response".
        (True, "AMAZON.HelpIntent", "I find rental cars in US cities"),
        (["Denver"], "AMAZON.HelpIntent", "I find rental cars in US cities"),
        # A field of the wrong type failed the turn in the catch-all, and was saved again for the next turn.
        ({"asked": "offers", "offer_index": "1"}, "AMAZON.NextIntent", "You haven't started a search yet."),
        ({"asked": "alternative", "alternative": "compact"}, "AMAZON.YesIntent", "Sorry, I didn't get that."),
    ],
)
def test_a_saved_trip_the_skill_cannot_use_is_left_out_not_a_crash(
    talk: Talk, trip: Any, intent: str, expected: str
) -> None:
    from tests.builders.alexa import Session

    talk.conversation.session = Session(attributes={"trip": trip}, new=False)
    assert talk.say("...", intent, state=None).startswith(expected)
    saved = talk.conversation.session.attributes["trip"]
    assert isinstance(saved, dict) and isinstance(saved["offer_index"], int)
    assert "alternative" not in saved


def test_a_lone_surrogate_in_a_slot_value_is_dropped_not_a_crash(talk: Talk) -> None:
    # Found by fuzzing: "\ud800" is valid in JSON but not in UTF-8, and hashing the trip for the search's
    # Idempotency-Key raised UnicodeEncodeError (the catch-all's apology).
    said = talk.say("find a car in Denver on Friday", "FindCarIntent",
                    {"city": "Den\ud800ver", "pickupDate": "2026-12-04"}, state="STARTED")  # fmt: skip
    assert said.startswith("I'll look in Denver from Friday, December 4")


def test_the_progressive_response_goes_only_to_alexas_api_or_this_machine(s3, clock: FixedClock) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from skill.progressive import is_alexa_api

    heard: list[str] = []

    class Listener(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            heard.append(self.headers["Authorization"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    listener = HTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    providers = {code: GatedSupplier(p) for code, p in simulated_providers(CityCatalog(), 0).items()}
    stack = build_stack(s3, clock, providers=providers)
    try:
        with serve(stack) as url:
            # GIVEN a request whose apiEndpoint is not Alexa's: 0.0.0.0 reaches this machine's listener too
            endpoint = f"http://0.0.0.0:{listener.server_address[1]}"
            talk = Talk(
                skill(url, deadline_s=1.5), Conversation(api_access_token="secret-token", api_endpoint=endpoint)
            )
            said = talk.say("find a compact car from Avis in Denver on December fifth", "FindCarIntent",
                            {"city": "Denver", "pickupDate": "2026-12-05", "carSize": "compact", "company": "Avis"},
                            state="STARTED")  # fmt: skip
        # THEN the answer comes, and the bearer token went nowhere
        assert said.startswith("Still checking Avis.") and heard == []
    finally:
        listener.shutdown()
        for supplier in providers.values():
            supplier.gate.set()
        stack.settle()
    assert is_alexa_api("https://api.amazonalexa.com") and is_alexa_api("https://api.eu.amazonalexa.com")
    assert not is_alexa_api("http://api.amazonalexa.com")  # not over plain HTTP
    assert not is_alexa_api("https://api.amazonalexa.com.evil.example")
