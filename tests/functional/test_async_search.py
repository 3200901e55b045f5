"""The search Lambda's async job: duplicate delivery, crashes, slow suppliers, racing readers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from search_service.adapters.events import RunSearchEvent
from search_service.adapters.local_context import LocalLambdaContext
from search_service.domain.cities import CityCatalog
from search_service.domain.tokens import search_id
from search_service.providers.simulated import simulated_providers
from tests.builders.logs import written_lines
from tests.builders.stack import USER, Stack, build_stack
from tests.builders.waiting import PATIENCE_S, wait_until
from tests.fakes.clock import FixedClock
from tests.fakes.suppliers import DroppingLauncher, GatedSupplier, MeetingSupplier


def _event(token: str, user: str = USER) -> dict[str, Any]:
    return json.loads(RunSearchEvent(search_id=search_id(token, user)).model_dump_json(by_alias=True))


def _stored_keys(stack: Stack) -> list[str]:
    s3 = stack.services.cache._s3
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=stack.services.settings.results_bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


HANDOVERS = pytest.mark.parametrize("handover", ["invoke", "queue"])  # the template's Handover parameter


@HANDOVERS
def test_suppliers_are_asked_all_at_once(s3: Any, clock: FixedClock, handover: str) -> None:
    simulated = simulated_providers(CityCatalog(), 0)
    barrier = threading.Barrier(len(simulated))
    providers = {code: MeetingSupplier(p, barrier) for code, p in simulated.items()}
    stack = build_stack(s3, clock, providers=providers, supplier_timeout_s=5, handover=handover)
    token = stack.start_search("New York").body["token"]
    stack.settle()
    result = stack.get(token).body
    assert {s["state"] for s in result["suppliers"]} == {"complete"}, result["suppliers"]


def test_same_event_delivered_twice_changes_nothing(s3: Any, clock: FixedClock) -> None:
    # GIVEN a search whose event is held back, then delivered twice in a row (Lambda's at-least-once)
    stack = build_stack(s3, clock, launcher=DroppingLauncher())
    token = stack.start_search().body["token"]
    first = stack.run(_event(token), LocalLambdaContext("search"))
    before = stack.get(token, Limit=500).body
    second = stack.run(_event(token), LocalLambdaContext("search"))

    # THEN the second delivery runs nothing and the results are the same offers, once each
    assert first["status"] == "done" and len(first["completed"]) == 9
    assert second == {"status": "skipped", "reason": "every supplier has answered"}
    after = stack.get(token, Limit=500).body
    assert after["offers"] == before["offers"]
    ids = [offer["offerId"] for offer in after["offers"]]
    assert len(ids) == len(set(ids))


def test_same_event_delivered_twice_at_once_gives_one_clean_result(s3: Any, clock: FixedClock) -> None:
    # S3 takes each request whole; moto does not when two PUTs of one key meet (one closes the other's buffer,
    # "I/O operation on closed file"): one request at a time, so the runs interleave as they would on S3.
    one_at_a_time = threading.Lock()
    send = s3._make_api_call

    def atomic(*args: Any, **kwargs: Any) -> Any:
        with one_at_a_time:
            return send(*args, **kwargs)

    s3._make_api_call = atomic
    stack = build_stack(s3, clock, launcher=DroppingLauncher())
    token = stack.start_search().body["token"]
    threads = [threading.Thread(target=stack.run, args=(_event(token), LocalLambdaContext())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE_S)

    result = stack.get(token, Limit=500).body
    assert result["status"] == "complete"
    ids = [offer["offerId"] for offer in result["offers"]]
    assert len(ids) == len(set(ids)) == result["offerCount"]
    assert len([key for key in _stored_keys(stack) if "/suppliers/" in key]) == 9


@HANDOVERS
def test_search_crashing_mid_way_is_retried_and_completes(s3: Any, clock: FixedClock, handover: str) -> None:
    # GIVEN S3 refusing the first write of Hertz's answer, as a crash half-way through the search would
    failures = {"left": 1}

    def flaky_put(params: dict[str, Any], **_: Any) -> None:
        if params["Key"].endswith("/suppliers/hertz.json") and failures["left"]:
            failures["left"] -= 1
            raise EndpointConnectionError(endpoint_url="https://s3.amazonaws.com")

    s3.meta.events.register("before-parameter-build.s3.PutObject", flaky_put)
    stack = build_stack(s3, clock, handover=handover)
    token = stack.start_search().body["token"]
    stack.settle()  # the local launcher retries a failed invocation, as Lambda does

    # THEN the retry ran only what was missing and every supplier is in
    result = stack.get(token)
    assert result.body["status"] == "complete"
    assert {s["state"] for s in result.body["suppliers"]} == {"complete"}


def test_search_that_never_finishes_ends_failed_for_the_missing_suppliers(s3: Any, clock: FixedClock) -> None:
    def broken_put(params: dict[str, Any], **_: Any) -> None:
        if params["Key"].endswith("/suppliers/hertz.json"):
            raise EndpointConnectionError(endpoint_url="https://s3.amazonaws.com")

    s3.meta.events.register("before-parameter-build.s3.PutObject", broken_put)
    stack = build_stack(s3, clock)
    token = stack.start_search().body["token"]
    stack.settle()
    assert stack.get(token).body["status"] == "partial"  # Hertz could still answer on a later retry

    clock.advance(seconds=121)
    result = stack.get(token).body
    assert result["status"] == "complete"
    hertz = next(s for s in result["suppliers"] if s["supplier"] == "hertz")
    assert (hertz["state"], hertz["error"]) == ("failed", "did not answer in time")


@HANDOVERS
def test_slow_supplier_times_out_and_the_others_offers_stand(s3: Any, clock: FixedClock, handover: str) -> None:
    providers = dict(simulated_providers(CityCatalog(), 0))
    slow = GatedSupplier(providers["sixt"])  # never answers
    providers["sixt"] = slow
    stack = build_stack(s3, clock, providers=providers, supplier_timeout_s=0.2, handover=handover)
    token = stack.start_search().body["token"]
    stack.settle()

    result = stack.get(token).body
    assert result["status"] == "complete"
    sixt = next(s for s in result["suppliers"] if s["supplier"] == "sixt")
    assert (sixt["state"], sixt["error"]) == ("failed", "did not answer within 0.2 s")
    assert len({o["supplier"] for o in stack.get(token, Limit=500).body["offers"]}) == 8
    slow.gate.set()


def test_search_keeps_within_the_lambda_time_left(s3: Any, clock: FixedClock) -> None:
    # GIVEN a supplier that never answers and a Lambda with 1.5 s left
    providers = dict(simulated_providers(CityCatalog(), 0))
    slow = GatedSupplier(providers["hertz"])
    providers["hertz"] = slow
    stack = build_stack(s3, clock, providers=providers, launcher=DroppingLauncher(), supplier_timeout_s=60)
    token = stack.start_search().body["token"]

    report = stack.run(_event(token), LocalLambdaContext("search", timeout_s=1.5))

    # THEN the search gives up on it in time to record it, instead of being killed with nothing written
    assert report["failed"] == ["hertz"]
    hertz = next(s for s in stack.get(token).body["suppliers"] if s["supplier"] == "hertz")
    assert hertz["state"] == "failed" and hertz["error"].startswith("did not answer within 0.")
    slow.gate.set()


def test_readers_racing_the_writes_always_see_whole_results(s3: Any, clock: FixedClock) -> None:
    providers = {code: GatedSupplier(p) for code, p in simulated_providers(CityCatalog(), 0).items()}
    stack = build_stack(s3, clock, providers=providers)
    token = stack.start_search().body["token"]
    seen: list[tuple[int, str, int]] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            result = stack.get(token, Limit=500)
            seen.append((result.status, result.body["status"], result.body["offerCount"]))

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    for code, supplier in providers.items():  # suppliers answer one by one while the readers read
        supplier.gate.set()
        assert wait_until(lambda code=code: _state_of(stack.get(token).body, code) == "complete", PATIENCE_S, 0.01)
        seen.append((200, stack.get(token).body["status"], 0))
    stack.settle()
    stop.set()
    for reader in readers:
        reader.join(PATIENCE_S)

    assert seen and {status for status, _, _ in seen} <= {200, 202}
    final = stack.get(token, Limit=500).body
    assert final["status"] == "complete"
    assert all(count <= final["offerCount"] for _, _, count in seen)
    assert {state for _, state, _ in seen} >= {"partial"}


def _state_of(body: dict[str, Any], code: str) -> str:
    return next(s["state"] for s in body["suppliers"] if s["supplier"] == code)


@pytest.mark.parametrize("event", [{}, {"action": "run-search"}, {"action": "delete-everything", "searchId": "x"}])
def test_malformed_async_event_is_dropped_not_retried(stack: Stack, event: dict[str, Any]) -> None:
    assert stack.run(event, LocalLambdaContext()) == {"status": "ignored", "reason": "not a search event"}


def test_event_for_an_unknown_search_is_skipped(stack: Stack) -> None:
    event = {"action": "run-search", "searchId": "0" * 64}
    assert stack.run(event, LocalLambdaContext()) == {"status": "skipped", "reason": "unknown search"}
    assert _stored_keys(stack) == []


@pytest.fixture
def written() -> Iterator[list[dict[str, Any]]]:
    with written_lines() as lines:
        yield lines


def test_one_search_logs_join_up_by_correlation_id_without_the_user(
    stack: Stack, written: list[dict[str, Any]]
) -> None:
    token = stack.start_search().body["token"]
    stack.settle()
    stack.get(token)
    lines = written

    by_message = {line["message"]: line for line in lines}
    expected = search_id(token, USER)
    assert by_message["search accepted"]["correlation_id"] == expected
    assert by_message["search finished"]["correlation_id"] == expected
    assert by_message["results read"]["correlation_id"] == expected
    everything = json.dumps(lines)
    assert USER not in everything and token not in everything
