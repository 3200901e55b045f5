from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.dialog import Dialog, Reply
from skill.handlers.base import DialogHandler
from skill.state import Trip


class RepeatIntentHandler(DialogHandler):
    """Says the last answer again."""

    intents = ("AMAZON.RepeatIntent",)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.repeat(trip)
