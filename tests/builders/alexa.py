"""The one builder of Alexa request envelopes for the skill's tests: launch(), intent(), session_ended(), and a
Conversation that carries a session from turn to turn.

Each envelope is the JSON Alexa posts to the skill's Lambda, checked against captured requests and the request
reference (https://developer.amazon.com/docs/custom-skills/request-and-response-json-reference.html,
https://developer.amazon.com/docs/custom-skills/request-types-reference.html):

- An intent's slots come as Alexa sends them: every slot of the intent in the interaction model, the ones the
  user did not fill as {name, confirmationStatus} only. A filled slot has value, source "USER" and slotValue
  {type "Simple", value}. A slot of a custom type always has resolutions: a plain string is resolved against the
  model's values and synonyms (ER_SUCCESS_MATCH or ER_SUCCESS_NO_MATCH); resolved() and unresolved() say it
  explicitly (a fuzzy match, a canonical name). Built-in types (AMAZON.US_CITY, AMAZON.DATE, ...) get no
  resolutions. An intent with no slots, like most AMAZON.* intents, has no "slots" key.
- context.System.apiAccessToken is left out unless given: requests from Alexa carry one, but the simulators and
  hand-made events the skill must survive may not.
- No real ids or tokens: every id below is fake.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from local_stack import envelopes
from tests.skill_package import model

SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
USER_ID = "amzn1.ask.account.TESTUSER"
DEVICE_ID = "amzn1.ask.device.TESTDEVICE"
API_ENDPOINT = "https://api.amazonalexa.com"

Json = dict[str, Any]
DialogState = Literal["STARTED", "IN_PROGRESS", "COMPLETED"]
Confirmation = Literal["NONE", "CONFIRMED", "DENIED"]
EndReason = Literal["USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS"]

DIALOG_STATES = ("STARTED", "IN_PROGRESS", "COMPLETED")
CONFIRMATIONS = ("NONE", "CONFIRMED", "DENIED")
END_REASONS = ("USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS")
ERROR_TYPES = ("INVALID_RESPONSE", "DEVICE_COMMUNICATION_ERROR", "INTERNAL_SERVICE_ERROR", "ENDPOINT_TIMEOUT")


@dataclass(frozen=True)
class Slot:
    """A slot value the user said. With `type_name`, entity resolution ran against that custom type and `ids`
    are its matches (none: ER_SUCCESS_NO_MATCH). `name` is the canonical name of the first match (default: the
    model's for the request's locale); `skill_id` the authority's skill (default: the request's)."""

    value: str
    type_name: str | None = None
    ids: tuple[str, ...] = ()
    name: str | None = None
    skill_id: str | None = None
    confirmation: Confirmation = "NONE"


def resolved(value: str, id: str, *, type_name: str, name: str | None = None, skill_id: str | None = None) -> Slot:
    """`value` as said, matched to the custom type's value `id` (ER_SUCCESS_MATCH)."""
    return Slot(value, type_name, (id,), name, skill_id)


def unresolved(value: str, *, type_name: str, skill_id: str | None = None) -> Slot:
    """`value` as said, matching none of the custom type's values (ER_SUCCESS_NO_MATCH, no values)."""
    return Slot(value, type_name, (), None, skill_id)


@dataclass(frozen=True)
class Session:
    """The request's session: its id, whether this request opens it, and the attributes the skill's last
    response asked Alexa to keep (always empty when the session is new)."""

    id: str = field(default_factory=lambda: f"amzn1.echo-api.session.{uuid.uuid4()}")
    attributes: Mapping[str, Any] = field(default_factory=dict)
    new: bool = True

    def __post_init__(self) -> None:
        if self.new and self.attributes:
            raise ValueError("Alexa sends no attributes on a new session")

    def after(self, response: Mapping[str, Any], *, screen: bool = False) -> Session:
        """The session of the request that follows `response` (a response envelope): a new one if the response
        ended the session, else this one with the response's sessionAttributes. shouldEndSession true ends it;
        false or null keeps it; left out, it ends on a device without a screen and stays open on one with
        (https://developer.amazon.com/docs/custom-skills/manage-skill-session-and-session-attributes.html)."""
        body = response.get("response") or {}
        ended = body["shouldEndSession"] is True if "shouldEndSession" in body else not screen
        if ended:
            return Session()
        return Session(self.id, _json_copy(response.get("sessionAttributes") or {}), new=False)


def launch(
    *,
    locale: str = "en-US",
    session: Session | None = None,
    api_access_token: str | None = None,
    api_endpoint: str = API_ENDPOINT,
    user_id: str = USER_ID,
    skill_id: str = SKILL_ID,
    viewport: bool = False,
    timestamp: datetime | None = None,
) -> Json:
    """The user opens the skill: "Alexa, open car search"."""
    request = _request("LaunchRequest", locale, timestamp)
    return _envelope(request, session or Session(), user_id, skill_id, api_access_token, api_endpoint, viewport)


