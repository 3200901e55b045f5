"""Handover: queue. The start Lambda sends each search to the search queue (SqsLauncher); the search Lambda takes the
queue's SQS batches as well as the async event, skips a message that waited past the search's deadline as it skips a
late async event, reports a run that raised back to SQS alone, and the lost-search Lambda marks failed a message
that the queue's redrive policy dead-lettered."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from search_service.adapters.local_context import LocalLambdaContext
from search_service.api.gateway import rest_event
from search_service.domain.errors import CacheUnavailable
from search_service.domain.tokens import search_id
from search_service.entry import lost_searches, results, run, start
from tests.builders.stack import USER, Stack, build_stack
from tests.fakes.clock import FixedClock
from tests.fakes.suppliers import DroppingLauncher


def _message(body: str, message_id: str = "m-1", sent: datetime | None = None, receives: int = 1) -> dict[str, Any]:
    """One message as Lambda's SQS event source delivers it (batch size 1)."""
    sent_ms = str(int((sent or datetime.now(UTC)).timestamp() * 1000))
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": str(receives), "SentTimestamp": sent_ms},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:car-search-searches",
        "awsRegion": "us-east-1",
    }


def _queued(token: str, sent: datetime, message_id: str = "m-1") -> dict[str, Any]:
    body = json.dumps({"action": "run-search", "searchId": search_id(token, USER)})
    return {"Records": [_message(body, message_id, sent)]}


def test_deployed_start_sends_the_search_to_the_queue_and_the_search_lambda_runs_it_from_there(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    queue = sqs.create_queue(QueueName="car-search-searches")["QueueUrl"]
    for name, value in {"RESULTS_BUCKET": "car-search-results", "SUPPLIER_LATENCY_SCALE": "0",
                        "HANDOVER": "queue", "SEARCH_QUEUE_URL": queue}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    starter, runner, reader = (importlib.reload(module).lambda_handler for module in (start, run, results))
    pickup = datetime.now(UTC).date() + timedelta(days=7)
    body = {"city": "Seattle", "pickupDate": str(pickup), "returnDate": str(pickup + timedelta(days=2)), "user": USER}

    # WHEN a search starts
    started = starter(rest_event("POST", body=body), LocalLambdaContext("start"))
    token = json.loads(started["body"])["token"]

    # THEN it is on the queue, as the search event, and pending
    assert started["statusCode"] == 202
    [message] = sqs.receive_message(QueueUrl=queue, AttributeNames=["All"])["Messages"]
    assert json.loads(message["Body"]) == {"action": "run-search", "searchId": search_id(token, USER)}
    query = {"token": token, "User": USER}
    assert reader(rest_event("GET", query=query), LocalLambdaContext("results"))["statusCode"] == 202

    # AND the search Lambda, given the message as the event source delivers it, runs the search
    record = _message(message["Body"], message["MessageId"])
    answer = runner({"Records": [record]}, LocalLambdaContext("search"))
    assert answer == {"batchItemFailures": []}
    found = reader(rest_event("GET", query=query), LocalLambdaContext("results"))
    assert json.loads(found["body"])["status"] == "complete"


def test_queue_handover_without_the_queue_url_refuses_to_start(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOVER", "queue")
    monkeypatch.delenv("SEARCH_QUEUE_URL", raising=False)
    with pytest.raises(ValueError, match="SEARCH_QUEUE_URL"):
        importlib.reload(start)


def test_a_queued_search_runs_and_completes(s3: Any, clock: FixedClock) -> None:
    stack = build_stack(s3, clock, launcher=DroppingLauncher())
    token = stack.start_search().body["token"]

    answer = stack.run(_queued(token, clock.now()), LocalLambdaContext("search"))

    assert answer == {"batchItemFailures": []}
    assert stack.get(token).body["status"] == "complete"


def test_a_message_that_waited_past_the_deadline_is_skipped_and_the_search_reads_failed(
    s3: Any, clock: FixedClock
) -> None:
    # GIVEN a search whose message waited in the queue for longer than the search's 120 s deadline
    stack = build_stack(s3, clock, launcher=DroppingLauncher())
    token = stack.start_search().body["token"]
    sent = clock.now()
    clock.advance(seconds=121)

    # WHEN the search Lambda finally gets it
    answer = stack.run(_queued(token, sent), LocalLambdaContext("search"))

    # THEN the message is done (not retried), no supplier was asked, and the search reads failed, as after a late
    # async event
    assert answer == {"batchItemFailures": []}
    result = stack.get(token).body
    assert result["status"] == "failed"
    assert {(s["state"], s["error"]) for s in result["suppliers"]} == {("failed", "did not answer in time")}


def test_a_run_that_raises_is_reported_back_alone_for_sqs_to_deliver_again(
    s3: Any, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = build_stack(s3, clock, launcher=DroppingLauncher())
    broken, fine = (stack.start_search(user=user).body["token"] for user in ("u-broken", "u-fine"))
    stack.user = "u-broken"
    broken_id = search_id(broken, "u-broken")
    real = stack.services.cache.load_job

    def load_job(found: str) -> Any:
        if found == broken_id:
            raise CacheUnavailable("S3 could not be reached (EndpointConnectionError)")
        return real(found)

    monkeypatch.setattr(stack.services.cache, "load_job", load_job)
    batch = {
        "Records": [
            _message(json.dumps({"action": "run-search", "searchId": broken_id}), "m-broken", clock.now()),
            _message(json.dumps({"action": "run-search", "searchId": search_id(fine, "u-fine")}), "m-fine"),
        ]
    }

    answer = stack.run(batch, LocalLambdaContext("search"))

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-broken"}]}
    assert stack.get(fine, user="u-fine").body["status"] == "complete"


def test_a_malformed_message_is_dropped_not_retried(stack: Stack) -> None:
    answer = stack.run({"Records": [_message('{"action": "delete-everything"}')]}, LocalLambdaContext("search"))
    assert answer == {"batchItemFailures": []}


def test_a_dead_lettered_search_message_is_marked_failed_by_the_lost_search_lambda(s3: Any, clock: FixedClock) -> None:
    # GIVEN a search whose message the search queue's redrive policy moved to the lost-search queue
    stack = build_stack(s3, clock, launcher=DroppingLauncher())
    token = stack.start_search().body["token"]
    body = json.dumps({"action": "run-search", "searchId": search_id(token, USER)})

    # WHEN the lost-search Lambda gets it
    answer = stack.lost_searches({"Records": [_message(body)]}, LocalLambdaContext("lost-searches"))

    # THEN it is done and the search reads failed at once, with the same reason as a lost async event
    assert answer == {"batchItemFailures": []}
    result = stack.get(token).body
    assert result["status"] == "failed"
    assert {s["state"] for s in result["suppliers"]} == {"failed"}
    assert lost_searches.LOST_SEARCH.rstrip(".") in json.dumps(result["suppliers"])
