"""Callbacks end to end, as a client sees them: the local stack over HTTP on 127.0.0.1, and a receiver of the test's
own on 127.0.0.1 that verifies each event with the `standardwebhooks` package, as docs/webhooks.md's receiver does.

The callback queue runs on the stack's clock with its waits scaled to 0 here (`callback_delay_scale`): retries come at
once, and every wait below ends on what the client sees (the receiver's requests, GET's `callback` object)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from local_stack.s3 import S3Fault
from local_stack.stack import LocalStack
from tests.builders.local_stack import embedded_s3, running_stack
from tests.builders.today import trip
from tests.builders.waiting import PATIENCE_S, wait_until
from tests.local_stack.conftest import http

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with running_stack(async_retry_delays_s=(0.1,), callback_delay_scale=0) as running:
        yield running


@pytest.fixture(scope="module")
def slow_stack() -> Iterator[LocalStack]:
    """Suppliers that would answer after their 15 s limit: a search stays running while the test cancels it."""
    with running_stack(latency_scale=20, callback_delay_scale=0) as running:
        yield running


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next of `statuses` (the last one from then on), and keeps what it got."""

    statuses: list[int]
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, request: Received) -> int:
        with self.lock:
            self.received.append(request)
            return self.statuses[min(len(self.received), len(self.statuses)) - 1]

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(request.body) for request in self.received]


