"""The proxy event the local API gateway hands the Lambdas, over a real socket on 127.0.0.1: the same as API
Gateway's REST API (payload 1.0) sends for what the client sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local_stack.http_server import LocalServer
from local_stack.iam_auth import local_role
from local_stack.search_api import start_gateway
from tests.fakes.handlers import RecordingHandler
from tests.local_stack.conftest import http

OK = {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}


@pytest.fixture
def search() -> RecordingHandler:
    return RecordingHandler(OK)


@pytest.fixture
def gateway(search: RecordingHandler) -> Iterator[str]:
    server: LocalServer = start_gateway(RecordingHandler(OK), search, local_role())
    try:
        yield f"http://127.0.0.1:{server.port}/beta/search"
    finally:
        server.stop()


def test_a_repeated_query_parameter_is_last_in_query_string_parameters_and_all_in_multi_value(
    gateway: str, search: RecordingHandler
) -> None:
    # GIVEN a GET that names token twice, the first time blank
    status, _ = http("GET", gateway + "?token=&User=u-1&token=second&token=third", sign=True)
    # THEN the Lambda's event has the last value in queryStringParameters and every value, in order, in the other
    assert status == 200
    [event] = search.events
    assert event["queryStringParameters"] == {"token": "third", "User": "u-1"}
    assert event["multiValueQueryStringParameters"] == {"token": ["", "second", "third"], "User": ["u-1"]}


def test_a_request_without_a_query_string_has_none_in_both() -> None:
    from search_service.api.gateway import event_from_http

    event = event_from_http("POST", "/beta/search", {}, b"{}")
    assert event["queryStringParameters"] is None and event["multiValueQueryStringParameters"] is None
