"""Faults of the whole system, played through the local stack over HTTP: what the user hears from the skill and
what a client gets from the search API when S3 is down or erroring, when the search Lambda crashes on every
attempt, when a supplier times out, when readers race the search's writes, and when the API goes away in the
middle of a conversation.

The same async event delivered twice is covered in process, where the two deliveries can be ordered and timed
exactly: tests/functional/test_async_search.py::test_same_event_delivered_twice_changes_nothing and
::test_same_event_delivered_twice_at_once_gives_one_clean_result, and a failure record arriving after the search
finished in tests/functional/test_lost_searches.py::test_offers_already_stored_survive_a_late_failure_record.
Through the local stack they would only add a hop between processes.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from local_stack.s3 import S3Fault
from local_stack.stack import LocalStack
from search_service.entry.lost_searches import LOST_SEARCH
from tests.builders.today import trip
from tests.builders.waiting import PATIENCE_S
from tests.reliability._stack import (
    API_DOWN,
    RETRY_DELAYS_S,
    SEARCH_FAILED,
    STORE_DOWN,
    Api,
    Launches,
    api_user,
    conversation,
    embedded_s3,
    running_stack,
    token_of,
)

TRIP = trip("reliability-user")
ALL_OFFERS = 500  # the API's largest Limit: every offer of a search in one answer


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with running_stack() as running:
        yield running


@pytest.fixture(scope="module")
def launches(stack: LocalStack) -> Launches:
    return Launches(stack)


@pytest.fixture(autouse=True)
def _record_launches(launches: Launches) -> None:
    """Every test of the module's stack has its searches recorded, from the first."""


@pytest.fixture
def api(stack: LocalStack) -> Iterator[Api]:
    client = Api(stack)
    yield client
    client.close()


# --- S3 unreachable or erroring -------------------------------------------------------------------------------


S3_FAULTS = {
    # off the network (its port refuses connections), then back at the same address with everything it held
    "unreachable": lambda stack: embedded_s3(stack).outage(),
    "internal-error": lambda stack: embedded_s3(stack).failing(S3Fault(500, "InternalError")),
}


@pytest.mark.parametrize("fault", S3_FAULTS)
def test_with_s3_down_the_start_is_a_clear_503_the_skill_apologises_and_the_session_goes_on(
    stack: LocalStack, api: Api, fault: str
) -> None:
    chat = conversation(stack)
    earlier = api.post(TRIP)[2]["token"]
    assert stack.api.launcher.wait_idle(PATIENCE_S)

    with S3_FAULTS[fault](stack):
        # The search API: a 503 that says what is wrong and when to come back, for starts and for reads
        status, headers, body = api.post(TRIP)
        assert (status, body["message"], headers["retry-after"]) == (503, STORE_DOWN, "5")
        status, headers, body = api.get(earlier, TRIP["user"])
        assert (status, body["message"], headers["retry-after"]) == (503, STORE_DOWN, "5")

        # The skill: an apology, and the session stays open for another try
        turn = chat.say("ask car search to find a car in Boston next weekend")
        assert turn.error is None, turn.error
        assert turn.speech in API_DOWN
        assert not turn.session_ended

    # S3 is back: the same session goes on with the trip it heard, and finds a car
    again = chat.say("find a car")
    assert again.speech and again.speech.startswith("I'll look in Boston from Saturday,"), again.speech
    assert again.speech.endswith("What size car would you like?"), again.speech
    assert "company" in (chat.say("a midsize car").speech or "")
    offer = chat.say("Avis")
    assert offer.error is None and not offer.session_ended
    assert "midsize car from Avis" in (offer.speech or "") or "Avis has a midsize car" in (offer.speech or "")
    assert api.get(earlier, TRIP["user"])[2]["status"] == "complete"  # nothing stored before the outage was lost


# --- the search Lambda crashes on every attempt ----------------------------------------------------------------


