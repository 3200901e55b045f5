"""A search whose async event Lambda gave up on: the on-failure destination's record marks it failed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from search_service.adapters.local_context import LocalLambdaContext
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


def test_a_lost_search_reads_as_failed_at_once_not_pending_until_its_deadline(s3: Any, clock: FixedClock) -> None:
    # GIVEN a search whose async event never ran (the search Lambda crashed on every attempt)
    stack = build_stack(s3, clock, launcher=DroppingLauncher())
    token, searched = _lost(stack)
    assert stack.get(token).status == 202

    # WHEN Lambda's record of the failed invocation arrives from the lost-search queue
    answer = stack.search({"Records": [_destination_record(searched, "EventAgeExceeded")]}, LocalLambdaContext("s"))

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

    stack.search({"Records": [_destination_record(searched)]}, LocalLambdaContext("s"))

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
    cache = stack.services.cache
    real = cache.mark_failed

    def down_for_second(found: str, reason: str) -> None:
        from search_service.domain.errors import CacheUnavailable

        if found == second:
            raise CacheUnavailable("S3 could not be reached (EndpointConnectionError)")
        real(found, reason)

    monkeypatch.setattr(cache, "mark_failed", down_for_second)
    records = [_destination_record(first), _destination_record(second)]
    answer = stack.search({"Records": records}, LocalLambdaContext("s"))

    # Only the message that failed is retried by the queue; the other is done.
    assert answer == {"batchItemFailures": [{"itemIdentifier": records[1]["messageId"]}]}


def test_a_message_that_is_not_a_failure_record_is_dropped_not_retried(s3: Any, clock: FixedClock) -> None:
    stack = build_stack(s3, clock, launcher=DroppingLauncher())
    token, _ = _lost(stack)
    bogus = {"messageId": "m-1", "body": '{"hello": "world"}'}
    assert stack.search({"Records": [bogus]}, LocalLambdaContext("s")) == {"batchItemFailures": []}
    assert stack.get(token).status == 202  # nothing was marked
