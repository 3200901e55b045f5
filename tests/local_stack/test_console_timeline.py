"""The console's live search timeline over HTTP: `make serve` started as a participant starts it, the conversation held
through POST /api/turn, and GET /api/events read as an EventSource reads it, event by event. Each read waits for the
next event (the socket's timeout, PATIENCE_S, is the cap): nothing here depends on how fast the machine is."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from local_stack import skill_importable
from local_stack.console.timeline import Seen, Timeline, changes
from tests.builders.waiting import PATIENCE_S

skill_importable()
from skill.responses import pseudonym  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIND = "ask car search to find a car in New York next weekend"


@dataclass
class Serve:
    port: int
    process: subprocess.Popen[str]


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    # Latency on (scaled down): the companies answer apart, as the timeline is meant to show them.
    env = {**os.environ, "SKILL_PORT": "0", "API_PORT": "0", "SUPPLIER_LATENCY_SCALE": "0.2"}
    env.pop("CONSOLE_PORT", None)
    log = tmp_path_factory.mktemp("serve") / "log"
    process = subprocess.Popen(
        [sys.executable, "-m", "local_stack", "serve", "--log", str(log)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        shown = re.fullmatch(r"console: http://127\.0\.0\.1:(\d+)/ \(open it in a browser\)\n", lines[2])
        assert shown, lines
        yield Serve(int(shown[1]), process)
    finally:
        process.terminate()
        process.wait(timeout=PATIENCE_S)


def turn(serve: Serve, text: str, conversation: str | None = None) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", serve.port, timeout=PATIENCE_S)
    try:
        body = {"text": text} | ({"conversation": conversation} if conversation else {})
        connection.request("POST", "/api/turn", json.dumps(body), {"Content-Type": "application/json"})
        answer = connection.getresponse()
        raw = answer.read()
        assert answer.status == 200, raw
        result: dict[str, Any] = json.loads(raw)
        return result
    finally:
        connection.close()


@dataclass
class Event:
    id: int | None
    name: str
    data: dict[str, Any]


class Stream:
    """GET /api/events as an EventSource sends it (no headers of its own but Last-Event-ID on a reconnection)."""

    def __init__(self, serve: Serve, conversation: str, headers: dict[str, str] | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", serve.port, timeout=PATIENCE_S)
        self.connection.request("GET", f"/api/events?conversation={conversation}", headers=headers or {})
        self.answer = self.connection.getresponse()
        self.raw = b""  # everything received, to check what never crosses the wire

    def next(self) -> Event:
        """The next event, skipping comments (the heartbeat) and the retry field."""
        fields: dict[str, str] = {}
        while True:
            line = self.answer.readline()
            assert line, "the stream ended"
            self.raw += line
            text = line.decode().rstrip("\n")
            if not text:
                if "event" in fields:
                    return Event(int(fields["id"]) if "id" in fields else None, fields["event"],
                                 json.loads(fields["data"]))  # fmt: skip
                continue
            if text.startswith(":"):
                continue
            name, _, value = text.partition(": ")
            fields[name] = value

    def until(self, name: str, search: int) -> list[Event]:
        """Events up to and including `name` for that search."""
        events = []
        while True:
            event = self.next()
            events.append(event)
            if event.name == name and event.data.get("search") == search:
                return events

    def close(self) -> None:
        self.connection.close()


def test_a_search_shows_on_its_conversations_stream_each_company_once_then_complete(serve: Serve) -> None:
    started = turn(serve, FIND)
    conversation = started["conversation"]
    token = started["turn"]["session_attributes"]["trip"]["token"]
    alexa_user = started["turn"]["request"]["context"]["System"]["user"]["userId"]
    stream = Stream(serve, conversation)
    try:
        assert stream.answer.status == 200
        assert stream.answer.getheader("Content-Type") == "text/event-stream; charset=utf-8"
        assert stream.next() == Event(None, "watching", {"searches": 1})
        first = stream.next()
        assert first.name == "search-started" and first.id == 1
        assert first.data["search"] == 1 and first.data["turn"] == 1 and first.data["said"] == FIND
        assert first.data["city"] == "New York, NY" and first.data["started_at"]
        companies = {company["code"] for company in first.data["suppliers"]}
        assert len(companies) >= 5
        rest = stream.until("complete", 1)
        answered = [event.data for event in rest if event.name == "supplier"]
        assert sorted(a["code"] for a in answered) == sorted(companies)  # each company exactly once
        for company in answered:
            assert company["status"] in ("complete", "failed") and company["at_ms"] >= 0
            if company["status"] == "complete":
                assert company["offers"] > 0 and company["quote_cache"] in (True, False)
        names = [event.name for event in rest]
        assert names[-1] == "complete" and names.count("partial") <= 1
        assert rest[-1].data["offers"] == sum(a["offers"] or 0 for a in answered)
        assert rest[-1].data["at_ms"] == max(a["at_ms"] for a in answered)
        assert [event.id for event in [first, *rest]] == list(range(1, len(rest) + 2))
        # The bearer values stay in the console's server: the page gets numbers, names and times.
        for secret in (token, pseudonym(alexa_user), alexa_user):
            assert secret.encode() not in stream.raw
    finally:
        stream.close()


def test_the_dialogs_later_turns_are_placed_on_the_search_they_ran_beside(serve: Serve) -> None:
    # GIVEN the seed conversation: the search starts at the first utterance, and two more turns answer its questions
    conversation = turn(serve, FIND)["conversation"]
    turn(serve, "a small car", conversation)
    turn(serve, "Enterprise", conversation)
    # WHEN the page watches that conversation
    stream = Stream(serve, conversation)
    try:
        events: list[Event] = []
        while not (any(e.name == "complete" for e in events) and sum(e.name == "turn" for e in events) == 2):
            events.append(stream.next())
            assert len(events) < 40, [e.name for e in events]
        # THEN turns 2 and 3 are on search 1's timeline, in order, after its start; the first turn is its start
        marks = [e.data for e in events if e.name == "turn"]
        assert [(m["search"], m["turn"], m["said"]) for m in marks] == [(1, 2, "a small car"), (1, 3, "Enterprise")]
        assert 0 <= marks[0]["at_ms"] <= marks[1]["at_ms"]
        names = [e.name for e in events]
        assert names.index("search-started") < names.index("turn")
    finally:
        stream.close()


def test_a_new_search_starts_a_new_timeline_and_shows_the_quotes_it_reused(serve: Serve) -> None:
    conversation = turn(serve, FIND)["conversation"]
    stream = Stream(serve, conversation)
    try:
        once = [e.data for e in stream.until("complete", 1) if e.name == "supplier" and e.data["status"] == "complete"]
        turn(serve, "exit", conversation)
        again = turn(serve, FIND, conversation)  # a new session: a new search of the same trip
        assert again["turn"]["request"]["session"]["new"]
        started = next(e for e in iter(stream.next, None) if e.name != "turn")  # "exit" is a turn on search 1
        assert started.name == "search-started" and started.data["search"] == 2 and started.data["turn"] == 3
        second = {e.data["code"]: e.data for e in stream.until("complete", 2) if e.name == "supplier"}
        for company in once:  # what they quoted minutes ago is reused from the quote cache
            assert second[company["code"]]["quote_cache"] is True, second[company["code"]]
        moved = turn(serve, "actually make it Boston", conversation)
        assert "Boston" in moved["turn"]["speech"]
        boston = stream.next()
        assert boston.name == "search-started" and boston.data["search"] == 3 and boston.data["city"] == "Boston, MA"
        assert boston.data["said"] == "actually make it Boston"
    finally:
        stream.close()


def test_a_conversation_without_a_search_waits_and_sees_only_its_own(serve: Serve) -> None:
    other = turn(serve, FIND)["conversation"]
    # Not "open car search": the console's conversations are one Alexa user, whose last trip that would resume.
    mine = turn(serve, "ask car search for help")["conversation"]
    watching_other = Stream(serve, other)
    stream = Stream(serve, mine)
    try:
        assert stream.next() == Event(None, "watching", {"searches": 0})  # and the stream waits for a search
        watching_other.until("complete", 1)  # the other conversation's search runs to its end meanwhile
        turn(serve, "find a car in Boston next weekend", mine)
        first = stream.next()  # the first event of this stream is this conversation's own search
        assert first.name == "search-started" and first.data["city"] == "Boston, MA" and first.data["turn"] == 2
        assert first.id == 1 and first.data["search"] == 1
    finally:
        stream.close()
        watching_other.close()


def test_a_reconnection_resumes_after_the_last_event_it_had(serve: Serve) -> None:
    conversation = turn(serve, FIND)["conversation"]
    stream = Stream(serve, conversation)
    try:
        events = stream.until("complete", 1)
    finally:
        stream.close()
    assert len(events) >= 4
    resumed = Stream(serve, conversation, {"Last-Event-ID": str(events[2].id)})
    try:
        assert resumed.next().name == "watching"
        assert resumed.next() == events[3]
    finally:
        resumed.close()


@pytest.mark.parametrize(
    ("path", "headers", "status", "says"),
    [
        ("/api/events?conversation=nobody", {}, 404, "no such conversation"),
        ("/api/events", {}, 400, "name the conversation"),
        ("/api/events?conversation=nobody", {"Host": "evil.example"}, 421, "127.0.0.1 only"),
        ("/api/events?conversation=nobody", {"Origin": "http://evil.example"}, 403, "its own page only"),
    ],
)
def test_the_event_stream_refuses_what_the_rest_of_the_api_refuses(
    serve: Serve, path: str, headers: dict[str, str], status: int, says: str
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", serve.port, timeout=PATIENCE_S)
    try:
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        assert answer.status == status and says in json.loads(answer.read())["message"]
    finally:
        connection.close()


# The diffing alone, on answers shaped as GET /search gives them: what a live stack rarely shows (a failure, a
# timeout, a cancelled search, two companies between two polls).
START = datetime(2027, 1, 15, 15, 0, tzinfo=UTC)


def _at(ms: int) -> str:
    return (START + timedelta(milliseconds=ms)).isoformat()


def _answer(status: str, suppliers: list[dict[str, Any]], offers: list[dict[str, Any]]) -> dict[str, Any]:
    summary = {"city": "Boston, MA", "pickupDate": "2027-01-16", "returnDate": "2027-01-18", "createdAt": _at(0)}
    return {"status": status, "search": summary, "suppliers": suppliers, "offers": offers, "offerCount": len(offers)}


def _company(code: str, state: str, at_ms: int | None = None, error: str | None = None) -> dict[str, Any]:
    return {"supplier": code, "name": code.title(), "state": state, "error": error,
            "answeredAt": _at(at_ms) if at_ms is not None else None, "expectedInSeconds": 2.0}  # fmt: skip


def test_the_diff_reports_each_company_once_in_answer_order_with_failures_and_reused_quotes() -> None:
    seen = Seen()
    first = changes(1, seen, _answer("pending", [_company("avis", "searching"), _company("sixt", "searching"),
                                                 _company("hertz", "searching")], []), 1, FIND)  # fmt: skip
    assert [name for name, _ in first] == ["search-started"]
    assert first[0][1]["suppliers"][0] == {"code": "avis", "name": "Avis", "expected_in_s": 2.0}
    timeout = "did not answer within 15 s"
    suppliers = [_company("avis", "complete", 900), _company("sixt", "complete", 400),
                 _company("hertz", "failed", 15000, timeout)]  # fmt: skip
    offers = [{"supplier": "avis", "quotedAt": _at(900)}, {"supplier": "avis", "quotedAt": _at(900)},
              {"supplier": "sixt", "quotedAt": _at(-60000)}]  # fmt: skip
    events = changes(1, seen, _answer("complete", suppliers, offers), 1, FIND)
    assert events == [
        ("supplier", {"search": 1, "code": "sixt", "name": "Sixt", "status": "complete", "error": None, "offers": 1,
                      "at_ms": 400, "quote_cache": True}),
        ("supplier", {"search": 1, "code": "avis", "name": "Avis", "status": "complete", "error": None, "offers": 2,
                      "at_ms": 900, "quote_cache": False}),
        ("supplier", {"search": 1, "code": "hertz", "name": "Hertz", "status": "failed", "error": timeout,
                      "offers": None, "at_ms": 15000, "quote_cache": False}),
        ("complete", {"search": 1, "offers": 3, "at_ms": 15000}),
    ]  # fmt: skip
    assert changes(1, seen, _answer("complete", suppliers, offers), 1, FIND) == []  # the same answer: no news


def test_the_diff_says_partial_once_and_ends_a_cancelled_search() -> None:
    seen = Seen(started=True)
    one = changes(2, seen, _answer("partial", [_company("avis", "complete", 300), _company("sixt", "searching")],
                                   [{"supplier": "avis", "quotedAt": _at(300)}]), 1, FIND)  # fmt: skip
    assert [name for name, _ in one] == ["supplier", "partial"]
    assert one[1][1] == {"search": 2, "offers": 1, "answered": 1, "of": 2}
    ended = changes(2, seen, _answer("cancelled", [_company("avis", "complete", 300), _company("sixt", "cancelled")],
                                     [{"supplier": "avis", "quotedAt": _at(300)}]), 1, FIND)  # fmt: skip
    assert ended == [
        ("supplier", {"search": 2, "code": "sixt", "name": "Sixt", "status": "cancelled", "error": None,
                      "offers": None, "at_ms": None, "quote_cache": None}),
        ("cancelled", {"search": 2, "offers": 1, "at_ms": 300}),
    ]  # fmt: skip


def test_head_on_the_event_stream_answers_its_headers_and_ends(serve: Serve) -> None:
    conversation = turn(serve, "ask car search for help")["conversation"]
    request = f"HEAD /api/events?conversation={conversation} HTTP/1.1\r\nHost: 127.0.0.1:{serve.port}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", serve.port), timeout=PATIENCE_S) as raw:
        raw.sendall(request.encode())
        received = b""
        while chunk := raw.recv(4096):  # until the console closes the connection: a stream would never end
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"Content-Type: text/event-stream; charset=utf-8" in head
    assert body == b""


class _AnsweringReader:
    """A ResultsReader that answers every read with the same complete answer (the search API's, as JSON)."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self._answer = answer

    def read(self, token: str, user: str, etag: str | None, wait_s: int) -> tuple[int, dict[str, str], dict[str, Any]]:
        return 200, {"etag": '"1"'}, self._answer

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("said_after_ms", "resumed"), [(60_000, True), (300, False)])
def test_a_search_started_before_the_turn_that_named_it_is_shown_as_resumed(said_after_ms: int, resumed: bool) -> None:
    # GIVEN a search created at START, whose token first came in the answer to a turn said `said_after_ms` later:
    # a minute later is a trip the skill resumed ("open car search": "welcome back"), not one this turn started
    answer = _answer("complete", [_company("avis", "complete", 300)], [{"supplier": "avis", "quotedAt": _at(300)}])
    timeline = Timeline(lambda: _AnsweringReader(answer))  # type: ignore[arg-type,return-value]
    response = {"sessionAttributes": {"trip": {"token": "t" * 40}}}
    request = {"context": {"System": {"user": {"userId": "amzn1.ask.account.X"}}}}
    said_at = START + timedelta(milliseconds=said_after_ms)
    with timeline.listening():
        timeline.answered("open car search", response, request, said_at)
        last = 0
        events: list[tuple[int, str, dict[str, Any]]] = []
        while not any(name == "complete" for _, name, _ in events):  # each wait ends at the next event, or fails
            more, _ = timeline.after(last, PATIENCE_S)
            assert more, [name for _, name, _ in events]
            events += more
            last = more[-1][0]
    started = next(data for _, name, data in events if name == "search-started")
    assert started.get("resumed", False) is resumed
    timeline.close()
