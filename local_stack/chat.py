"""A text conversation with the skill, as Alexa would hold it: typed text becomes the request Alexa would send
(understood with the skill's own interaction model), the request goes to the skill's HTTP endpoint, and what
Alexa would say comes back, progressive responses first.

`Chat.say(text)` is one turn and holds no terminal I/O, so `make chat`, replay files and the tests share it.
What Alexa itself does between turns is played here:
- a response that ends the session closes it, and the next utterance opens a new one;
- session attributes go back to the skill on the next request;
- after Dialog.ElicitSlot, the answer fills that slot of the intent the skill sent back (updatedIntent);
- "exit" ends the session with a SessionEndedRequest, as Alexa does.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from local_stack.envelopes import (
    SKILL_ID,
    Device,
    FilledSlot,
    intent_request,
    launch_request,
    session_ended_request,
)
from local_stack.interaction_model import ModelStore
from local_stack.nlu import Understanding, understand

if TYPE_CHECKING:
    from local_stack.stack import LocalStack

Json = dict[str, Any]
SKILL_TIMEOUT_S = 8.0  # Alexa's limit for a skill's answer
PROBLEM = "There was a problem with the requested skill's response"
ALEXA_DID_NOT_UNDERSTAND = "Sorry, I don't know that."


@dataclass
class Turn:
    said: str
    understood: Understanding | None = None
    request_type: str | None = None
    speech: str | None = None
    reprompt: str | None = None
    card: str | None = None
    progressive: list[str] = field(default_factory=list)
    session_ended: bool = False
    error: str | None = None  # the turn failed as Alexa would report it: the skill is at fault
    skill_ms: float = 0.0
    nlu_ms: float = 0.0
    request: Json | None = None  # the envelope sent to the skill, if one was
    response: Json | None = None  # the skill's answer, as it came (None when the turn failed before one)


class Chat:
    def __init__(
        self,
        skill_url: str,
        models: ModelStore,
        device: Device,
        timeout_s: float = SKILL_TIMEOUT_S,
    ) -> None:
        """`timeout_s`: how long Alexa waits for the skill's answer; longer only where the stack's skill_time_scale
        stretches the skill's own timing."""
        self._skill_url = skill_url
        self._timeout_s = timeout_s
        self._models = models
        self.device = device
        self._session_open = False
        self._elicited: Json | None = None  # the updatedIntent of the last Dialog.ElicitSlot, with its slot
        self._progressive: dict[str, list[str]] = {}
        # The requests of this chat still waiting for the skill: the stack hands every listener every progressive
        # response, and several chats (the console's) share one stack.
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self.on_progressive: Callable[[str], None] | None = None

    def progressive(self, request_id: str, ssml: str) -> None:
        """Called by the local Progressive Response API while the skill is still working on a request."""
        with self._lock:
            if request_id not in self._pending:
                return
            self._progressive.setdefault(request_id, []).append(ssml)
        if self.on_progressive is not None:
            self.on_progressive(plain(ssml))

    def say(self, text: str) -> Turn:
        turn = Turn(text)
        model = self._models.get(self.device.locale)
        started = time.perf_counter()
        elicited = (self._elicited["name"], self._elicited["slot"]) if self._elicited and self._session_open else None
        understood = understand(text, model, self.device.today(), elicited)
        turn.understood = understood
        turn.nlu_ms = (time.perf_counter() - started) * 1000
        if understood.invoked or not self._session_open:
            self.device.open_session()
            self._elicited = None
        if understood.kind == "exit":
            if self._session_open:
                self._send(session_ended_request(self.device), turn)
            self._close()
            turn.session_ended = True
            return turn
        if understood.kind == "launch":
            envelope = launch_request(self.device)
        elif understood.intent is None:  # nothing matched and the model has no FallbackIntent: Alexa answers itself
            turn.speech = ALEXA_DID_NOT_UNDERSTAND
            return turn
        else:
            envelope = self._intent_envelope(understood, model)
        self._send(envelope, turn)
        return turn

    def _intent_envelope(self, understood: Understanding, model: Any) -> Json:
        assert understood.intent is not None
        declared = model.slot_types(understood.intent)
        filled = {name: FilledSlot(s.value, s.type, s.matches) for name, s in understood.slots.items()}
        state = "STARTED"
        if self._elicited is not None and self._elicited["name"] == understood.intent:
            # Alexa keeps what the dialog gathered so far (the skill's updatedIntent) and adds the answer.
            kept = {
                name: _filled(slot, declared.get(name, ""))
                for name, slot in self._elicited["slots"].items()
                if slot.get("value") is not None
            }
            filled = kept | filled
            state = "IN_PROGRESS"
        return intent_request(self.device, understood.intent, list(declared), filled, state)

    def _send(self, envelope: Json, turn: Turn) -> None:
        turn.request_type = envelope["request"]["type"]
        turn.request = envelope
        request_id = envelope["request"]["requestId"]
        with self._lock:
            self._pending.add(request_id)
        started = time.perf_counter()
        response, turn.error = post_json(self._skill_url, envelope, self._timeout_s)
        turn.skill_ms = (time.perf_counter() - started) * 1000
        turn.response = response or None
        with self._lock:
            self._pending.discard(request_id)
            turn.progressive = [plain(s) for s in self._progressive.pop(request_id, [])]
        if turn.request_type == "SessionEndedRequest":
            return  # Alexa ignores the answer to a SessionEndedRequest
        if turn.error is None:
            turn.error = _problem(response)
        if turn.error is not None:
            self._close()
            turn.session_ended = True
            return
        self._remember(response, turn)

    def _remember(self, response: Json, turn: Turn) -> None:
        body = response["response"]
        turn.speech = plain(body.get("outputSpeech", {}).get("ssml") or body.get("outputSpeech", {}).get("text"))
        reprompt = (body.get("reprompt") or {}).get("outputSpeech") or {}
        turn.reprompt = plain(reprompt.get("ssml") or reprompt.get("text")) or None
        card = body.get("card") or {}
        turn.card = "\n".join(filter(None, (card.get("title"), card.get("content") or card.get("text")))) or None
        # Left out, shouldEndSession ends the session on a device without a screen, like this one.
        if body.get("shouldEndSession", True) is not False:
            self._close()
            turn.session_ended = True
            return
        self._session_open = True
        self.device.new_session = False
        self.device.attributes = response.get("sessionAttributes") or {}
        self._elicited = None
        for directive in body.get("directives") or []:
            if directive.get("type") == "Dialog.ElicitSlot":
                updated = directive.get("updatedIntent") or {}
                self._elicited = {
                    "name": updated.get("name"),
                    "slot": directive.get("slotToElicit"),
                    "slots": updated.get("slots") or {},
                }

    def _close(self) -> None:
        self._session_open = False
        self._elicited = None
        self.device.open_session()


