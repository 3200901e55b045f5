"""Both handovers of the template's Handover parameter through the local stack over HTTP: Lambda's async invoke and
the search queue with its max-concurrency consumer. A client sees the same API either way."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from local_stack.s3 import S3Fault
from local_stack.search_queue import LocalSearchQueue
from local_stack.stack import LocalStack
from tests.builders.local_stack import embedded_s3, running_stack
from tests.builders.today import stack_clock, trip
from tests.builders.waiting import PATIENCE_S, wait_until
from tests.local_stack.conftest import http

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module", params=["invoke", "queue"])
def stack(request: pytest.FixtureRequest) -> Iterator[LocalStack]:
    with running_stack(async_retry_delays_s=(0.05,), handover=request.param) as running:
        yield running


def _poll(stack: LocalStack, token: str, user: str) -> dict[str, Any]:
    url = f"{stack.api_url}/search"
    headers = JSON | {"Search-Token": token, "Search-User": user}
    answers: list[dict[str, Any]] = []

    def finished() -> bool:
        answers.append(http("GET", url, headers=headers, sign=True)[1])
        return answers[-1].get("status") in ("complete", "failed")

    assert wait_until(finished, PATIENCE_S), answers[-1]
    return answers[-1]


def test_a_search_started_over_http_completes_in_either_handover(stack: LocalStack) -> None:
    body = trip("handover-user")
    status, started = http("POST", stack.api_url + "/search", body, JSON, sign=True)
    assert status == 202 and started["status"] == "pending"

    result = _poll(stack, started["token"], "handover-user")

    assert result["status"] == "complete" and result["offers"]
    handover = stack.api.launcher
    assert isinstance(handover, LocalSearchQueue) == (stack.options.handover == "queue")


def test_a_search_lambda_crashing_on_every_attempt_ends_failed_in_either_handover(stack: LocalStack) -> None:
    # Every supplier's answer fails to be written, so the search Lambda raises half-way, on every attempt: after the
    # async invoke's retry its record goes to the lost-search queue, or after the search queue's last receive its
    # redrive policy moves the message there; either way the lost-search Lambda marks the search failed.
    crash = S3Fault(403, "AccessDenied", "Access Denied", method="PUT", key_contains="/suppliers/")
    with embedded_s3(stack).failing(crash):
        status, started = http("POST", stack.api_url + "/search", trip("crash-user"), JSON, sign=True)
        assert status == 202
        assert stack.api.launcher.wait_idle(PATIENCE_S)
        result = _poll(stack, started["token"], "crash-user")

    assert result["status"] == "failed"
    assert {s["state"] for s in result["suppliers"]} == {"failed"}
    assert all("could not be run" in s["error"] for s in result["suppliers"]), result["suppliers"]
    assert stack.api.launcher.failures >= 1


def test_the_queue_handover_keeps_to_its_maximum_concurrency_and_serves_everything() -> None:
    # GIVEN a queue handover allowed two searches at once, and suppliers slow enough for searches to overlap
    with running_stack(handover="queue", search_max_concurrency=2, latency_scale=0.02, clock=stack_clock()) as stack:
        tokens = []
        for number in range(6):
            status, started = http("POST", stack.api_url + "/search", trip(f"burst-{number}"), JSON, sign=True)
            assert status == 202
            tokens.append(started["token"])

        # THEN every search completes, and never more than two ran at once
        assert [_poll(stack, token, f"burst-{n}")["status"] for n, token in enumerate(tokens)] == ["complete"] * 6
        queue = stack.api.launcher
        assert isinstance(queue, LocalSearchQueue)
        assert queue.received == 6 and 1 <= queue.max_busy <= 2


# --- the local queue alone: a consumer that the test holds ---------------------------------------------------


def _queue(consumer: Any, dead: list[dict[str, Any]], concurrency: int = 2, receives: int = 2) -> LocalSearchQueue:
    return LocalSearchQueue(consumer, stack_clock().now, concurrency, 0.0, receives, dead.append, idle_timeout_s=0.1)


def test_messages_beyond_the_maximum_concurrency_wait_in_the_queue_in_order() -> None:
    gate = threading.Event()
    bodies: list[str] = []

    def consumer(event: dict[str, Any], _: Any) -> dict[str, Any]:
        bodies.append(event["Records"][0]["body"])
        gate.wait(PATIENCE_S)
        return {"batchItemFailures": []}

    queue = _queue(consumer, [])
    for number in range(5):
        queue.send_message(QueueUrl=queue.url, MessageBody=f'{{"n": {number}}}')

    assert wait_until(lambda: queue.busy == 2, PATIENCE_S)
    assert (queue.busy, queue.waiting) == (2, 3)
    gate.set()
    assert queue.wait_idle(PATIENCE_S)
    assert sorted(bodies) == [f'{{"n": {n}}}' for n in range(5)] and queue.max_busy == 2
    assert wait_until(lambda: not [t for t in threading.enumerate() if t.name.startswith("sqs-poller")], PATIENCE_S)


def test_a_message_reported_back_is_received_again_then_dead_lettered_as_it_is() -> None:
    receives: list[str] = []

    def consumer(event: dict[str, Any], _: Any) -> dict[str, Any]:
        record = event["Records"][0]
        receives.append(record["attributes"]["ApproximateReceiveCount"])
        return {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}

    dead: list[dict[str, Any]] = []
    queue = _queue(consumer, dead, receives=2)
    queue.send_message(QueueUrl=queue.url, MessageBody='{"action": "run-search", "searchId": "s-1"}')

    assert queue.wait_idle(PATIENCE_S)
    assert receives == ["1", "2"]
    assert dead == [{"action": "run-search", "searchId": "s-1"}] and queue.failures == 1


def test_a_message_to_another_queue_is_refused() -> None:
    queue = _queue(lambda event, _: {}, [])
    with pytest.raises(ValueError, match="no such queue"):
        queue.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/0/other", MessageBody="{}")
