"""The WebSocket API of the local stack, driven over 127.0.0.1 with a `websockets` client as a page in a browser would
drive API Gateway's: a token from the local issuer in the URL's query (a browser's WebSocket cannot send headers),
the search started on the HTTP API, a subscribe message with the search token, then each company's answer pushed as
it lands and the end. The run posts them through the management endpoint with the same boto3 adapter as in AWS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from local_stack.jwt_issuer import LocalIssuer
from local_stack.stack import LocalStack
from search_service.adapters.push import S3Subscribers
from search_service.domain.tokens import search_id
from tests.builders.local_stack import running_stack
from tests.builders.today import trip
from tests.builders.waiting import PATIENCE_S, wait_until
from tests.local_stack.test_http_api import JSON, ORIGIN, bearer, call, token_for

MAX_FRAMES = 40  # nine companies, the subscribe's answer and the end: a generous cap on the frames a test reads
# Slow enough that the companies answer after the subscribe, one by one, as in AWS (12 s at most, here 2.4 s).
LATENCY_SCALE = 0.2


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with running_stack(latency_scale=LATENCY_SCALE) as running:
        yield running


def socket(stack: LocalStack, token: str) -> ClientConnection:
    # proxy=None: a test never goes through a proxy the environment may name
    return connect(f"{stack.websocket.url}?token={quote(token)}", proxy=None, open_timeout=PATIENCE_S)


def start(stack: LocalStack, token: str, city: str) -> str:
    """A search on the HTTP API; a city of its own per test, so no company answers from the quote cache at once."""
    body = {name: value for name, value in trip("ignored", city).items() if name != "user"}
    started = call(stack, "POST", "/search", body, bearer(token, **JSON))
    assert started.status == 202, started.body
    return str(started.body["token"])


def subscribe(ws: ClientConnection, search_token: str) -> dict[str, Any]:
    ws.send(json.dumps({"action": "subscribe", "token": search_token}))
    return receive(ws)


def receive(ws: ClientConnection) -> dict[str, Any]:
    frame = json.loads(ws.recv(timeout=PATIENCE_S))
    assert isinstance(frame, dict)
    return frame


def until_the_end(ws: ClientConnection) -> list[dict[str, Any]]:
    """The frames up to and with the search's end (search.completed, .failed or .cancelled)."""
    frames = []
    for _ in range(MAX_FRAMES):
        frames.append(receive(ws))
        if frames[-1]["type"].startswith("search."):
            return frames
    raise AssertionError(f"no end after {MAX_FRAMES} frames: {[f['type'] for f in frames]}")


def stored_subscribers(stack: LocalStack, search: str) -> list[str]:
    settings = stack.api.settings
    return S3Subscribers(stack.api.s3, settings.results_bucket, settings.results_prefix).subscribers(search)


def test_a_browser_subscribes_to_its_search_and_receives_every_company_then_the_end(stack: LocalStack) -> None:
    # The whole flow, as a page on 127.0.0.1 runs it: a local token, the preflight, the search started on the
    # HTTP API, every company's answer over the WebSocket
    token = token_for(stack, "alice@example.com")
    preflight = call(stack, "OPTIONS", "/search", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    })  # fmt: skip
    assert preflight.status == 204 and preflight.headers["access-control-allow-origin"] == ORIGIN
    with socket(stack, token) as ws:
        search_token = start(stack, token, "Denver")
        subscribed = subscribe(ws, search_token)
        assert subscribed["type"] == "subscribed" and subscribed["data"]["status"] in ("pending", "partial")
        frames = until_the_end(ws)
    *answers, end = frames
    of = subscribed["data"]["of"]
    assert {frame["type"] for frame in answers} == {"supplier.answered"}
    # Each company once: in the subscribe's snapshot, pushed after it, or both (the snapshot is read after the record)
    pushed = {frame["data"]["supplier"] for frame in answers}
    known = pushed | {state["supplier"] for state in subscribed["data"]["answered"]}
    assert len(pushed) == len(answers) and len(known) == of == 9
    assert all(frame["data"]["of"] == of and 1 <= frame["data"]["answered"] <= of for frame in answers)
    assert {frame["data"]["state"] for frame in answers} <= {"complete", "failed"}
    assert end["type"] == "search.completed" and end["data"]["suppliers"]["total"] == of
    assert end["data"]["searchId"] == subscribed["data"]["searchId"] and end["data"]["offerCount"] > 0
    assert "poll" not in end["data"]  # the page holds the search token: no path to poll in a pushed event
    # The same search as GET reads
    results = call(stack, "GET", "/search", headers=bearer(token, **{"Search-Token": search_token}))
    assert results.body["status"] == "complete" and len(results.body["offers"]) > 0


def test_a_cancel_is_pushed_to_the_subscribers(stack: LocalStack) -> None:
    token = token_for(stack, "carol@example.com")
    with socket(stack, token) as ws:
        search_token = start(stack, token, "Chicago")
        assert subscribe(ws, search_token)["type"] == "subscribed"
        cancelled = call(stack, "DELETE", "/search", headers=bearer(token, **{"Search-Token": search_token}))
        assert cancelled.status == 200, cancelled.body
        end = until_the_end(ws)[-1]
    assert cancelled.body["status"] == "cancelled"
    assert end["type"] == "search.cancelled" and end["data"]["status"] == "cancelled"
    assert end["data"]["suppliers"]["cancelled"] >= 1  # companies not asked, or whose answers came after it


