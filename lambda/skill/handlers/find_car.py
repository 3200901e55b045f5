from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_slot, is_intent_name
from ask_sdk_model.slu.entityresolution import StatusCode

from skill.dialog import Dialog, Reply
from skill.handlers.base import DialogHandler
from skill.responses import caller
from skill.state import Trip

SPOKEN_SLOTS = ("city", "pickupDate", "returnDate", "duration")  # built-in types: the value is the answer
RESOLVED_SLOTS = ("carSize", "company")  # custom types: only a value that resolved to an id counts


class FindCarIntentHandler(DialogHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("FindCarIntent")(handler_input)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        slots = {name: _value(handler_input, name) for name in SPOKEN_SLOTS}
        slots |= {name: _resolved_id(handler_input, name) for name in RESOLVED_SLOTS}
        return dialog.find_car(trip, caller(handler_input), slots)


def _value(handler_input: HandlerInput, name: str) -> str | None:
    slot = get_slot(handler_input, name)
    value = slot.value if slot is not None else None
    if value:  # a lone surrogate ("\ud800" in the JSON) is not text: it could not even be hashed or sent on
        value = value.encode("utf-8", errors="ignore").decode("utf-8")
    return value.strip()[:100] if value and value.strip() else None  # a city name is never longer


def _resolved_id(handler_input: HandlerInput, name: str) -> str | None:
    slot = get_slot(handler_input, name)
    if slot is None or slot.resolutions is None:
        return None
    for authority in slot.resolutions.resolutions_per_authority or []:
        value = authority.values[0].value if authority.values else None
        if authority.status and authority.status.code == StatusCode.ER_SUCCESS_MATCH and value:
            return value.id
    return None
