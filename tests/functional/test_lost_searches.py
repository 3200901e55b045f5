"""A search whose async event Lambda gave up on: the on-failure destination's record, delivered by SQS to the
lost-search Lambda (Powertools' BatchProcessor, partial batch responses), marks it failed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from search_service.adapters.local_context import LocalLambdaContext
from search_service.domain.errors import CacheUnavailable
from search_service.domain.models import SearchJob
from search_service.domain.tokens import search_id
from tests.builders.stack import USER, Stack, build_stack
from tests.fakes.clock import FixedClock
from tests.fakes.suppliers import DroppingLauncher


def _destination_record(searched: str, condition: str = "RetriesExhausted") -> dict[str, Any]:
    """An SQS message as Lambda's SQS event source delivers it, holding the record that Lambda wrote to
    the on-failure destination (the shape of AWS's "invocation record" for asynchronous invocations)."""
    record = {
        "version": "1.0",
        "timestamp": "2026-11-23T15:01:02.345Z",
        "requestContext": {
            "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:car-search-search:$LATEST",
            "condition": condition,
            "approximateInvokeCount": 2,
        },
        "requestPayload": {"action": "run-search", "searchId": searched},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "Task timed out after 30.03 seconds"},
    }
    return {
        "messageId": f"msg-{searched[:8]}",
        "receiptHandle": "AQEB...",
        "body": json.dumps(record),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:car-search-lost-searches",
        "awsRegion": "us-east-1",
    }


def _lost(stack: Stack) -> tuple[str, str]:
    token = stack.start_search().body["token"]
    return token, search_id(token, USER)


S3_DOWN = CacheUnavailable("S3 could not be reached (EndpointConnectionError)")


def _marking_raises(stack: Stack, monkeypatch: pytest.MonkeyPatch, error: Exception, *searches: str) -> None:
    """Marking these searches failed raises `error` (all of them when none is named); the others are marked."""
    cache = stack.services.cache
    real = cache.mark_failed

    def mark_failed(found: str, reason: str) -> SearchJob | None:
        if not searches or found in searches:
            raise error
        return real(found, reason)

    monkeypatch.setattr(cache, "mark_failed", mark_failed)


def test_a_lost_search_reads_as_failed_at_once_not_pending_until_its_deadline(s3: Any, clock: FixedClock) -> None:
    # GIVEN a search whose async event never ran (the search Lambda crashed on every attempt)
    stack = build_stack(s3, clock, launcher=DroppingLauncher())
    token, searched = _lost(stack)
    assert stack.get(token).status == 202

    # WHEN Lambda's record of the failed invocation arrives from the lost-search queue
    batch = {"Records": [_destination_record(searched, "EventAgeExceeded")]}
    answer = stack.lost_searches(batch, LocalLambdaContext("lost-searches"))

    # THEN the record is consumed, and the next GET answers that the search failed, with the reason
    assert answer == {"batchItemFailures": []}
    result = stack.get(token)
    assert result.status == 200
    assert result.body["status"] == "failed"
    assert {s["state"] for s in result.body["suppliers"]} == {"failed"}
    assert "could not be run" in json.dumps(result.body["suppliers"])


def test_offers_already_stored_survive_a_late_failure_record(s3: Any, clock: FixedClock) -> None:
    # GIVEN a search that finished, and then a stale failure record for it (e.g. a crash after writing)
    stack = build_stack(s3, clock)
    token, searched = _lost(stack)
    stack.settle()
    before = stack.get(token).body

    stack.lost_searches({"Records": [_destination_record(searched)]}, LocalLambdaContext("lost-searches"))

    # THEN the offers are still there and still complete
    after = stack.get(token).body
    assert after["status"] == "complete"
    assert after["offers"] == before["offers"]


def test_a_record_that_cannot_be_stored_goes_back_to_the_queue_alone(
    s3: Any, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = build_stack(s3, clock, launcher=DroppingLauncher())
    _, first = _lost(stack)
    _, second = _lost(stack)
    _marking_raises(stack, monkeypatch, S3_DOWN, second)
    records = [_destination_record(first), _destination_record(second)]
    answer = stack.lost_searches({"Records": records}, LocalLambdaContext("lost-searches"))

    # Only the message that failed is retried by the queue; the other is done.
    assert answer == {"batchItemFailures": [{"itemIdentifier": records[1]["messageId"]}]}


def test_a_message_that_is_not_a_failure_record_is_dropped_not_retried(s3: Any, clock: FixedClock) -> None:
    stack = build_stack(s3, clock, launcher=DroppingLauncher())
    token, _ = _lost(stack)
    bogus = {"messageId": "m-1", "body": '{"hello": "world"}'}
    assert stack.lost_searches({"Records": [bogus]}, LocalLambdaContext("lost-searches")) == {"batchItemFailures": []}
    assert stack.get(token).status == 202  # nothing was marked


def test_a_record_whose_marking_raises_anything_goes_back_alone_and_the_others_are_done(
    s3: Any, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN three lost searches, the second of which cannot be marked: not S3 being down, a bug (the hand-rolled
    # loop caught only CacheUnavailable, so this failed the whole batch and all three came back)
    stack = build_stack(s3, clock, launcher=DroppingLauncher())
    (first, _), (second, second_id), (third, _) = (_lost(stack) for _ in range(3))
    _marking_raises(stack, monkeypatch, RuntimeError("an unexpected bug"), second_id)
    records = [_destination_record(search_id(token, USER)) for token in (first, second, third)]

    # WHEN the queue delivers their records in one batch
    answer = stack.lost_searches({"Records": records}, LocalLambdaContext("lost-searches"))

    # THEN exactly that record goes back to the queue, and the other two searches read as failed at once
    assert answer == {"batchItemFailures": [{"itemIdentifier": records[1]["messageId"]}]}
    assert [stack.get(token).body["status"] for token in (first, second, third)] == ["failed", "pending", "failed"]


def test_a_batch_whose_every_record_fails_lists_them_all_rather_than_raising(
    s3: Any, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN S3 down for every lost search
    stack = build_stack(s3, clock, launcher=DroppingLauncher())
    tokens = [_lost(stack)[0] for _ in range(2)]
    _marking_raises(stack, monkeypatch, S3_DOWN)
    records = [_destination_record(search_id(token, USER)) for token in tokens]

    # WHEN their batch arrives
    answer = stack.lost_searches({"Records": records}, LocalLambdaContext("lost-searches"))

    # THEN every record goes back to the queue, as a partial batch response (the same for SQS as a raised error,
    # without an invocation error per batch while S3 is down)
    assert answer == {"batchItemFailures": [{"itemIdentifier": record["messageId"]} for record in records]}
