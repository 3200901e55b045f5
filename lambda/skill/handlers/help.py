from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name

from skill.dialog import Dialog, Reply
from skill.handlers.base import DialogHandler
from skill.state import Trip


class HelpIntentHandler(DialogHandler):
    """Explains what to say at this point of the dialog, then asks the same question again."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.HelpIntent")(handler_input)

    def reply(self, dialog: Dialog, trip: Trip, handler_input: HandlerInput) -> Reply:
        return dialog.help(trip)
