"""The Lambda entry points as deployed: `lambda_handler` of each module, wired only from the environment."""

from __future__ import annotations

import importlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from search_service import search_handler, start_handler
from search_service.adapters.local_context import LocalLambdaContext
from search_service.api.gateway import rest_event


def _deploy_search_function(name: str) -> None:
    import boto3

    role = boto3.client("iam").create_role(RoleName="search", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("search_service/search_handler.py", "")
    boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="search_service.search_handler.lambda_handler",
        Code={"ZipFile": package.getvalue()},
    )


@pytest.fixture
def deployed(s3: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    _deploy_search_function("car-search-search")
    monkeypatch.setenv("RESULTS_BUCKET", "car-search-results")
    monkeypatch.setenv("SEARCH_FUNCTION_NAME", "car-search-search")
    monkeypatch.setenv("SUPPLIER_LATENCY_SCALE", "0")
    # Re-run each module's composition inside moto, as a Lambda cold start would with this environment.
    return importlib.reload(start_handler).lambda_handler, importlib.reload(search_handler).lambda_handler


def test_deployed_handlers_start_run_and_serve_a_search(deployed: tuple[Any, Any]) -> None:
    start, search = deployed
    # The deployed Lambdas read the system clock and nothing else (CAR_SEARCH_TODAY is for the local stack only):
    # the trip is a week from the real today.
    pickup = datetime.now(UTC).date() + timedelta(days=7)
    body = {"city": "Seattle", "pickupDate": str(pickup), "returnDate": str(pickup + timedelta(days=2)), "user": "u-1"}
    started = start(rest_event("POST", body=body), LocalLambdaContext("start"))
    assert started["statusCode"] == 202
    token = json.loads(started["body"])["token"]

    # The async invoke went to Lambda (moto accepts it without running it), so the search is pending...
    query = {"token": token, "User": "u-1", "CarSize": "suv"}
    assert search(rest_event("GET", query=query), LocalLambdaContext("search"))["statusCode"] == 202

    # ...until the search Lambda receives the event that the start Lambda sent.
    from search_service.domain.tokens import search_id

    event = {"action": "run-search", "searchId": search_id(token, "u-1")}
    assert search(event, LocalLambdaContext("search"))["status"] == "done"
    results = json.loads(search(rest_event("GET", query=query), LocalLambdaContext("search"))["body"])
    assert results["status"] == "complete"
    assert {offer["carClass"] for offer in results["offers"]} == {"suv"}


def test_deployed_handler_answers_unknown_routes_with_404(deployed: tuple[Any, Any]) -> None:
    start, _ = deployed
    response = start(rest_event("DELETE", path="/search"), LocalLambdaContext("start"))
    assert response["statusCode"] == 404
