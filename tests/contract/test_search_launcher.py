"""What every `SearchLauncher` promises, run against the in-memory fake, the local stack's `ThreadLauncher`, and
`LambdaLauncher` and `SqsLauncher` (Handover: queue) on moto: each launched search reaches the search Lambda once,
and a launch that cannot be handed over raises `LaunchFailed` and reaches nothing. (The invoke's exact request and
its error codes are pinned with botocore's Stubber in tests/adapters/test_lambda_launcher.py.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from search_service.adapters.events import RunSearchEvent
from search_service.adapters.lambda_launcher import LambdaLauncher
from search_service.adapters.sqs_launcher import SqsLauncher
from search_service.adapters.thread_launcher import ThreadLauncher
from search_service.domain.errors import LaunchFailed
from search_service.domain.ports import SearchLauncher
from tests.fakes.launcher import InMemoryLauncher


@dataclass
class Subject:
    launcher: SearchLauncher
    delivered: Callable[[], list[str]]  # the search ids the search Lambda got, once every launch is handled
    break_down: Callable[[], None]  # from now on nothing can be handed over


@pytest.fixture(params=["in_memory", "thread", "lambda", "sqs"])
def subject(request: pytest.FixtureRequest) -> Iterator[Subject]:
    received: list[str] = []
    if request.param == "in_memory":
        yield _in_memory(received)
    elif request.param == "thread":
        threads = ThreadLauncher(lambda event, _: received.append(RunSearchEvent.model_validate(event).search_id))

        def handled() -> list[str]:
            assert threads.wait_idle(10), "the launched searches were not delivered"
            return received

        def stop() -> None:
            handled()  # what was launched before still gets there; shutdown would drop what is queued
            threads.shutdown()

        yield Subject(threads, handled, stop)
        threads.shutdown()
    elif request.param == "lambda":
        yield from _on_moto(request, received)
    else:
        yield from _sqs_on_moto(request)


def _in_memory(received: list[str]) -> Subject:
    fake = InMemoryLauncher(received.append)

    def delivered() -> list[str]:
        fake.deliver()
        return received

    return Subject(fake, delivered, lambda: setattr(fake, "broken", True))


def _on_moto(request: pytest.FixtureRequest, received: list[str]) -> Iterator[Subject]:
    request.getfixturevalue("s3")  # moto's mock_aws, for Lambda too
    import boto3

    client = boto3.client("lambda", region_name="us-east-1")
    broken: list[bool] = []

    def invoke(params: dict[str, Any], **_: Any) -> None:
        if broken:
            raise EndpointConnectionError(endpoint_url="https://lambda.us-east-1.amazonaws.com")
        if params["InvocationType"] == "Event":  # anything else would wait for the search
            received.append(RunSearchEvent.model_validate_json(params["Payload"]).search_id)

    client.meta.events.register("before-parameter-build.lambda.Invoke", invoke)
    yield Subject(LambdaLauncher(client, "car-search-search"), lambda: received, lambda: broken.append(True))


def _sqs_on_moto(request: pytest.FixtureRequest) -> Iterator[Subject]:
    request.getfixturevalue("s3")  # moto's mock_aws, for SQS too
    import boto3

    client = boto3.client("sqs", region_name="us-east-1")
    queue = client.create_queue(QueueName="car-search-searches")["QueueUrl"]
    received: list[str] = []
    broken: list[bool] = []

    def send(params: dict[str, Any], **_: Any) -> None:
        if broken:
            raise EndpointConnectionError(endpoint_url="https://sqs.us-east-1.amazonaws.com")

    client.meta.events.register("before-parameter-build.sqs.SendMessage", send)

    def delivered() -> list[str]:
        """What the search Lambda's event source would pull: every message on the queue, each once."""
        while messages := client.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"):
            for message in messages:
                received.append(RunSearchEvent.model_validate_json(message["Body"]).search_id)
                client.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return received

    yield Subject(SqsLauncher(client, queue), delivered, lambda: broken.append(True))


def test_each_launched_search_is_delivered_once(subject: Subject) -> None:
    assert subject.delivered() == []
    subject.launcher.launch("s-1")
    subject.launcher.launch("s-2")
    assert sorted(subject.delivered()) == ["s-1", "s-2"]


def test_launch_that_cannot_be_handed_over_raises_launch_failed_and_delivers_nothing(subject: Subject) -> None:
    subject.launcher.launch("s-1")
    subject.break_down()
    with pytest.raises(LaunchFailed):
        subject.launcher.launch("s-2")
    assert subject.delivered() == ["s-1"]
