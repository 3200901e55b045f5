"""The async invoke of the search Lambda, checked with botocore's Stubber (moto answers 202 for any
function name, so it could not catch a wrong name or payload)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import ANY, Stubber

from search_service.adapters.lambda_launcher import LambdaLauncher
from search_service.domain.errors import LaunchFailed

FUNCTION = "car-search-SearchFunction-1A2B3C"


@pytest.fixture
def client():
    return boto3.client("lambda", region_name="us-east-1")


def test_launch_invokes_the_search_function_asynchronously_with_the_search_id(client) -> None:
    expected = {
        "FunctionName": FUNCTION,
        "InvocationType": "Event",
        "Payload": json.dumps({"action": "run-search", "searchId": "abc"}, separators=(",", ":")).encode(),
    }
    with Stubber(client) as stub:
        stub.add_response("invoke", {"StatusCode": 202}, expected)
        LambdaLauncher(client, FUNCTION).launch("abc")
        stub.assert_no_pending_responses()


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
