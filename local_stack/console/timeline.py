"""The console's live search timeline: each conversation's searches, as server-sent events for the page.

The page opens `GET /api/events?conversation=<id>` (an EventSource, which can send no headers): the URL names the
console's conversation, never the search. The search token and the user are bearer values, so they stay here: the
token is the one in the session attributes of the conversation's last skill response (`trip.token`), the user the
pseudonym the skill sends for the request's Alexa user (skill.responses.pseudonym).

Where the progress comes from: the public search API's long poll, as any client can read it (GET /search with the
Search-Token and Search-User headers, `Prefer: wait=N` and `If-None-Match`, signed with SigV4 as the skill signs),
one poll at a time per watched search, however many pages watch it. Each new answer is diffed against what was seen
into events, so an event goes out when the answer changes, not on a timer. Times come from the API's own stamps
(the search's `createdAt`, each company's `answeredAt`, on the stack's clock), not from when the poll saw them: a
page that connects late sees the same offsets as one that watched from the start.

Events (SSE `event:` name, `data:` one JSON object; `search` numbers the conversation's searches from 1):
- `watching` (no id, sent first on every connection): {"searches"}: how many searches the conversation has had.
- `search-started`: {"search", "turn", "said", "city", "pickup_date", "return_date", "started_at", "suppliers":
  [{"code", "name", "expected_in_s"}], "resumed"?}: `turn` and `said` are the console turn whose answer carried the
  new token; `resumed` (true) when the search had started before it: a trip the skill resumed from an earlier session.
- `supplier`: {"search", "code", "name", "status" (complete|failed|cancelled, the API's states), "error", "offers",
  "at_ms", "quote_cache"}: once per company. `at_ms` is answeredAt - createdAt (None when cancelled unanswered);
  `quote_cache` is True when the offers were quoted before this answer was stored (reused from the quote cache),
  False when just quoted or failed, None when it cannot be told (no offers).
- `partial`: {"search", "offers", "answered", "of"}: once, when the first company's offers arrive while others search.
- `complete` | `failed` | `cancelled`: {"search", "offers", "at_ms"} (at_ms: the last answer's): the search is over.
- `gone`: {"search", "message"}: the API no longer knows the search (404, or 410 once expired).
- `turn`: {"search", "turn", "said", "at_ms"}: a later turn of the dialog on this search (its token still in the
  session), `at_ms` after the search's start when the user said it: the timeline shows the questions asked while
  the companies answer, the point of starting the search at the first utterance. At most MARKED_TURNS per search.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from local_stack import skill_importable
from local_stack.http_server import JsonHandler
from local_stack.iam_auth import local_role

skill_importable()
from skill.responses import pseudonym  # noqa: E402
from skill.sigv4 import Credentials, Request, sign  # noqa: E402

Json = dict[str, Any]
Event = tuple[str, Json]
FINAL = ("complete", "failed", "cancelled")
WAIT_S = 10  # each long poll's Prefer: wait; also how soon a poll nobody listens to any more is let go
MAX_OFFERS = 500  # GET /search's largest Limit: every offer of a search, so each company's count is whole
WATCHED_SEARCHES = 8  # per conversation: a search the user left still ends on its timeline
KEPT_EVENTS = 1000  # per conversation, for reconnections (Last-Event-ID) and a page reloaded
RETRY_MS = 2000  # what the page's EventSource waits before it reconnects
RESUMED_BEFORE = timedelta(seconds=2)  # a search created this long before the turn that named it was resumed
MARKED_TURNS = 6  # per search: the dialog's questions and the turn that reads the offers, not a whole session
HEARTBEAT_S = 15.0  # a comment this often: writing to a client that is gone fails, and its thread ends
REGION = "us-east-1"


@dataclass
class Seen:
    """What the events so far have said about one search."""

    started: bool = False
    reported: set[str] = field(default_factory=set)  # the companies whose `supplier` event went out
    partial: bool = False
    over: bool = False


def changes(search: int, seen: Seen, answer: Json, turn: int, said: str) -> list[Event]:
    """The events that one answer of GET /search (its JSON body) adds to what `seen` says was told; updates `seen`.
    Companies that answered between two polls come in the order they answered."""
    events: list[Event] = []
    summary = answer["search"]
    created = _instant(summary["createdAt"])
    suppliers = answer["suppliers"]
    if not seen.started:
        seen.started = True
        companies = [{"code": s["supplier"], "name": s["name"], "expected_in_s": s.get("expectedInSeconds")}
                     for s in suppliers]  # fmt: skip
        events.append(("search-started", {"search": search, "turn": turn, "said": said, "city": summary["city"],
                                          "pickup_date": summary["pickupDate"], "return_date": summary["returnDate"],
                                          "started_at": summary["createdAt"], "suppliers": companies}))  # fmt: skip
    offers: dict[str, list[Json]] = {}
    for offer in answer["offers"]:
        offers.setdefault(offer["supplier"], []).append(offer)
    answered = [s for s in suppliers if s["state"] != "searching" and s["supplier"] not in seen.reported]
    answered.sort(key=lambda s: s.get("answeredAt") or "~")  # the unanswered (cancelled) last
    for company in answered:
        seen.reported.add(company["supplier"])
        events.append(("supplier", _supplier(search, company, offers.get(company["supplier"], []), created)))
    status = answer["status"]
    if status == "partial" and not seen.partial:
        seen.partial = True
        done = sum(1 for s in suppliers if s["state"] != "searching")
        events.append(("partial", {"search": search, "offers": answer["offerCount"], "answered": done,
                                   "of": len(suppliers)}))  # fmt: skip
    if status in FINAL and not seen.over:
        seen.over = True
        stamps = [_instant(s["answeredAt"]) for s in suppliers if s.get("answeredAt")]
        last = _ms(max(stamps) - created) if stamps else None
        events.append((status, {"search": search, "offers": answer["offerCount"], "at_ms": last}))
    return events


def _supplier(search: int, company: Json, offers: list[Json], created: datetime) -> Json:
    answered_at = company.get("answeredAt")
    at_ms = _ms(_instant(answered_at) - created) if answered_at else None
    quote_cache: bool | None = False if company["state"] == "failed" else None
    if offers and answered_at:
        # A fresh answer's offers are stamped with the moment it was stored; a reused quote keeps its older stamp.
        quoted = [_instant(o["quotedAt"]) for o in offers if o.get("quotedAt")]
        quote_cache = bool(quoted) and min(quoted) < _instant(answered_at)
    return {"search": search, "code": company["supplier"], "name": company["name"], "status": company["state"],
            "error": company.get("error"), "offers": len(offers) if company["state"] == "complete" else None,
            "at_ms": at_ms, "quote_cache": quote_cache}  # fmt: skip


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _ms(delta: Any) -> int:
    return max(0, round(delta.total_seconds() * 1000))


class ResultsReader:
    """GET /search on the search API, signed as the skill signs, over one kept-alive connection (one per poller)."""

    def __init__(self, api_url: str, credentials: Credentials | None = None) -> None:
        url = urlsplit(api_url.rstrip("/"))
        self._host = url.netloc
        self._port = url.port
        self._path = f"{url.path}/search"
        self._credentials = credentials or local_role()
        self._connection: http.client.HTTPConnection | None = None

    def read(self, token: str, user: str, etag: str | None, wait_s: int) -> tuple[int, dict[str, str], Json]:
        query = {"Limit": str(MAX_OFFERS)}
        headers = {"Accept": "application/json", "Search-Token": token, "Search-User": user}
        if wait_s:
            headers["Prefer"] = f"wait={wait_s}"
        if etag:
            headers["If-None-Match"] = etag
        request = Request("GET", self._host, self._path, tuple(query.items()), tuple(headers.items()),
                          hashlib.sha256(b"").hexdigest())  # fmt: skip
        headers |= sign(request, self._credentials, REGION, "execute-api", datetime.now(UTC))
        if self._connection is None:
            self._connection = http.client.HTTPConnection("127.0.0.1", self._port, timeout=wait_s + 15.0)
        try:
            self._connection.request("GET", f"{self._path}?{urlencode(query)}", headers=headers)
            answer = self._connection.getresponse()
            raw = answer.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        body = json.loads(raw) if raw else {}
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, body

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@dataclass
class _Search:
    number: int
    token: str
    user: str
    turn: int
    said: str
    seen: Seen = field(default_factory=Seen)
    etag: str | None = None
    polling: bool = False
    finished: bool = False
    stop: threading.Event = field(default_factory=threading.Event)
    created: datetime | None = None  # the API's createdAt, from the first answer read
    said_at: datetime | None = None  # when the turn that brought its token was said
    turns: list[tuple[int, str, datetime]] = field(default_factory=list)  # later turns: number, said, when

    def turn_events(self, marks: list[tuple[int, str, datetime]]) -> list[Event]:
        """`turn` events for these marks, once the search's start is known (none before)."""
        if self.created is None:
            return []
        return [("turn", {"search": self.number, "turn": turn, "said": said, "at_ms": _ms(at - self.created)})
                for turn, said, at in marks]  # fmt: skip


