from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.dialog import Dialog, Reply
from skill.handlers.base import DialogHandler
from skill.state import Trip


class StartOverIntentHandler(DialogHandler):
    """Forgets the trip and its search, and asks for the city again."""

    intents = ("AMAZON.StartOverIntent",)

    def trip(self, handler_input: HandlerInput) -> Trip:
        return Trip()

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.start_over(trip)
