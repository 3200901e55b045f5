"""Turning the dialog's Reply into an Alexa response, and what every handler shares."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_request_type
from ask_sdk_model import Intent, IntentConfirmationStatus, Request, Response, Slot, SlotConfirmationStatus
from ask_sdk_model.dialog import ElicitSlotDirective
from ask_sdk_model.ui import SimpleCard

from skill import speech
from skill.deadline import arrived
from skill.dialog import Caller, Dialog, Reply
from skill.state import Trip

DialogFactory = Callable[[str], Dialog]  # by locale


def request_of(handler_input: HandlerInput) -> Request:
    """The SDK's models make every field optional, the request too; the SDK could not dispatch without one."""
    request = handler_input.request_envelope.request
    assert request is not None
    return request


def pseudonym(alexa_user_id: str) -> str:
    """Who the search API knows the user as: Alexa's user id stays between Alexa and the skill."""
    return hashlib.sha256(f"car-search|{alexa_user_id}".encode()).hexdigest()[:40]


def caller(handler_input: HandlerInput) -> Caller:
    envelope = handler_input.request_envelope
    request = request_of(handler_input)
    system = envelope.context.system if envelope.context else None
    user = system.user if system and system.user else (envelope.session.user if envelope.session else None)
    # Alexa always sends the ids, though the SDK's models have them optional.
    request_id = request.request_id or ""
    return Caller(
        user=pseudonym((user.user_id if user else None) or ""),
        session_id=(envelope.session.session_id if envelope.session else None) or request_id,
        request_id=request_id,
        api_endpoint=system.api_endpoint if system else None,
        api_access_token=system.api_access_token if system else None,
        started=arrived(handler_input),
    )


def load_trip(handler_input: HandlerInput) -> Trip:
    return Trip.load(handler_input.attributes_manager.session_attributes)


def render(handler_input: HandlerInput, trip: Trip, reply: Reply) -> Response:
    text = speech.ssml(*reply.speech)
    builder = handler_input.response_builder.speak(text)
    if reply.end_session:
        builder.set_should_end_session(True)
    else:
        reprompt = reply.reprompt or speech.plain(text)
        builder.ask(speech.ssml(reprompt))
        if reply.repeatable:
            trip.last_speech, trip.last_reprompt = text, reprompt
    if reply.elicit and get_request_type(handler_input) == "IntentRequest":
        builder.add_directive(ElicitSlotDirective(updated_intent=_find_car_intent(trip), slot_to_elicit=reply.elicit))
    if reply.card:
        builder.set_card(SimpleCard(title=reply.card[0], content=reply.card[1]))
    attributes = handler_input.attributes_manager.session_attributes
    assert attributes is not None  # optional in the SDK's types; outside a session its getter raises instead
    trip.save(attributes)
    return builder.response


def locale(handler_input: HandlerInput) -> str:
    return request_of(handler_input).locale or "en-US"


def _find_car_intent(trip: Trip) -> Intent:
    """The trip so far as FindCarIntent's slots, so Alexa's dialog carries them to the next turn."""
    values = {"city": trip.city, "pickupDate": trip.pickup_value, "returnDate": trip.return_value,
              "duration": trip.duration_value, "carSize": trip.size, "company": trip.company}  # fmt: skip
    slots = {
        name: Slot(name=name, value=value, confirmation_status=SlotConfirmationStatus.NONE)
        for name, value in values.items()
    }
    return Intent(name="FindCarIntent", slots=slots, confirmation_status=IntentConfirmationStatus.NONE)