def test_a_search_lambda_crashing_on_every_attempt_ends_failed_and_the_skill_says_so(
    stack: LocalStack, api: Api
) -> None:
    chat = conversation(stack, "amzn1.ask.account.CRASHES")
    # Every supplier's answer fails to be written, so the search Lambda raises half-way, on every attempt.
    crash = S3Fault(403, "AccessDenied", "Access Denied", method="PUT", key_contains="/suppliers/")
    with embedded_s3(stack).failing(crash):
        first = chat.say("ask car search to find a car in Chicago next weekend")
        assert "What size car" in (first.speech or "")
        token = token_of(chat)
        assert token
        assert stack.api.launcher.wait_idle(PATIENCE_S)

        # Lambda gave up after its retry and sent the record to the lost-search queue, which marked it failed
        lost_searches = stack.api.lost_searches
        assert lost_searches is not None
        record = lost_searches.delivered[-1]
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 1 + len(RETRY_DELAYS_S)
        assert record["responsePayload"]["errorType"] == "CacheUnavailable"

        # GET says so at once, instead of "pending" until the search's deadline two minutes later
        status, _, body = api.get(token, api_user(chat))
        assert (status, body["status"]) == (200, "failed")
        assert {(s["state"], s["error"]) for s in body["suppliers"]} == {("failed", LOST_SEARCH)}
        assert body["message"].startswith("The search failed")

        # and the skill tells the user, without making them wait for results that will never come
        assert "company" in (chat.say("a small car").speech or "")
        told = chat.say("Enterprise")
        assert told.error is None and told.speech in SEARCH_FAILED
        assert not told.session_ended and told.skill_ms < 2000


# --- a supplier times out -------------------------------------------------------------------------------------


def test_a_supplier_timing_out_gives_partial_results_that_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    # Suppliers at 2% of their real latency: Enterprise, National and Alamo answer within 0.09 s, while Sixt,
    # Dollar and Thrifty need 0.12 s or more, past the 0.1 s supplier timeout (the search Lambda's setting).
    monkeypatch.setenv("SUPPLIER_TIMEOUT_SECONDS", "0.1")
    with running_stack(latency_scale=0.02) as stack:
        chat = conversation(stack, "amzn1.ask.account.TIMEOUTS")
        chat.say("ask car search to find a car in New York next weekend")
        chat.say("a small car")
        offer = chat.say("no")  # no preferred company: the cheapest offer of those that answered
        assert offer.error is None and not offer.session_ended
        assert "compact car" in (offer.speech or "") and "dollars" in (offer.speech or "")

        assert stack.api.launcher.wait_idle(PATIENCE_S)
        api = Api(stack)
        status, _, body = api.get(token_of(chat) or "", api_user(chat), Limit=ALL_OFFERS)
        api.close()

    assert (status, body["status"]) == (200, "complete")
    states = {s["supplier"]: (s["state"], s["error"]) for s in body["suppliers"]}
    for slow in ("sixt", "dollar", "thrifty"):
        assert states[slow] == ("failed", "did not answer within 0.1 s")
    for fast in ("enterprise", "national", "alamo"):
        assert states[fast] == ("complete", None)
    answered = {code for code, (state, _) in states.items() if state == "complete"}
    assert {o["supplier"] for o in body["offers"]} == answered
    assert "could not be reached" in body["message"]
    assert all(name in body["message"] for name in ("Sixt", "Dollar", "Thrifty"))
    assert not {"sixt", "dollar", "thrifty"} & {o["supplier"] for o in body["offers"]}


# --- GETs racing the writes -----------------------------------------------------------------------------------


def test_concurrent_gets_racing_the_writes_over_http_never_see_a_torn_result() -> None:
    # Suppliers answer one after another over about three seconds while 16 clients poll without pause.
    with running_stack(latency_scale=0.2) as stack:
        starter = Api(stack)
        status, _, started = starter.post(TRIP | {"city": "New York"})
        assert status == 202
        token = started["token"]
        done = threading.Event()

        def poll() -> list[tuple[int, dict[str, Any]]]:
            client = Api(stack)
            seen = []
            try:
                while not done.is_set():
                    status, _, body = client.get(token, TRIP["user"], Limit=ALL_OFFERS)
                    seen.append((status, body))
                    if body["status"] == "complete":
                        done.set()
            finally:
                client.close()
            return seen

        with ThreadPoolExecutor(16) as readers:
            polls = [readers.submit(poll) for _ in range(16)]
            assert done.wait(PATIENCE_S), "the search did not complete"
            seen = [future.result(PATIENCE_S) for future in polls]
        assert stack.api.launcher.wait_idle(PATIENCE_S)
        final = starter.get(token, TRIP["user"], Limit=ALL_OFFERS)[2]
        starter.close()

    assert final["status"] == "complete"
    final_offers = {o["offerId"]: o for o in final["offers"]}
    per_supplier: dict[str, int] = {}
    for offer in final["offers"]:
        per_supplier[offer["supplier"]] = per_supplier.get(offer["supplier"], 0) + 1
    answers = [answer for reader in seen for answer in reader]
    assert len(answers) > 32, f"only {len(answers)} reads raced the writes"
    statuses = set()
    for status, body in answers:
        _assert_whole(status, body, final_offers, per_supplier)
        statuses.add(body["status"])
    assert "partial" in statuses, statuses  # the reads did overlap the writes
    for reader in seen:  # each client sees the search only move forward
        done_so_far = [{s["supplier"] for s in body["suppliers"] if s["state"] == "complete"} for _, body in reader]
        assert all(before <= after for before, after in itertools.pairwise(done_so_far))


