"""The local stack over real HTTP on 127.0.0.1: the search API as API Gateway would serve it, the skill's
endpoint, the local Progressive Response API, and a clean stop."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from local_stack.envelopes import Device, launch_request
from local_stack.stack import DEFAULT_API_KEY, LocalStack, StackOptions
from tests.builders.today import stack_clock, trip
from tests.builders.waiting import PATIENCE_S, wait_until
from tests.local_stack.conftest import http

KEY = {"x-api-key": DEFAULT_API_KEY, "Content-Type": "application/json"}
TRIP = trip("workshop-user")


def launch(stack: LocalStack) -> dict:
    return launch_request(Device(stack.progressive_endpoint, None))


def test_the_search_api_starts_a_search_and_serves_its_filtered_results(local_stack: LocalStack) -> None:
    status, started = http("POST", local_stack.api_url + "/search", TRIP, KEY)
    assert status == 202 and started["token"]
    url = f"{local_stack.api_url}/search?token={started['token']}&User=workshop-user&CarSize=compact"
    assert wait_until(lambda: http("GET", url, headers=KEY)[1].get("status") == "complete", PATIENCE_S)
    status, results = http("GET", url, headers=KEY)
    assert status == 200 and results["status"] == "complete"
    assert results["offers"] and {offer["carClass"] for offer in results["offers"]} == {"compact"}


def test_the_stage_prefix_is_optional_locally(local_stack: LocalStack) -> None:
    base = local_stack.api_url.removesuffix("/beta")
    status, body = http("POST", base + "/search", TRIP | {"city": "Atlantis"}, KEY)
    assert status == 400 and body["errors"][0]["field"] == "city"


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "not-the-key"}])
def test_the_search_api_refuses_a_request_without_the_key_as_api_gateway_does(
    local_stack: LocalStack, headers: dict[str, str]
) -> None:
    assert http("POST", local_stack.api_url + "/search", TRIP, headers) == (403, {"message": "Forbidden"})


@pytest.mark.parametrize(
    ("method", "query", "body", "message"),
    [
        ("GET", "?User=u-1", None, "Missing required request parameters: [token]"),
        ("GET", "?token=abc&User=%20", None, "Missing required request parameters: [User]"),
        ("GET", "", None, "Missing required request parameters: [token, User]"),
        ("POST", "", b"", "The request body must be a JSON object."),
        ("POST", "", b"[1, 2]", "The request body must be a JSON object."),
        ("POST", "", b"{not json", "The request body must be a JSON object."),
    ],
)
def test_the_api_gateway_request_validator_answers_before_any_lambda(
    local_stack: LocalStack, method: str, query: str, body: bytes | None, message: str
) -> None:
    assert http(method, local_stack.api_url + "/search" + query, body, KEY) == (400, {"message": message})


def test_an_unknown_route_gets_api_gateways_missing_token_answer(local_stack: LocalStack) -> None:
    answer = http("DELETE", local_stack.api_url + "/search", None, KEY)
    assert answer == (403, {"message": "Missing Authentication Token"})
    assert http("GET", local_stack.api_url + "/cars", None, KEY)[0] == 403


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
    assert http("POST", stack.api_url + "/search", TRIP, KEY)[0] == 202
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


def test_make_serve_prints_its_ready_line_and_sigterm_stops_it_at_once(tmp_path: Path) -> None:
    env = {**os.environ, "SKILL_PORT": "0", "API_PORT": "0", "SUPPLIER_LATENCY_SCALE": "1"}
    serve = subprocess.Popen(
        [sys.executable, "-m", "local_stack", "serve", "--log", str(tmp_path / "log")],
        cwd=Path(__file__).resolve().parents[2], env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert serve.stdout is not None
        serve.stdout.readline()
        ready = re.fullmatch(r"ready: skill (http://127\.0\.0\.1:\d+/) api (http://127\.0\.0\.1:\d+)/search\n",
                             serve.stdout.readline())  # fmt: skip
        assert ready, "no ready line"
        assert http("POST", ready[2] + "/search", TRIP, KEY)[0] == 202  # a slow search is running when it stops
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=PATIENCE_S) == 0
    finally:
        serve.kill()
