"""The workshop console's page and API over HTTP on 127.0.0.1: the same turns as `make chat`, each shown whole."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from local_stack.console.server import STATIC, Console, start_console
from local_stack.interaction_model import ModelStore
from local_stack.stack import LocalStack
from tests.builders.waiting import PATIENCE_S
from tools.skill_models import MODELS_DIR

ROOT = Path(__file__).resolve().parents[2]
SEED = ["Alexa, ask car search to find a car in New York next weekend", "A small car", "Enterprise"]


@pytest.fixture(scope="module")
def console(local_stack: LocalStack) -> Iterator[Console]:
    started = start_console(local_stack, ModelStore(MODELS_DIR))
    try:
        yield started
    finally:
        started.stop()


def call(
    console: Console, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request as a browser on this machine sends it: Host 127.0.0.1:port unless `headers` say otherwise."""
    connection = http.client.HTTPConnection("127.0.0.1", console.port, timeout=PATIENCE_S)
    try:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        sent = {"Content-Type": "application/json"} if data is not None else {}
        connection.request(method, path, data, sent | (headers or {}))
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def turn(console: Console, text: str, conversation: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"text": text, **fields} | ({"conversation": conversation} if conversation else {})
    status, _, raw = call(console, "POST", "/api/turn", body)
    assert status == 200, raw
    answer: dict[str, Any] = json.loads(raw)
    return answer


