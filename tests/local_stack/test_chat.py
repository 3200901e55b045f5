"""`make chat` end to end: typed text -> the interaction model -> an Alexa request over HTTP -> the skill ->
the search API -> moto S3, and back to what Alexa would say."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from local_stack.chat import PROBLEM, Chat
from local_stack.envelopes import Device
from local_stack.http_server import LocalServer
from local_stack.interaction_model import ModelStore
from local_stack.s3 import S3Fault
from local_stack.stack import LocalStack
from tests.builders.local_stack import device, embedded_s3
from tests.builders.today import MONDAY, week_of
from tools.skill_models import MODELS_DIR

ROOT = Path(__file__).resolve().parents[2]
REPLAYS = sorted((ROOT / "local_stack" / "replays").glob("*.json"))


@pytest.fixture
def chat(local_stack: LocalStack) -> Iterator[Chat]:
    talk = Chat(local_stack.skill_url, ModelStore(MODELS_DIR), device(local_stack))
    local_stack.on_progressive(talk.progressive)
    yield talk


def test_the_seeds_conversation(chat: Chat) -> None:
    first = chat.say("Alexa, ask car search to find a car in New York next weekend")
    assert first.understood and first.understood.slots["pickupDate"].value == week_of(MONDAY) + "-WE"
    saturday, monday = MONDAY + timedelta(days=5), MONDAY + timedelta(days=7)
    assert first.speech == (
        f"I'll look in New York from {saturday:%A, %B} {saturday.day} to {monday:%A, %B} {monday.day}; "
        "if you'll return the car another day, just say when. What size car would you like?"
    )
    size = chat.say("A small car")
    assert size.understood and size.understood.slots["carSize"].matches == (("compact", "compact"),)
    assert "company" in (size.speech or "")
    offer = chat.say("Enterprise")
    assert offer.error is None and not offer.session_ended
    assert "compact car" in (offer.speech or "") and "Enterprise" in (offer.speech or "")
    assert "dollars" in (offer.speech or "") and "$" not in (offer.speech or "")
    assert "Enterprise: compact car" in (offer.card or "")


def test_a_user_who_leaves_while_the_search_runs_gets_the_results_in_the_next_session(chat: Chat) -> None:
    # GIVEN a search started, and the user gone at the size question ("exit")
    assert "What size car" in (chat.say("ask car search to find a car in New York next weekend").speech or "")
    assert chat.say("exit").session_ended
    # WHEN they come back in a new session
    offer = chat.say("ask car search are my results ready")
    # THEN the skill has kept their trip, in the stack's S3, and says the results
    assert offer.error is None and chat.device.new_session is False
    assert (offer.speech or "").startswith(("OK, I found", "Good news:", "So far, the best")), offer.speech
    assert offer.card


def test_a_user_who_opens_the_skill_again_is_asked_whether_to_carry_on(chat: Chat) -> None:
    saturday, monday = MONDAY + timedelta(days=5), MONDAY + timedelta(days=7)
    chat.say("ask car search to find a car in Denver next weekend")
    assert "company" in (chat.say("an SUV").speech or "")
    assert chat.say("stop").session_ended
    welcome = chat.say("open car search")
    assert welcome.speech == (
        f"Welcome back. Shall I carry on with your search for a car in Denver from {saturday:%A, %B} {saturday.day} "
        f"to {monday:%A, %B} {monday.day}?"
    )
    assert "company" in (chat.say("yes").speech or "")  # where it was: the company question
    assert (chat.say("Hertz").speech or "").startswith(("OK, I found an SUV from Hertz", "Good news: Hertz has an SUV"))
    assert chat.say("exit").session_ended
    assert chat.say("open car search").speech == welcome.speech  # kept as the last turn left it, "yes" or not
    assert (chat.say("no").speech or "").endswith(("Which city do you need a car in?", "Where do you need a car?"))
    chat.say("exit")
    assert (chat.say("open car search").speech or "").startswith(("Welcome to Car Search", "Hi, this is Car Search"))


def test_a_store_that_fails_is_never_heard(chat: Chat, local_stack: LocalStack) -> None:
    # GIVEN S3 failing every request for the kept trips, and only those
    with embedded_s3(local_stack).failing(S3Fault(503, "SlowDown", key_contains="/results/trips/")):
        # WHEN a user searches, leaves and comes back
        asked = chat.say("ask car search to find a car in Denver next weekend")
        chat.say("exit")
        back = chat.say("ask car search are my results ready")
    # THEN every turn is answered as if nothing were kept, and nothing is said about the store
    assert asked.error is None and "What size car would you like?" in (asked.speech or "")
    assert back.error is None and back.speech == (
        "You haven't started a search yet. Which city do you need a car in, and when?"
    )


def test_the_dialog_keeps_what_was_said_when_it_asks_for_a_slot(chat: Chat) -> None:
    chat.say("open car search")
    assert "size" in (chat.say("rent a car in Denver tomorrow").speech or "")
    answer = chat.say("a minivan")  # only carSize is said: city and date come from the skill's updatedIntent
    assert answer.error is None and "company" in (answer.speech or "")


def test_unmatched_text_goes_to_the_fallback_intent_and_exit_ends_the_session(chat: Chat) -> None:
    chat.say("open car search")
    fallback = chat.say("what's the weather like")
    assert fallback.understood and fallback.understood.intent == "AMAZON.FallbackIntent"
    assert fallback.speech and not fallback.session_ended
    assert chat.say("exit").session_ended
    assert chat.say("help").request_type == "IntentRequest" and chat.device.new_session is False


def test_stop_ends_the_session_and_the_next_utterance_opens_a_new_one(chat: Chat) -> None:
    chat.say("open car search")
    first_session = chat.device.session_id
    assert chat.say("stop").session_ended
    chat.say("open car search")
    assert chat.device.session_id != first_session


def test_a_skill_that_answers_an_error_is_reported_as_alexa_would() -> None:
    class Broken(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = LocalServer(Broken)
    server.start()
    try:
        chat = Chat(f"http://127.0.0.1:{server.port}/", ModelStore(MODELS_DIR), Device("http://127.0.0.1:9", None))
        turn = chat.say("open car search")
    finally:
        server.stop()
    assert turn.error and turn.error.startswith(PROBLEM) and turn.session_ended


@pytest.mark.parametrize("replay", REPLAYS, ids=[path.stem for path in REPLAYS])
def test_each_replay_file_plays_through_make_chat_without_a_skill_error(replay: Path, tmp_path: Path) -> None:
    env = {**os.environ, "SKILL_PORT": "0", "API_PORT": "0", "SUPPLIER_LATENCY_SCALE": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "local_stack", "chat", "--replay", str(replay), "--log", str(tmp_path / "log")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].startswith("ready: skill http://127.0.0.1:") and "/search" in lines[1]
    spoken = [line for line in lines if line.startswith("Alexa: ")]
    assert spoken and not any(PROBLEM in line for line in spoken)
    if replay.stem == "seed":
        assert "from Enterprise" in spoken[-1] or "Enterprise has a compact car" in spoken[-1]