def stack_device(stack: LocalStack, locale: str = "en-US") -> Device:
    """The device `make chat` and the console talk from: on the stack's clock, its progressive responses sent to the
    stack, with the skill id the stack accepts (with SKILL_ID set it refuses requests for any other skill)."""
    skill_id = stack.options.skill_id or SKILL_ID
    return Device(
        stack.progressive_endpoint, stack.access_token, locale=locale, clock=stack.options.clock.now, skill_id=skill_id
    )


def post_json(url: str, body: Json, timeout_s: float) -> tuple[Json, str | None]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:
            return json.loads(answer.read()), None
    except urllib.error.HTTPError as error:
        return {}, f"{PROBLEM}: HTTP {error.code} {error.read()[:300].decode(errors='replace')}"
    except TimeoutError:
        return {}, f"{PROBLEM}: no answer within Alexa's {timeout_s:.0f} s"
    except (OSError, ValueError) as error:
        return {}, f"{PROBLEM}: {type(error).__name__}: {error}"


def _problem(response: Json) -> str | None:
    body = response.get("response")
    if response.get("version") != "1.0" or not isinstance(body, dict):
        return f"{PROBLEM}: not a response envelope"
    speech = body.get("outputSpeech")
    if speech is not None and not (speech.get("ssml") or speech.get("text")):
        return f"{PROBLEM}: outputSpeech without text"
    if len(json.dumps(response)) > 24 * 1024:
        return f"{PROBLEM}: the response is over Alexa's 24 KB"
    return None


def _filled(slot: Json, slot_type: str) -> FilledSlot:
    authorities = ((slot.get("resolutions") or {}).get("resolutionsPerAuthority")) or []
    if not authorities:
        return FilledSlot(slot["value"], slot_type)
    values = authorities[0].get("values") or []
    return FilledSlot(slot["value"], slot_type, tuple((v["value"]["id"], v["value"]["name"]) for v in values))


_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def plain(ssml: str | None) -> str:
    """What Alexa says, as text: tags dropped, entities decoded."""
    if not ssml:
        return ""
    return _SPACES.sub(" ", html.unescape(_TAG.sub(" ", ssml))).strip()
