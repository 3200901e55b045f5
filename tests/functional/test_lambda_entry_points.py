"""The Lambda entry points as deployed: `lambda_handler` of each module the template names, wired only from the
environment. Each serves its own kind of event and refuses the others' with an error that says what it serves."""

from __future__ import annotations

import importlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest

from search_service.adapters.local_context import LocalLambdaContext
from search_service.api.gateway import rest_event
from search_service.domain.tokens import search_id
from search_service.entry import lost_searches, results, run, start
from search_service.entry.events import WrongEvent

USER = "u-1"
Handler = Any


class Deployed(NamedTuple):
    start: Handler
    results: Handler
    run: Handler
    lost_searches: Handler


def _deploy_search_function(name: str) -> None:
    import boto3

    role = boto3.client("iam").create_role(RoleName="search", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("search_service/entry/run.py", "")
    boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="search_service.entry.run.lambda_handler",
        Code={"ZipFile": package.getvalue()},
    )


@pytest.fixture
def deployed(s3: Any, monkeypatch: pytest.MonkeyPatch) -> Deployed:
    _deploy_search_function("car-search-search")
    monkeypatch.setenv("RESULTS_BUCKET", "car-search-results")
    monkeypatch.setenv("SEARCH_FUNCTION_NAME", "car-search-search")
    monkeypatch.setenv("SUPPLIER_LATENCY_SCALE", "0")
    # Re-run each module's composition inside moto, as a Lambda cold start would with this environment.
    modules = (start, results, run, lost_searches)
    return Deployed(*(importlib.reload(module).lambda_handler for module in modules))


def _start(deployed: Deployed) -> str:
    # The deployed Lambdas read the system clock and nothing else (CAR_SEARCH_TODAY is for the local stack only):
    # the trip is a week from the real today.
    pickup = datetime.now(UTC).date() + timedelta(days=7)
    body = {"city": "Seattle", "pickupDate": str(pickup), "returnDate": str(pickup + timedelta(days=2)), "user": USER}
    started = deployed.start(rest_event("POST", body=body), LocalLambdaContext("start"))
    assert started["statusCode"] == 202
    return str(json.loads(started["body"])["token"])


def _get(deployed: Deployed, token: str) -> dict[str, Any]:
    query = {"token": token, "User": USER, "CarSize": "suv"}
    return dict(deployed.results(rest_event("GET", query=query), LocalLambdaContext("results")))


def _run_event(token: str) -> dict[str, Any]:
    """What the start Lambda sends the search Lambda (moto accepts the invoke without running it)."""
    return {"action": "run-search", "searchId": search_id(token, USER)}


def _lost_batch(token: str) -> dict[str, Any]:
    """The lost-search queue's SQS batch: one on-failure record of the run of this token's search."""
    record = {"requestContext": {"condition": "RetriesExhausted"}, "requestPayload": _run_event(token)}
    return {"Records": [{"messageId": "m-1", "body": json.dumps(record), "eventSource": "aws:sqs"}]}


def test_deployed_handlers_start_run_and_serve_a_search(deployed: Deployed) -> None:
    token = _start(deployed)

    # The async invoke went to Lambda, so the search is pending...
    assert _get(deployed, token)["statusCode"] == 202

    # ...until the search Lambda receives the event that the start Lambda sent.
    assert deployed.run(_run_event(token), LocalLambdaContext("search"))["status"] == "done"
    found = json.loads(_get(deployed, token)["body"])
    assert found["status"] == "complete"
    assert {offer["carClass"] for offer in found["offers"]} == {"suv"}


def test_deployed_lost_search_handler_marks_a_search_lambda_gave_up_on_failed(deployed: Deployed) -> None:
    # GIVEN a search whose run never happened
    token = _start(deployed)

    # WHEN its on-failure record comes from the queue
    answer = deployed.lost_searches(_lost_batch(token), LocalLambdaContext("lost-searches"))

    # THEN the record is done, and the next GET says the search failed instead of pending
    assert answer == {"batchItemFailures": []}
    assert json.loads(_get(deployed, token)["body"])["status"] == "failed"


def test_deployed_handler_answers_unknown_routes_with_404(deployed: Deployed) -> None:
    response = deployed.start(rest_event("DELETE", path="/search"), LocalLambdaContext("start"))
    assert response["statusCode"] == 404


# What each function serves, and the other functions' events it must refuse.
WRONG = [
    ("start", "POST /search", ["run", "lost"]),
    ("results", "GET /search", ["run", "lost"]),
    ("run", "runs searches", ["get", "post", "lost"]),
    ("lost_searches", "marks lost searches failed", ["get", "post", "run"]),
]
GOT = {"get": "an API Gateway request (GET /search)", "post": "an API Gateway request (POST /search)",
       "run": "an event with keys ['action', 'searchId']", "lost": "an SQS batch of 1 records"}  # fmt: skip


def _event(kind: str, token: str) -> dict[str, Any]:
    if kind == "get":
        return rest_event("GET", query={"token": token, "User": USER})
    if kind == "post":
        return rest_event("POST", body={"city": "Seattle", "pickupDate": "2027-01-08", "returnDate": "2027-01-10"})
    return _run_event(token) if kind == "run" else _lost_batch(token)


@pytest.mark.parametrize(("function", "serves", "others"), WRONG, ids=[row[0] for row in WRONG])
def test_each_entry_point_refuses_the_other_functions_events_and_does_nothing(
    deployed: Deployed, function: str, serves: str, others: list[str]
) -> None:
    # GIVEN a pending search
    token = _start(deployed)
    handler = getattr(deployed, function)

    for other in others:
        # WHEN another function's event reaches this one (the template wired a Handler or an event source wrongly)
        with pytest.raises(WrongEvent) as refused:
            handler(_event(other, token), LocalLambdaContext(function))

        # THEN it raises, saying what it serves and what it got, rather than answering (which would drop an SQS
        # batch, or an async event, for good)
        assert serves in str(refused.value), other
        assert GOT[other] in str(refused.value), other

    # AND nothing was done: the search was neither run nor marked failed
    assert _get(deployed, token)["statusCode"] == 202


def test_the_http_functions_answer_the_other_method_with_404_as_an_unknown_route(deployed: Deployed) -> None:
    # GIVEN a pending search
    token = _start(deployed)

    # WHEN a GET reaches the start Lambda, or a POST the results Lambda
    get = deployed.start(_event("get", token), LocalLambdaContext("start"))
    post = deployed.results(_event("post", token), LocalLambdaContext("results"))

    # THEN each answers as for any route it does not have, and nothing is started or read
    assert (get["statusCode"], post["statusCode"]) == (404, 404)
    assert _get(deployed, token)["statusCode"] == 202
