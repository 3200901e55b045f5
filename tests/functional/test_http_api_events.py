"""The start and results Lambdas driven by the HTTP API's events (payload format 2.0), beside the REST API's: the same
routes answer both, and on the HTTP API the user is the verified JWT's subject, never a value the request sends."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from search_service.adapters.local_context import LocalLambdaContext
from search_service.api.gateway import http_api_event
from search_service.entry.events import Kind, WrongEvent, kind_of
from tests.builders.stack import HttpResult, Stack, _result

SUBJECT = "5f1c2a9e-7d0b-4b8e-9a41-0c6d2e3f4a5b"  # a Cognito user pool's sub: a UUID
OTHER = "a3e0c7b2-1111-4c2d-8e9f-77aa55cc3311"
TRIP = {"city": "New York", "pickupDate": "2026-11-28", "returnDate": "2026-11-30"}

COGNITO_CLAIMS = {
    "sub": SUBJECT,
    "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
    "client_id": "example-client",
    "token_use": "access",
    "exp": "1900000000",
}
# AWS's documented example of payload format 2.0 ("Create AWS Lambda proxy integrations for HTTP APIs", the 2.0 tab),
# with our route, headers and the JWT authorizer's claims in place of the example's values. The claims are strings, as
# API Gateway passes them.
DOCUMENTED = {
    "version": "2.0",
    "routeKey": "POST /search",
    "rawPath": "/search",
    "rawQueryString": "",
    "cookies": ["cookie1", "cookie2"],
    "headers": {"content-type": "application/json", "origin": "http://127.0.0.1:8081"},
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "api-id",
        "authorizer": {"jwt": {"claims": COGNITO_CLAIMS, "scopes": None}},
        "domainName": "id.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "id",
        "http": {
            "method": "POST",
            "path": "/search",
            "protocol": "HTTP/1.1",
            "sourceIp": "192.0.2.1",
            "userAgent": "agent",
        },
        "requestId": "id",
        "routeKey": "POST /search",
        "stage": "$default",
        "time": "12/Mar/2020:19:03:58 +0000",
        "timeEpoch": 1583348638390,
    },
    "body": json.dumps(TRIP),
    "pathParameters": None,
    "isBase64Encoded": False,
    "stageVariables": None,
}


def _claims(subject: str) -> dict[str, str]:
    return {"sub": subject, "client_id": "local-client", "token_use": "access"}


def _call(handler: Any, event: dict[str, Any], name: str) -> HttpResult:
    return _result(handler(event, LocalLambdaContext(name)))


def _start(stack: Stack, subject: str = SUBJECT, body: Any = None, headers: dict[str, str] | None = None) -> HttpResult:
    event = http_api_event("POST", body=TRIP if body is None else body, headers=headers, claims=_claims(subject))
    return _call(stack.start, event, "start")


def _read(stack: Stack, method: str, token: str, subject: str = SUBJECT, **query: str) -> HttpResult:
    event = http_api_event(method, query=query or None, headers={"Search-Token": token}, claims=_claims(subject))
    return _call(stack.results, event, "results")


def test_aws_documented_v2_event_is_an_http_api_request_and_starts_a_search_for_its_subject(stack: Stack) -> None:
    assert kind_of(DOCUMENTED) is Kind.HTTP_API_REQUEST

    started = _call(stack.start, copy.deepcopy(DOCUMENTED), "start")

    assert started.status == 202, started.body
    # The $default stage has no stage in the URL: the client polls the path it called.
    assert started.headers["location"] == started.body["poll"] == "/search"
    stack.settle()
    # The REST API, given the subject as the user, reads the very same search: one search id for both APIs.
    assert stack.get(started.body["token"], user=SUBJECT).body["status"] == "complete"


def test_start_get_and_cancel_through_the_http_api_with_the_token_in_a_header(stack: Stack) -> None:
    started = _start(stack)
    assert started.status == 202
    token = started.body["token"]
    stack.settle()

    results = _read(stack, "GET", token, CarSize="suv")

    assert results.status == 200 and results.body["status"] == "complete"
    assert results.body["filters"]["carSize"] == "suv" and results.body["offers"]
    assert _read(stack, "DELETE", token).status == 409  # complete already: nothing to cancel, as on the REST API


def test_another_subjects_token_reads_no_search(stack: Stack) -> None:
    token = _start(stack).body["token"]
    stack.settle()

    stolen = _read(stack, "GET", token, subject=OTHER)

    assert stolen.status == 404 and "No search matches" in stolen.body["message"]
    assert _read(stack, "DELETE", token, subject=OTHER).status == 404


@pytest.mark.parametrize(
    ("body", "headers", "where"),
    [
        ({**TRIP, "user": OTHER}, None, "the body's user"),
        ({**TRIP, "user": SUBJECT}, None, "the body's user"),  # even the subject itself: the client must not choose
        (None, {"Search-User": OTHER}, "the Search-User header"),
    ],
)
def test_a_start_that_names_a_user_is_refused(
    stack: Stack, body: Any, headers: dict[str, str] | None, where: str
) -> None:
    refused = _start(stack, body=body, headers=headers)

    assert refused.status == 400
    assert refused.body["errors"][0]["code"] == "user_from_sign_in"
    assert where in refused.body["message"] and "sign-in" in refused.body["message"]


def test_a_read_that_names_a_user_is_refused(stack: Stack) -> None:
    token = _start(stack).body["token"]
    by_query = _read(stack, "GET", token, User=OTHER)
    event = http_api_event("GET", headers={"Search-Token": token, "Search-User": SUBJECT}, claims=_claims(SUBJECT))
    by_header = _call(stack.results, event, "results")

    assert by_query.status == by_header.status == 400
    assert "the User query parameter" in by_query.body["message"]
    assert "the Search-User header" in by_header.body["message"]


def test_a_base64_body_is_bound_to_the_subject_too(stack: Stack) -> None:
    event = http_api_event("POST", body=json.dumps(TRIP), headers={"content-type": "application/json"},
                           claims=_claims(SUBJECT))  # fmt: skip
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True

    started = _call(stack.start, event, "start")

    assert started.status == 202
    stack.settle()
    assert stack.get(started.body["token"], user=SUBJECT).status == 200


def test_a_body_that_is_not_an_object_gets_the_routes_own_400(stack: Stack) -> None:
    answer = _start(stack, body=["New York"])

    assert answer.status == 400 and answer.body["errors"][0]["code"] != "user_from_sign_in"


def test_without_a_verified_subject_nothing_runs(stack: Stack) -> None:
    # Only a route left without the authorizer (a template error) could send one: 401, not a search for no one.
    event = http_api_event("POST", body=TRIP)

    answer = _call(stack.start, event, "start")

    assert answer.status == 401


def test_the_webhook_secret_is_the_subjects(stack: Stack) -> None:
    event = http_api_event("GET", "/webhook-secret", claims=_claims(SUBJECT))
    again = http_api_event("GET", "/webhook-secret", claims=_claims(SUBJECT))
    other = http_api_event("GET", "/webhook-secret", claims=_claims(OTHER))

    mine = _call(stack.start, event, "start")

    assert mine.status == 200 and mine.headers["cache-control"] == "no-store"
    assert _call(stack.start, again, "start").body == mine.body
    assert _call(stack.start, other, "start").body["secret"] != mine.body["secret"]


def test_other_functions_refuse_an_http_api_event(stack: Stack) -> None:
    event = http_api_event("GET", claims=_claims(SUBJECT))

    with pytest.raises(WrongEvent, match=r"an HTTP API request \(GET /search\)"):
        stack.run(event, LocalLambdaContext("search"))
