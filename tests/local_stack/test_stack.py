"""The local stack over real HTTP on 127.0.0.1: the search API as API Gateway would serve it, the skill's
endpoint, the local Progressive Response API, and a clean stop."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from skill.sigv4 import Credentials
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from local_stack.envelopes import Device, launch_request
from local_stack.iam_auth import local_role
from local_stack.stack import LocalStack, StackOptions
from tests.builders.signing import signed
from tests.builders.today import stack_clock, trip
from tests.builders.waiting import PATIENCE_S, wait_until
from tests.local_stack.conftest import http

JSON = {"Content-Type": "application/json"}
TRIP = trip("workshop-user")


def launch(stack: LocalStack) -> dict:
    return launch_request(Device(stack.progressive_endpoint, None))


def test_the_search_api_starts_a_search_and_serves_its_filtered_results(local_stack: LocalStack) -> None:
    status, started = http("POST", local_stack.api_url + "/search", TRIP, JSON, sign=True)
    assert status == 202 and started["token"]
    url = f"{local_stack.api_url}/search?token={started['token']}&User=workshop-user&CarSize=compact"
    assert wait_until(lambda: http("GET", url, headers=JSON, sign=True)[1].get("status") == "complete", PATIENCE_S)
    status, results = http("GET", url, headers=JSON, sign=True)
    assert status == 200 and results["status"] == "complete"
    assert results["offers"] and {offer["carClass"] for offer in results["offers"]} == {"compact"}


def test_the_stage_prefix_is_optional_locally(local_stack: LocalStack) -> None:
    base = local_stack.api_url.removesuffix("/beta")
    status, body = http("POST", base + "/search", TRIP | {"city": "Atlantis"}, JSON, sign=True)
    assert status == 400 and body["errors"][0]["field"] == "city"


WRONG_ROLE = Credentials("local", "another-secret")


@pytest.mark.parametrize(
    ("sign_with", "then", "message"),
    [
        (None, None, "Missing Authentication Token"),
        (WRONG_ROLE, None, "The request signature we calculated does not match"),
        (Credentials("someone-else", "local"), None, "The security token included in the request is invalid."),
        (local_role(), "another city", "The request signature we calculated does not match"),
        (local_role(), "signed 20 minutes ago", "Signature expired"),
    ],
    ids=["unsigned", "another secret", "another key", "body changed after signing", "signed 20 minutes ago"],
)
def test_the_search_api_refuses_what_aws_iam_authorization_refuses(
    local_stack: LocalStack, sign_with: Credentials | None, then: str | None, message: str
) -> None:
    url = local_stack.api_url + "/search"
    body = json.dumps(TRIP).encode()
    when = datetime.now(UTC) - timedelta(minutes=20) if then == "signed 20 minutes ago" else None
    headers = JSON if sign_with is None else signed("POST", url, body, JSON, sign_with, when)
    if then == "another city":
        body = json.dumps(TRIP | {"city": "Chicago"}).encode()
    status, answer = http("POST", url, body, headers)
    assert status == 403 and answer["message"].startswith(message)


def test_curl_signs_for_the_local_search_api_as_the_readme_says(local_stack: LocalStack) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    role = local_role()
    answer = subprocess.run(
        ["curl", "-sS", "--aws-sigv4", "aws:amz:us-east-1:execute-api", "--user",
         f"{role.access_key_id}:{role.secret_access_key}", "-H", "Content-Type: application/json",
         "-d", json.dumps(TRIP), local_stack.api_url + "/search"],
        capture_output=True, text=True, timeout=PATIENCE_S, check=True,
    )  # fmt: skip
    assert json.loads(answer.stdout)["token"], answer.stdout


@pytest.mark.parametrize(
    ("method", "query", "body", "message"),
    [
        ("POST", "", b"", "The request body must be a JSON object."),
        ("POST", "", b"[1, 2]", "The request body must be a JSON object."),
        ("POST", "", b"{not json", "The request body must be a JSON object."),
    ],
)
def test_the_api_gateway_request_validator_answers_before_any_lambda(
    local_stack: LocalStack, method: str, query: str, body: bytes | None, message: str
) -> None:
    assert http(method, local_stack.api_url + "/search" + query, body, JSON, sign=True) == (400, {"message": message})


def test_an_unknown_route_gets_api_gateways_missing_token_answer(local_stack: LocalStack) -> None:
    answer = http("PATCH", local_stack.api_url + "/search", None, JSON, sign=True)
    assert answer == (403, {"message": "Missing Authentication Token"})
    assert http("GET", local_stack.api_url + "/cars", None, JSON, sign=True)[0] == 403


def test_the_skill_endpoint_answers_an_alexa_request_with_a_response_envelope(local_stack: LocalStack) -> None:
    status, response = http("POST", local_stack.skill_url, launch(local_stack))
    assert status == 200 and response["version"] == "1.0"
    assert "Car Search" in response["response"]["outputSpeech"]["ssml"]
    assert response["response"]["shouldEndSession"] is False


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"version": "1.0"}', "no request.type"),
        (b'{"request": {"type": "LaunchRequest"}, "context": "x"}', "must be objects"),
    ],
)
def test_a_malformed_envelope_gets_a_clear_400(local_stack: LocalStack, body: bytes, message: str) -> None:
    status, answer = http("POST", local_stack.skill_url, body, {"Content-Type": "application/json"})
    assert status == 400 and message in answer["message"]


def test_the_progressive_response_api_takes_the_stacks_token_only(local_stack: LocalStack) -> None:
    heard: list[tuple[str, str]] = []
    local_stack.on_progressive(lambda request_id, ssml: heard.append((request_id, ssml)))
    speak = {"type": "VoicePlayer.Speak", "speech": "<speak>Hi</speak>"}
    directive = {"header": {"requestId": "r-1"}, "directive": speak}
    url = local_stack.progressive_endpoint + "/v1/directives"
    wrong = http("POST", url, directive, {"Authorization": "Bearer guessed"})
    assert wrong[0] == 401 and heard == []
    right = http("POST", url, directive, {"Authorization": f"Bearer {local_stack.access_token}"})
    assert right == (204, None) and heard == [("r-1", "<speak>Hi</speak>")]


def test_the_stack_stops_cleanly_and_frees_its_ports() -> None:
    before = {thread.ident for thread in threading.enumerate()}
    stack = LocalStack(StackOptions(skill_port=0, api_port=0, latency_scale=0, clock=stack_clock())).start()
    skill_port = int(stack.skill_url.rsplit(":", 1)[1].strip("/"))
    api_port = int(stack.api_url.split(":")[2].split("/")[0])
    assert http("POST", stack.api_url + "/search", TRIP, JSON, sign=True)[0] == 202
    stack.stop()
    for port in (skill_port, api_port):
        with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=1):
            pass
    assert wait_until(
        lambda: not [t for t in threading.enumerate() if t.ident not in before and t.is_alive()], PATIENCE_S
    )


def test_a_taken_port_fails_the_start_and_leaves_nothing_running(local_stack: LocalStack) -> None:
    taken = int(local_stack.skill_url.rsplit(":", 1)[1].strip("/"))
    before = {thread.ident for thread in threading.enumerate()}
    with pytest.raises(OSError):
        LocalStack(StackOptions(skill_port=taken, api_port=0, latency_scale=0)).start()
    assert [t.name for t in threading.enumerate() if t.ident not in before and t.is_alive()] == []


def test_with_verification_on_an_unsigned_request_is_refused_before_the_skill_runs() -> None:
    with LocalStack(
        StackOptions(skill_port=0, api_port=0, latency_scale=0, verify_requests=True, skill_id="amzn1.ask.skill.local")
    ) as stack:
        status, answer = http("POST", stack.skill_url, launch(stack), {"Content-Type": "application/json"})
    assert status == 400 and answer["message"].startswith("request verification failed")


@pytest.mark.parametrize("handover", ["invoke", "queue"])  # HANDOVER=queue make serve: the template's Handover
def test_make_serve_prints_its_ready_line_and_sigterm_stops_it_at_once(tmp_path: Path, handover: str) -> None:
    env = {**os.environ, "SKILL_PORT": "0", "API_PORT": "0", "SUPPLIER_LATENCY_SCALE": "1", "HANDOVER": handover}
    serve = subprocess.Popen(
        [sys.executable, "-m", "local_stack", "serve", "--log", str(tmp_path / "log")],
        cwd=Path(__file__).resolve().parents[2], env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert serve.stdout is not None
        assert f"handover: {handover} (" in serve.stdout.readline()
        ready = re.fullmatch(r"ready: skill (http://127\.0\.0\.1:\d+/) api (http://127\.0\.0\.1:\d+)/search "
                             r"http-api (http://127\.0\.0\.1:\d+)/search ws (ws://127\.0\.0\.1:\d+/)\n",
                             serve.stdout.readline())  # fmt: skip
        assert ready, "no ready line"
        assert (
            http("POST", ready[2] + "/search", TRIP, JSON, sign=True)[0] == 202
        )  # a slow search is running when it stops
        # The browser API listens too, behind its JWT authorizer
        assert http("POST", ready[3] + "/search", TRIP, JSON)[0] == 401
        # and the WebSocket API, behind its $connect authorizer
        with pytest.raises(InvalidStatus) as refused:
            connect(ready[4], proxy=None, open_timeout=PATIENCE_S)
        assert refused.value.response.status_code == 401
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=PATIENCE_S) == 0
    finally:
        serve.kill()
