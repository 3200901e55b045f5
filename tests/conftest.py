"""Shared fixtures. No test reaches the network: connections to, and name lookups of, anything but loopback fail
loudly (local_stack.offline)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

# Before any handler module is imported: fake credentials for moto, and no X-Ray daemon to talk to.
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": "CarSearchTests",
    "POWERTOOLS_SERVICE_NAME": "car-search",
})  # fmt: skip

from local_stack.offline import stay_offline
from search_service.adapters.local_context import LocalLambdaContext
from tests.fakes.clock import FixedClock

# For the whole run, not per test: a thread a test left behind (a search still running) is held to it too.
stay_offline("a test")


@pytest.fixture
def clock() -> FixedClock:
    # Monday 23 November 2026, 10:00 in New York.
    return FixedClock(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))


@pytest.fixture
def lambda_context() -> LocalLambdaContext:
    return LocalLambdaContext(function_name="test", timeout_s=30)


@pytest.fixture
def s3() -> Iterator[object]:
    from moto import mock_aws

    # Lambda invokes are accepted and recorded, never run in Docker: tests run the search Lambda themselves.
    with mock_aws(config={"lambda": {"use_docker": False}}):
        import boto3

        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="car-search-results")
        yield client
        from tests.builders.stack import stop_searches

        stop_searches()


@pytest.fixture
def stack(s3: object, clock: FixedClock) -> object:
    """Both search Lambdas in-process against moto S3, suppliers answering at once."""
    from tests.builders.stack import build_stack

    return build_stack(s3, clock)


@pytest.fixture(scope="module")
def moto_s3() -> Iterator[object]:
    """moto's S3 as a server on 127.0.0.1, with the results bucket: started once per module."""
    from tests.builders.moto_server import moto_s3_server

    with moto_s3_server() as server:
        yield server


@pytest.fixture(scope="module")
def local_stack() -> Iterator[object]:
    """The whole local stack on free ports, suppliers answering at once: started once per module, stopped after
    it with no thread or process of it left behind."""
    from tests.builders.local_stack import running_stack

    with running_stack(async_retry_delays_s=(0.1,)) as stack:
        yield stack
