"""Long polls, ETags and cancels as a client sees them: the search API over HTTP on 127.0.0.1 (the local stack's
gateway, SigV4-signed), its Lambdas on moto S3 with suppliers a test holds back. The stack runs on a FixedClock; a
long poll's wait passes on it (TickingSleeper), so no test waits out a wait, and none measures time."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from search_service.adapters.local_context import LocalLambdaContext
from search_service.domain.cities import CityCatalog
from search_service.domain.tokens import search_id
from search_service.providers.simulated import simulated_providers
from tests.builders.http_api import Answer, Client, serve
from tests.builders.stack import USER, Stack, build_stack
from tests.builders.waiting import PATIENCE_S, wait_until
from tests.fakes.clock import FixedClock, TickingSleeper
from tests.fakes.suppliers import DroppingLauncher, GatedSupplier

HELD = ("hertz", "avis")  # the companies a test holds back; the other seven answer at once


@dataclass
class Held:
    stack: Stack
    url: str
    gates: dict[str, GatedSupplier]

    @property
    def sleeper(self) -> TickingSleeper:
        sleeper = self.stack.services.sleeper
        assert isinstance(sleeper, TickingSleeper)
        return sleeper

    def start(self) -> Client:
        token = self.stack.start_search().body["token"]
        client = Client(self.url, token)
        answered = len(simulated_providers(CityCatalog(), 0)) - len(self.gates)
        # The seven companies not held back have answered: the search is partial, waiting on the held ones.
        assert wait_until(lambda: len(self.stored(token)) == answered, PATIENCE_S), self.stored(token)
        return client

    def stored(self, token: str) -> list[str]:
        """The suppliers whose answers are in the bucket for this search."""
        s3 = self.stack.services.cache._s3  # type: ignore[attr-defined]
        prefix = f"results/{search_id(token, USER)}/suppliers/"
        listed = s3.list_objects_v2(Bucket="car-search-results", Prefix=prefix).get("Contents", [])
        return sorted(item["Key"][len(prefix) : -len(".json")] for item in listed)

    def open(self, code: str) -> None:
        self.gates[code].gate.set()

    def waiting(self, since: int) -> bool:
        """A long poll has slept since the sleeper had slept `since` times: it is waiting, not answering."""
        return len(self.sleeper.slept) > since


@pytest.fixture
def held(s3: Any, clock: FixedClock) -> Iterator[Held]:
    providers: dict[str, Any] = dict(simulated_providers(CityCatalog(), 0))
    gates = {code: GatedSupplier(providers[code]) for code in HELD}
    providers.update(gates)
    # The run reads the cancel marker before every answer it stores (deployed: at most every 0.5 s, and GET hides an
    # answer stored after the cancel; on this FixedClock the two times would be equal): "not stored" is then exact.
    stack = build_stack(s3, clock, providers=providers, supplier_timeout_s=PATIENCE_S, cancel_recheck_s=0)
    with serve(stack) as url:
        try:
            yield Held(stack, url, gates)
        finally:
            for gate in gates.values():
                gate.gate.set()  # the run ends, whatever the test did


def _in_background(call: Any) -> Future[Answer]:
    pool = ThreadPoolExecutor(max_workers=1)
    future: Future[Answer] = pool.submit(call)
    pool.shutdown(wait=False)
    return future


def _states(answer: Answer) -> dict[str, str]:
    return {s["supplier"]: s["state"] for s in answer.body["suppliers"]}


# --- ETag and If-None-Match ---------------------------------------------------------------------------------


def test_if_none_match_with_the_current_etag_gets_304_without_a_body(held: Held) -> None:
    client = held.start()
    first = client.get("Supplier=hertz")
    assert first.status == 202 and first.body["status"] == "pending"
    etag = first.headers["etag"]

    again = client.get("Supplier=hertz", If_None_Match=etag)

    # THEN nothing was sent again but the headers a 202 has: the same ETag, and when to ask again
    assert again.status == 304 and again.body is None
    assert again.headers["etag"] == etag
    assert again.headers["retry-after"] == first.headers["retry-after"]
    assert "content-length" not in again.headers
    assert "preference-applied" not in again.headers  # no wait was asked for


def test_etag_names_the_filtered_answer_and_changes_when_it_does(held: Held) -> None:
    client = held.start()
    hertz, suvs = client.get("Supplier=hertz"), client.get("CarSize=suv")
    assert hertz.headers["etag"].startswith('W/"') and hertz.headers["etag"] != suvs.headers["etag"]
    assert client.get("Supplier=hertz").headers["etag"] == hertz.headers["etag"]  # nothing new: the same tag

    held.open("hertz")
    assert wait_until(lambda: "hertz" in held.stored(client.token), PATIENCE_S)

    # THEN the old tag no longer matches: the client gets the new answer, with a new tag
    changed = client.get("Supplier=hertz", If_None_Match=hertz.headers["etag"])
    assert changed.status == 200 and changed.body["status"] == "complete"
    assert changed.headers["etag"] != hertz.headers["etag"]
    # ...and a tag list or * (RFC 9110) match as they should
    listed = client.get("Supplier=hertz", If_None_Match=f'"other", {changed.headers["etag"]}')
    assert listed.status == 304
    assert client.get("Supplier=hertz", If_None_Match="*").status == 304


# --- long polls ----------------------------------------------------------------------------------------------


def test_a_long_poll_answers_when_the_company_asked_for_answers_without_waiting_out_the_wait(held: Held) -> None:
    client = held.start()
    pending = client.get("Supplier=hertz&CarSize=compact")
    assert pending.status == 202
    slept = len(held.sleeper.slept)

    # WHEN a client long-polls with the answer it has, and Hertz answers while the request waits
    polling = _in_background(
        lambda: client.get("Supplier=hertz&CarSize=compact", Prefer="wait=20", If_None_Match=pending.headers["etag"])
    )
    assert wait_until(lambda: held.waiting(slept), PATIENCE_S), "the long poll did not wait"
    assert not polling.done()
    held.open("hertz")
    answer = polling.result(PATIENCE_S)

    # THEN the waiting request answers with Hertz's offers, well before its 20 s were up (on the stack's clock)
    assert answer.status == 200 and answer.body["status"] == "complete"
    assert answer.headers["preference-applied"] == "wait=20"
    assert {offer["supplier"] for offer in answer.body["offers"]} == {"hertz"}
    assert sum(held.sleeper.slept[slept:]) < 20
    assert answer.headers["etag"] != pending.headers["etag"]


def test_a_long_poll_with_nothing_new_answers_when_its_wait_is_up(held: Held) -> None:
    client = held.start()
    pending = client.get("Supplier=hertz")
    slept = len(held.sleeper.slept)

    unchanged = client.get("Supplier=hertz", Prefer="wait=3", If_None_Match=pending.headers["etag"])

    # THEN after the 3 s asked for: still nothing new, so a 304 saying the wait was honoured
    assert unchanged.status == 304 and unchanged.body is None
    assert unchanged.headers["preference-applied"] == "wait=3"
    assert sum(held.sleeper.slept[slept:]) == pytest.approx(3)
    # Without If-None-Match the wait is for news since the request came: none, so the pending answer itself
    plain = client.get("Supplier=hertz", Prefer="wait=2")
    assert plain.status == 202 and plain.body["status"] == "pending"
    assert plain.headers["preference-applied"] == "wait=2" and "retry-after" in plain.headers


def test_a_long_poll_waits_at_most_the_cap_and_ignores_what_it_does_not_understand(held: Held) -> None:
    client = held.start()
    etag = client.get("Supplier=hertz").headers["etag"]
    capped = client.get("Supplier=hertz", Prefer="respond-async, wait=600", If_None_Match=etag)
    assert capped.status == 304 and capped.headers["preference-applied"] == "wait=20"
    not_a_number = client.get("Supplier=hertz", Prefer="wait=soon", If_None_Match=etag)
    assert not_a_number.status == 304 and "preference-applied" not in not_a_number.headers


def test_a_long_poll_on_a_finished_search_answers_at_once(held: Held) -> None:
    client = held.start()
    for code in HELD:
        held.open(code)
    assert wait_until(lambda: len(held.stored(client.token)) == 9, PATIENCE_S)
    done = client.get()
    slept = len(held.sleeper.slept)
    # A complete answer never changes: nothing to wait for, with or without the tag
    assert client.get(Prefer="wait=20").status == 200
    assert client.get(Prefer="wait=20", If_None_Match=done.headers["etag"]).status == 304
    assert len(held.sleeper.slept) == slept


# --- cancels -------------------------------------------------------------------------------------------------


def test_cancel_keeps_what_had_answered_and_stores_nothing_after(held: Held) -> None:
    client = held.start()

    cancelled = client.delete()

    # THEN the search is cancelled, with the seven answers it had; the two held back say they were not waited for
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"
    assert cancelled.body["cancelledAt"] is not None and "retry-after" not in cancelled.headers
    states = _states(cancelled)
    assert {code for code, state in states.items() if state == "cancelled"} == set(HELD)
    assert {code for code, state in states.items() if state == "complete"} == set(states) - set(HELD)
    assert cancelled.body["offerCount"] > 0
    # WHEN the held companies answer after the cancel, and the run ends
    for code in HELD:
        held.open(code)
    held.stack.settle()
    # THEN their answers were not stored, and a GET says the same as the cancel did
    assert not set(HELD) & set(held.stored(client.token))
    after = client.get()
    assert after.status == 200 and after.body["status"] == "cancelled" and _states(after) == states
    assert after.body["offerCount"] == cancelled.body["offerCount"]


def test_a_second_cancel_answers_as_the_first(held: Held) -> None:
    client = held.start()
    first = client.delete()
    second = client.delete("token=" + client.token)  # the design's query form works as for GET
    assert second.status == 200 and second.body == first.body
    assert second.headers["etag"] == first.headers["etag"]


def test_a_cancel_before_the_run_asks_no_company(s3: Any, clock: FixedClock) -> None:
    # GIVEN a search whose async event has not run yet (held back, as Lambda's queue may)
    stack = build_stack(s3, clock, launcher=DroppingLauncher())
    with serve(stack) as url:
        client = Client(url, stack.start_search().body["token"])
        assert client.delete().status == 200
        # WHEN the event runs after the cancel
        ran = stack.run({"action": "run-search", "searchId": search_id(client.token, USER)}, LocalLambdaContext())
        after = client.get()
    # THEN no company was asked: none has an answer, each says it was cancelled
    assert ran == {"status": "skipped", "reason": "search cancelled"}
    assert set(_states(after).values()) == {"cancelled"}
    assert after.body["offerCount"] == 0
    assert after.body["message"] == "The search was cancelled before any company answered."


def test_a_long_poll_answers_when_the_search_is_cancelled(held: Held) -> None:
    client = held.start()
    etag = client.get("Supplier=hertz").headers["etag"]
    slept = len(held.sleeper.slept)
    polling = _in_background(lambda: client.get("Supplier=hertz", Prefer="wait=20", If_None_Match=etag))
    assert wait_until(lambda: held.waiting(slept), PATIENCE_S)
    assert client.delete().status == 200
    answer = polling.result(PATIENCE_S)
    assert answer.status == 200 and answer.body["status"] == "cancelled"
    assert _states(answer) == {"hertz": "cancelled"}


def test_a_cancel_of_a_finished_search_is_a_conflict_and_changes_nothing(held: Held) -> None:
    client = held.start()
    for code in HELD:
        held.open(code)
    assert wait_until(lambda: client.get().body["status"] == "complete", PATIENCE_S)
    refused = client.delete()
    assert refused.status == 409
    assert refused.body["message"].startswith("The search is already complete: there is nothing left to cancel.")
    assert refused.body["errors"][0]["code"] == "already_complete"
    assert client.get().body["status"] == "complete"


def test_another_users_token_gets_the_same_404_as_get(held: Held) -> None:
    client = held.start()
    stranger = Client(held.url, client.token, user="someone-else")
    get, delete = stranger.get(), stranger.delete()
    assert get.status == delete.status == 404
    assert delete.body == get.body
    assert client.get().body["status"] == "partial"  # the owner's search goes on


def test_a_cancel_needs_the_token_and_the_user(held: Held) -> None:
    client = held.start()
    missing = client.call("DELETE", bearer=False)
    assert missing.status == 400 and {e["field"] for e in missing.body["errors"]} == {"token"}


def test_cancels_and_long_polls_run_at_once_for_different_searches(held: Held) -> None:
    # Two clients: one long-polls its search while the other cancels its own; neither sees the other's
    first, second = held.start(), held.start()
    etag = first.get("Supplier=avis").headers["etag"]
    slept = len(held.sleeper.slept)
    polling = _in_background(lambda: first.get("Supplier=avis", Prefer="wait=4", If_None_Match=etag))
    assert wait_until(lambda: held.waiting(slept), PATIENCE_S)
    assert second.delete().body["status"] == "cancelled"
    assert polling.result(PATIENCE_S).status == 304
    assert first.get().body["status"] == "partial"