def intent(
    name: str,
    slots: Mapping[str, str | Slot | None] | None = None,
    *,
    dialog_state: DialogState | None = "STARTED",
    confirmation: Confirmation = "NONE",
    locale: str = "en-US",
    session: Session | None = None,
    new_session: bool | None = None,
    api_access_token: str | None = None,
    api_endpoint: str = API_ENDPOINT,
    user_id: str = USER_ID,
    skill_id: str = SKILL_ID,
    viewport: bool = False,
    timestamp: datetime | None = None,
) -> Json:
    """An IntentRequest. `slots` maps slot names to what the user said (None: not said); the intent's other
    slots in the model are added unfilled. `dialog_state` None leaves dialogState out (a skill without a dialog
    model); `new_session` overrides the session's `new`."""
    _check(dialog_state, (*DIALOG_STATES, None), "dialog state")
    _check(confirmation, CONFIRMATIONS, "confirmation status")
    body: Json = {"name": name, "confirmationStatus": confirmation}
    slot_json = _slots(name, dict(slots or {}), locale, skill_id)
    if slot_json:
        body["slots"] = slot_json
    request = _request("IntentRequest", locale, timestamp)
    if dialog_state is not None:
        request["dialogState"] = dialog_state
    request["intent"] = body
    session = session or Session()
    if new_session is not None:
        session = replace(session, new=new_session)
    return _envelope(request, session, user_id, skill_id, api_access_token, api_endpoint, viewport)


def session_ended(
    reason: EndReason = "USER_INITIATED",
    error: tuple[str, str] | None = None,
    *,
    locale: str = "en-US",
    session: Session | None = None,
    api_access_token: str | None = None,
    api_endpoint: str = API_ENDPOINT,
    user_id: str = USER_ID,
    skill_id: str = SKILL_ID,
    viewport: bool = False,
    timestamp: datetime | None = None,
) -> Json:
    """A SessionEndedRequest: the user left, did not answer (EXCEEDED_MAX_REPROMPTS), or Alexa failed (ERROR,
    with `error` as (type, message))."""
    _check(reason, END_REASONS, "reason")
    request = _request("SessionEndedRequest", locale, timestamp)
    request["reason"] = reason
    if error is not None:
        if reason != "ERROR":
            raise ValueError("Alexa sends an error only with reason ERROR")
        _check(error[0], ERROR_TYPES, "error type")
        request["error"] = {"type": error[0], "message": error[1]}
    ending = replace(session or Session(), new=False)  # a session that ends was opened by an earlier request
    return _envelope(request, ending, user_id, skill_id, api_access_token, api_endpoint, viewport)


class Conversation:
    """One user on one device talking to the skill turn after turn. Each request carries the session on;
    remember(response) hands the skill's response envelope back, as Alexa does, so the next request has its
    sessionAttributes, or opens a new session if the response ended this one."""

    def __init__(
        self,
        *,
        locale: str = "en-US",
        api_access_token: str | None = None,
        api_endpoint: str = API_ENDPOINT,
        user_id: str = USER_ID,
        skill_id: str = SKILL_ID,
        viewport: bool = False,
    ) -> None:
        self.locale = locale
        self.api_access_token = api_access_token
        self.api_endpoint = api_endpoint
        self.user_id = user_id
        self.skill_id = skill_id
        self.viewport = viewport
        self.session = Session()

    def launch(self, *, timestamp: datetime | None = None) -> Json:
        return self._sent(launch(session=self.session, timestamp=timestamp, **self._device()))

    def intent(
        self,
        name: str,
        slots: Mapping[str, str | Slot | None] | None = None,
        *,
        dialog_state: DialogState | None = "STARTED",
        confirmation: Confirmation = "NONE",
        timestamp: datetime | None = None,
    ) -> Json:
        envelope = intent(
            name,
            slots,
            dialog_state=dialog_state,
            confirmation=confirmation,
            session=self.session,
            timestamp=timestamp,
            **self._device(),
        )
        return self._sent(envelope)

    def session_ended(
        self,
        reason: EndReason = "USER_INITIATED",
        error: tuple[str, str] | None = None,
        *,
        timestamp: datetime | None = None,
    ) -> Json:
        envelope = session_ended(reason, error, session=self.session, timestamp=timestamp, **self._device())
        self.session = Session()
        return envelope

    def remember(self, response: Mapping[str, Any]) -> None:
        self.session = self.session.after(response, screen=self.viewport)

    def _sent(self, envelope: Json) -> Json:
        self.session = replace(self.session, new=False)
        return envelope

    def _device(self) -> dict[str, Any]:
        return {
            "locale": self.locale,
            "api_access_token": self.api_access_token,
            "api_endpoint": self.api_endpoint,
            "user_id": self.user_id,
            "skill_id": self.skill_id,
            "viewport": self.viewport,
        }