def test_the_page_is_served_whole_from_the_stack_with_nothing_from_elsewhere(console: Console) -> None:
    status, headers, page = call(console, "GET", "/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in headers["content-security-policy"] and headers["x-content-type-options"] == "nosniff"
    linked = re.findall(rb'(?:src|href)="([^"]+)"', page)
    assert sorted(linked) == [b"/browser-client", b"/console.css", b"/console.js", b"/favicon.svg"]
    assert "connect-src" not in headers["content-security-policy"]  # the console talks to its own server only
    for path, kind in (("/console.js", "text/javascript"), ("/console.css", "text/css"), ("/favicon.svg", "image/svg")):
        status, headers, content = call(console, "GET", path)
        assert status == 200 and headers["content-type"].startswith(kind) and content
        names = content.replace(b'xmlns="http://www.w3.org/2000/svg"', b"")  # SVG's namespace: a name, not a fetch
        assert b"http://" not in names and b"https://" not in names  # no CDN, no font or script from elsewhere
    assert call(console, "GET", "/../server.py")[0] == 404
    assert call(console, "GET", "/static/index.html")[0] == 404


def test_the_page_puts_what_was_said_in_as_text_never_as_html() -> None:
    # A slot value is whatever the user typed ("<img src=x onerror=...>"): the script must never parse it as HTML.
    for page in ("console.js", "client.js"):
        script = (STATIC / page).read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in script, (page, sink)
    for page in ("index.html", "client.html"):
        assert "<script>" not in (STATIC / page).read_text(encoding="utf-8")  # the CSP allows no inline script


def test_the_seeds_conversation_through_the_console_shows_each_turn_whole(
    console: Console, local_stack: LocalStack
) -> None:
    first = turn(console, SEED[0])
    conversation = first["conversation"]
    one = first["turn"]
    assert one["request_type"] == "IntentRequest" and one["understood"]["intent"] == "FindCarIntent"
    assert {slot["name"] for slot in one["understood"]["slots"]} >= {"city", "pickupDate"}
    assert one["request"]["request"]["intent"]["name"] == "FindCarIntent" and one["request"]["session"]["new"]
    assert one["response"]["response"]["outputSpeech"]["ssml"] and "What size car" in one["speech"]
    assert [d["type"] for d in one["directives"]] == ["Dialog.ElicitSlot"]
    assert one["session_attributes"] and not one["session_ended"] and one["error"] is None
    assert one["timings"]["skill_ms"] > 0
    # The stack's bearer token for the progressive response API stays in the stack.
    assert local_stack.access_token not in json.dumps(first)

    size = turn(console, SEED[1], conversation)["turn"]
    slots = {slot["name"]: slot for slot in size["understood"]["slots"]}
    assert slots["carSize"]["matches"] == [["compact", "compact"]]
    assert size["request"]["session"]["new"] is False
    assert size["request"]["session"]["attributes"] == one["session_attributes"]  # the session goes on
    assert size["request"]["request"]["dialogState"] == "IN_PROGRESS"

    offer = turn(console, SEED[2], conversation)["turn"]
    assert offer["error"] is None and "Enterprise" in offer["speech"] and "compact car" in offer["speech"]
    assert "Enterprise: compact car" in offer["card"]["content"]


def test_each_conversation_is_a_session_of_its_own(console: Console) -> None:
    one = turn(console, "open car search")
    two = turn(console, "open car search")
    assert one["conversation"] != two["conversation"]
    assert one["turn"]["request"]["session"]["sessionId"] != two["turn"]["request"]["session"]["sessionId"]
    assert two["turn"]["request_type"] == "LaunchRequest" and two["turn"]["request"]["session"]["new"]
    ended = turn(console, "exit", one["conversation"])["turn"]
    assert ended["session_ended"] and ended["request_type"] == "SessionEndedRequest"


def test_a_hostile_value_comes_back_as_data(console: Console) -> None:
    hostile = 'find a car in <img src=x onerror="alert(1)"> next weekend'
    answer = turn(console, "ask car search to " + hostile)
    assert answer["turn"]["said"] == "ask car search to " + hostile  # as typed, for the page to show as text
    status, headers, _ = call(console, "POST", "/api/turn", {"text": "open car search"})
    assert status == 200 and headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("body", "headers", "status", "says"),
    [
        ({"text": "open car search"}, {"Host": "evil.example:80"}, 421, "127.0.0.1 only"),
        ({"text": "open car search"}, {"Origin": "http://evil.example"}, 403, "its own page only"),
        (b"text=open+car+search", {"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json"),
        (b"{not json", None, 400, "not JSON"),
        ({"text": "  "}, None, 400, '"text"'),
        ({"text": "x" * 501}, None, 400, "over 500"),
        ({"text": "hello", "conversation": "gone"}, None, 404, "start a new one"),
        ({"text": "hello", "locale": "xx-XX"}, None, 400, "no interaction model for xx-XX"),
    ],
)
def test_the_api_refuses_what_it_cannot_serve_and_says_why(
    console: Console, body: Any, headers: dict[str, str] | None, status: int, says: str
) -> None:
    answered, _, raw = call(console, "POST", "/api/turn", body, headers)
    assert answered == status and says in json.loads(raw)["message"]


def test_the_api_lists_the_locales_and_the_stacks_day(console: Console, local_stack: LocalStack) -> None:
    status, _, raw = call(console, "GET", "/api/info")
    info = json.loads(raw)
    assert status == 200 and "en-US" in info["locales"] and "en-GB" in info["locales"]
    assert info["today"] == local_stack.options.clock.now().date().isoformat()
    british = turn(console, "open car search", locale="en-GB")
    assert british["locale"] == "en-GB" and british["turn"]["request"]["request"]["locale"] == "en-GB"


def test_the_browser_clients_page_may_connect_to_the_two_browser_apis_and_nowhere_else(
    console: Console, local_stack: LocalStack
) -> None:
    status, headers, page = call(console, "GET", "/browser-client")
    assert status == 200 and b'src="/client.js"' in page
    policy = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'" and "'unsafe-inline'" not in headers["content-security-policy"]
    assert policy["connect-src"].split() == ["'self'", local_stack.http_api.url, local_stack.websocket.url.rstrip("/")]
    info = json.loads(call(console, "GET", "/api/info")[2])
    assert (info["browser_api"], info["websocket"]) == (local_stack.http_api.url, local_stack.websocket.url)


def test_make_serve_prints_the_consoles_url_and_serves_the_page(tmp_path: Path) -> None:
    env = {**os.environ, "SKILL_PORT": "0", "API_PORT": "0", "SUPPLIER_LATENCY_SCALE": "0"}
    env.pop("CONSOLE_PORT", None)
    serve = subprocess.Popen(
        [sys.executable, "-m", "local_stack", "serve", "--log", str(tmp_path / "log")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert serve.stdout is not None
        lines = [serve.stdout.readline() for _ in range(3)]
        assert lines[1].startswith("ready: skill ")
        shown = re.fullmatch(r"console: (http://127\.0\.0\.1:\d+/) \(open it in a browser\)\n", lines[2])
        assert shown, lines
        url = urlsplit(shown[1])
        connection = http.client.HTTPConnection("127.0.0.1", url.port, timeout=PATIENCE_S)
        connection.request("GET", "/")
        answer = connection.getresponse()
        assert answer.status == 200 and b'<script src="/console.js"' in answer.read()
        connection.close()
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=PATIENCE_S) == 0
    finally:
        serve.kill()
