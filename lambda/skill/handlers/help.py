from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.dialog import Dialog, Reply
from skill.handlers.base import DialogHandler
from skill.state import Trip


class HelpIntentHandler(DialogHandler):
    """Explains what to say at this point of the dialog, then asks the same question again."""

    intents = ("AMAZON.HelpIntent",)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.help(trip)