def _check(value: object, allowed: tuple[object, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"Alexa sends no {what} {value!r}; it sends one of {allowed}")


def _json_copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _request(kind: str, locale: str, timestamp: datetime | None) -> Json:
    if timestamp is not None and timestamp.tzinfo is None:
        raise ValueError("give the timestamp a time zone")
    return envelopes.request(kind, locale, timestamp)


def _envelope(
    request: Json,
    session: Session,
    user_id: str,
    skill_id: str,
    api_access_token: str | None,
    api_endpoint: str,
    viewport: bool,
) -> Json:
    envelope = envelopes.envelope(
        request,
        session_id=session.id,
        new=session.new,
        attributes=session.attributes,
        user_id=user_id,
        skill_id=skill_id,
        api_endpoint=api_endpoint,
        api_access_token=api_access_token,
        device_id=DEVICE_ID,
        supported_interfaces=_screen_interfaces() if viewport else None,
        viewport=_echo_show_5() if viewport else None,
    )
    return _json_copy(envelope)  # plain JSON, sharing nothing with the caller's attributes


def _slots(intent_name: str, given: dict[str, str | Slot | None], locale: str, skill_id: str) -> Json:
    declared = _declared_slots(locale, intent_name)
    if declared is not None:
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise ValueError(f"{intent_name} has no slots {unknown} in the {locale} model; it has {list(declared)}")
        given = {slot: given.get(slot) for slot in declared}
    custom = _custom_types(locale)
    slots: Json = {}
    for slot_name, said in given.items():
        slot_type = declared.get(slot_name) if declared else None
        if isinstance(said, str):
            said = Slot(said)
        if said is None:
            slots[slot_name] = {"name": slot_name, "confirmationStatus": "NONE"}
            continue
        if said.type_name is None and slot_type in custom:
            said = _resolve(said, slot_type, locale)
        elif said.type_name is not None and slot_type is not None and said.type_name != slot_type:
            raise ValueError(f"{intent_name}.{slot_name} is a {slot_type} slot, not {said.type_name}")
        slots[slot_name] = _slot_json(slot_name, said, locale, skill_id, custom)
    return slots


def _slot_json(slot_name: str, said: Slot, locale: str, skill_id: str, custom: Mapping[str, dict[str, str]]) -> Json:
    _check(said.confirmation, CONFIRMATIONS, "slot confirmation status")
    matches = None if said.type_name is None else _matches(said, locale, custom)
    filled = envelopes.FilledSlot(said.value, said.type_name or "", matches)
    return envelopes.slot(slot_name, filled, said.skill_id or skill_id, said.confirmation)


def _matches(said: Slot, locale: str, custom: Mapping[str, dict[str, str]]) -> tuple[tuple[str, str], ...]:
    """The (id, name) values of the slot's resolution, checked against the model's custom type."""
    assert said.type_name is not None
    canonical = custom.get(said.type_name)
    if canonical is None:
        raise ValueError(f"the {locale} model has no custom slot type {said.type_name}")
    unknown = [id for id in said.ids if id not in canonical]
    if unknown:
        raise ValueError(f"{said.type_name} has no values with ids {unknown}; it has {list(canonical)}")
    if not said.ids:
        return ()
    names = [said.name or canonical[said.ids[0]], *(canonical[id] for id in said.ids[1:])]
    return tuple(zip(said.ids, names, strict=True))


def _resolve(said: Slot, type_name: str, locale: str) -> Slot:
    """What Alexa's entity resolution makes of a plain string, matching values and synonyms exactly."""
    matches = model.resolve(locale, type_name, said.value)
    order = [value["id"] for value in model.types(locale)[type_name]["values"]]
    return replace(said, type_name=type_name, ids=tuple(id for id in order if id in matches))


def _declared_slots(locale: str, intent_name: str) -> dict[str, str] | None:
    """Slot name -> slot type of the intent in the locale's model; None if the model does not know it."""
    if locale not in model.ALL_LOCALES or intent_name not in model.intents(locale):
        return None
    return {name: slot["type"] for name, slot in model.slots(locale, intent_name).items()}


def _custom_types(locale: str) -> dict[str, dict[str, str]]:
    """Custom slot type -> {value id: canonical name} in the locale's model (en-US's for other locales)."""
    source = locale if locale in model.ALL_LOCALES else model.SOURCE_LOCALE
    return {
        type_name: {value["id"]: value["name"]["value"] for value in slot_type["values"]}
        for type_name, slot_type in model.types(source).items()
    }


def _screen_interfaces() -> Json:
    return {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2024.2"}}}


def _echo_show_5() -> Json:
    """A 960 x 480 screen: HUB_LANDSCAPE_SMALL to ask_sdk_core.utils.viewport.get_viewport_profile."""
    return {
        "experiences": [{"arcMinuteWidth": 221, "arcMinuteHeight": 162, "canRotate": False, "canResize": False}],
        "mode": "HUB",
        "shape": "RECTANGLE",
        "pixelWidth": 960,
        "pixelHeight": 480,
        "dpi": 160,
        "currentPixelWidth": 960,
        "currentPixelHeight": 480,
        "touch": ["SINGLE"],
        "keyboard": ["DIRECTION"],
        "video": {"codecs": ["H_264_42", "H_264_41"]},
    }
