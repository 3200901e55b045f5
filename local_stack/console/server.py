"""The workshop console: a page on 127.0.0.1 that talks to the skill as `make chat` does, and shows each turn whole.

`GET /` is the page (index.html, console.js, console.css from static/, nothing from elsewhere); `POST /api/turn`
takes `{"text", "conversation"?, "locale"?}` and answers the turn: what the NLU understood, the request and response
envelopes, the speech, progressive speech, card, directives, session attributes and timings. Each conversation is a
`Chat` of its own (local_stack/chat.py, the very code `make chat` runs), on the stack's device and clock.

The page is for the person at this machine only. A web page elsewhere in their browser could still send requests to
127.0.0.1, so the API wants a JSON body (a cross-site form cannot send one without the browser asking first), a Host
that names 127.0.0.1 or localhost (against DNS rebinding), and an Origin, when there is one, of this server.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
from collections import OrderedDict
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from local_stack.chat import Chat, Turn, stack_device
from local_stack.console.timeline import Timelines, serve_events
from local_stack.console.workshop import Workshop, attachment
from local_stack.http_server import JsonHandler, LocalServer
from local_stack.interaction_model import InteractionModelError, ModelStore

if TYPE_CHECKING:
    from local_stack.stack import LocalStack

Json = dict[str, Any]
STATIC = Path(__file__).with_name("static")
FILES = {  # what the page is made of: nothing else is served, so no path from a request reaches the file system
    "/": ("index.html", "text/html; charset=utf-8"),
    "/console.js": ("console.js", "text/javascript; charset=utf-8"),
    "/console.css": ("console.css", "text/css; charset=utf-8"),
    "/favicon.svg": ("favicon.svg", "image/svg+xml"),  # else the browser asks for /favicon.ico, a 404 in its log
    # The browser client: what a web page of one's own does with the HTTP API and the WebSocket (client_page).
    "/browser-client": ("client.html", "text/html; charset=utf-8"),
    "/client.js": ("client.js", "text/javascript; charset=utf-8"),
}
CLIENT_PAGE = "/browser-client"
# The page's own files only: no inline script, no other origin. What a hostile slot value could inject would not run.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",  # a workshop edits the page and reloads
}
MAX_CONVERSATIONS = 64  # one per open tab; the oldest is forgotten beyond
MAX_TEXT = 500  # characters: an utterance, not a document
REDACTED = "(the stack's token: not shown)"
NOT_AN_OBJECT = "the body is not JSON, or not a JSON object"


class _Conversation:
    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self.lock = threading.Lock()  # a Chat holds one dialog: its turns go one at a time
        self.said: list[str] = []  # the utterances that reached the chat, for a replay file (workshop.py)


class Console:
    def __init__(self, stack: LocalStack, models: ModelStore, port: int = 0) -> None:
        self._stack = stack
        self._models = models
        self._conversations: OrderedDict[str, _Conversation] = OrderedDict()
        self._lock = threading.Lock()
        stack.on_progressive(self._progressive)
        self.timelines = Timelines(stack.api_url)  # the live search timeline (timeline.py)
        self.workshop = Workshop(stack, models)
        self._server = LocalServer(_handler(self), port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}/"

    @property
    def port(self) -> int:
        return self._server.port

    def start(self) -> Console:
        self._server.start()
        return self

    def stop(self) -> None:
        self.timelines.close()  # first: the event streams end, so the server's stop does not wait for them
        self._server.stop()

    def info(self) -> Json:
        today = self._stack.options.clock.now().date().isoformat()
        apis = {"browser_api": self._stack.http_api.url, "websocket": self._stack.websocket.url}
        return {"locales": self._models.locales(), "today": today} | apis | self.workshop.info()

    def client_page_headers(self) -> dict[str, str]:
        """The browser client's page may also connect to the browser API and the WebSocket, and nowhere else."""
        apis = f"{self._stack.http_api.url} {self._stack.websocket.url.rstrip('/')}"
        policy = SECURITY_HEADERS["Content-Security-Policy"].replace(
            "default-src 'self'", f"default-src 'self'; connect-src 'self' {apis}"
        )
        return SECURITY_HEADERS | {"Content-Security-Policy": policy}

    def turn(self, text: str, conversation_id: str | None, locale: str) -> tuple[int, Json]:
        if conversation_id is None and locale not in self._models.locales():
            return 400, {"message": f"no interaction model for {locale}: one of {', '.join(self._models.locales())}"}
        conversation_id, conversation = self._conversation(conversation_id, locale)
        if conversation is None:
            return 404, {"message": "no such conversation (the stack restarted?): start a new one"}
        with conversation.lock:
            said_at = self._stack.options.clock.now()  # the search API's clock: the timeline places the turn on it
            try:
                turn = conversation.chat.say(text)
            except InteractionModelError as error:
                return 422, {"message": f"the interaction model cannot be read: {error}"}
            timeline = self.timelines.of(conversation_id, create=True)
            assert timeline is not None
            timeline.answered(turn.said, turn.response, turn.request, said_at)
            conversation.said.append(text)
        return 200, {"conversation": conversation_id, "locale": conversation.chat.device.locale, "turn": _wire(turn)}

    def replay(self, conversation_id: str | None) -> tuple[int, Json | tuple[str, bytes]]:
        with self._lock:
            conversation = self._conversations.get(conversation_id or "")
        if conversation is None:
            return 404, {"message": "no such conversation (the stack restarted?): start a new one"}
        with conversation.lock:
            return 200, self.workshop.replay(list(conversation.said), conversation.chat.device.locale)

    def _conversation(self, conversation_id: str | None, locale: str) -> tuple[str, _Conversation | None]:
        with self._lock:
            if conversation_id is not None:
                found = self._conversations.get(conversation_id)
                if found is not None:
                    self._conversations.move_to_end(conversation_id)
                return conversation_id, found
            conversation_id = secrets.token_urlsafe(12)
            chat = Chat(self._stack.skill_url, self._models, stack_device(self._stack, locale))
            self._conversations[conversation_id] = conversation = _Conversation(chat)
            while len(self._conversations) > MAX_CONVERSATIONS:
                self.timelines.forget(self._conversations.popitem(last=False)[0])
            return conversation_id, conversation

    def _progressive(self, request_id: str, ssml: str) -> None:
        with self._lock:
            chats = [conversation.chat for conversation in self._conversations.values()]
        for chat in chats:  # each keeps only its own requests' (Chat.progressive)
            chat.progressive(request_id, ssml)


