"""The embedded S3 on the stack's clock: objects expire as the results bucket's lifecycle rule says (the template's,
applied by the local stack), as S3 expires them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_stack.clock import StackClock
from local_stack.s3 import EmbeddedS3, s3_client
from local_stack.s3_lifecycle import expires_at
from local_stack.search_api import RESULTS_EXPIRE_AFTER_DAYS, RESULTS_RULE_ID
from local_stack.stack import LocalStack
from search_service.config import Settings
from tests.builders.local_stack import embedded_s3
from tests.builders.today import MONDAY, stack_clock
from tests.infrastructure.cloudformation import SEARCH_STACK, load

BUCKET = "lifecycle-test"
RULE = {"ID": "expire-results", "Status": "Enabled", "Filter": {"Prefix": "results/"}, "Expiration": {"Days": 1}}


def _on(days_after_monday: int, at: time) -> StackClock:
    return StackClock.on(MONDAY + timedelta(days=days_after_monday), at)


@pytest.fixture
def s3() -> Iterator[tuple[EmbeddedS3, Any]]:
    embedded = EmbeddedS3(clock=_on(0, time(15, 0)))
    client = s3_client(embedded.start(), Settings())
    client.create_bucket(Bucket=BUCKET)
    client.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": [RULE]})
    try:
        yield embedded, client
    finally:
        embedded.stop()


def _put(client: Any, *keys: str) -> None:
    for key in keys:
        client.put_object(Bucket=BUCKET, Key=key, Body=b"{}")


def _listed(client: Any, prefix: str = "") -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def _status(client: Any, key: str) -> int:
    try:
        client.get_object(Bucket=BUCKET, Key=key)
    except ClientError as error:
        return int(error.response["ResponseMetadata"]["HTTPStatusCode"])
    return 200


def test_objects_past_the_rules_expiry_are_gone_by_the_stacks_clock_and_the_others_stay(
    s3: tuple[EmbeddedS3, Any],
) -> None:
    embedded, client = s3
    # GIVEN objects written on Monday afternoon, under the rule's prefix and outside it, and one written on Tuesday
    _put(client, "results/monday/job.json", "elsewhere/monday.json")
    embedded.set_clock(_on(1, time(15, 0)))
    _put(client, "results/tuesday/job.json")
    # WHEN the clock reaches Tuesday night, THEN Monday's are still there: they expire at Wednesday's midnight (UTC)
    embedded.set_clock(_on(1, time(23, 0)))
    assert _listed(client) == ["elsewhere/monday.json", "results/monday/job.json", "results/tuesday/job.json"]
    # WHEN it is past Wednesday's midnight, THEN Monday's object under the prefix is gone, a GET of it is S3's 404,
    # and Tuesday's object and the one outside the rule's prefix stay
    embedded.set_clock(_on(2, time(0, 1)))
    assert _status(client, "results/monday/job.json") == 404
    assert _listed(client) == ["elsewhere/monday.json", "results/tuesday/job.json"]
    assert _status(client, "results/tuesday/job.json") == 200
    # AND Tuesday's goes at Thursday's midnight
    embedded.set_clock(_on(3, time(0, 1)))
    assert _listed(client, "results/") == []


def test_s3_writes_on_the_stacks_clock(s3: tuple[EmbeddedS3, Any]) -> None:
    _, client = s3
    _put(client, "results/x/job.json")
    written = client.head_object(Bucket=BUCKET, Key="results/x/job.json")["LastModified"]
    assert written.date() == MONDAY  # the stack's day, whatever today is


@pytest.mark.parametrize(
    ("created", "expires"),
    [
        # AWS's example: created 1/15/2014 10:30 UTC, a 3-day rule, expires 1/19/2014 00:00 UTC
        (datetime(2014, 1, 15, 10, 30, tzinfo=UTC), datetime(2014, 1, 19, tzinfo=UTC)),
        (datetime(2014, 1, 15, 0, 0, tzinfo=UTC), datetime(2014, 1, 18, tzinfo=UTC)),
        (datetime(2014, 1, 15, 23, 59, 59, tzinfo=UTC), datetime(2014, 1, 19, tzinfo=UTC)),
    ],
)
def test_expiry_is_the_creation_time_plus_the_days_rounded_up_to_midnight_utc(
    created: datetime, expires: datetime
) -> None:
    assert expires_at(created, 3) == expires


def test_the_stacks_results_bucket_has_the_templates_lifecycle_rule(local_stack: LocalStack) -> None:
    template = load(SEARCH_STACK)
    [expected] = template["Resources"]["ResultsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert expected["Id"] == RESULTS_RULE_ID and expected["ExpirationInDays"] == RESULTS_EXPIRE_AFTER_DAYS
    assert expected["Prefix"] == {"Ref": "ResultsPrefix"}
    settings = local_stack.api.settings
    assert settings.results_prefix == template["Parameters"]["ResultsPrefix"]["Default"]
    client = s3_client(embedded_s3(local_stack).url, settings)
    [rule] = client.get_bucket_lifecycle_configuration(Bucket=settings.results_bucket)["Rules"]
    assert rule["ID"] == RESULTS_RULE_ID and rule["Status"] == "Enabled"
    assert rule["Filter"] == {"Prefix": settings.results_prefix} and rule["Expiration"] == {"Days": 1}


def test_the_stacks_s3_runs_on_the_stacks_clock(local_stack: LocalStack) -> None:
    settings = local_stack.api.settings
    client = s3_client(embedded_s3(local_stack).url, settings)
    client.put_object(Bucket=settings.results_bucket, Key=settings.results_prefix + "clock-test.json", Body=b"{}")
    head = client.head_object(Bucket=settings.results_bucket, Key=settings.results_prefix + "clock-test.json")
    assert head["LastModified"].date() == local_stack.options.clock.now().date() == stack_clock().now().date()
