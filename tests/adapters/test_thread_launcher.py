"""The local async invoke: retries as Lambda does, then the invocation record Lambda would send to the function's
on-failure destination, in the shape the search Lambda's lost-search consumer reads."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from search_service.adapters.events import LostSearchRecord
from search_service.adapters.thread_launcher import ThreadLauncher
from search_service.domain.errors import LaunchFailed
from tests.builders.waiting import PATIENCE_S, wait_until


class Target:
    """A search Lambda that raises on its first `failing` invocations, then succeeds."""

    def __init__(self, failing: int = 0) -> None:
        self.failing = failing
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        if len(self.events) <= self.failing:
            raise RuntimeError(f"crashed on attempt {len(self.events)}")
        return {"status": "done"}


def _launcher(target: Target, records: list[dict[str, Any]], **options: Any) -> ThreadLauncher:
    options.setdefault("retry_delays_s", (0.0,))
    return ThreadLauncher(target, on_failure=records.append, **options)


def test_an_event_that_succeeds_sends_no_record() -> None:
    records: list[dict[str, Any]] = []
    target = Target()
    launcher = _launcher(target, records)
    launcher.launch("s-1")
    assert launcher.wait_idle(PATIENCE_S)
    assert target.events == [{"action": "run-search", "searchId": "s-1"}]
    assert records == [] and launcher.failures == 0
    launcher.shutdown()


def test_a_crash_is_retried_and_a_success_on_the_retry_sends_no_record() -> None:
    records: list[dict[str, Any]] = []
    target = Target(failing=1)
    launcher = _launcher(target, records)
    launcher.launch("s-1")
    assert launcher.wait_idle(PATIENCE_S)
    assert len(target.events) == 2 and records == [] and launcher.failures == 0
    launcher.shutdown()


def test_an_event_that_fails_every_attempt_sends_lambdas_invocation_record() -> None:
    records: list[dict[str, Any]] = []
    target = Target(failing=99)
    launcher = _launcher(target, records, retry_delays_s=(0.0, 0.01), function_name="car-search-search")
    launcher.launch("s-1")
    assert launcher.wait_idle(PATIENCE_S)  # idle only once the record is delivered

    assert len(target.events) == 3 and launcher.failures == 1
    [record] = records
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    context = record["requestContext"]
    assert context["condition"] == "RetriesExhausted"
    assert context["approximateInvokeCount"] == 3
    assert context["functionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:car-search-search:$LATEST"
    assert record["requestPayload"] == {"action": "run-search", "searchId": "s-1"}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert record["responsePayload"]["errorMessage"] == "crashed on attempt 3"
    # What the search Lambda's mark_lost reads from the SQS message's body.
    lost = LostSearchRecord.model_validate_json(json.dumps(record))
    assert (lost.request_payload.search_id, lost.request_context.approximate_invoke_count) == ("s-1", 3)
    launcher.shutdown()


def test_an_event_that_waited_too_long_is_given_up_unrun_as_event_age_exceeded() -> None:
    # GIVEN one worker, held by a first event, and a second event that waits past the maximum event age
    records: list[dict[str, Any]] = []
    gate = threading.Event()
    ran: list[str] = []

    def target(event: dict[str, Any], context: Any) -> None:
        ran.append(event["searchId"])
        gate.wait(PATIENCE_S)

    launcher = ThreadLauncher(target, (0.0,), max_workers=1, on_failure=records.append, max_event_age_s=0.05)
    launcher.launch("first")
    assert wait_until(lambda: ran == ["first"], PATIENCE_S)  # taken at once, however busy the machine
    launcher.launch("second")
    threading.Event().wait(0.1)  # past the maximum age: only the first event's end lets the worker take it
    gate.set()
    assert launcher.wait_idle(PATIENCE_S)

    # THEN the second never ran, and its record says why, with no response to report
    assert ran == ["first"]
    [record] = records
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["requestPayload"]["searchId"] == "second"
    assert "responsePayload" not in record
    launcher.shutdown()


def test_a_failing_destination_is_logged_and_does_not_stall_the_launcher(caplog: pytest.LogCaptureFixture) -> None:
    def refuse(record: dict[str, Any]) -> None:
        raise ConnectionError("queue unreachable")

    launcher = ThreadLauncher(Target(failing=99), (0.0,), on_failure=refuse)
    launcher.launch("s-1")
    assert launcher.wait_idle(PATIENCE_S)
    assert launcher.failures == 1
    assert "on-failure destination did not take the record" in caplog.text
    launcher.shutdown()


def test_without_a_destination_a_given_up_event_is_logged() -> None:
    launcher = ThreadLauncher(Target(failing=99), (0.0,))
    launcher.launch("s-1")
    assert launcher.wait_idle(PATIENCE_S)
    assert launcher.failures == 1
    launcher.shutdown()


def test_shutdown_during_the_retry_delay_drops_the_event_without_a_record() -> None:
    records: list[dict[str, Any]] = []
    target = Target(failing=99)
    launcher = _launcher(target, records, retry_delays_s=(30.0,))
    launcher.launch("s-1")
    assert wait_until(lambda: bool(target.events), PATIENCE_S)
    launcher.shutdown()
    assert launcher.wait_idle(PATIENCE_S)
    assert len(target.events) == 1 and records == []
    with pytest.raises(LaunchFailed, match="the local async executor is stopped"):
        launcher.launch("s-2")


def _async_workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("async-invoke") and t.is_alive()]


def test_launch_only_queues_and_events_run_at_once_up_to_max_workers() -> None:
    gate = threading.Event()
    running: list[str] = []

    finished: list[str] = []

    def target(event: dict[str, Any], context: Any) -> None:
        running.append(event["searchId"])
        gate.wait(PATIENCE_S)
        finished.append(event["searchId"])

    launcher = ThreadLauncher(target, (0.0,), max_workers=3)
    for number in range(5):
        launcher.launch(f"s-{number}")
    assert not gate.is_set() and finished == []  # each launch returned while its search could not end
    assert wait_until(lambda: len(running) == 3, PATIENCE_S)
    time.sleep(0.05)  # a fourth would have started by now
    assert len(running) == 3  # the other two wait for a worker, as throttled events wait in Lambda's queue
    gate.set()
    assert launcher.wait_idle(PATIENCE_S)
    assert sorted(running) == [f"s-{number}" for number in range(5)]
    launcher.shutdown()


def test_idle_workers_end_and_the_next_launch_starts_one_again() -> None:
    ran: list[str] = []
    before = set(_async_workers())
    launcher = ThreadLauncher(lambda event, _: ran.append(event["searchId"]), (0.0,), idle_timeout_s=0.05)
    launcher.launch("s-1")
    assert launcher.wait_idle(PATIENCE_S)
    assert wait_until(lambda: not set(_async_workers()) - before, PATIENCE_S)
    launcher.launch("s-2")
    assert launcher.wait_idle(PATIENCE_S) and ran == ["s-1", "s-2"]
    launcher.shutdown()


def test_shutdown_drops_the_queued_events_and_lets_the_running_one_finish() -> None:
    gate = threading.Event()
    ran: list[str] = []

    started: list[str] = []

    def target(event: dict[str, Any], context: Any) -> None:
        started.append(event["searchId"])
        gate.wait(PATIENCE_S)
        ran.append(event["searchId"])

    launcher = ThreadLauncher(target, (0.0,), max_workers=1)
    for number in range(3):
        launcher.launch(f"s-{number}")
    assert wait_until(lambda: started == ["s-0"], PATIENCE_S)
    launcher.shutdown()
    gate.set()
    assert launcher.wait_idle(PATIENCE_S)
    assert ran == ["s-0"]
