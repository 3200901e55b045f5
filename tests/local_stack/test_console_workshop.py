"""The console's workshop helpers over HTTP on 127.0.0.1: a conversation saved as a replay file that `make chat` plays
back to the same offer, the interaction model edited and reloaded (and broken, then fixed), the locale, and the
suppliers' latency scale changed while the stack runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from local_stack.console.server import Console, start_console
from local_stack.console.workshop import MAX_LATENCY_SCALE
from local_stack.envelopes import SKILL_ID
from local_stack.interaction_model import ModelStore
from local_stack.stack import LocalStack
from search_service.domain.fleet import SUPPLIERS
from tests.builders.http_api import Client
from tests.builders.local_stack import running_stack
from tests.builders.today import MONDAY, day
from tests.local_stack.conftest import http
from tests.local_stack.test_console import ROOT, SEED, call, turn
from tools.skill_models import MODELS_DIR

DOLLARS = re.compile(r"\d+ dollars")
NEW_PHRASING = "show me the rental roster"  # understood as nothing until a model names it


@contextmanager
def serving(stack: LocalStack, models: Path = MODELS_DIR) -> Iterator[Console]:
    """The console on `stack`, its NLU reading the models in `models`."""
    started = start_console(stack, ModelStore(models))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def console(local_stack: LocalStack) -> Iterator[Console]:
    with serving(local_stack) as started:
        yield started


@pytest.fixture
def models(tmp_path: Path) -> Path:
    """A copy of the skill's models, for a test to edit as a participant edits theirs."""
    copy = tmp_path / "models"
    shutil.copytree(MODELS_DIR, copy)
    return copy


@pytest.fixture
def edited(local_stack: LocalStack, models: Path) -> Iterator[Console]:
    with serving(local_stack, models) as started:
        yield started


def post(console: Console, path: str, body: Any) -> tuple[int, dict[str, Any]]:
    status, _, raw = call(console, "POST", path, body)
    answer: dict[str, Any] = json.loads(raw)
    return status, answer


def info(console: Console) -> dict[str, Any]:
    status, _, raw = call(console, "GET", "/api/info")
    assert status == 200
    answer: dict[str, Any] = json.loads(raw)
    return answer


# ---- Save as replay ----