class Timeline:
    """One conversation's searches and their events. Polls the current search while someone listens to it."""

    def __init__(self, reader: Callable[[], ResultsReader]) -> None:
        self._reader = reader
        self._cond = threading.Condition()
        self._events: deque[tuple[int, str, Json]] = deque(maxlen=KEPT_EVENTS)
        self._next_id = 1
        self._listeners = 0
        self._searches = 0
        self._turns = 0
        self._watched: deque[_Search] = deque(maxlen=WATCHED_SEARCHES)  # the latest last
        self._closed = False

    def answered(self, said: str, response: Json | None, request: Json | None, said_at: datetime | None = None) -> None:
        """After each turn: a token in the skill's answer that is not the current search's starts a new timeline; the
        same token marks the turn on it (said at `said_at`, on the stack's clock, which the API's stamps are on).
        Turns are counted as the page numbers them: every turn the console answered."""
        with self._cond:
            self._turns += 1
            turn = self._turns
        trip = ((response or {}).get("sessionAttributes") or {}).get("trip") or {}
        token = trip.get("token") if isinstance(trip, dict) else None
        if not isinstance(token, str) or not token:
            return
        system = ((request or {}).get("context") or {}).get("System") or {}
        user = pseudonym(str((system.get("user") or {}).get("userId") or ""))
        with self._cond:
            if self._watched and self._watched[-1].token == token:
                current = self._watched[-1]
                if said_at is not None and len(current.turns) < MARKED_TURNS:
                    mark = (turn, said, said_at)
                    current.turns.append(mark)
                    self._publish(current.turn_events([mark]))
                return
            if len(self._watched) == WATCHED_SEARCHES:
                self._watched[0].stop.set()
            self._searches += 1
            self._watched.append(_Search(self._searches, token, user, turn, said, said_at=said_at))
            self._poll_if_watched()

    def close(self) -> None:
        """The conversation is forgotten: its pollers stop and its streams end."""
        with self._cond:
            self._closed = True
            for search in self._watched:
                search.stop.set()
            self._cond.notify_all()

    @contextlib.contextmanager
    def listening(self) -> Iterator[int]:
        """While a page listens: the current search is polled. Yields how many searches there have been."""
        with self._cond:
            self._listeners += 1
            self._poll_if_watched()
            searches = self._searches
        try:
            yield searches
        finally:
            with self._cond:
                self._listeners -= 1

    def after(self, last_id: int, timeout_s: float) -> tuple[list[tuple[int, str, Json]], bool]:
        """The events after `last_id`, waiting up to `timeout_s` for one; and whether the timeline is closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._next_id - 1 > last_id, timeout_s)
            return [event for event in self._events if event[0] > last_id], self._closed

    def _publish(self, events: list[Event]) -> None:  # under the lock
        for name, data in events:
            self._events.append((self._next_id, name, data))
            self._next_id += 1
        if events:
            self._cond.notify_all()

    def _poll_if_watched(self) -> None:  # under the lock
        if not self._listeners or self._closed:
            return
        for search in self._watched:
            if not (search.polling or search.finished or search.stop.is_set()):
                search.polling = True
                name = f"timeline-{search.number}"
                threading.Thread(target=self._poll, args=(search,), name=name, daemon=True).start()

    def _poll(self, search: _Search) -> None:
        reader = self._reader()
        try:
            while True:
                with self._cond:
                    if search.stop.is_set() or not self._listeners or self._closed:
                        search.polling = False
                        return
                try:
                    # The first read answers at once (there is nothing to differ from yet); the next ones wait for news.
                    wait_s = WAIT_S if search.etag else 0
                    status, headers, body = reader.read(search.token, search.user, search.etag, wait_s)
                except (OSError, ValueError, http.client.HTTPException):
                    search.stop.wait(1.0)  # the API restarting, or the stack stopping: not a busy loop
                    continue
                events: list[Event] = []
                if status in (200, 202):
                    search.etag = headers.get("etag")
                    events = changes(search.number, search.seen, body, search.turn, search.said)
                elif status in (404, 410):
                    events = [("gone", {"search": search.number, "message": body.get("message") or f"HTTP {status}"})]
                    search.seen.over = True
                elif status != 304:
                    search.stop.wait(min(5.0, float(headers.get("retry-after") or 1)))
                    continue
                with self._cond:
                    if search.stop.is_set():  # the conversation was forgotten meanwhile
                        search.polling = False
                        return
                    if status in (200, 202) and search.created is None:
                        # The start is known from now on: the turns said before it are placed now, after search-started.
                        search.created = _instant(body["search"]["createdAt"])
                        events += search.turn_events(search.turns)
                        if search.said_at is not None and search.created < search.said_at - RESUMED_BEFORE:
                            # Started before the turn that brought it: a trip the skill resumed ("welcome back").
                            for name, data in events:
                                if name == "search-started":
                                    data["resumed"] = True
                    self._publish(events)
                    if search.seen.over:
                        search.finished = True
                        search.polling = False
                    if search.finished:
                        return
        finally:
            reader.close()


class Timelines:
    """The console's timelines, one per conversation it keeps."""

    def __init__(self, api_url: str) -> None:
        self._api_url = api_url
        self._lock = threading.Lock()
        self._timelines: dict[str, Timeline] = {}

    def of(self, conversation: str, create: bool = False) -> Timeline | None:
        with self._lock:
            found = self._timelines.get(conversation)
            if found is None and create:
                found = self._timelines[conversation] = Timeline(lambda: ResultsReader(self._api_url))
            return found

    def forget(self, conversation: str) -> None:
        with self._lock:
            found = self._timelines.pop(conversation, None)
        if found is not None:
            found.close()

    def close(self) -> None:
        with self._lock:
            timelines, self._timelines = list(self._timelines.values()), {}
        for timeline in timelines:
            timeline.close()