@pytest.mark.parametrize("sent", ["none", "garbage", "expired", "another key", "another audience"])
def test_a_connection_without_a_good_token_is_refused_at_the_handshake(stack: LocalStack, sent: str) -> None:
    issuer = stack.http_api.issuer
    impostor = LocalIssuer(issuer.issuer, stack.options.clock.now)  # same issuer URL, a key of its own
    tokens = {
        "garbage": "not.a.token",
        "expired": issuer.token("alice@example.com", lifetime_s=-1),
        "another key": impostor.token("alice@example.com"),
        "another audience": issuer.token("alice@example.com", client_id="another-client"),
    }
    url = stack.websocket.url if sent == "none" else f"{stack.websocket.url}?token={quote(tokens[sent])}"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, proxy=None, open_timeout=PATIENCE_S)
    # API Gateway's answers: 401 when the identity source is missing, 403 when the authorizer denies
    assert refused.value.response.status_code == (401 if sent == "none" else 403)


def test_another_users_search_cannot_be_subscribed_to_the_same_no_such_search_as_get(stack: LocalStack) -> None:
    alice, bob = token_for(stack, "alice@example.com"), token_for(stack, "bob@example.com")
    search_token = start(stack, alice, "Seattle")
    with socket(stack, bob) as ws:
        refused = subscribe(ws, search_token)
        unknown = subscribe(ws, "no-such-token")
    read = call(stack, "GET", "/search", headers=bearer(bob, **{"Search-Token": search_token}))
    assert read.status == 404
    assert refused["type"] == unknown["type"] == "error"
    assert refused["data"]["message"] == unknown["data"]["message"] == read.body["message"]
    assert stored_subscribers(stack, search_id(search_token, "alice@example.com")) == []


def test_a_message_that_is_not_a_subscribe_is_answered_with_how_to(stack: LocalStack) -> None:
    with socket(stack, token_for(stack, "dave@example.com")) as ws:
        for sent in ("hello", "[" * 4000):  # the second nests deeper than the JSON parser recurses
            ws.send(sent)
            answer = receive(ws)
            assert answer["type"] == "error" and '"action": "subscribe"' in answer["data"]["message"], sent[:20]


def test_disconnecting_removes_the_connections_subscription(stack: LocalStack) -> None:
    token = token_for(stack, "erin@example.com")
    search_token = start(stack, token, "Miami")
    search = search_id(search_token, "erin@example.com")
    with socket(stack, token) as ws:
        assert subscribe(ws, search_token)["type"] == "subscribed"
        assert len(stored_subscribers(stack, search)) == 1
        assert len(stack.websocket.connected()) >= 1
    # $disconnect runs once the server sees the close
    assert wait_until(lambda: stored_subscribers(stack, search) == [], PATIENCE_S), "the subscription outlived it"


def test_a_connection_that_vanished_is_forgotten_at_the_runs_first_post(stack: LocalStack) -> None:
    # GIVEN a subscription whose connection is gone without a $disconnect (API Gateway answers GoneException)
    token = token_for(stack, "frank@example.com")
    with socket(stack, token) as ws:
        search_token = start(stack, token, "Phoenix")
        search = search_id(search_token, "frank@example.com")
        subscribed = subscribe(ws, search_token)
        settings = stack.api.settings
        vanished = "Vanished/Conn+1="  # an id as API Gateway's: base64, '/' and '=' included
        S3Subscribers(stack.api.s3, settings.results_bucket, settings.results_prefix).subscribe(
            search, vanished, stack.options.clock.now()
        )
        assert vanished in stored_subscribers(stack, search)
        assert subscribed["type"] == "subscribed"
        # WHEN the run posts its events (to both)
        assert until_the_end(ws)[-1]["type"] == "search.completed"
    # THEN the vanished one's subscription is deleted by the run: its posts got 410 GoneException
    assert wait_until(lambda: vanished not in stored_subscribers(stack, search), PATIENCE_S)


def test_the_management_endpoint_answers_as_api_gateways_does(stack: LocalStack) -> None:
    from local_stack.s3 import LOCAL_CREDENTIALS
    from search_service.wiring import boto3_client

    settings = stack.api.settings
    client = boto3_client("apigatewaymanagementapi", settings, stack.websocket.management_url, **LOCAL_CREDENTIALS)
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId="no-such-connection=", Data=b"{}")
    token = token_for(stack, "gina@example.com")
    before = set(stack.websocket.connected())
    with socket(stack, token) as ws:
        (connection,) = set(stack.websocket.connected()) - before  # API Gateway tells a client no id either
        client.post_to_connection(ConnectionId=connection, Data=b'{"type":"hello"}')
        assert receive(ws) == {"type": "hello"}
        assert client.get_connection(ConnectionId=connection)["Identity"]["SourceIp"] == "127.0.0.1"
        client.delete_connection(ConnectionId=connection)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=PATIENCE_S)
    with pytest.raises(client.exceptions.GoneException):
        client.get_connection(ConnectionId=connection)
