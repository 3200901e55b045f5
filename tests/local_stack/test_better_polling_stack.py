"""ETags, long polls and cancels through the whole local stack (`make serve`'s) over HTTP on 127.0.0.1: the same
Lambda code as in AWS, on the stack's real-time clock, its searches run in their own process. The suppliers are made
slow (they would answer after their 15 s time limit), so the search stays pending while the test speaks to it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from local_stack.stack import LocalStack
from tests.builders.http_api import Client
from tests.builders.local_stack import running_stack
from tests.builders.today import MONDAY
from tests.local_stack.conftest import http


@pytest.fixture(scope="module")
def slow_stack() -> Iterator[LocalStack]:
    with running_stack(latency_scale=20) as stack:
        yield stack


def _start(stack: LocalStack, user: str) -> Client:
    pickup = MONDAY + timedelta(days=4)
    trip = {"city": "Chicago", "pickupDate": str(pickup), "returnDate": str(pickup + timedelta(days=2)), "user": user}
    status, body = http("POST", stack.api_url + "/search", trip, {"Content-Type": "application/json"}, sign=True)
    assert status == 202, body
    return Client(stack.api_url, body["token"], user)


def test_a_long_poll_with_nothing_new_answers_304_when_its_wait_is_up(slow_stack: LocalStack) -> None:
    client = _start(slow_stack, "long-poller")
    pending = client.get("Supplier=hertz")
    assert pending.status == 202 and pending.headers["etag"].startswith('W/"')

    assert client.get("Supplier=hertz", If_None_Match=pending.headers["etag"]).status == 304
    waited = client.get("Supplier=hertz", Prefer="wait=1", If_None_Match=pending.headers["etag"])

    assert waited.status == 304 and waited.body is None
    assert waited.headers["preference-applied"] == "wait=1"
    assert waited.headers["etag"] == pending.headers["etag"] and "retry-after" in waited.headers


def test_a_cancel_through_the_stack(slow_stack: LocalStack) -> None:
    client = _start(slow_stack, "canceller")
    stranger = Client(slow_stack.api_url, client.token, "someone-else")
    assert stranger.delete().status == 404

    cancelled = client.delete()

    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"
    assert {s["state"] for s in cancelled.body["suppliers"]} == {"cancelled"}
    assert client.delete().body == cancelled.body  # a second cancel answers as the first
    after = client.get("CarSize=compact")
    assert after.status == 200 and after.body["status"] == "cancelled" and "retry-after" not in after.headers
    assert after.body["message"] == "The search was cancelled before any company answered."


def test_an_unsigned_delete_gets_api_gateways_403(slow_stack: LocalStack) -> None:
    status, body = http("DELETE", slow_stack.api_url + "/search", headers={"Search-Token": "x", "Search-User": "u"})
    assert status == 403 and body["message"]