def test_a_conversation_saved_as_a_replay_plays_through_make_chat_to_the_same_offer(
    console: Console, tmp_path: Path
) -> None:
    said = [turn(console, SEED[0])]
    conversation = said[0]["conversation"]
    said += [turn(console, text, conversation) for text in SEED[1:]]
    offer = said[-1]["turn"]["speech"]
    assert "Enterprise" in offer

    status, headers, raw = call(console, "GET", f"/api/replay?conversation={conversation}")

    assert status == 200 and headers["content-type"] == "application/json"
    assert headers["content-disposition"].startswith('attachment; filename="car-search-')
    assert headers["content-disposition"].endswith('.json"')
    replay = json.loads(raw)
    # What ask-cli's `.record <file> --append-quit` writes, so `ask dialog --replay` plays it too.
    assert replay == {"skillId": SKILL_ID, "locale": "en-US", "type": "text", "userInput": [*SEED, ".quit"]}

    saved = tmp_path / "saved.json"
    saved.write_bytes(raw)
    # `make chat REPLAY=saved.json`, on the console's day, so "next weekend" is the same weekend.
    env = {**os.environ, "SKILL_PORT": "0", "API_PORT": "0", "SUPPLIER_LATENCY_SCALE": "0"}
    env["CAR_SEARCH_TODAY"] = MONDAY.isoformat()
    played = subprocess.run(
        [sys.executable, "-m", "local_stack", "chat", "--replay", str(saved), "--log", str(tmp_path / "log")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert played.returncode == 0, played.stdout + played.stderr
    spoken = [line.removeprefix("Alexa: ") for line in played.stdout.splitlines() if line.startswith("Alexa: ")]
    # The skill words its lines from variants picked at random; the offer itself (company, car, price) is the same.
    assert len(spoken) == len(said) and "Enterprise" in spoken[-1] and "compact car" in spoken[-1]
    assert DOLLARS.findall(spoken[-1]) == DOLLARS.findall(offer) != []


def test_a_replay_needs_a_conversation_the_console_holds(console: Console) -> None:
    for path in ("/api/replay", "/api/replay?conversation=gone"):
        status, _, raw = call(console, "GET", path)
        assert status == 404 and "start a new one" in json.loads(raw)["message"]


def test_a_replay_keeps_the_conversations_locale_and_only_what_reached_the_skill(console: Console) -> None:
    british = turn(console, "open car search", locale="en-GB")
    assert british["locale"] == "en-GB" and "hire car" in british["turn"]["speech"]  # en-GB's own strings
    turn(console, "exit", british["conversation"])
    status, _, raw = call(console, "GET", f"/api/replay?conversation={british['conversation']}")
    assert status == 200
    assert json.loads(raw) | {"skillId": None} == {
        "skillId": None,
        "locale": "en-GB",
        "type": "text",
        "userInput": ["open car search", "exit", ".quit"],
    }


# ---- Reload the interaction model ----


def test_an_edited_model_is_reported_reloaded_and_understood(edited: Console, models: Path) -> None:
    before = info(edited)["models"]["en-US"]
    assert before["error"] is None and before["file"].endswith("en-US.json") and before["modified"]
    conversation = turn(edited, "open car search")["conversation"]
    assert turn(edited, NEW_PHRASING, conversation)["turn"]["understood"]["intent"] == "AMAZON.FallbackIntent"

    path = models / "en-US.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    intents = document["interactionModel"]["languageModel"]["intents"]
    next(intent for intent in intents if intent["name"] == "CompaniesIntent")["samples"].append(NEW_PHRASING)
    intents.append({"name": "HowItWorksIntent", "samples": ["how does the search work"]})
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")

    status, reloaded = post(edited, "/api/model/reload", {"locale": "en-US"})

    assert status == 200 and reloaded["error"] is None
    assert reloaded["intents"] == before["intents"] + 1 and reloaded["reloaded_at"] >= before["reloaded_at"]
    assert info(edited)["models"]["en-US"]["intents"] == before["intents"] + 1
    understood = turn(edited, NEW_PHRASING, conversation)["turn"]
    assert (
        understood["understood"]["intent"] == "CompaniesIntent" and understood["understood"]["sample"] == NEW_PHRASING
    )
    assert understood["request"]["request"]["intent"]["name"] == "CompaniesIntent" and understood["error"] is None
    assert turn(edited, "how does the search work", conversation)["turn"]["understood"]["intent"] == "HowItWorksIntent"


def test_a_broken_model_answers_its_line_and_column_until_it_is_fixed(edited: Console, models: Path) -> None:
    conversation = turn(edited, "ask car search to find a car in Denver next weekend")["conversation"]
    path = models / "en-US.json"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace('"invocationName"', '"invocationName" "oops",', 1), encoding="utf-8")
    line = 1 + good[: good.index('"invocationName"')].count("\n")

    status, broken = post(edited, "/api/model/reload", {"locale": "en-US"})

    assert status == 422 and broken["line"] == line and broken["column"] > 1
    assert f"(line {line}, column {broken['column']})" in broken["message"] and "not valid JSON" in broken["message"]
    assert info(edited)["models"]["en-US"]["error"] == broken["error"]
    status, _, raw = call(edited, "POST", "/api/turn", {"text": "a small car", "conversation": conversation})
    refused = json.loads(raw)["message"]
    assert status == 422 and "cannot be read" in refused and f"line {line} column" in refused
    assert turn(edited, "open car search", locale="en-GB")["turn"]["error"] is None  # the other locales go on

    path.write_text(good, encoding="utf-8")  # fixed: the conversation goes on where it was
    size = turn(edited, "a small car", conversation)["turn"]
    assert size["understood"]["intent"] == "FindCarIntent" and "company" in size["speech"]
    assert info(edited)["models"]["en-US"]["error"] is None


@pytest.mark.parametrize(
    ("body", "says"), [({"locale": "xx-XX"}, '"locale" must be one of'), ([1], "not a JSON object")]
)
def test_a_reload_refuses_what_it_cannot_do(console: Console, body: Any, says: str) -> None:
    status, answer = post(console, "/api/model/reload", body)
    assert status == 400 and says in answer["message"]


# ---- The suppliers' latency scale ----


@pytest.fixture(scope="module")
def slow_console() -> Iterator[tuple[LocalStack, Console]]:
    """A stack whose companies all miss their 15 s limit (scale 20), as a stack of `make serve` starts."""
    with running_stack(latency_scale=MAX_LATENCY_SCALE) as stack, serving(stack) as started:
        yield stack, started


def test_a_latency_scale_set_from_the_console_runs_the_searches_started_after_it(
    slow_console: tuple[LocalStack, Console],
) -> None:
    stack, console = slow_console
    assert info(console)["latency_scale"] == MAX_LATENCY_SCALE

    status, answer = post(console, "/api/settings", {"latency_scale": 0})

    assert status == 200 and answer == {"latency_scale": 0.0, "applies_to": "searches started from now on"}
    assert info(console)["latency_scale"] == 0
    trip = {"city": "Chicago", "pickupDate": day(4), "returnDate": day(6), "user": "workshop-latency"}
    status, started = http("POST", stack.api_url + "/search", trip, {"Content-Type": "application/json"}, sign=True)
    assert status == 202, started
    # One long poll (it returns when the answer changes, or at the stack's limit). At scale 20 no company would answer
    # within it; at 0 they all do: the first answer of the search is already its last.
    client = Client(stack.api_url, started["token"], trip["user"])
    done = client.get()
    while done.body["status"] in ("pending", "partial"):  # each answer differs from the last: a few at most
        waited = client.get(Prefer="wait=20", If_None_Match=done.headers["etag"])
        assert waited.status != 304, "no company answered within a long poll: the scale of 0 was not applied"
        done = waited
    assert done.body["status"] == "complete"
    answered = {supplier["supplier"]: supplier["state"] for supplier in done.body["suppliers"]}
    assert set(answered) <= {supplier.code for supplier in SUPPLIERS} and len(answered) > 1
    assert set(answered.values()) == {"complete"}, answered  # none timed out: each answered at once


@pytest.mark.parametrize(
    "body",
    [{"latency_scale": -0.5}, {"latency_scale": MAX_LATENCY_SCALE + 1}, {"latency_scale": "fast"},
     {"latency_scale": True}, {"latency_scale": None}, {}, [0.5]],
)  # fmt: skip
def test_the_latency_scale_must_be_a_number_in_range(console: Console, body: Any) -> None:
    before = info(console)["latency_scale"]
    status, answer = post(console, "/api/settings", body)
    assert status == 400 and ("latency_scale" in answer["message"] or "JSON object" in answer["message"])
    assert info(console)["latency_scale"] == before


def test_the_page_has_the_workshop_helpers(console: Console) -> None:
    status, _, page = call(console, "GET", "/")
    assert status == 200
    for control in (b'id="save-replay"', b"download", b'id="reload-model"', b'id="model-status"', b'id="latency"'):
        assert control in page, control
    _, _, script = call(console, "GET", "/console.js")
    for route in (b"/api/replay?conversation=", b"/api/model/reload", b"/api/settings"):
        assert route in script, route