def start_console(stack: LocalStack, models: ModelStore, port: int = 0) -> Console:
    return Console(stack, models, port).start()


def _wire(turn: Turn) -> Json:
    understood = None
    if turn.understood is not None:
        understood = asdict(turn.understood)
        understood["slots"] = list(understood["slots"].values())
    response = turn.response or {}
    body = response.get("response") or {}
    return {
        "said": turn.said,
        "understood": understood,
        "request_type": turn.request_type,
        "speech": turn.speech,
        "reprompt": turn.reprompt,
        "progressive": turn.progressive,
        "card": body.get("card"),
        "directives": body.get("directives") or [],
        "session_attributes": response.get("sessionAttributes") or {},
        "session_ended": turn.session_ended,
        "error": turn.error,
        "timings": {"nlu_ms": round(turn.nlu_ms, 1), "skill_ms": round(turn.skill_ms, 1)},
        "request": _redacted(turn.request),
        "response": turn.response,
    }


def _redacted(envelope: Json | None) -> Json | None:
    """The envelope as sent, but for the stack's bearer token for the progressive response API: it stays in the
    stack, as bearer values stay out of logs and pages."""
    if envelope is None:
        return None
    shown = copy.deepcopy(envelope)
    system = shown.get("context", {}).get("System", {})
    if "apiAccessToken" in system:
        system["apiAccessToken"] = REDACTED
    return shown