def serve_events(handler: JsonHandler, timelines: Timelines, headers: dict[str, str]) -> None:
    """`GET /api/events?conversation=<id>`: that conversation's timeline as text/event-stream, or a JSON error."""
    conversation = (parse_qs(urlsplit(handler.path).query).get("conversation") or [""])[0]
    if not conversation:
        handler.respond(400, {"message": "name the conversation: /api/events?conversation=<id>"}, headers)
        return
    timeline = timelines.of(conversation)
    if timeline is None:
        handler.respond(404, {"message": "no such conversation (the stack restarted?): start a new one"}, headers)
        return
    resumed = (handler.headers.get("Last-Event-ID") or "").strip()
    handler.close_connection = True  # the stream has no length: it ends when the connection does
    handler.send_response(200)
    for name, value in (headers | {"Content-Type": "text/event-stream; charset=utf-8", "Connection": "close"}).items():
        handler.send_header(name, value)
    handler.end_headers()
    if handler.command == "HEAD":  # the headers a GET would have, and no stream
        return

    def write(data: bytes) -> None:
        handler.wfile.write(data)
        handler.wfile.flush()

    with contextlib.suppress(ConnectionError, TimeoutError):  # the page went away: its thread ends here
        stream(timeline, int(resumed) if resumed.isascii() and resumed.isdigit() else 0, write)


def stream(timeline: Timeline, last_id: int, write: Callable[[bytes], None]) -> None:
    """Writes the timeline's events as text/event-stream until the client goes (a write fails) or the conversation
    is forgotten. `retry:` sets the page's reconnection delay, `id:` lets it resume (Last-Event-ID)."""
    with timeline.listening() as searches:
        write(f"retry: {RETRY_MS}\nevent: watching\ndata: {json.dumps({'searches': searches})}\n\n".encode())
        while True:
            events, closed = timeline.after(last_id, HEARTBEAT_S)
            for number, name, data in events:
                write(f"id: {number}\nevent: {name}\ndata: {json.dumps(data)}\n\n".encode())
                last_id = number
            if closed:
                write(b'event: forgotten\ndata: {"message": "the console forgot this conversation"}\n\n')
                return
            if not events:
                write(b": still here\n\n")
