"""SKILL_ID on the local skill endpoint: a request addressed to another skill is refused with a 400 before the skill
runs, as Amazon requires of a skill hosted as a web service, and the skill itself refuses it too, as in AWS."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_stack.envelopes import Device, launch_request
from local_stack.http_server import LocalServer
from local_stack.skill_endpoint import skill_handler, start_skill_endpoint
from local_stack.stack import LocalStack, StackOptions
from tests.builders.local_stack import running_stack
from tests.fakes.handlers import RecordingHandler
from tests.local_stack.conftest import http

OURS = "amzn1.ask.skill.11111111-1111-1111-1111-111111111111"
THEIRS = "amzn1.ask.skill.22222222-2222-2222-2222-222222222222"
JSON = {"Content-Type": "application/json"}
ROOT = Path(__file__).resolve().parents[2]
SPOKEN = {"version": "1.0", "response": {"outputSpeech": {"type": "SSML", "ssml": "<speak>Hi</speak>"}}}


def _launch(skill_id: str) -> dict[str, Any]:
    return launch_request(Device("http://127.0.0.1:9", None, skill_id=skill_id))


@pytest.fixture
def skill() -> RecordingHandler:
    """The skill's handler, standing in: answers every request, and records it."""
    return RecordingHandler(SPOKEN)


@pytest.fixture
def endpoint(skill: RecordingHandler) -> Iterator[str]:
    server: LocalServer = start_skill_endpoint(skill, "token", lambda request_id, ssml: None, skill_id=OURS)
    try:
        yield f"http://127.0.0.1:{server.port}/"
    finally:
        server.stop()


def test_a_request_for_the_configured_skill_is_served(endpoint: str, skill: RecordingHandler) -> None:
    assert http("POST", endpoint, _launch(OURS), JSON) == (200, SPOKEN)
    assert len(skill.events) == 1


def _other_session(envelope: dict[str, Any]) -> dict[str, Any]:
    envelope["session"]["application"]["applicationId"] = THEIRS
    return envelope


def _without_ids(envelope: dict[str, Any]) -> dict[str, Any]:
    del envelope["context"]["System"]["application"], envelope["session"]["application"]
    return envelope


@pytest.mark.parametrize(
    "envelope",
    [
        pytest.param(_launch(THEIRS), id="another skill"),
        pytest.param(_other_session(_launch(OURS)), id="the context names ours, the session another"),
        pytest.param(_without_ids(_launch(OURS)), id="no applicationId at all"),
    ],
)
def test_a_request_for_another_skill_is_refused_before_the_skill_runs(
    endpoint: str, skill: RecordingHandler, envelope: dict[str, Any]
) -> None:
    # GIVEN an endpoint configured with SKILL_ID
    # WHEN a request does not name that skill in every applicationId it carries
    status, answer = http("POST", endpoint, envelope, JSON)
    # THEN it gets a 400 and the skill never sees it
    assert status == 400 and "another skill" in answer["message"]
    assert skill.events == []


def test_the_skill_itself_refuses_a_request_for_another_skill_when_given_skill_id() -> None:
    from ask_sdk_core.exceptions import AskSdkException

    handler = skill_handler("http://127.0.0.1:9/beta", skill_id=OURS)
    assert handler(_launch(OURS), None)["response"]["outputSpeech"]
    with pytest.raises(AskSdkException, match="Skill ID Verification failed"):
        handler(_launch(THEIRS), None)


def test_the_stack_passes_skill_id_to_its_endpoint() -> None:
    with running_stack(skill_id=OURS) as stack:
        theirs = http("POST", stack.skill_url, _launch(THEIRS), JSON)
        ours = http("POST", stack.skill_url, _launch(OURS), JSON)
    assert theirs[0] == 400 and ours[0] == 200


def test_skill_id_comes_from_the_environment() -> None:
    assert StackOptions.from_env({"SKILL_ID": f" {OURS} "}).skill_id == OURS
    assert StackOptions.from_env({"SKILL_ID": ""}).skill_id is None


def test_verification_without_skill_id_refuses_to_start() -> None:
    # Alexa signs every skill's requests: a verified signature alone would let any skill's requests through.
    with pytest.raises(ValueError, match="needs SKILL_ID"):
        StackOptions.from_env({"VERIFY_ALEXA_REQUESTS": "true"})
    with pytest.raises(ValueError, match="needs SKILL_ID"):
        LocalStack(StackOptions(verify_requests=True))


def test_make_chat_with_skill_id_set_sends_that_id_and_is_served(tmp_path: Path) -> None:
    env = {**os.environ, "SKILL_PORT": "0", "API_PORT": "0", "SUPPLIER_LATENCY_SCALE": "0", "SKILL_ID": OURS}
    replay = ROOT / "local_stack" / "replays" / "help_and_fallback.json"
    done = subprocess.run(
        [sys.executable, "-m", "local_stack", "chat", "--replay", str(replay), "--log", str(tmp_path / "log")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