@pytest.fixture
def receiver_factory() -> Iterator[Any]:
    servers: list[ThreadingHTTPServer] = []

    def make(*statuses: int, path: str = "/hooks/car-search") -> Receiver:
        receiver = Receiver(list(statuses))

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.answer(Received({k: v for k, v in self.headers.items()}, body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
        return receiver

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def _secret(stack: LocalStack, user: str) -> dict[str, Any]:
    status, body = http("GET", stack.api_url + "/webhook-secret", headers={"Search-User": user}, sign=True)
    assert status == 200, body
    return body


def _start(stack: LocalStack, user: str, url: str, **extra: Any) -> dict[str, Any]:
    status, started = http("POST", stack.api_url + "/search", {**trip(user), "callbackUrl": url, **extra}, JSON, True)
    assert status == 202, started
    return started


def _results(stack: LocalStack, token: str, user: str) -> dict[str, Any]:
    headers = {"Search-Token": token, "Search-User": user}
    status, body = http("GET", stack.api_url + "/search", headers=headers, sign=True)
    assert status in (200, 202), body
    return body


def _callback_settled(stack: LocalStack, token: str, user: str) -> dict[str, Any]:
    settled: dict[str, Any] = {}

    def done() -> bool:
        callback = _results(stack, token, user)["callback"]
        settled.update(callback)
        return callback["state"] in ("delivered", "failed")

    assert wait_until(done, PATIENCE_S), settled
    return settled


def test_a_receiver_that_fails_once_gets_the_signed_event_again_and_get_says_delivered_after_2_attempts(
    stack: LocalStack, receiver_factory: Any
) -> None:
    # GIVEN a receiver that answers 500 once, then 200, and the user's signing secret
    user = "hooks-retry-user"
    receiver = receiver_factory(500, 200)
    secret = _secret(stack, user)["secret"]
    # WHEN a search is started with it as callbackUrl
    started = _start(stack, user, receiver.url)
    assert started["callback"] == {
        "url": receiver.url,
        "events": ["search.completed", "search.failed", "search.cancelled"],
        "state": "waiting",
        "attempts": 0,
        "lastStatusCode": None,
        "lastError": None,
        "deliveries": [],
    }
    # THEN GET says the callback was delivered at the second attempt, the first having got a 500
    callback = _callback_settled(stack, started["token"], user)
    assert (callback["state"], callback["attempts"], callback["lastStatusCode"]) == ("delivered", 2, 200)
    # AND the receiver got the same event twice, under the same webhook-id, each time verified with the secret
    assert len(receiver.received) == 2
    ids = {request.headers["webhook-id"] for request in receiver.received}
    assert ids == {callback["deliveries"][0]["eventId"]}
    events = [Webhook(secret).verify(request.body, request.headers) for request in receiver.received]
    assert events[0] == events[1]
    event = events[0]
    # AND the event says what happened and where to GET it, with no token and no user anywhere
    results = _results(stack, started["token"], user)
    assert event["type"] == "search.completed"
    data = event["data"]
    assert data["searchId"] == started["searchId"] and data["poll"] == started["poll"]
    assert data["status"] == "complete" and data["offerCount"] == results["offerCount"]
    assert data["cheapest"]["offerId"] == results["offers"][0]["offerId"]
    assert data["suppliers"]["total"] == len(started["search"]["suppliers"])
    for request in receiver.received:
        everything = request.body.decode() + json.dumps(request.headers)
        assert started["token"] not in everything and user not in everything


def test_each_supplier_answer_is_an_event_when_asked_for(stack: LocalStack, receiver_factory: Any) -> None:
    user = "hooks-supplier-user"
    receiver = receiver_factory(204)
    secret = _secret(stack, user)["secret"]
    started = _start(stack, user, receiver.url, callbackEvents=["supplier.answered", "search.completed"])
    callback = _callback_settled(stack, started["token"], user)
    assert callback["state"] == "delivered"
    suppliers = started["search"]["suppliers"]
    assert wait_until(lambda: len(receiver.received) == len(suppliers) + 1, PATIENCE_S)
    events = [Webhook(secret).verify(request.body, request.headers) for request in receiver.received]
    answered = [event["data"] for event in events if event["type"] == "supplier.answered"]
    assert sorted(data["supplier"] for data in answered) == sorted(suppliers)
    assert sorted(data["answered"] for data in answered) == list(range(1, len(suppliers) + 1))
    assert [event["type"] for event in events].count("search.completed") == 1
    assert {d["type"] for d in _results(stack, started["token"], user)["callback"]["deliveries"]} == {
        "supplier.answered",
        "search.completed",
    }


def test_a_cancelled_search_sends_search_cancelled_once_and_never_completed(
    slow_stack: LocalStack, receiver_factory: Any
) -> None:
    # GIVEN a running search with a callback, its companies still searching
    user = "hooks-cancel-user"
    receiver = receiver_factory(200)
    secret = _secret(slow_stack, user)["secret"]
    started = _start(slow_stack, user, receiver.url)
    assert started["callback"]["events"] == ["search.completed", "search.failed", "search.cancelled"]
    headers = {"Search-Token": started["token"], "Search-User": user}
    # WHEN the client cancels it, twice
    status, cancelled = http("DELETE", slow_stack.api_url + "/search", headers=headers, sign=True)
    assert status == 200 and cancelled["status"] == "cancelled", cancelled
    assert http("DELETE", slow_stack.api_url + "/search", headers=headers, sign=True)[0] == 200
    # THEN the receiver gets one signed search.cancelled event, and GET says it was delivered
    callback = _callback_settled(slow_stack, started["token"], user)
    assert (callback["state"], callback["attempts"]) == ("delivered", 1)
    assert [d["type"] for d in callback["deliveries"]] == ["search.cancelled"]
    (event,) = [Webhook(secret).verify(request.body, request.headers) for request in receiver.received]
    assert event["type"] == "search.cancelled"
    data = event["data"]
    assert data["searchId"] == started["searchId"] and data["status"] == "cancelled"
    assert data["cancelledAt"][:19] == cancelled["cancelledAt"][:19]
    total = len(started["search"]["suppliers"])
    assert data["suppliers"] == {"total": total, "complete": 0, "failed": 0, "cancelled": total}
    assert data["offerCount"] == 0 and data["cheapest"] is None
    assert started["token"] not in receiver.received[0].body.decode()


def test_a_lost_search_sends_search_failed_as_its_run_would_have(stack: LocalStack, receiver_factory: Any) -> None:
    # GIVEN a search with a callback whose run Lambda crashes on every attempt (no answer can be stored), so that it is
    # lost: its record goes to the lost-search queue, and the lost-search Lambda marks it failed
    user = "hooks-lost-user"
    receiver = receiver_factory(200)
    secret = _secret(stack, user)["secret"]
    crash = S3Fault(403, "AccessDenied", "Access Denied", method="PUT", key_contains="/suppliers/")
    with embedded_s3(stack).failing(crash):
        started = _start(stack, user, receiver.url)
        assert stack.api.launcher.wait_idle(PATIENCE_S)
        # THEN the client, waiting for its event rather than polling, hears that the search failed, and why
        callback = _callback_settled(stack, started["token"], user)
    assert (callback["state"], [d["type"] for d in callback["deliveries"]]) == ("delivered", ["search.failed"])
    (event,) = [Webhook(secret).verify(request.body, request.headers) for request in receiver.received]
    data = event["data"]
    assert (event["type"], data["status"]) == ("search.failed", "failed")
    assert data["reason"] == "The search could not be run."
    assert data["searchId"] == started["searchId"] and data["offerCount"] == 0
    assert sorted(data["failedSuppliers"]) == sorted(started["search"]["suppliers"])
    # AND GET says the same
    assert _results(stack, started["token"], user)["status"] == "failed"


def test_a_rotated_secret_still_verifies_during_the_grace_period(stack: LocalStack, receiver_factory: Any) -> None:
    # GIVEN a receiver that still has the old secret, and a rotation
    user = "hooks-rotation-user"
    receiver = receiver_factory(200)
    old = _secret(stack, user)["secret"]
    status, rotated = http("POST", stack.api_url + "/webhook-secret/rotate", headers={"Search-User": user}, sign=True)
    assert status == 200 and rotated["secret"] != old and rotated["previousValidUntil"]
    assert _secret(stack, user)["secret"] == rotated["secret"]
    # WHEN an event is sent
    started = _start(stack, user, receiver.url)
    assert _callback_settled(stack, started["token"], user)["state"] == "delivered"
    # THEN it carries a signature for each secret: the old one verifies it, and so does the new one
    request = receiver.received[0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(request.body, request.headers)["type"] == "search.completed"
    assert Webhook(rotated["secret"]).verify(request.body, request.headers)["type"] == "search.completed"
    # AND a secret that never was the user's does not
    with pytest.raises(WebhookVerificationError):
        Webhook(_secret(stack, "someone-else")["secret"]).verify(request.body, request.headers)


def test_a_receiver_that_never_succeeds_leaves_the_callback_failed_after_every_attempt(
    stack: LocalStack, receiver_factory: Any
) -> None:
    user = "hooks-failing-user"
    receiver = receiver_factory(503)
    started = _start(stack, user, receiver.url)
    callback = _callback_settled(stack, started["token"], user)
    attempts = stack.api.settings.callback_max_attempts
    assert (callback["state"], callback["attempts"], callback["lastStatusCode"]) == ("failed", attempts, 503)
    assert callback["lastError"] == "the receiver answered 503"
    assert len(receiver.received) == attempts


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://127.0.0.1/hooks", "it must start with https:// or http://"),
        ("http://user:pw@127.0.0.1/hooks", "it must not carry a user name or password"),
        ("http://10.0.0.7/hooks", "10.0.0.7 is a private address"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is the cloud metadata service"),
        ("http://[fd00:ec2::254]/", "fd00:ec2::254 is the cloud metadata service"),
        ("not a url", "it contains spaces or control characters"),
    ],
)
def test_a_bad_callback_url_is_refused_with_400_saying_why(stack: LocalStack, url: str, why: str) -> None:
    status, body = http("POST", stack.api_url + "/search", {**trip("hooks-bad-url"), "callbackUrl": url}, JSON, True)
    assert status == 400
    assert body["errors"] == [
        {"field": "callbackUrl", "code": "refused_url", "message": f"The callbackUrl is refused: {why}", "details": {}}
    ]


def test_callback_events_without_a_url_or_unknown_are_refused(stack: LocalStack) -> None:
    body = {**trip("hooks-bad-events"), "callbackEvents": ["search.completed"]}
    status, answer = http("POST", stack.api_url + "/search", body, JSON, True)
    assert status == 400 and answer["errors"][0]["message"] == "callbackEvents needs a callbackUrl."
    body = {**body, "callbackUrl": "http://127.0.0.1:9/hooks", "callbackEvents": ["search.exploded"]}
    status, answer = http("POST", stack.api_url + "/search", body, JSON, True)
    assert status == 400 and answer["errors"][0]["details"]["accepted"] == [
        "search.completed",
        "search.failed",
        "search.cancelled",
        "supplier.answered",
    ]


def test_the_secret_is_the_users_own_and_never_cached(stack: LocalStack) -> None:
    url = stack.api_url + "/webhook-secret"
    first = _secret(stack, "hooks-secret-a")
    assert first["secret"].startswith("whsec_") and first["previousValidUntil"] is None
    assert _secret(stack, "hooks-secret-a") == first
    assert _secret(stack, "hooks-secret-b")["secret"] != first["secret"]
    status, body = http("GET", url, sign=True)
    assert status == 400 and body["errors"][0]["field"] == "Search-User"
