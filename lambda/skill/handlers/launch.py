from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type

from skill.dialog import Dialog, Reply
from skill.handlers.base import DialogHandler
from skill.responses import load_trip
from skill.state import Trip


class LaunchRequestHandler(DialogHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def trip(self, handler_input: HandlerInput) -> Trip:
        """A trip with a search, which "welcome back" offers to carry on: kept from an earlier session (skill.last_trip
        put it in this one), or this session's own. Else a new trip."""
        trip = load_trip(handler_input)
        return trip if trip.token else Trip()

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.welcome(trip)
