"""POST /search when clients retry and when the things behind it fail."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from search_service.domain.tokens import new_token
from tests.builders.stack import Stack, build_stack
from tests.fakes.clock import FixedClock
from tests.fakes.suppliers import FailingLauncher


def _searches_run(stack: Stack) -> int:
    """How many distinct searches asked the suppliers, read from the bucket itself."""
    s3 = stack.services.cache._s3
    keys = [i["Key"] for i in s3.list_objects_v2(Bucket="car-search-results").get("Contents", [])]
    return len({key.split("/")[1] for key in keys if "/suppliers/" in key})


# --- Idempotency-Key ------------------------------------------------------------------------------------


def test_same_idempotency_key_returns_the_same_token_and_searches_once(stack: Stack) -> None:
    first = stack.start_search(**{"Idempotency-Key": "turn-1"})
    again = stack.start_search(**{"Idempotency-Key": "turn-1"})
    stack.settle()
    assert first.status == again.status == 202
    assert again.body["token"] == first.body["token"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.body["search"]["createdAt"] == first.body["search"]["createdAt"]
    assert _searches_run(stack) == 1
    assert stack.get(again.body["token"]).body["status"] == "complete"


def test_same_idempotency_key_from_another_user_is_another_search(stack: Stack) -> None:
    mine = stack.start_search(**{"Idempotency-Key": "turn-1"})
    theirs = stack.start_search(user="amzn1.ask.account.OTHER", **{"Idempotency-Key": "turn-1"})
    stack.settle()
    assert theirs.body["token"] != mine.body["token"]
    assert _searches_run(stack) == 2


def test_idempotency_key_reused_for_a_different_trip_is_refused(stack: Stack) -> None:
    stack.start_search("Denver", **{"Idempotency-Key": "turn-1"})
    result = stack.start_search("Boston", **{"Idempotency-Key": "turn-1"})
    assert result.status == 422
    assert "already used for a different search" in result.body["message"]


def test_idempotency_key_after_the_results_expired_starts_a_new_search(stack: Stack) -> None:
    first = stack.start_search(**{"Idempotency-Key": "turn-1"})
    stack.clock.advance(minutes=31)
    later = stack.start_search(**{"Idempotency-Key": "turn-1"})
    assert later.status == 202
    assert later.body["token"] != first.body["token"]
    assert "idempotent-replayed" not in later.headers


def test_idempotency_key_too_long_is_refused(stack: Stack) -> None:
    result = stack.start_search(**{"Idempotency-Key": "k" * 256})
    assert result.status == 400
    assert result.body["errors"][0]["field"] == "Idempotency-Key"


# --- the async invoke fails ------------------------------------------------------------------------------


def test_launch_failure_is_a_503_and_the_search_is_marked_failed(s3: Any, clock: FixedClock) -> None:
    failing: list[FailingLauncher] = []
    stack = build_stack(s3, clock, wrap_launcher=lambda inner: failing.append(FailingLauncher(inner)) or failing[0])

    result = stack.start_search(**{"Idempotency-Key": "turn-1"})

    assert result.status == 503
    assert result.headers["retry-after"] == "5"
    assert result.body["message"] == "The search could not be started. Please try again in a few seconds."
    jobs = [
        i["Key"] for i in s3.list_objects_v2(Bucket="car-search-results")["Contents"] if i["Key"].endswith("job.json")
    ]
    stored = s3.get_object(Bucket="car-search-results", Key=jobs[0])["Body"].read().decode()
    assert '"status":"failed"' in stored

    # WHEN the client retries with the same key once the search function is back
    failing[0].broken = False
    retried = stack.start_search(**{"Idempotency-Key": "turn-1"})
    stack.settle()

    # THEN it is a fresh search, not the failed one replayed
    assert retried.status == 202
    assert "idempotent-replayed" not in retried.headers
    assert stack.get(retried.body["token"]).body["status"] == "complete"


# --- S3 is down or refuses -------------------------------------------------------------------------------


@pytest.fixture
def unreachable_s3() -> Any:
    # A real client against a closed local port: connection refused, as when S3 cannot be reached.
    config = Config(connect_timeout=0.2, read_timeout=0.2, retries={"mode": "standard", "max_attempts": 1})
    return boto3.client("s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:9", config=config)


def test_start_with_s3_unreachable_is_a_clear_503(unreachable_s3: Any, clock: FixedClock) -> None:
    stack = build_stack(unreachable_s3, clock)
    result = stack.start_search()
    assert result.status == 503
    assert result.body["message"].startswith("The search service cannot reach its results store right now")
    assert result.headers["retry-after"] == "5"


def test_get_with_s3_unreachable_is_a_clear_503(unreachable_s3: Any, clock: FixedClock) -> None:
    stack = build_stack(unreachable_s3, clock)
    result = stack.get(new_token())
    assert result.status == 503
    assert "results store" in result.body["message"]


def test_start_with_s3_refusing_access_is_a_503_not_a_crash(s3: Any, clock: FixedClock) -> None:
    stack = build_stack(s3, clock)
    with Stubber(s3) as stub:
        stub.add_client_error("put_object", service_error_code="AccessDenied", http_status_code=403)
        result = stack.start_search()
    assert result.status == 503
    assert "results store" in result.body["message"]