def _assert_whole(
    status: int, body: dict[str, Any], final_offers: dict[str, Any], per_supplier: dict[str, int]
) -> None:
    """One answer is a consistent snapshot: its status agrees with its suppliers' states, and every supplier's
    offers are there whole (all of them, exactly as in the end) or not at all."""
    states = {s["supplier"]: s["state"] for s in body["suppliers"]}
    searching = [code for code, state in states.items() if state == "searching"]
    complete = [code for code, state in states.items() if state == "complete"]
    expected = ("partial" if complete else "pending") if searching else "complete"
    assert body["status"] == expected, body["status"]
    assert status == (202 if expected == "pending" else 200)
    assert body["offerCount"] == len(body["offers"])
    by_supplier: dict[str, int] = {}
    for offer in body["offers"]:
        assert offer == final_offers[offer["offerId"]]
        by_supplier[offer["supplier"]] = by_supplier.get(offer["supplier"], 0) + 1
    assert by_supplier == {code: per_supplier[code] for code in complete if per_supplier.get(code)}
    prices = [offer["totalPrice"] for offer in body["offers"]]
    assert prices == sorted(prices)


# --- the local API stops in the middle of a conversation ------------------------------------------------------


def test_the_api_stopping_mid_conversation_gets_an_apology_and_the_session_survives_it(stack: LocalStack) -> None:
    chat = conversation(stack, "amzn1.ask.account.APIGOES")
    assert "What size car" in (chat.say("ask car search to find a car in Denver next weekend").speech or "")

    stack.api.pause()  # the search API is off the network: its port refuses connections
    try:
        # The size question needs no API; the results do: an apology, never an error or silence
        assert "company" in (chat.say("an SUV").speech or "")
        results = chat.say("Hertz")
        assert results.error is None, results.error
        assert results.speech in API_DOWN and not results.session_ended
        assert results.reprompt == "Shall I try again now? Please say yes or no."
        # Asking again, or for another trip, while it is still down: the same
        for again in ("are my results ready", "find a car in Boston tomorrow"):
            turn = chat.say(again)
            assert turn.error is None and turn.speech in API_DOWN and not turn.session_ended, (again, turn.speech)
    finally:
        stack.api.resume()

    # Back: "yes" to "shall I try again", and the same session picks up the last trip asked for, with the size
    # and company already given
    back = chat.say("yes")
    assert back.error is None and not back.session_ended
    assert "Hertz has an SUV" in (back.speech or "") or "SUV from Hertz" in (back.speech or ""), back.speech


def test_a_search_started_before_the_api_stopped_is_there_when_it_is_back(stack: LocalStack, api: Api) -> None:
    token = api.post(TRIP)[2]["token"]
    stack.api.pause()
    try:
        assert stack.api.launcher.wait_idle(PATIENCE_S)  # the search Lambda carries on without the API in front
    finally:
        stack.api.resume()
    answer = Api(stack)
    try:
        assert answer.get(token, TRIP["user"])[2]["status"] == "complete"
    finally:
        answer.close()


def test_every_search_started_under_these_faults_has_ended(stack: LocalStack, launches: Launches) -> None:
    """Runs last in this module: every search the faults above started ended complete or failed."""
    assert stack.api.launcher.wait_idle(PATIENCE_S)
    assert len(launches.ids) >= 5
    assert launches.unfinished() == []
