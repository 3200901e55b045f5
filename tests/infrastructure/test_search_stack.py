"""The search service's SAM template, checked offline: cfn-lint, then the resources the SAM transform
produces, read as a reviewer would (bucket, roles, async config, API), and held against the code."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest

from local_stack.search_api import SEARCH_TIMEOUT_S
from search_service.adapters.local_context import LocalLambdaContext
from search_service.adapters.push import S3Subscribers
from search_service.adapters.webhooks import message_body
from search_service.api.gateway import rest_event
from search_service.domain.tokens import search_id
from search_service.entry import callbacks, results, run, websocket
from tests.builders.stack import USER, build_stack
from tests.builders.websocket import GoneChannel, websocket_event
from tests.fakes.callbacks import ListQueue, ScriptedTransport
from tests.fakes.clock import FixedClock
from tests.fakes.suppliers import DroppingLauncher, FailingLauncher
from tests.infrastructure.cloudformation import (
    BUCKET_ARN,
    ROOT,
    SEARCH_STACK,
    allows,
    as_list,
    lint,
    load,
    resolved,
    resources,
    sam_transform,
    statements,
)

SEARCH_ARN = "arn:aws:lambda:us-east-1:123456789012:function:stack-SearchFunction-XYZ"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:stack-LostSearchQueue-XYZ"
CALLBACK_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:stack-CallbackQueue-XYZ"
NAMES = {
    "ResultsBucket.Arn": BUCKET_ARN,
    "ResultsPrefix": "results/",
    "SearchFunction.Arn": SEARCH_ARN,
    "LostSearchQueue.Arn": QUEUE_ARN,
    "CallbackQueue.Arn": CALLBACK_QUEUE_ARN,
    "CallbackLogGroup.Arn": "arn:aws:logs:us-east-1:123456789012:log-group:callbacks:*",
    "StartLogGroup.Arn": "arn:aws:logs:us-east-1:123456789012:log-group:start:*",
    "SearchLogGroup.Arn": "arn:aws:logs:us-east-1:123456789012:log-group:search:*",
    "ResultsLogGroup.Arn": "arn:aws:logs:us-east-1:123456789012:log-group:results:*",
    "LostSearchLogGroup.Arn": "arn:aws:logs:us-east-1:123456789012:log-group:lost-searches:*",
}
X_RAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
_TRIP = {"city": "New York", "pickupDate": "2026-11-28", "returnDate": "2026-11-30"}  # Stack.start_search's
# POST /search, GET /search, the search runs, the lost-search records: one function each, one code package.
FUNCTIONS = ("StartFunction", "ResultsFunction", "SearchFunction", "LostSearchFunction", "CallbackFunction",
             "PushFunction", "PushAuthorizerFunction")  # fmt: skip
# Variables only one function reads: the run posts to the WebSocket API, its authorizer verifies the user pool's tokens.
ONLY_FOR = {"PUSH_ENDPOINT_URL": "SearchFunction", "JWT_ISSUER": "PushAuthorizerFunction",
            "JWT_AUDIENCE": "PushAuthorizerFunction"}  # fmt: skip


@pytest.fixture(scope="module")
def source() -> dict[str, Any]:
    return load(SEARCH_STACK)


@pytest.fixture(scope="module")
def deployed(source: dict[str, Any]) -> dict[str, Any]:
    """As deployed with the default parameters (Handover: invoke); tests/infrastructure/test_handover.py has the
    other handover."""
    return resolved(sam_transform(source))


def _function(deployed: dict[str, Any], name: str) -> dict[str, Any]:
    return deployed["Resources"][name]["Properties"]


def _role(deployed: dict[str, Any], function: str) -> dict[str, Any]:
    role_ref = _function(deployed, function)["Role"]["Fn::GetAtt"]
    return deployed["Resources"][role_ref[0] if isinstance(role_ref, list) else role_ref.split(".")[0]]


def _object(key: str) -> str:
    return f"{BUCKET_ARN}/{key}"


# --- lint -------------------------------------------------------------------------------------------------


def test_cfn_lint_with_the_serverless_rules_finds_nothing() -> None:
    assert lint(SEARCH_STACK) == []


# --- the bucket -------------------------------------------------------------------------------------------


def test_bucket_is_private_encrypted_unversioned_with_a_generated_name(deployed: dict[str, Any]) -> None:
    (bucket,) = resources(deployed, "AWS::S3::Bucket").values()
    props = bucket["Properties"]
    assert "BucketName" not in props
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert "VersioningConfiguration" not in props
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_results_expire_after_a_day_on_the_results_prefix_only(deployed: dict[str, Any]) -> None:
    (bucket,) = resources(deployed, "AWS::S3::Bucket").values()
    (rule,) = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == 1
    assert rule["Prefix"] == {"Ref": "ResultsPrefix"}
    assert deployed["Parameters"]["ResultsPrefix"]["Default"] == "results/"


def test_bucket_policy_refuses_every_request_without_tls(deployed: dict[str, Any]) -> None:
    (policy,) = resources(deployed, "AWS::S3::BucketPolicy").values()
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {json.dumps(r, sort_keys=True) for r in deny["Resource"]} == {
        json.dumps({"Fn::GetAtt": ["ResultsBucket", "Arn"]}, sort_keys=True),
        json.dumps({"Fn::Sub": "${ResultsBucket.Arn}/*"}, sort_keys=True),
    }


# --- the roles --------------------------------------------------------------------------------------------


def test_no_role_grants_a_wildcard_action_or_resource_except_x_ray_writes(deployed: dict[str, Any]) -> None:
    for name, role in resources(deployed, "AWS::IAM::Role").items():
        assert "ManagedPolicyArns" not in role["Properties"], name
        for statement in statements(role):
            actions = as_list(statement["Action"])
            assert not [a for a in actions if "*" in a], (name, actions)
            if "*" in as_list(statement["Resource"]):
                assert set(actions) <= X_RAY_ACTIONS, (name, statement)


@pytest.mark.parametrize(
    ("action", "resource", "allowed"),
    [
        ("lambda:InvokeFunction", SEARCH_ARN, True),
        ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:other", False),
        ("s3:PutObject", _object("results/abc/job.json"), True),
        ("s3:GetObject", _object("results/abc/job.json"), True),
        ("s3:PutObject", _object("results/idempotency/k1.json"), True),
        ("s3:DeleteObject", _object("results/idempotency/k1.json"), True),
        # The start Lambda cannot read (or write) offers, nor delete jobs, nor list the bucket.
        ("s3:GetObject", _object("results/abc/suppliers/hertz.json"), False),
        ("s3:PutObject", _object("results/abc/suppliers/hertz.json"), False),
        ("s3:DeleteObject", _object("results/abc/job.json"), False),
        ("s3:ListBucket", BUCKET_ARN, False),
        ("s3:GetObject", _object("elsewhere/abc/job.json"), False),
        ("s3:PutLifecycleConfiguration", BUCKET_ARN, False),
        ("sqs:SendMessage", QUEUE_ARN, False),
    ],
)
def test_start_role(deployed: dict[str, Any], action: str, resource: str, allowed: bool) -> None:
    assert allows(_role(deployed, "StartFunction"), action, resource, NAMES) is allowed


@pytest.mark.parametrize(
    ("action", "resource", "allowed"),
    [
        ("s3:GetObject", _object("results/abc/job.json"), True),
        ("s3:PutObject", _object("results/abc/job.json"), True),
        ("s3:GetObject", _object("results/abc/suppliers/hertz.json"), True),
        ("s3:PutObject", _object("results/abc/suppliers/hertz.json"), True),
        ("s3:ListBucket", BUCKET_ARN, True),
        # What searches share: the quote cache and the suppliers' latencies, read and written whole.
        ("s3:GetObject", _object("results/quotes/hertz/new-york-ny/2027-01-08_2027-01-10.json"), True),
        ("s3:PutObject", _object("results/quotes/hertz/new-york-ny/2027-01-08_2027-01-10.json"), True),
        ("s3:PutObject", _object("results/stats/supplier-latency.json"), True),
        ("s3:PutObject", _object("results/stats/other.json"), False),
        # A run reads whether its search was cancelled, and never cancels one
        ("s3:GetObject", _object("results/abc/cancelled.json"), True),
        ("s3:PutObject", _object("results/abc/cancelled.json"), False),
        ("s3:DeleteObject", _object("results/quotes/hertz/new-york-ny/2027-01-08_2027-01-10.json"), False),
        ("sqs:SendMessage", QUEUE_ARN, True),  # the on-failure destination, sent with the function's role
        # The lost-search Lambda reads the queue now.
        ("sqs:ReceiveMessage", QUEUE_ARN, False),
        ("sqs:DeleteMessage", QUEUE_ARN, False),
        # The search Lambda cannot invoke Lambdas, touch idempotency records or anything outside the prefix,
        # delete, or change the bucket's lifecycle (which SAM's S3CrudPolicy would allow).
        ("lambda:InvokeFunction", SEARCH_ARN, False),
        ("s3:GetObject", _object("results/idempotency/k1.json"), False),
        ("s3:PutObject", _object("results/idempotency/k1.json"), False),
        ("s3:GetObject", _object("elsewhere/x.json"), False),
        ("s3:DeleteObject", _object("results/abc/job.json"), False),
        ("s3:PutLifecycleConfiguration", BUCKET_ARN, False),
        ("s3:PutBucketPolicy", BUCKET_ARN, False),
    ],
)
def test_search_role(deployed: dict[str, Any], action: str, resource: str, allowed: bool) -> None:
    assert allows(_role(deployed, "SearchFunction"), action, resource, NAMES) is allowed


@pytest.mark.parametrize(
    ("action", "resource", "allowed"),
    [
        # What a GET reads: the job, the suppliers' answers, when each supplier usually answers; and the bucket's
        # listing, without which S3 answers 403 rather than 404 for a supplier that has not answered yet.
        ("s3:GetObject", _object("results/abc/job.json"), True),
        ("s3:GetObject", _object("results/abc/suppliers/hertz.json"), True),
        ("s3:GetObject", _object("results/stats/supplier-latency.json"), True),
        ("s3:ListBucket", BUCKET_ARN, True),
        # Whether the search was cancelled; and the cancel itself, the one object it may write (DELETE /search)
        ("s3:GetObject", _object("results/abc/cancelled.json"), True),
        ("s3:PutObject", _object("results/abc/cancelled.json"), True),
        ("s3:DeleteObject", _object("results/abc/cancelled.json"), False),
        # A cancelled search's search.cancelled event: its delivery record and its message to the delivery queue
        ("s3:PutObject", _object("results/abc/callbacks/msg_1.json"), True),
        ("sqs:SendMessage", CALLBACK_QUEUE_ARN, True),
        ("s3:GetObject", _object("webhook-secrets/o.json"), False),
        # Otherwise it writes nothing: not a job, an answer, a quote, the latencies or an idempotency record.
        ("s3:PutObject", _object("results/abc/job.json"), False),
        ("s3:PutObject", _object("results/abc/suppliers/hertz.json"), False),
        ("s3:PutObject", _object("results/quotes/hertz/new-york-ny/2027-01-08_2027-01-10.json"), False),
        ("s3:PutObject", _object("results/stats/supplier-latency.json"), False),
        ("s3:PutObject", _object("results/idempotency/k1.json"), False),
        ("s3:DeleteObject", _object("results/abc/job.json"), False),
        # Nor reads what it does not serve.
        ("s3:GetObject", _object("results/quotes/hertz/new-york-ny/2027-01-08_2027-01-10.json"), False),
        ("s3:GetObject", _object("results/idempotency/k1.json"), False),
        ("s3:GetObject", _object("elsewhere/x.json"), False),
        ("sqs:SendMessage", QUEUE_ARN, False),
        ("sqs:ReceiveMessage", QUEUE_ARN, False),
        ("lambda:InvokeFunction", SEARCH_ARN, False),
    ],
)
def test_results_role(deployed: dict[str, Any], action: str, resource: str, allowed: bool) -> None:
    assert allows(_role(deployed, "ResultsFunction"), action, resource, NAMES) is allowed


@pytest.mark.parametrize(
    ("action", "resource", "allowed"),
    [
        ("sqs:ReceiveMessage", QUEUE_ARN, True),
        ("sqs:DeleteMessage", QUEUE_ARN, True),
        ("sqs:GetQueueAttributes", QUEUE_ARN, True),
        ("s3:GetObject", _object("results/abc/job.json"), True),
        ("s3:PutObject", _object("results/abc/job.json"), True),
        ("s3:ListBucket", BUCKET_ARN, True),
        # It marks a job failed, and for a search with a callback reads the answers and the cancel and queues the
        # event: it writes no offers, quotes, latencies or idempotency records, and never cancels.
        ("s3:GetObject", _object("results/abc/suppliers/hertz.json"), True),
        ("s3:GetObject", _object("results/abc/cancelled.json"), True),
        ("s3:PutObject", _object("results/abc/callbacks/evt_1.json"), True),
        ("s3:PutObject", _object("results/abc/cancelled.json"), False),
        ("s3:GetObject", _object("webhook-secrets/u1.json"), False),
        ("s3:PutObject", _object("results/abc/suppliers/hertz.json"), False),
        ("s3:PutObject", _object("results/quotes/hertz/new-york-ny/2027-01-08_2027-01-10.json"), False),
        ("s3:PutObject", _object("results/stats/supplier-latency.json"), False),
        ("s3:PutObject", _object("results/idempotency/k1.json"), False),
        ("s3:DeleteObject", _object("results/abc/job.json"), False),
        ("sqs:SendMessage", QUEUE_ARN, False),
        ("sqs:SendMessage", CALLBACK_QUEUE_ARN, True),
        ("lambda:InvokeFunction", SEARCH_ARN, False),
    ],
)
def test_lost_search_role(deployed: dict[str, Any], action: str, resource: str, allowed: bool) -> None:
    assert allows(_role(deployed, "LostSearchFunction"), action, resource, NAMES) is allowed


_ACTIONS = {
    "PutObject": "s3:PutObject",
    "GetObject": "s3:GetObject",
    "DeleteObject": "s3:DeleteObject",
    "ListObjectsV2": "s3:ListBucket",
}


class _Calls:
    """The S3 calls the code makes, per Lambda, so the roles are held against what the code really does."""

    def __init__(self, client: Any) -> None:
        self.by_lambda: dict[str, set[tuple[str, str]]] = {name: set() for name in FUNCTIONS}
        self._current = ""
        client.meta.events.register("before-parameter-build.s3.*", self._record)

    @contextmanager
    def inside(self, function: str) -> Iterator[None]:
        self._current = function
        try:
            yield
        finally:
            self._current = ""

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self._current:
            key = params.get("Key")
            resource = _object(key) if key else BUCKET_ARN
            self.by_lambda[self._current].add((_ACTIONS[model.name], resource))


def test_each_role_allows_every_s3_call_its_lambda_makes(deployed: dict[str, Any], s3: Any, clock: FixedClock) -> None:
    calls = _Calls(s3)
    failing = FailingLauncher(DroppingLauncher())
    stack = build_stack(
        s3, clock, launcher=DroppingLauncher(), wrap_launcher=lambda _: failing, callback_queue_url="https://sqs/q"
    )
    context = LocalLambdaContext("search", timeout_s=SEARCH_TIMEOUT_S)
    with calls.inside("StartFunction"):
        assert stack.start_search(**{"Idempotency-Key": "turn-1"}).status == 503  # the launch fails: undone
        failing.broken = False
        token = stack.start_search(**{"Idempotency-Key": "turn-1"}).body["token"]
        assert stack.start_search(**{"Idempotency-Key": "turn-1"}).body["token"] == token
    searched = search_id(token, USER)
    with calls.inside("ResultsFunction"):
        assert stack.get(token).status == 202
    with calls.inside("SearchFunction"):
        assert stack.run({"action": "run-search", "searchId": searched}, context)["status"] == "done"
    with calls.inside("ResultsFunction"):
        assert stack.get(token, CarSize="compact", Supplier="Hertz").status == 200
    # A cancel (DELETE /search), and a run that finds its search cancelled
    cancelled = stack.start_search(city="Denver").body["token"]
    with calls.inside("ResultsFunction"):
        delete = rest_event("DELETE", headers={"Search-Token": cancelled, "Search-User": USER})
        assert stack.results(delete, LocalLambdaContext("results"))["statusCode"] == 200
    with calls.inside("SearchFunction"):
        event = {"action": "run-search", "searchId": search_id(cancelled, USER)}
        assert stack.run(event, context) == {"status": "skipped", "reason": "search cancelled"}
    with calls.inside("LostSearchFunction"):
        record = {"requestContext": {"condition": "RetriesExhausted"}, "requestPayload": {"searchId": searched}}
        answer = stack.lost_searches({"Records": [{"messageId": "m", "body": json.dumps(record)}]}, context)
        assert answer == {"batchItemFailures": []}
    # A search with a callback: the secret made at its start, the events queued by its run, two attempts delivered
    # (a 500, then a 200; no network: the transport is scripted), their outcome read by GET.
    queue = ListQueue()
    with calls.inside("StartFunction"):
        secret = stack.start(rest_event("GET", "/webhook-secret", headers={"Search-User": USER}), context)
        assert secret["statusCode"] == 200
        hooked = stack.post({**_TRIP, "user": USER, "callbackUrl": "https://93.184.215.14/in"}).body
        rotated = stack.start(rest_event("POST", "/webhook-secret/rotate", headers={"Search-User": USER}), context)
        assert rotated["statusCode"] == 200
    with calls.inside("SearchFunction"):
        assert run.build_handler(stack.services, queue)({"searchId": hooked["searchId"]}, context)["status"] == "done"
    deliver = callbacks.build_handler(stack.services, queue, ScriptedTransport([500, 200]))
    with calls.inside("CallbackFunction"):
        for attempt in range(2):
            record = {"messageId": f"m{attempt}", "body": message_body(queue.sent[attempt][0])}
            assert deliver({"Records": [record]}, context) == {"batchItemFailures": []}
    with calls.inside("ResultsFunction"):
        assert stack.get(hooked["token"]).body["callback"]["state"] == "delivered"
    # A search with a callback cancelled before its run: the cancel queues search.cancelled
    cancelled_hook = stack.post({**_TRIP, "user": USER, "callbackUrl": "https://93.184.215.14/in"}).body
    with calls.inside("ResultsFunction"):
        delete = rest_event("DELETE", headers={"Search-Token": cancelled_hook["token"], "Search-User": USER})
        assert results.build_handler(stack.services, queue)(delete, LocalLambdaContext("results"))["statusCode"] == 200
    assert queue.sent[-1][0].event_type == "search.cancelled"
    # WebSocket subscribers (issue 19): three subscribe (the push function), one disconnects, and the run's events find
    # the other two gone (GoneException): their subscriptions are deleted.
    settings = stack.services.settings
    pushing = replace(stack.services, subscribers=S3Subscribers(s3, settings.results_bucket, settings.results_prefix))
    routes = websocket.build_handler(pushing)
    watched = stack.start_search(city="Denver").body["token"]
    with calls.inside("PushFunction"):
        for connection in ("c1", "c2", "c3"):
            subscribe = websocket_event("subscribe", connection, USER, {"action": "subscribe", "token": watched})
            assert json.loads(routes(subscribe, context)["body"])["type"] == "subscribed"
        assert routes(websocket_event("$disconnect", "c3", USER), context) == {"statusCode": 200}
    gone = GoneChannel()
    with calls.inside("SearchFunction"):
        assert (
            run.build_handler(pushing, None, gone)({"searchId": search_id(watched, USER)}, context)["status"] == "done"
        )
    assert set(gone.tried) == {"c1", "c2"}
    assert pushing.subscribers.subscribers(search_id(watched, USER)) == []

    for function, made in calls.by_lambda.items():
        if function == "PushAuthorizerFunction":  # no S3 at all: its role has none
            assert not made
            continue
        assert made, function
        role = _role(deployed, function)
        refused = sorted(call for call in made if not allows(role, *call, NAMES))
        assert not refused, f"{function}'s role refuses calls its code makes: {refused}"


# --- the search Lambda's async invocation -----------------------------------------------------------------


def test_async_search_events_are_retried_a_bounded_time_then_recorded_as_lost(deployed: dict[str, Any]) -> None:
    (config,) = resources(deployed, "AWS::Lambda::EventInvokeConfig").values()
    props = config["Properties"]
    assert props["FunctionName"] == {"Ref": "SearchFunction"}
    assert 0 <= props["MaximumRetryAttempts"] <= 2
    assert 60 <= props["MaximumEventAgeInSeconds"] <= 600
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["LostSearchQueue", "Arn"]}


def _mapping(deployed: dict[str, Any], function: str) -> dict[str, Any]:
    mappings = resources(deployed, "AWS::Lambda::EventSourceMapping").values()
    (props,) = [m["Properties"] for m in mappings if m["Properties"]["FunctionName"] == {"Ref": function}]
    return props


def test_lost_search_records_reach_a_function_of_their_own_which_marks_them_failed(deployed: dict[str, Any]) -> None:
    props = _mapping(deployed, "LostSearchFunction")
    assert props["EventSourceArn"] == {"Fn::GetAtt": ["LostSearchQueue", "Arn"]}
    # Not the search Lambda: searches are lost when its runs are throttled, and its marking would be throttled too.
    assert props["FunctionName"] == {"Ref": "LostSearchFunction"}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # A flood of lost records takes at most two executions from the unreserved pool that the GETs draw on.
    assert props["ScalingConfig"] == {"MaximumConcurrency": 2}
    assert "ReservedConcurrentExecutions" not in _function(deployed, "LostSearchFunction")
    queue = deployed["Resources"]["LostSearchQueue"]["Properties"]
    # Lambda's SQS event source wants a visibility timeout of at least six times the function's timeout.
    assert queue["VisibilityTimeout"] >= 6 * _function(deployed, "LostSearchFunction")["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["UnmarkedLostSearchQueue", "Arn"]}


def test_callback_attempts_reach_a_function_of_their_own_a_few_at_a_time_with_a_dead_letter_queue(
    deployed: dict[str, Any],
) -> None:
    from local_stack.callback_queue import (
        CALLBACK_MAX_RECEIVES,
        CALLBACK_VISIBILITY_TIMEOUT_S,
        DELIVERY_CONCURRENCY,
        DELIVERY_TIMEOUT_S,
    )

    props = _mapping(deployed, "CallbackFunction")
    assert props["EventSourceArn"] == {"Fn::GetAtt": ["CallbackQueue", "Arn"]}
    # One attempt an invocation, so a slow receiver holds no other client's event; a few at once at most.
    assert props["BatchSize"] == 1 and props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["ScalingConfig"]["MaximumConcurrency"] == DELIVERY_CONCURRENCY <= 5  # the local stack's too
    function = _function(deployed, "CallbackFunction")
    assert function["Handler"] == "search_service.entry.callbacks.lambda_handler"
    assert "ReservedConcurrentExecutions" not in function
    queue = deployed["Resources"]["CallbackQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["UndeliveredCallbackQueue", "Arn"]},
        "maxReceiveCount": CALLBACK_MAX_RECEIVES,
    }
    # The local stack's stand-in has the same figures.
    assert (queue["VisibilityTimeout"], function["Timeout"]) == (CALLBACK_VISIBILITY_TIMEOUT_S, DELIVERY_TIMEOUT_S)
    # Every function knows the queue: the start Lambda turns callbacks on with it, the runs send to it.
    for name in ("StartFunction", "SearchFunction", "CallbackFunction"):
        assert _function(deployed, name)["Environment"]["Variables"]["CALLBACK_QUEUE_URL"] == {"Ref": "CallbackQueue"}


@pytest.mark.parametrize(
    ("action", "resource", "allowed"),
    [
        ("s3:GetObject", _object("results/abc/callbacks/msg_1.json"), True),
        ("s3:PutObject", _object("results/abc/callbacks/msg_1.json"), True),
        ("s3:GetObject", _object("webhook-secrets/o.json"), True),
        ("sqs:ReceiveMessage", CALLBACK_QUEUE_ARN, True),
        ("sqs:DeleteMessage", CALLBACK_QUEUE_ARN, True),
        ("sqs:SendMessage", CALLBACK_QUEUE_ARN, True),  # the next attempt, with its delay
        # It reads the secrets, never writes them; nothing of the jobs, offers or idempotency records.
        ("s3:PutObject", _object("webhook-secrets/o.json"), False),
        ("s3:GetObject", _object("results/abc/job.json"), False),
        ("s3:GetObject", _object("results/abc/suppliers/hertz.json"), False),
        ("s3:GetObject", _object("results/idempotency/k1.json"), False),
        ("s3:DeleteObject", _object("results/abc/callbacks/msg_1.json"), False),
        ("sqs:SendMessage", QUEUE_ARN, False),
        ("lambda:InvokeFunction", SEARCH_ARN, False),
    ],
)
def test_callback_role(deployed: dict[str, Any], action: str, resource: str, allowed: bool) -> None:
    assert allows(_role(deployed, "CallbackFunction"), action, resource, NAMES) is allowed


def test_only_the_runs_the_cancels_the_lost_searches_and_the_delivery_may_queue_callbacks(
    deployed: dict[str, Any],
) -> None:
    senders = {
        name for name in FUNCTIONS if allows(_role(deployed, name), "sqs:SendMessage", CALLBACK_QUEUE_ARN, NAMES)
    }
    # results: DELETE's search.cancelled; lost searches: the search.failed of a run Lambda gave up on
    assert senders == {"SearchFunction", "CallbackFunction", "ResultsFunction", "LostSearchFunction"}
    readers = {
        name
        for name in FUNCTIONS
        if allows(_role(deployed, name), "s3:GetObject", _object("webhook-secrets/o.json"), NAMES)
    }
    assert readers == {"StartFunction", "CallbackFunction"}


def test_the_search_timeout_covers_the_slowest_supplier_and_matches_the_local_stack(deployed: dict[str, Any]) -> None:
    from search_service.config import Settings
    from search_service.domain.run import WRITE_MARGIN_S
    from search_service.providers.simulated import MAX_LATENCY_S

    search = _function(deployed, "SearchFunction")
    supplier_timeout = float(search["Environment"]["Variables"]["SUPPLIER_TIMEOUT_SECONDS"])
    assert supplier_timeout > MAX_LATENCY_S
    assert supplier_timeout + WRITE_MARGIN_S + 5 <= search["Timeout"]
    assert search["Timeout"] == SEARCH_TIMEOUT_S
    assert supplier_timeout == Settings().supplier_timeout_s


def test_every_function_deploys_the_zip_that_make_package_builds_for_its_runtime(source: dict[str, Any]) -> None:
    from tools.package import PLATFORM, RUNTIME_VERSION, SEARCH_SERVICE, zip_path

    # A zip, not the folder: `sam build` would copy a folder without its .so and .pyc files.
    expected = zip_path(ROOT / "build" / SEARCH_SERVICE.name)
    runtime = source["Globals"]["Function"]["Runtime"]
    assert runtime == f"python{RUNTIME_VERSION}"
    assert "aarch64" in PLATFORM and source["Globals"]["Function"]["Architectures"] == ["arm64"]
    for name in FUNCTIONS:
        code_uri = source["Resources"][name]["Properties"]["CodeUri"]
        assert (SEARCH_STACK.parent / code_uri).resolve() == expected.resolve(), code_uri


def test_every_handler_is_a_function_in_the_packaged_code(deployed: dict[str, Any], tmp_path: Any) -> None:
    import ast

    from tools.package import SEARCH_SERVICE, build_search_service

    handlers = {_function(deployed, name)["Handler"] for name in FUNCTIONS}
    # test_package.py imports these modules from the built artifact; here: the template names exactly them.
    assert handlers == {f"{module}.lambda_handler" for module in SEARCH_SERVICE.handlers}
    folder = build_search_service(tmp_path, deps=False)
    for name in FUNCTIONS:
        module, _, attribute = _function(deployed, name)["Handler"].rpartition(".")
        path = folder / (module.replace(".", "/") + ".py")
        assert path.is_file(), f"{name}: {path} is not in the artifact"
        tree = ast.parse(path.read_text())
        assigned = {
            t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)
        }
        assert attribute in assigned, f"{name}: {module} defines no {attribute}"


def test_reserved_concurrency_is_a_parameter_that_can_reserve_none(
    source: dict[str, Any], deployed: dict[str, Any]
) -> None:
    reserved = _function(deployed, "SearchFunction")["ReservedConcurrentExecutions"]
    assert reserved == {"Ref": "SearchReservedConcurrency"}
    assert deployed["Parameters"]["SearchReservedConcurrency"]["Default"] > 0
    none = resolved(sam_transform(source), SearchReservedConcurrency="0")
    assert "ReservedConcurrentExecutions" not in _function(none, "SearchFunction")


def test_get_has_a_function_of_its_own_outside_the_runs_reserved_concurrency_that_writes_only_cancels_and_their_events(
    deployed: dict[str, Any],
) -> None:
    # GIVEN the deployed resources: GET /search's integration, and the function holding the reserved concurrency
    get = _api_body(deployed)["paths"]["/search"]["get"]["x-amazon-apigateway-integration"]
    results = _function(deployed, "ResultsFunction")

    # THEN GET /search invokes a function other than the search runs'...
    assert "ResultsFunction.Arn" in get["uri"]["Fn::Sub"]
    assert results["Handler"] != _function(deployed, "SearchFunction")["Handler"]
    # ...which has no share of the runs' reserved executions (a burst of runs cannot throttle a GET)...
    assert "ReservedConcurrentExecutions" not in results
    assert [name for name in FUNCTIONS if "ReservedConcurrentExecutions" in _function(deployed, name)] == [
        "SearchFunction"
    ]
    # ...and whose role can read results, and write nothing but a search's cancel marker (DELETE /search) and the
    # delivery record of the search.cancelled event it announces.
    role = _role(deployed, "ResultsFunction")
    written = [s for s in statements(role) if {"s3:PutObject", "s3:DeleteObject"} & set(as_list(s["Action"]))]
    assert [(s["Action"], s["Resource"]) for s in written] == [
        (
            "s3:PutObject",
            [
                {"Fn::Sub": "${ResultsBucket.Arn}/${ResultsPrefix}*/cancelled.json"},
                {"Fn::Sub": "${ResultsBucket.Arn}/${ResultsPrefix}*/callbacks/*"},
            ],
        )
    ]
    assert allows(role, "s3:GetObject", _object("results/abc/job.json"), NAMES)


def test_functions_are_arm64_python_traced_with_their_own_retained_log_group(deployed: dict[str, Any]) -> None:
    groups = {_function(deployed, name)["LoggingConfig"]["LogGroup"]["Ref"] for name in FUNCTIONS}
    assert len(groups) == len(FUNCTIONS)
    for name in FUNCTIONS:
        function = _function(deployed, name)
        assert function["Architectures"] == ["arm64"]
        assert function["Runtime"].startswith("python3.")
        assert function["TracingConfig"] == {"Mode": "Active"}
        group = function["LoggingConfig"]["LogGroup"]["Ref"]
        assert deployed["Resources"][group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        log_statement = next(s for s in statements(_role(deployed, name)) if s["Sid"] == "WriteLogs")
        assert log_statement["Resource"] == {"Fn::GetAtt": [group, "Arn"]}


# --- environment ------------------------------------------------------------------------------------------

# Read by the code but not set by the template: Lambda sets AWS_REGION; S3_ENDPOINT_URL is the local stack's.
# The local stack's: its callback receivers are on 127.0.0.1 over http. In AWS, https to public addresses only.
NOT_FROM_THE_TEMPLATE = {"AWS_REGION", "S3_ENDPOINT_URL", "CALLBACK_ALLOW_HTTP", "CALLBACK_ALLOW_LOOPBACK"}


def _variables_the_code_reads() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "search_service").rglob("*.py"):
        text = path.read_text()
        found |= set(re.findall(r'read\(\s*"([A-Z][A-Z0-9_]+)"', text))
        found |= set(re.findall(r'(?:environ\.get|getenv|environ\[)\(?\s*"([A-Z][A-Z0-9_]+)"', text))
    return found


def test_every_environment_variable_the_code_reads_is_defined(deployed: dict[str, Any]) -> None:
    read = _variables_the_code_reads()
    assert {"RESULTS_BUCKET", "SEARCH_FUNCTION_NAME", "POWERTOOLS_SERVICE_NAME"} <= read  # the scan works
    for name in FUNCTIONS:
        defined = set(_function(deployed, name)["Environment"]["Variables"])
        missing = read - NOT_FROM_THE_TEMPLATE - defined
        if name != "StartFunction":
            missing -= {"SEARCH_FUNCTION_NAME", "HANDOVER"}  # only the start Lambda launches searches
        missing.discard("SEARCH_QUEUE_URL")  # only with Handover: queue (tests/infrastructure/test_handover.py)
        missing -= {variable for variable, only in ONLY_FOR.items() if only != name}
        assert not missing, f"{name} lacks {sorted(missing)}"


def test_the_template_settings_are_valid_for_the_code(deployed: dict[str, Any]) -> None:
    from search_service.config import Settings

    for name in FUNCTIONS:
        variables = _function(deployed, name)["Environment"]["Variables"]
        plain = {k: v for k, v in variables.items() if isinstance(v, str)}
        plain["RESULT_MAX_AGE_SECONDS"] = str(deployed["Parameters"]["ResultMaxAgeSeconds"]["Default"])
        settings = Settings.from_env(plain)  # raises on a value the code would refuse at cold start
        assert settings.result_max_age_s < 24 * 3600, "results must count as gone before the lifecycle rule"


# --- the API ----------------------------------------------------------------------------------------------


def _api_body(deployed: dict[str, Any]) -> dict[str, Any]:
    (api,) = resources(deployed, "AWS::ApiGateway::RestApi").values()
    return api["Properties"]["Body"]


def test_the_api_validates_required_parameters_before_any_lambda_runs(deployed: dict[str, Any]) -> None:
    body = _api_body(deployed)
    validators = body["x-amazon-apigateway-request-validators"]
    get = body["paths"]["/search"]["get"]
    post = body["paths"]["/search"]["post"]
    assert validators[get["x-amazon-apigateway-request-validator"]]["validateRequestParameters"] is True
    assert validators[post["x-amazon-apigateway-request-validator"]]["validateRequestBody"] is True
    required = {p["name"] for p in get["parameters"] if p["in"] == "query" and p["required"]}
    # The same required query parameters as the API's own OpenAPI document, which the code generates.
    openapi = json.loads((ROOT / "docs" / "openapi.json").read_text())
    documented = {
        p["name"] for p in openapi["paths"]["/search"]["get"]["parameters"] if p["in"] == "query" and p["required"]
    }
    # The token and the user: the Search-Token and Search-User headers, or the design's query parameters; the Lambda
    # requires one of each, which API Gateway's validator cannot say.
    assert required == documented == set()
    declared = {(p["in"], p["name"].lower()) for p in get["parameters"]}  # header names: either case
    assert {("header", "search-token"), ("header", "search-user"), ("query", "token"), ("query", "user")} <= declared
    assert {("header", "search-token"), ("header", "search-user")} <= {
        (p["in"], p["name"].lower()) for p in openapi["paths"]["/search"]["get"]["parameters"]
    }
    # The local stack's API Gateway stand-in validates the same way: it reads the template
    # (tests/local_stack/test_gateway_spec.py holds every route of it to the transformed template).
    from local_stack.gateway_spec import rest_api_spec

    routes = rest_api_spec().routes
    assert {p.name for p in routes["GET", "/search"].parameters if p.required} == required
    assert [method for (method, path), route in routes.items() if route.validate_body] == ["POST"]


def test_every_method_needs_aws_iam_authorization_and_the_functions_run_under_their_own_permissions(
    deployed: dict[str, Any],
) -> None:
    body = _api_body(deployed)
    assert body["securityDefinitions"]["AWS_IAM"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    for method in body["paths"]["/search"].values():
        assert method["security"] == [{"AWS_IAM": []}]
        # Not the caller's credentials (SAM's default for AWS_IAM): the skill's role may invoke the API, not Lambda.
        assert "credentials" not in method["x-amazon-apigateway-integration"]
    # No API key anywhere: nothing secret to keep in SSM, the skill's environment or API Gateway.
    assert not resources(deployed, "AWS::ApiGateway::ApiKey") and not resources(deployed, "AWS::ApiGateway::UsagePlan")
    assert not [name for name in deployed["Parameters"] if "Key" in name]
    (arn,) = [r["Properties"]["Value"] for r in resources(deployed, "AWS::SSM::Parameter").values()
              if r["Properties"]["Name"] == {"Fn::Sub": "/car-search/${Stage}/search-api-arn"}]  # fmt: skip
    assert arn == {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${SearchApi}/${Stage}"
    }


def test_the_stage_is_throttled_and_access_logged_without_personal_data(deployed: dict[str, Any]) -> None:
    (stage,) = resources(deployed, "AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == {"Ref": "Stage"}
    assert deployed["Parameters"]["Stage"]["Default"] == "beta"
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in props["MethodSettings"]}
    assert set(settings) == {("/*", "*"), ("/~1search", "POST")}  # GET /search keeps the API's rate limit
    assert settings["/*", "*"]["ThrottlingRateLimit"] == {"Ref": "ApiRateLimit"}
    assert settings["/*", "*"]["ThrottlingBurstLimit"] == {"Ref": "ApiBurstLimit"}
    log = props["AccessLogSetting"]
    assert log["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    fields = json.loads(log["Format"])
    assert "requestId" in fields and "status" in fields
    assert not [v for v in fields.values() if "querystring" in v or "body" in v]  # no user ids or tokens


def test_the_post_throttle_is_what_the_runs_reserved_executions_hold(deployed: dict[str, Any]) -> None:
    from search_service.providers.simulated import MAX_LATENCY_S

    # GIVEN the runs' capacity: C reserved executions, each search holding one for the slowest supplier's T seconds,
    # C / T = 50 / 12 = 4.17 runs per second
    parameters = deployed["Parameters"]
    reserved = parameters["SearchReservedConcurrency"]["Default"]
    rate = parameters["StartRateLimit"]["Default"]
    burst = parameters["StartBurstLimit"]["Default"]

    def burst_left(r: float) -> float:
        # A token bucket lets B + r x T requests through in any T seconds: the burst that keeps them within C.
        return reserved - r * MAX_LATENCY_S

    # THEN POST /search's burst is what the executions hold beyond T seconds at the rate (50 - 3.5 x 12 = 8), so
    # the runs in flight never exceed C...
    assert burst == burst_left(rate) == 8
    assert burst + rate * MAX_LATENCY_S <= reserved
    # ...and the rate is the largest half step below C / T whose burst still holds 2 s of starts: people who start
    # at nearly the same moment are not refused (4 would leave a burst of 2)
    assert rate == 3.5 < reserved / MAX_LATENCY_S
    assert burst_left(rate) >= 2 * rate and burst_left(rate + 0.5) < 2 * (rate + 0.5)
    (stage,) = resources(deployed, "AWS::ApiGateway::Stage").values()
    (post,) = [s for s in stage["Properties"]["MethodSettings"] if s["HttpMethod"] == "POST"]
    assert post["ResourcePath"] == "/~1search"  # "/search", as API Gateway encodes a path in a method setting
    assert post["ThrottlingRateLimit"] == {"Ref": "StartRateLimit"}
    assert post["ThrottlingBurstLimit"] == {"Ref": "StartBurstLimit"}
    # Below the API's own limit, which GETs keep (about 3 GETs per search).
    assert rate < parameters["ApiRateLimit"]["Default"]


def test_only_api_gateway_may_invoke_the_functions_and_only_their_own_route(deployed: dict[str, Any]) -> None:
    routes: dict[str, set[str]] = {}
    for name, permission in resources(deployed, "AWS::Lambda::Permission").items():
        props = permission["Properties"]
        assert props["Principal"] == "apigateway.amazonaws.com"
        if name.startswith("Push"):  # the WebSocket API's: tests/infrastructure/test_websocket_api.py
            continue
        method_and_path = props["SourceArn"]["Fn::Sub"][0].split("/", 2)[-1]  # after the API id and the stage
        routes.setdefault(props["FunctionName"]["Ref"], set()).add(method_and_path)
    assert routes == {
        # The start Lambda also serves the user's webhook signing secret: it is the one that writes.
        "StartFunction": {"POST/search", "GET/webhook-secret", "POST/webhook-secret/rotate"},
        "ResultsFunction": {"GET/search", "DELETE/search"},
    }


def test_outputs_give_the_api_url_and_what_the_skill_stack_reads(deployed: dict[str, Any]) -> None:
    outputs = deployed["Outputs"]
    assert outputs["SearchApiUrl"]["Value"]["Fn::Sub"].endswith("/${Stage}")
    names = {r["Properties"]["Name"]["Fn::Sub"] for r in resources(deployed, "AWS::SSM::Parameter").values()}
    assert names == set(outputs["SkillParameters"]["Value"]["Fn::Sub"].split(", "))  # each one the output names
    skill_stack = (ROOT / "infrastructure" / "cfn-deployer" / "skill-stack.yaml").read_text()
    for name in names:
        assert name.replace("${Stage}", "${SearchStage}") in skill_stack


# --- DELETE /search and long polls --------------------------------------------------------------------------------


def test_delete_cancels_through_the_results_function_with_the_same_parameters_as_get(deployed: dict[str, Any]) -> None:
    paths = _api_body(deployed)["paths"]["/search"]
    get, delete = paths["get"], paths["delete"]
    assert "ResultsFunction.Arn" in delete["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
    assert sorted(p["name"] for p in delete["parameters"]) == sorted(p["name"] for p in get["parameters"])
    assert delete["x-amazon-apigateway-request-validator"] == get["x-amazon-apigateway-request-validator"]
    assert delete["security"] == [{"AWS_IAM": []}]
    # The local stack's API Gateway stand-in routes it to the same function, and validates it as GET
    from local_stack.gateway_spec import rest_api_spec

    routes = rest_api_spec().routes
    assert routes["DELETE", "/search"] == routes["GET", "/search"]


def test_a_long_poll_ends_within_the_results_functions_time_here_and_in_the_local_stack(
    deployed: dict[str, Any],
) -> None:
    from local_stack.search_api import HTTP_TIMEOUTS_S
    from search_service.domain.long_poll import MAX_WAIT_S, SAFETY_S

    results, start = _function(deployed, "ResultsFunction"), _function(deployed, "StartFunction")
    assert (results["Timeout"], start["Timeout"]) == (HTTP_TIMEOUTS_S["results"], HTTP_TIMEOUTS_S["start"])
    longest = deployed["Parameters"]["LongPollMaxSeconds"]
    assert longest["MaxValue"] == longest["Default"] == MAX_WAIT_S
    # The longest wait, the margin kept for the last read, and room for it: API Gateway gives up at 29 s
    assert MAX_WAIT_S + SAFETY_S < results["Timeout"] < 29
