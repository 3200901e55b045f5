from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_slot
from ask_sdk_model.slu.entityresolution import StatusCode

from skill.dialog import Dialog, Reply, Said
from skill.handlers.base import DialogHandler
from skill.responses import caller
from skill.state import Trip

# Built-in types: the value is the answer. state and choice pick one of the cities offered ("Oregon", "the first
# one"): AMAZON.US_STATE as said, AMAZON.ORDINAL as a number.
SPOKEN_SLOTS = ("city", "pickupDate", "returnDate", "duration", "state", "choice")
RESOLVED_SLOTS = ("carSize", "company")  # custom types: a value that resolved gives its id; one that did not, its words


class FindCarIntentHandler(DialogHandler):
    intents = ("FindCarIntent",)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        slots = {name: _value(handler_input, name) for name in SPOKEN_SLOTS}
        slots |= {name: _resolved_id(handler_input, name) for name in RESOLVED_SLOTS}
        unknown = {
            name: said for name in RESOLVED_SLOTS if not slots[name] and (said := _unresolved(handler_input, name))
        }
        return dialog.find_car(trip, caller(handler_input), Said(slots, unknown))


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


def _unresolved(handler_input: HandlerInput, name: str) -> str | None:
    """The words of a size or company that Alexa heard but could not resolve (ER_SUCCESS_NO_MATCH): "Zipcar"."""
    slot = get_slot(handler_input, name)
    if slot is None or slot.resolutions is None:
        return None
    codes = [a.status.code for a in slot.resolutions.resolutions_per_authority or [] if a.status]
    return _value(handler_input, name) if StatusCode.ER_SUCCESS_NO_MATCH in codes else None