def _handler(console: Console) -> type[JsonHandler]:
    class ConsoleHandler(JsonHandler):
        max_body = 16 * 1024

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if not self._local_host():
                return
            if path == "/api/info":
                self.respond(200, console.info(), SECURITY_HEADERS)
                return
            if path == "/api/events":  # the live search timeline: server-sent events (timeline.py)
                if self._same_origin():
                    serve_events(self, console.timelines, SECURITY_HEADERS)
                return
            if path == "/api/replay":
                self._replay()
                return
            found = FILES.get(path)
            if found is None:
                self.respond(404, {"message": f"nothing at {path}"}, SECURITY_HEADERS)
                return
            name, content_type = found
            headers = console.client_page_headers() if path == CLIENT_PAGE else SECURITY_HEADERS
            self.respond(200, (STATIC / name).read_bytes(), {"Content-Type": content_type} | headers)

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0]
            if not self._local_host() or not self._same_origin():
                return
            workshop = {"/api/settings": console.workshop.settings, "/api/model/reload": console.workshop.reload}
            if path != "/api/turn" and path not in workshop:
                self.respond(404, {"message": f"nothing at {path}: POST a turn to /api/turn"}, SECURITY_HEADERS)
                return
            content_type = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
            if content_type != "application/json":
                self.respond(415, {"message": "send the turn as application/json"}, SECURITY_HEADERS)
                return
            body = self.read_body()
            if body is None:
                return
            if path in workshop:
                fields = _object(body)
                status, answer = (400, {"message": NOT_AN_OBJECT}) if fields is None else workshop[path](fields)
                self.respond(status, answer, SECURITY_HEADERS)
                return
            problem, text, conversation, locale = _turn_request(body)
            if problem:
                self.respond(400, {"message": problem}, SECURITY_HEADERS)
                return
            status, answer = console.turn(text, conversation, locale)
            self.respond(status, answer, SECURITY_HEADERS)

        def _replay(self) -> None:
            conversation = parse_qs(urlsplit(self.path).query).get("conversation", [None])[0]
            status, answer = console.replay(conversation)
            if isinstance(answer, dict):
                self.respond(status, answer, SECURITY_HEADERS)
                return
            filename, content = answer
            headers = {"Content-Type": "application/json", "Content-Disposition": attachment(filename)}
            self.respond(status, content, headers | SECURITY_HEADERS)

        def _local_host(self) -> bool:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
            if host in ("127.0.0.1", "localhost"):
                return True
            self.respond(421, {"message": "the console answers on 127.0.0.1 only"}, SECURITY_HEADERS)
            return False

        def _same_origin(self) -> bool:
            origin = self.headers.get("Origin")
            host = self.headers.get("Host") or ""
            if origin is None or origin == f"http://{host}":
                return True
            self.respond(403, {"message": "the console's API answers its own page only"}, SECURITY_HEADERS)
            return False

    return ConsoleHandler


def _object(body: bytes) -> Json | None:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _turn_request(body: bytes) -> tuple[str | None, str, str | None, str]:
    turn = _object(body)
    if turn is None:
        return NOT_AN_OBJECT, "", None, ""
    text, conversation, locale = turn.get("text"), turn.get("conversation"), turn.get("locale", "en-US")
    if not isinstance(text, str) or not text.strip():
        return '"text" must be what the user says, a non-empty string', "", None, ""
    if len(text) > MAX_TEXT:
        return f'"text" is over {MAX_TEXT} characters', "", None, ""
    if conversation is not None and not isinstance(conversation, str):
        return '"conversation" must be a string from an earlier turn, or left out', "", None, ""
    if not isinstance(locale, str):
        return '"locale" must be a string such as "en-US"', "", None, ""
    return None, text.strip(), conversation, locale
