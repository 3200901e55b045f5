"""Alexa's request envelopes, as Alexa posts them to a skill: what `make chat` and replay files send.

Shapes from the request reference (developer.amazon.com/docs/custom-skills/request-and-response-json-reference.html):
every slot of the intent in the model is present, unfilled ones as {name, confirmationStatus}; a custom-type
slot carries entity resolution per authority (ER_SUCCESS_MATCH with values, or ER_SUCCESS_NO_MATCH).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

Json = dict[str, Any]
SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-00000000c4a5"  # a local stand-in: no real skill has it
USER_ID = "amzn1.ask.account.LOCALCHATUSER"
DEVICE_ID = "amzn1.ask.device.LOCALCHATDEVICE"


@dataclass(frozen=True)
class FilledSlot:
    value: str
    type: str
    matches: tuple[tuple[str, str], ...] | None = None  # custom types: (id, name) pairs; () means no match


@dataclass
class Device:
    """The user and device the requests come from, and where the skill may send progressive responses.

    `clock` is the stack's (local_stack.clock): Alexa stamps each request with it and resolves "today" and
    "next weekend" on the device's date, in `time_zone` (None: this machine's, as an Echo has its owner's)."""

    api_endpoint: str
    api_access_token: str | None
    locale: str = "en-US"
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), repr=False)
    time_zone: tzinfo | None = None
    skill_id: str = SKILL_ID
    user_id: str = USER_ID
    session_id: str = field(default_factory=lambda: f"amzn1.echo-api.session.{uuid.uuid4()}")
    new_session: bool = True
    attributes: Json = field(default_factory=dict)

    def open_session(self) -> None:
        self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
        self.new_session = True
        self.attributes = {}

    def today(self) -> date:
        return self.clock().astimezone(self.time_zone).date()


def launch_request(device: Device) -> Json:
    return _from(device, request("LaunchRequest", device.locale, device.clock()))


def intent_request(
    device: Device,
    intent: str,
    declared: Sequence[str],
    filled: Mapping[str, FilledSlot],
    dialog_state: str | None = "STARTED",
) -> Json:
    """`declared` are the intent's slot names in the model, `filled` what the user said for some of them."""
    body: Json = {"name": intent, "confirmationStatus": "NONE"}
    slots = {name: slot(name, filled.get(name), device.skill_id) for name in declared}
    if slots:
        body["slots"] = slots
    intent_request = request("IntentRequest", device.locale, device.clock())
    if dialog_state is not None:
        intent_request["dialogState"] = dialog_state
    intent_request["intent"] = body
    return _from(device, intent_request)


def session_ended_request(device: Device, reason: str = "USER_INITIATED") -> Json:
    ended = request("SessionEndedRequest", device.locale, device.clock())
    ended["reason"] = reason
    return _from(device, ended)


# The wire shapes, shared with the tests' envelope builder (tests/builders/alexa.py).


def slot(name: str, said: FilledSlot | None, skill_id: str, confirmation: str = "NONE") -> Json:
    """A slot of an IntentRequest: unfilled, or what the user said with its entity resolution."""
    if said is None:
        return {"name": name, "confirmationStatus": "NONE"}
    slot_value: Json = {"type": "Simple", "value": said.value}
    filled: Json = {"name": name, "value": said.value}
    if said.matches is not None:
        authority: Json = {
            "authority": f"amzn1.er-authority.echo-sdk.{skill_id}.{said.type}",
            "status": {"code": "ER_SUCCESS_MATCH" if said.matches else "ER_SUCCESS_NO_MATCH"},
        }
        if said.matches:
            authority["values"] = [{"value": {"name": label, "id": id}} for id, label in said.matches]
        filled["resolutions"] = slot_value["resolutions"] = {"resolutionsPerAuthority": [authority]}
    return filled | {"confirmationStatus": confirmation, "source": "USER", "slotValue": slot_value}


def request(kind: str, locale: str, timestamp: datetime | None = None) -> Json:
    return {
        "type": kind,
        "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
        "timestamp": (timestamp or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "locale": locale,
    }


def envelope(
    request: Json,
    *,
    session_id: str,
    new: bool,
    attributes: Mapping[str, Any],
    user_id: str,
    skill_id: str,
    api_endpoint: str,
    api_access_token: str | None,
    device_id: str = DEVICE_ID,
    supported_interfaces: Json | None = None,
    viewport: Json | None = None,
) -> Json:
    """`request` in its envelope. Without `api_access_token` (simulators, hand-made events) there is none."""
    system: Json = {
        "application": {"applicationId": skill_id},
        "user": {"userId": user_id},
        "device": {"deviceId": device_id, "supportedInterfaces": supported_interfaces or {}},
        "apiEndpoint": api_endpoint,
    }
    if api_access_token is not None:
        system["apiAccessToken"] = api_access_token
    context: Json = {"System": system}
    if viewport is not None:
        context["Viewport"] = viewport
    return {
        "version": "1.0",
        "session": {
            "new": new,
            "sessionId": session_id,
            "application": {"applicationId": skill_id},
            "attributes": dict(attributes),
            "user": {"userId": user_id},
        },
        "context": context,
        "request": request,
    }


def _from(device: Device, request: Json) -> Json:
    return envelope(
        request,
        session_id=device.session_id,
        new=device.new_session,
        attributes=device.attributes,
        user_id=device.user_id,
        skill_id=device.skill_id,
        api_endpoint=device.api_endpoint,
        api_access_token=device.api_access_token,
    )
