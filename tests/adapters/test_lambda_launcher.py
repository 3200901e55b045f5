"""The async invoke of the search Lambda, checked against the request AWS would receive and with botocore's Stubber
(moto answers 202 for any function name, so it could not catch a wrong name or payload)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.stub import ANY, Stubber

from search_service.adapters.lambda_launcher import LambdaLauncher
from search_service.domain.errors import LaunchFailed

FUNCTION = "car-search-SearchFunction-1A2B3C"


@pytest.fixture
def client():
    return boto3.client("lambda", region_name="us-east-1")


class _EmptyBody:
    def stream(self, **_: object) -> Iterator[bytes]:
        yield b""


def test_launch_invokes_the_search_function_asynchronously_with_the_search_id(client) -> None:
    # GIVEN a Lambda service that keeps the requests it gets and answers an async invoke with 202, as AWS does
    received: list[AWSPreparedRequest] = []

    def aws(request: AWSPreparedRequest, **_: object) -> AWSResponse:
        received.append(request)
        return AWSResponse(request.url, 202, {}, _EmptyBody())

    client.meta.events.register("before-send.lambda.Invoke", aws)

    # WHEN a search is launched
    LambdaLauncher(client, FUNCTION).launch("abc")

    # THEN AWS got one asynchronous invoke of the search function, whose payload is the search id
    [request] = received
    assert (request.method, request.url) == (
        "POST",
        f"https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/{FUNCTION}/invocations",
    )
    assert request.headers["X-Amz-Invocation-Type"] == b"Event"
    assert request.body == json.dumps({"action": "run-search", "searchId": "abc"}, separators=(",", ":")).encode()


@pytest.mark.parametrize("code", ["TooManyRequestsException", "ResourceNotFoundException", "AccessDeniedException"])
def test_launch_failure_is_launch_failed(client, code: str) -> None:
    with Stubber(client) as stub:
        stub.add_client_error("invoke", service_error_code=code, expected_params={"FunctionName": FUNCTION,
                              "InvocationType": "Event", "Payload": ANY})  # fmt: skip
        with pytest.raises(LaunchFailed, match=code):
            LambdaLauncher(client, FUNCTION).launch("abc")


def test_launch_answered_with_anything_but_202_is_launch_failed(client) -> None:
    with Stubber(client) as stub:
        stub.add_response("invoke", {"StatusCode": 200})
        with pytest.raises(LaunchFailed, match="200"):
            LambdaLauncher(client, FUNCTION).launch("abc")
